"""What enforcement stores: plans with their sealed draw, the selected targets, and inspections with
their teams. An unannounced (四不两直) inspection is confidential until it starts: see domain.py."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
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


class InspectionFinding(Base):
    """What the team found on site (检查发现的问题), with its photos (SHA-256 of blobs in the BlobStore),
    where and when; a major one names the rule-pack clause it meets and the hazard it raised."""

    __tablename__ = "inspection_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    description: Mapped[str] = mapped_column(String(2000))
    location: Mapped[str] = mapped_column(String(200))
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    found_at: Mapped[datetime] = mapped_column(UtcDateTime)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{sha256, media_type, filename}]
    is_major: Mapped[bool] = mapped_column(Boolean)
    pack: Mapped[str | None] = mapped_column(String(64))
    pack_version: Mapped[str | None] = mapped_column(String(32))
    clause: Mapped[str | None] = mapped_column(String(32))
    citation: Mapped[str] = mapped_column(String(300))  # as printed on the documents
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id"))
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OnSiteMeasure(Base):
    """现场处理措施: what the team ordered on the spot (inspecting.MEASURE_KINDS)."""

    __tablename__ = "on_site_measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    description: Mapped[str] = mapped_column(String(1000))
    taken_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(120))


class EnforcementDocumentNumber(Base):
    """The number of an enforcement document (文书编号): one sequence per planning division, kind and year.
    `object_id` is the order, re-inspection or penalty it numbers (the inspection, for the record)."""

    __tablename__ = "enforcement_document_numbers"
    __table_args__ = (
        UniqueConstraint(
            "planning_division", "kind", "year", "sequence", name="uq_enforcement_document_numbers_sequence"
        ),
        UniqueConstraint("kind", "object_id", name="uq_enforcement_document_numbers_object"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # record | order | reinspection | penalty
    object_id: Mapped[int] = mapped_column(Integer)
    planning_division: Mapped[str] = mapped_column(String(6))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RectificationOrder(Base):
    """责令限期整改指令书: the items to rectify, each with its deadline (a local date)."""

    __tablename__ = "rectification_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    number: Mapped[str] = mapped_column(String(64))
    # [{finding_id, description, clause, is_major, deadline}]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    legal_basis: Mapped[str] = mapped_column(String(300))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    issued_by: Mapped[str] = mapped_column(String(120))


class Reinspection(Base):
    """复查 of an order: scheduled when the order is issued (the latest deadline unless given), then
    recorded with each item rectified or not."""

    __tablename__ = "reinspections"
    __table_args__ = (Index("ix_reinspections_open", "done_at", "scheduled_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("rectification_orders.id"), unique=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    scheduled_on: Mapped[date] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    results: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # [{item, is_rectified, note}]
    number: Mapped[str | None] = mapped_column(String(64))
    recorded_by: Mapped[str | None] = mapped_column(String(120))


class Penalty(Base):
    """行政处罚: a fine under one provision of penalties.py, on the unit or on a responsible person."""

    __tablename__ = "penalties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    provision_id: Mapped[str] = mapped_column(String(40))
    article: Mapped[int] = mapped_column(Integer)
    amount_yuan: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    party: Mapped[str] = mapped_column(String(24))  # unit | responsible_person
    person_name: Mapped[str] = mapped_column(String(60))
    person_position: Mapped[str] = mapped_column(String(60))
    facts: Mapped[str] = mapped_column(String(2000))
    violated: Mapped[str] = mapped_column(String(300))
    number: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_by: Mapped[str] = mapped_column(String(120))


class EmphasisQuestion(Base):
    """A question of an emphasis programme (专项检查) added to one inspection's checklist, with its answer."""

    __tablename__ = "emphasis_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    programme: Mapped[str] = mapped_column(String(64))
    question: Mapped[str] = mapped_column(String(500))
    answer: Mapped[str | None] = mapped_column(String(1000))
    answered_by: Mapped[str | None] = mapped_column(String(120))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
