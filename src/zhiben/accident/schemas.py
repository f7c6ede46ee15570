"""Wire models of accidents."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from zhiben.accident.domain import AccidentKind, ReportingStep
from zhiben.auth.api import MAX_ID
from zhiben.hazard.schemas import Instant

Yuan = Decimal


class AccidentCreate(BaseModel):
    enterprise_id: int = Field(ge=1, le=MAX_ID)
    title: str = Field(min_length=1, max_length=200)
    kind: AccidentKind = Field(description="road_traffic and fire have a 7-day casualty window, others 30")
    occurred_at: Instant
    deaths: int = Field(0, ge=0, le=1_000_000)
    serious_injuries: int = Field(0, ge=0, le=1_000_000, description="incl. acute industrial poisoning")
    direct_loss_yuan: Decimal = Field(Decimal(0), ge=0, le=Decimal("1e13"), max_digits=16, decimal_places=2)
    description: str = Field("", max_length=4000)
    location: str = Field("", max_length=300)
    unit_reported_at: Instant | None = Field(
        None, description="when the unit reported to the county department; an enterprise reports now"
    )


class CasualtiesIn(BaseModel):
    deaths: int = Field(ge=0, le=1_000_000)
    serious_injuries: int = Field(ge=0, le=1_000_000)
    direct_loss_yuan: Decimal = Field(ge=0, le=Decimal("1e13"), max_digits=16, decimal_places=2)
    note: str = Field("", max_length=2000)


class UpwardIn(BaseModel):
    reported_at: Instant | None = Field(None, description="when the report went up; now if not given")


class StepRead(BaseModel):
    from_level: str
    to_level: str
    due_at: datetime
    done_at: datetime | None
    is_late: bool
    is_overdue: bool
    citation: str

    @classmethod
    def of(cls, step: ReportingStep, now: datetime) -> StepRead:
        return cls(
            from_level=step.from_level,
            to_level=step.to_level.value,
            due_at=step.due_at,
            done_at=step.done_at,
            is_late=step.is_late,
            is_overdue=step.is_overdue(now),
            citation=step.citation,
        )


class CasualtyUpdateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    reported_at: datetime
    reported_by: str
    deaths: int
    serious_injuries: int
    direct_loss_yuan: Yuan
    grade_before: str | None
    grade_after: str
    is_within_window: bool
    is_counted: bool
    note: str


class LinkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    hazard_id: int
    hazard_number: str
    level: str | None
    state: str
    found_at: datetime
    determined_at: datetime | None
    closed_at: datetime | None
    is_major: bool


class AccidentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    county_code: str
    sector: str
    kind: str
    title: str
    location: str
    occurred_at: datetime
    unit_reported_at: datetime | None
    recorded_at: datetime
    deaths: int
    serious_injuries: int
    direct_loss_yuan: Yuan
    grade: str
    window_closes_at: datetime
    is_reporting_complete: bool
    had_open_major_hazard: bool = Field(description="was a major hazard open when this happened?")
    version: int


class AccidentDetail(AccidentRead):
    description: str
    reporting: list[StepRead]
    history: list[CasualtyUpdateRead]
    hazards: list[LinkRead] = Field(description="hazards known at the enterprise and open at the time")


class AccidentPage(BaseModel):
    items: list[AccidentRead]
    total: int
    page: int
    size: int


class OverdueRead(BaseModel):
    accident_id: int
    title: str
    county_code: str
    step: StepRead
