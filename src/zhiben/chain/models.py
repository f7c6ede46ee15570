"""What the chain stores: local (and seeded national) assignments of departments to the stages of a thing,
referrals (移送) of hazards to departments, and new business types placed by the similar-business principle.
Referrals carry the hazard's scope columns, copied when the referral is made (ADR 0001)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class ChainAssignment(Base):
    """One department's role (lead 牵头 / support 配合) in one stage of one thing, for a division
    ('' = the nation). The rows of a division for a (thing, stage) replace that cell above it."""

    __tablename__ = "chain_assignments"
    __table_args__ = (
        UniqueConstraint("division_code", "thing", "stage", "department"),
        Index("ix_chain_assignments_cell", "thing", "stage"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_code: Mapped[str] = mapped_column(String(6), default="")
    thing: Mapped[str] = mapped_column(String(48))
    stage: Mapped[str] = mapped_column(String(16))
    department: Mapped[str] = mapped_column(String(48))
    role: Mapped[str] = mapped_column(String(8))  # lead | support
    basis: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Referral(Base):
    """A hazard referred (移送) to the department responsible for it, which must acknowledge it in time."""

    __tablename__ = "chain_referrals"
    __table_args__ = (
        Index("ix_chain_referrals_division", "province_code", "city_code", "county_code", "state"),
        Index("ix_chain_referrals_due", "state", "acknowledge_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id"), index=True)
    hazard_number: Mapped[str] = mapped_column(String(24))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    department: Mapped[str] = mapped_column(String(48), index=True)
    thing: Mapped[str | None] = mapped_column(String(48))
    stage: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    referred_by: Mapped[str] = mapped_column(String(120))
    referred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    acknowledge_by: Mapped[datetime] = mapped_column(UtcDateTime)
    overdue_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    is_late: Mapped[bool] = mapped_column(Boolean, default=False)
    handled_by: Mapped[str | None] = mapped_column(String(120))
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    outcome: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class BusinessType(Base):
    """A new business type (新业态) with the department proposed by the similar-business principle and the
    administrator's decision."""

    __tablename__ = "chain_business_types"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    industry_code: Mapped[str] = mapped_column(String(5))
    attributes: Mapped[list[Any]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text, default="")
    neighbour: Mapped[str] = mapped_column(String(64))  # the nearest known type's code
    proposed_department: Mapped[str] = mapped_column(String(48))
    reason_zh: Mapped[str] = mapped_column(Text)
    reason_en: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))  # proposed | confirmed | overridden
    department: Mapped[str | None] = mapped_column(String(48))  # the decided lead
    decision_note: Mapped[str] = mapped_column(Text, default="")
    proposed_by: Mapped[str] = mapped_column(String(120))
    proposed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
