from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class Enterprise(Base):
    __tablename__ = "enterprises"
    __table_args__ = (
        Index("ix_enterprises_province_sector", "province_code", "sector"),
        Index("ix_enterprises_city_code", "city_code"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"), index=True)
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    address: Mapped[str] = mapped_column(String(300), default="")
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    sector: Mapped[str] = mapped_column(String(48))
    gbt4754_code: Mapped[str | None] = mapped_column(String(8))
    headcount: Mapped[int | None] = mapped_column(Integer)
    main_responsible_person: Mapped[str] = mapped_column(String(60), default="")
    safety_manager: Mapped[str] = mapped_column(String(60), default="")
    licences: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Facility(Base):
    """A production unit or storage area of an enterprise (GB 18218 §3.4/3.5 单元), with its last
    major hazard installation (重大危险源) assessment: the grade feeds the enterprise's risk level."""

    __tablename__ = "facilities"
    __table_args__ = (UniqueConstraint("enterprise_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))  # production | storage
    is_major_hazard: Mapped[bool] = mapped_column(Boolean, default=False)
    grade: Mapped[int | None] = mapped_column(Integer)  # 1 (highest) to 4; None when not a major hazard
    s: Mapped[str] = mapped_column(String(40))  # Σ q/Q, exact decimal text
    r: Mapped[str | None] = mapped_column(String(40))  # R = α Σ β q/Q
    assessment: Mapped[dict[str, Any]] = mapped_column(JSON)  # every term, as the CLI prints it
    assessed_by: Mapped[str] = mapped_column(String(120))
    assessed_at: Mapped[datetime] = mapped_column(UtcDateTime)
