from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class Accident(Base):
    """A production safety accident (生产安全事故) at an enterprise, graded under Decree 493."""

    __tablename__ = "accidents"
    __table_args__ = (
        Index("ix_accidents_province_occurred", "province_code", "city_code", "county_code", "occurred_at"),
        Index("ix_accidents_enterprise", "enterprise_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    kind: Mapped[str] = mapped_column(String(16))  # AccidentKind: the Art. 13 window depends on it
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(300), default="")
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    unit_reported_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the unit → county (Art. 9)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(120))
    # The counted figures (Art. 13: casualty changes count within the window only).
    deaths: Mapped[int] = mapped_column(Integer, default=0)
    serious_injuries: Mapped[int] = mapped_column(Integer, default=0)
    direct_loss_yuan: Mapped[Decimal] = mapped_column(Numeric(16, 2), default=Decimal(0))
    grade: Mapped[str] = mapped_column(String(24))
    window_closes_at: Mapped[datetime] = mapped_column(UtcDateTime)
    rules_version: Mapped[str] = mapped_column(String(16))
    is_reporting_complete: Mapped[bool] = mapped_column(Boolean, default=False)
    had_open_major_hazard: Mapped[bool] = mapped_column(Boolean, default=False)
    hazards_linked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CasualtyUpdate(Base):
    """The accident's figures as reported over time: the first record, then every update, counted or not."""

    __tablename__ = "accident_casualty_updates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    accident_id: Mapped[int] = mapped_column(ForeignKey("accidents.id"), index=True)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reported_by: Mapped[str] = mapped_column(String(120))
    deaths: Mapped[int] = mapped_column(Integer)
    serious_injuries: Mapped[int] = mapped_column(Integer)
    direct_loss_yuan: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    grade_before: Mapped[str | None] = mapped_column(String(24))
    grade_after: Mapped[str] = mapped_column(String(24))
    is_within_window: Mapped[bool] = mapped_column(Boolean)
    is_counted: Mapped[bool] = mapped_column(Boolean)  # False: a casualty change after the window
    note: Mapped[str] = mapped_column(Text, default="")


class UpwardReport(Base):
    """A department's report of the accident to the next level up (Art. 11)."""

    __tablename__ = "accident_upward_reports"
    __table_args__ = (UniqueConstraint("accident_id", "to_level"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    accident_id: Mapped[int] = mapped_column(ForeignKey("accidents.id"), index=True)
    to_level: Mapped[str] = mapped_column(String(16))
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reported_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AccidentHazardLink(Base):
    """A hazard known at the enterprise and still open when the accident happened, as computed then."""

    __tablename__ = "accident_hazard_links"
    __table_args__ = (UniqueConstraint("accident_id", "hazard_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    accident_id: Mapped[int] = mapped_column(ForeignKey("accidents.id"), index=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), index=True)
    hazard_number: Mapped[str] = mapped_column(String(24))
    level: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(20))  # the hazard's state when the link was computed
    found_at: Mapped[datetime] = mapped_column(UtcDateTime)
    determined_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    is_major: Mapped[bool] = mapped_column(Boolean)
