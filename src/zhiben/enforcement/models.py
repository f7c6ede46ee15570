"""What enforcement stores: plans with their sealed draw, the selected targets, and inspections with
their teams. An unannounced (四不两直) inspection is confidential until it starts: see domain.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class EnforcementPlan(Base):
    __tablename__ = "enforcement_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    division_code: Mapped[str] = mapped_column(String(6))  # the planning regulator's division ('' = nation)
    title: Mapped[str] = mapped_column(String(200))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    sectors: Mapped[list[str]] = mapped_column(JSON)
    quota: Mapped[int] = mapped_column(Integer)
    officer_count: Mapped[int] = mapped_column(Integer)
    is_unannounced: Mapped[bool] = mapped_column(Boolean)  # 四不两直: targets and dates kept confidential
    mode: Mapped[str] = mapped_column(String(8))  # overt | covert (明查 | 暗访)
    state: Mapped[str] = mapped_column(String(12))  # sealed | drawn
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)  # the canonical draw inputs, frozen at sealing
    inputs_sha256: Mapped[str] = mapped_column(String(64))
    commitment: Mapped[str] = mapped_column(String(64))
    seed_hex: Mapped[str] = mapped_column(String(128))  # secret until the draw; then part of the record
    record: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the full draw record, once drawn
    created_by: Mapped[str] = mapped_column(String(120))
    created_by_user_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    drawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Inspection(Base):
    __tablename__ = "inspections"
    __table_args__ = (
        Index("ix_inspections_county", "county_code"),
        Index("ix_inspections_plan", "plan_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("enforcement_plans.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    planning_division: Mapped[str] = mapped_column(String(6))
    is_unannounced: Mapped[bool] = mapped_column(Boolean)
    mode: Mapped[str] = mapped_column(String(8))
    selection: Mapped[dict[str, Any]] = mapped_column(JSON)  # why it was selected (draw.Selection)
    scheduled_on: Mapped[date | None] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12))  # planned | in_progress | done
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    advance_notice: Mapped[dict[str, Any] | None] = mapped_column(
        JSON
    )  # given to the enterprise: why, when, by whom
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class InspectionOfficer(Base):
    """A member of an inspection's team (the drawn officers, assigned to inspections)."""

    __tablename__ = "inspection_officers"

    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)


class OfficerProfile(Base):
    """An enforcement officer's certificate, the sectors they are qualified for, where they are based
    (for travel distances) and how many inspections a week they may take. No profile: not certified."""

    __tablename__ = "officer_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    certificate_no: Mapped[str] = mapped_column(String(40))  # 执法证号
    certificate_valid_until: Mapped[date] = mapped_column(Date)
    sectors: Mapped[list[str]] = mapped_column(JSON)  # sector codes the officer is qualified for
    home_longitude: Mapped[float | None] = mapped_column(Float)
    home_latitude: Mapped[float | None] = mapped_column(Float)
    cap_per_week: Mapped[int] = mapped_column(Integer, default=2)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
