"""Wire models for sensors, readings, alarms and their handling, alarm KPIs and dead letters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from zhiben.monitoring.sensors import SensorDraft


def _storable(value: datetime) -> datetime:
    """Times are stored in UTC: 0001-01-01T00:00+08:00, say, has no UTC equivalent."""
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError("the time is out of range") from None
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_storable)]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-1e12, le=1e12)]
Positive = Annotated[float, Field(allow_inf_nan=False, gt=0, le=1e9)]
Condition = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[a-z_]+(:[a-z0-9_]+)?$",
        description="e.g. alarm:hihi, offline",
    ),
]
Reason = Annotated[str, Field(min_length=1, max_length=1000, pattern=r"\S")]


# ---- sensors --------------------------------------------------------------------------------


class RationaleIn(BaseModel):
    """The rationalisation of one alarm condition (ISA-18.2): priority and response time, with the
    cause, consequence and required action."""

    priority: str = Field(description="emergency, high, medium or low")
    response_s: int = Field(ge=1, le=30 * 86400)
    cause: str = Field("", max_length=500)
    consequence: str = Field("", max_length=500)
    action: str = Field("", max_length=500)


class SensorCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64, description="the point code the gateway sends")
    kind: str = Field(min_length=1, max_length=32)
    unit: str = Field("", max_length=16)
    location_code: str = Field("", max_length=16, description="a code of the limit tables, e.g. T1")
    name: str = Field("", max_length=120)
    range_min: Number | None = None
    range_max: Number | None = None
    sampling_period_s: Positive | None = None
    offline_periods: int = Field(3, ge=1, le=1000)
    stuck_window_s: Positive | None = None
    stuck_tolerance: float = Field(0.0, ge=0, le=1e9, allow_inf_nan=False)
    rate_per_s: Positive | None = None
    calibration_due_at: Instant | None = None
    oel_ppm: Positive | None = None
    settings: dict[Annotated[str, Field(max_length=40)], Number] = Field(
        default_factory=dict, max_length=20, description='limit overrides, e.g. {"hi": 80}'
    )
    rationale: dict[Condition, RationaleIn] = Field(default_factory=dict, max_length=20)

    def draft(self) -> SensorDraft:
        return SensorDraft(
            code=self.code,
            kind=self.kind,
            unit=self.unit,
            location_code=self.location_code,
            name=self.name,
            range_min=self.range_min,
            range_max=self.range_max,
            sampling_period_s=self.sampling_period_s,
            offline_periods=self.offline_periods,
            stuck_window_s=self.stuck_window_s,
            stuck_tolerance=self.stuck_tolerance,
            rate_per_s=self.rate_per_s,
            calibration_due_at=self.calibration_due_at,
            oel_ppm=self.oel_ppm,
            settings=dict(self.settings),
            rationale={k: v.model_dump() for k, v in self.rationale.items()},
        )


class SensorHealthRead(BaseModel):
    status: str = Field(
        description="normal, or the worst of: out_of_service, no_data, offline, out_of_range, stuck, calibration_due"
    )
    flags: list[str]
    last_ts: datetime | None
    last_value: float | None


class SensorRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    facility_id: int | None
    code: str
    name: str
    kind: str
    unit: str
    location_code: str
    range_min: float | None
    range_max: float | None
    sampling_period_s: float | None
    offline_periods: int
    stuck_window_s: float | None
    stuck_tolerance: float
    rate_per_s: float | None
    calibration_due_at: datetime | None
    limits: list[dict[str, Any]]
    rationale: dict[str, Any]
    in_service: bool
    version: int
    health: SensorHealthRead | None = None


class ReadingRead(BaseModel):
    ts: datetime
    value: float


class ReadingList(BaseModel):
    sensor_id: int
    items: list[ReadingRead]
    is_truncated: bool = Field(description="more readings follow: ask again with since=next_since")
    next_since: datetime | None


# ---- alarms ---------------------------------------------------------------------------------


class AlarmRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sensor_id: int
    enterprise_id: int
    county_code: str
    sector: str
    condition: str
    priority: str
    response_s: int
    state: str
    is_open: bool
    is_process_active: bool
    process_changed_at: datetime | None
    opened_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    annunciated_at: datetime | None
    annunciations: int
    cleared_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    escalated_at: datetime | None
    suppression: dict[str, Any] | None
    assignee: str | None
    assigned_at: datetime | None
    first_value: float | None
    peak_value: float | None
    version: int
    actions: list[str] = Field(default_factory=list, description="what the caller may do now")


class AlarmLogRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    action: str
    actor: str
    state_after: str
    detail: dict[str, Any]


class AlarmDetail(AlarmRead):
    log: list[AlarmLogRead] = Field(default_factory=list)


class AlarmPage(BaseModel):
    items: list[AlarmRead]
    total: int
    page: int
    size: int


class AlarmShelveIn(BaseModel):
    until: Instant = Field(description="the shelving expires then (after now)")
    reason: Reason


class AlarmReasonIn(BaseModel):
    reason: Reason


class AlarmCommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=2000, pattern=r"\S")


class AlarmAssignIn(BaseModel):
    assignee: str = Field(min_length=1, max_length=120, pattern=r"\S")


class PointShelveIn(AlarmShelveIn):
    condition: Condition


class PointReasonIn(AlarmReasonIn):
    condition: Condition


# ---- KPIs and dead letters ------------------------------------------------------------------


class KpiResultRead(BaseModel):
    kpi: str
    value: float
    target: str | None = Field(description="the reference table's target, verbatim")
    upper_limit: str | None = Field(description="the maximum manageable, as a bound (e.g. <= 2)")
    unit: str | None
    verdict: str | None = Field(
        description="meets_target, within_upper_limit, exceeds; none without a target"
    )
    source_id: str | None


class AlarmPointCount(BaseModel):
    sensor_id: str
    condition: str
    count: int = 1


class AlarmKpisRead(BaseModel):
    enterprise_id: int
    start: datetime
    end: datetime
    operator_positions: int
    annunciations: int
    results: list[KpiResultRead]
    chattering: list[AlarmPointCount]
    fleeting: list[AlarmPointCount]
    stale_by_day: list[int]
    top10: list[AlarmPointCount]
    priority_shares_pct: dict[str, float]
    low_priority_target: str


class DeadLetterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    received_at: datetime
    channel: str
    origin: str
    reason: str
    payload: str


class DeadLetterPage(BaseModel):
    items: list[DeadLetterRead]
    total: int
    page: int
    size: int
