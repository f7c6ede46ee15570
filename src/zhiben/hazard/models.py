from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class Hazard(Base):
    __tablename__ = "hazards"
    __table_args__ = (
        # The ledger: a division and a state, newest first (one index per level, so each is a prefix).
        Index("ix_hazards_province_state", "province_code", "state", "reported_at"),
        Index("ix_hazards_city_state", "city_code", "state", "reported_at"),
        Index("ix_hazards_county_state", "county_code", "state", "reported_at"),
        # The ledger's "open" and "overdue" views are small slices: partial indexes.
        Index(
            "ix_hazards_open",
            "province_code",
            "reported_at",
            postgresql_where=text("is_open"),
            sqlite_where=text("is_open"),
        ),
        Index(
            "ix_hazards_overdue",
            "province_code",
            "reported_at",
            postgresql_where=text("is_overdue"),
            sqlite_where=text("is_overdue"),
        ),
        # Dynamic clearance reads major hazards only, from this covering partial index alone.
        Index(
            "ix_hazards_clearance",
            "province_code",
            "city_code",
            "county_code",
            "is_open",
            "is_overdue",
            "state",
            "closed_at",
            "deadline_at",
            "listed_level",
            "reported_at",
            "sector",
            postgresql_where=text("level = 'major'"),
            sqlite_where=text("level = 'major'"),
        ),
        Index("ix_hazards_enterprise", "enterprise_id"),
        Index("ix_hazards_deadline_open", "is_open", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)  # <county>-<year>-<sequence>
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    source: Mapped[str] = mapped_column(String(24))
    found_by: Mapped[str] = mapped_column(String(120))
    found_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    location: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text)
    level: Mapped[str | None] = mapped_column(String(16))
    citation: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(20))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True)
    deadline_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    original_deadline_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    is_overdue: Mapped[bool] = mapped_column(Boolean, default=False)
    overdue_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    escalated_to: Mapped[str | None] = mapped_column(String(6))
    listed_level: Mapped[str | None] = mapped_column(String(16))
    listing_division: Mapped[str | None] = mapped_column(String(6))
    determined_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rectified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reopened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # the last failed verification
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class HazardCounter(Base):
    """The last sequence number per county and year; incremented inside the reporting transaction."""

    __tablename__ = "hazard_counters"

    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class RectificationPlan(Base):
    __tablename__ = "hazard_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), index=True)
    responsible_person: Mapped[str] = mapped_column(String(60))
    measures: Mapped[str] = mapped_column(Text)
    funds_yuan: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime)
    contingency: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Supervision(Base):
    """Listed supervision (挂牌督办) by a regulator at some level."""

    __tablename__ = "hazard_supervisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    authority_division: Mapped[str] = mapped_column(String(6))
    listed_by: Mapped[str] = mapped_column(String(120))
    listed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UtcDateTime)
    document_number: Mapped[str] = mapped_column(String(80), default="")
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class DeadlineExtension(Base):
    __tablename__ = "hazard_extensions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(120))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    old_deadline_at: Mapped[datetime] = mapped_column(UtcDateTime)
    new_deadline_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | approved | refused
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Evidence(Base):
    """A file stored by its SHA-256 (content-addressed) and linked to a hazard."""

    __tablename__ = "hazard_evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    phase: Mapped[str] = mapped_column(String(12))  # before | after | other
    filename: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by: Mapped[str] = mapped_column(String(120))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
