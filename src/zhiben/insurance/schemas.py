"""Wire models of the insurance feature."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field


def _storable(value: datetime) -> datetime:
    """Times are stored in UTC: a time with no UTC equivalent is refused as input."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_storable)]


class PolicyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    insurer_org: str = Field(
        min_length=1, max_length=120, description="the insurer, as its users' provider_org"
    )
    policy_number: str = Field(min_length=1, max_length=64)
    starts_on: date
    ends_on: date = Field(description="the last day of cover")
    premium_yuan: Decimal = Field(ge=0, max_digits=16, decimal_places=2)
    cover_per_person_yuan: Decimal = Field(
        gt=0, max_digits=16, decimal_places=2, description="death/disability limit"
    )
    insured_headcount: int | None = Field(None, ge=0, le=10_000_000)


class PolicyCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cancelled_on: date = Field(description="cover ends the day before")


class PolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    enterprise_id: int
    county_code: str
    sector: str
    insurer_org: str
    policy_number: str
    starts_on: date
    ends_on: date
    cancelled_on: date | None
    premium_yuan: Decimal
    cover_per_person_yuan: Decimal
    insured_headcount: int | None
    recorded_by: str
    recorded_at: datetime
    version: int


class PolicyPage(BaseModel):
    items: list[PolicyRead]
    total: int
    page: int
    size: int


class CoverFindingRead(BaseModel):
    enterprise_id: int
    problem: str = Field(description="no_policy (mandatory sector, nothing in force) or cover_below_minimum")
    citation: str
    category: str | None = Field(description="the Art 2 mandatory category of the enterprise's sector")
    policy_id: int | None
    cover_per_person_yuan: Decimal | None
    minimum_yuan: Decimal | None


class CoverCheck(BaseModel):
    on: date
    document: str
    findings: list[CoverFindingRead]


class FoundHazardIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=4000)
    location: str = Field("", max_length=300)


class VisitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    visited_at: Instant
    summary: str = Field(min_length=1, max_length=2000)
    experts: str = Field("", max_length=300)
    hazards: list[FoundHazardIn] = Field(default=[], max_length=100)


class VisitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    enterprise_id: int
    policy_id: int
    insurer_org: str
    visited_at: datetime
    visited_by: str
    experts: str
    summary: str
    hazard_ids: list[int]


class FloatingStepRead(BaseModel):
    reason: str
    pct: int
    source: str


class FloatingRead(BaseModel):
    enterprise_id: int
    since: date
    until: date
    accidents: dict[str, int]
    accidents_given: bool = Field(description="false: no accident counts were supplied, none were counted")
    major_hazards_found: int
    major_hazards_overdue: int
    pct: int = Field(description="suggested floating: positive 上浮, negative 下浮")
    is_capped: bool
    steps: list[FloatingStepRead]
