from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from zhiben.auth.api import MAX_ID
from zhiben.hazard.domain import HazardLevel, Plan, Source


def _storable(value: datetime) -> datetime:
    """Times are stored in UTC: 0001-01-01T00:00+08:00, say, has no UTC equivalent."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_storable)]
"""A timezone-aware time that has a UTC equivalent, as every time the API takes must be."""


class Citation(BaseModel):
    pack: str = Field("", max_length=80, description="rule pack id, e.g. coal-mine")
    version: str = Field("", max_length=40)
    clause: str = Field(min_length=1, max_length=40, description="clause id, e.g. 4-1")
    text: str = Field("", max_length=2000)


class HazardCreate(BaseModel):
    enterprise_id: int = Field(ge=1, le=MAX_ID)
    description: str = Field(min_length=1, max_length=4000)
    source: Source
    found_at: Instant
    location: str = Field("", max_length=300)
    level: HazardLevel | None = None
    citation: Citation | None = None


class HazardUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: str | None = Field(None, min_length=1, max_length=4000)
    location: str | None = Field(None, max_length=300)

    def changes(self) -> dict[str, Any]:
        return {k: v for k, v in self.model_dump(exclude_unset=True).items() if v is not None}


class DetermineIn(BaseModel):
    level: HazardLevel
    citation: Citation | None = None


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class AcceptanceIn(BaseModel):
    acceptance_note: str = Field(min_length=1, max_length=2000)


class OpinionIn(BaseModel):
    opinion: str = Field("", max_length=2000)


class PlanIn(BaseModel):
    """The five implementations (五落实)."""

    responsible_person: str = Field(min_length=1, max_length=60)
    measures: str = Field(min_length=1, max_length=4000)
    funds_yuan: Decimal | None = Field(None, ge=0, le=Decimal("1e12"), max_digits=16, decimal_places=2)
    deadline_at: Instant
    contingency: str = Field("", max_length=4000)

    def plan(self) -> Plan:
        return Plan(
            self.responsible_person, self.measures, self.deadline_at, self.funds_yuan, self.contingency
        )


class SupervisionIn(BaseModel):
    deadline_at: Instant
    document_number: str = Field("", max_length=80)


class ExtensionIn(BaseModel):
    new_deadline_at: Instant
    reason: str = Field(min_length=1, max_length=2000)


class DecisionIn(BaseModel):
    approve: bool


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    responsible_person: str
    measures: str
    funds_yuan: Decimal | None
    deadline_at: datetime
    contingency: str
    created_by: str
    created_at: datetime


class SupervisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    level: str
    authority_division: str
    listed_by: str
    listed_at: datetime
    deadline_at: datetime
    document_number: str
    lifted_at: datetime | None


class ExtensionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    requested_by: str
    requested_at: datetime
    old_deadline_at: datetime
    new_deadline_at: datetime
    reason: str
    status: str
    decided_by: str | None
    decided_at: datetime | None


class EvidenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sha256: str
    media_type: str
    size_bytes: int
    phase: str
    filename: str
    uploaded_by: str
    uploaded_at: datetime


class HazardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    enterprise_id: int
    county_code: str
    sector: str
    source: str
    found_by: str
    found_at: datetime
    reported_at: datetime
    location: str
    description: str
    level: str | None
    citation: dict[str, Any] | None
    state: str
    is_open: bool
    deadline_at: datetime | None
    original_deadline_at: datetime | None
    is_overdue: bool
    escalated_to: str | None
    listed_level: str | None
    listing_division: str | None
    closed_at: datetime | None
    version: int
    actions: list[str] = Field(default_factory=list, description="what the caller may do now")


class HazardDetail(HazardRead):
    plan: PlanRead | None = None
    supervision: SupervisionRead | None = None
    extensions: list[ExtensionRead] = Field(default_factory=list)
    evidence: list[EvidenceRead] = Field(default_factory=list)


class HazardPage(BaseModel):
    items: list[HazardRead]
    total: int
    page: int
    size: int


class HistoryEntry(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class ClearanceRead(BaseModel):
    division_code: str
    division_name: str
    open_major: int
    overdue_major: int
    closed_on_time: int
    closed_late: int
    rectification_rate: float | None
    median_age_days: float | None
    listed: dict[str, int]
    children: list[ClearanceRead] = Field(default_factory=list)
