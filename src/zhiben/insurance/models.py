"""What the insurance feature stores: liability insurance policies and the insurers' prevention-service
visits (事故预防服务). Both are enterprise-bound, with the enterprise's scope columns copied (ADR 0001).

A policy is linked to the service contract (auth.models.ServiceContract, kind "insurance") that gives its
insurer's users their scope: the contract runs for the policy's period, so an insurer sees an enterprise
exactly while one of its policies is in force there (auth/scope.py, unchanged)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class InsurancePolicy(Base):
    """安全生产责任保险保单: one insurer, one enterprise, one period."""

    __tablename__ = "insurance_policies"
    __table_args__ = (
        UniqueConstraint("insurer_org", "policy_number"),
        Index("ix_insurance_policies_division", "province_code", "city_code", "county_code"),
        Index("ix_insurance_policies_period", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    insurer_org: Mapped[str] = mapped_column(String(120), index=True)  # = users.provider_org of its staff
    policy_number: Mapped[str] = mapped_column(String(64))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # the last day of cover
    cancelled_on: Mapped[date | None] = mapped_column(Date)  # cover ends the day before
    premium_yuan: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    cover_per_person_yuan: Mapped[Decimal] = mapped_column(Numeric(16, 2))
    insured_headcount: Mapped[int | None] = mapped_column(Integer)
    contract_id: Mapped[int] = mapped_column(ForeignKey("service_contracts.id"), index=True)
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class PreventionVisit(Base):
    """An insurer's accident-prevention service visit to an insured enterprise; the hazards it found are
    in the registry (source `service`), listed here by id."""

    __tablename__ = "prevention_visits"
    __table_args__ = (Index("ix_prevention_visits_division", "province_code", "city_code", "county_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    policy_id: Mapped[int] = mapped_column(ForeignKey("insurance_policies.id"), index=True)
    insurer_org: Mapped[str] = mapped_column(String(120))
    visited_at: Mapped[datetime] = mapped_column(UtcDateTime)
    visited_by: Mapped[str] = mapped_column(String(120))
    experts: Mapped[str] = mapped_column(String(300), default="")
    summary: Mapped[str] = mapped_column(String(2000))
    hazard_ids: Mapped[list[int]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
