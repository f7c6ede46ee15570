"""Dual prevention (双重预防机制) endpoints: the enterprise's risk register, its daily check tasks and check
records (an abnormal one raises a hazard), and the regulator's roll-up per enterprise."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from zhiben.auth.api import ERROR_RESPONSES, Ctx, IfMatch, ObjectId
from zhiben.dualprevention import self_inspection, service, transfer
from zhiben.dualprevention.assessment import RiskLevel
from zhiben.dualprevention.exchange import ExchangeRejectedError
from zhiben.dualprevention.exchange_codes import RiskLevelEncoding, TimeFormat
from zhiben.dualprevention.models import ControlMeasure, RiskUnit
from zhiben.dualprevention.tasks import Responsibility
from zhiben.errors import InvalidInputError

router = APIRouter(prefix="/api/v1", tags=["dual prevention"], responses=ERROR_RESPONSES)

UnitKind = Literal["device", "facility", "area", "job"]


class RiskUnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    kind: UnitKind = Field(description="device 设备, facility 设施, area 场所, job 作业活动")
    department: str = Field(min_length=1, max_length=100, description="责任部门")
    responsible_person: str = Field(min_length=1, max_length=60, description="责任人")
    object_code: str = Field(
        default="", max_length=36, description="风险分析对象编码: hazardCode in the exchange, if registered"
    )


class RiskUnitRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    enterprise_id: int
    name: str
    kind: str
    department: str
    responsible_person: str
    object_code: str
    reassessment_due_since: datetime | None = Field(
        description="a hazard found by a check of this unit was closed after its last assessment: re-assess"
    )
    reassessment_reason: str
    version: int


class RiskEventCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=1000)
    consequence: str = Field(min_length=1, max_length=500)
    method: Literal["lec", "matrix"]
    factors: dict[str, float | int | str] = Field(
        description="lec: L, E, C (and L_after for the residual risk); "
        "matrix: likelihood, severity (and likelihood_after)",
        max_length=8,
    )


class ControlMeasureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=1000)
    hierarchy: Literal["elimination", "substitution", "engineering", "administrative", "ppe"]
    cycle: Literal["hourly", "shift", "daily", "weekly", "monthly", "quarterly", "half_yearly", "yearly"]
    responsibility: Literal["operator", "technical_lead", "main_responsible"] = Field(
        description="the 包保 level that checks it"
    )
    assignee: str = Field(default="", max_length=60, description="the person who checks it, if named")


class ControlMeasureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    event_id: int
    description: str
    hierarchy: str
    cycle: str
    responsibility: str
    assignee: str
    is_in_force: bool
    version: int


class RiskEventRead(BaseModel):
    id: int
    unit_id: int
    description: str
    consequence: str
    method: str
    factors: dict[str, Any]
    inherent_level: str
    inherent_colour: str
    residual_level: str | None
    assessed_at: datetime
    version: int
    flag: str | None = Field(description="a major risk with no measure, or only administrative / PPE ones")
    reassessment_due: bool = Field(description="a measure changed after the last assessment")
    measures: list[ControlMeasureRead]


class RegisterUnit(RiskUnitRead):
    events: list[RiskEventRead]


class RiskRegister(BaseModel):
    enterprise_id: int
    colours: dict[str, int] = Field(description="risk events per colour: red, orange, yellow, blue")
    units: list[RegisterUnit]


class CheckCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_start_at: datetime = Field(description="start of the task window checked (from check-tasks)")
    checked_at: datetime
    result: Literal["normal", "abnormal"]
    note: str = Field(default="", max_length=1000)
    place: str = Field(default="", max_length=200)
    photos: list[str] = Field(default=[], max_length=20, description="SHA-256 of stored photos")


class CheckRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    measure_id: int
    window_start_at: datetime
    checked_at: datetime
    checked_by: str
    result: str
    note: str
    place: str
    photos: list[str]
    hazard_id: int | None


class CheckTask(BaseModel):
    measure_id: int
    description: str
    cycle: str
    responsibility: str
    assignee: str
    starts_at: datetime
    ends_at: datetime
    is_done: bool
    is_missed: bool
    record_ids: list[int]


class EscalationRead(BaseModel):
    measure_id: int
    level: str
    misses_in_a_row: int
    notify: str


class CheckTasks(BaseModel):
    day: date
    due: int
    done: int
    missed: int
    tasks: list[CheckTask]
    escalations: list[EscalationRead]


class EnterpriseSummaryRead(BaseModel):
    enterprise_id: int
    name: str
    county_code: str
    events: int
    major: int
    major_share: float | None
    tasks_due: int
    tasks_done: int
    completion_rate: float | None
    hazards_self_inspection: int
    hazards_enforcement: int


class DualPreventionSummary(BaseModel):
    division: str
    day: date
    enterprises: list[EnterpriseSummaryRead]


def _measure(m: ControlMeasure) -> ControlMeasureRead:
    return ControlMeasureRead.model_validate(m)


def _event(c: service.EventControls) -> RiskEventRead:
    e = c.event
    return RiskEventRead(
        id=e.id,
        unit_id=e.unit_id,
        description=e.description,
        consequence=e.consequence,
        method=e.method,
        factors=e.factors,
        inherent_level=e.inherent_level,
        inherent_colour=RiskLevel(e.inherent_level).colour,
        residual_level=e.residual_level,
        assessed_at=e.assessed_at,
        version=e.version,
        flag=c.flag.value if c.flag else None,
        reassessment_due=c.reassessment_due,
        measures=[_measure(m) for m in c.measures],
    )


def _unit(u: RiskUnit) -> RiskUnitRead:
    return RiskUnitRead.model_validate(u)


@router.post(
    "/enterprises/{enterprise_id}/risk-units",
    response_model=RiskUnitRead,
    status_code=status.HTTP_201_CREATED,
)
def create_risk_unit(ctx: Ctx, enterprise_id: ObjectId, body: RiskUnitCreate) -> RiskUnitRead:
    """Add a risk analysis unit (风险分析单元); the enterprise's own users only."""
    draft = service.UnitDraft(
        body.name, body.kind, body.department, body.responsible_person, body.object_code
    )
    with ctx.write() as session:
        return _unit(service.create_unit(session, ctx.principal, enterprise_id, draft))


@router.get("/enterprises/{enterprise_id}/risk-units", response_model=list[RiskUnitRead])
def list_risk_units(ctx: Ctx, enterprise_id: ObjectId) -> list[RiskUnitRead]:
    with ctx.read() as session:
        return [_unit(u) for u in service.list_units(session, ctx.principal, enterprise_id)]


@router.post(
    "/risk-units/{unit_id}/events", response_model=RiskEventRead, status_code=status.HTTP_201_CREATED
)
def create_risk_event(ctx: Ctx, unit_id: ObjectId, body: RiskEventCreate) -> RiskEventRead:
    """Add a risk event (风险事件) assessed by LEC or the matrix; a wrong factor is named (`factors.L`)."""
    draft = service.EventDraft(body.description, body.consequence, body.method, body.factors)
    with ctx.write() as session:
        event = service.create_event(session, ctx.principal, unit_id, draft)
        return _event(service.event_controls(session, ctx.principal, event))


@router.post(
    "/risk-events/{event_id}/measures", response_model=RiskEventRead, status_code=status.HTTP_201_CREATED
)
def create_control_measure(ctx: Ctx, event_id: ObjectId, body: ControlMeasureCreate) -> RiskEventRead:
    """Add a control measure; answers with the event, its measures and its flag."""
    draft = service.MeasureDraft(
        body.description, body.hierarchy, body.cycle, body.responsibility, body.assignee
    )
    with ctx.write() as session:
        return _event(service.add_measure(session, ctx.principal, event_id, draft))


@router.get("/enterprises/{enterprise_id}/risk-register", response_model=RiskRegister)
def risk_register(ctx: Ctx, enterprise_id: ObjectId) -> RiskRegister:
    """Units → events → measures with levels and flags, and the four-colour distribution (四色分布)."""
    with ctx.read() as session:
        reg = service.risk_register(session, ctx.principal, enterprise_id)
        units = [
            RegisterUnit(
                **_unit(u).model_dump(), events=[_event(c) for c in reg.events_of_unit.get(u.id, ())]
            )
            for u in reg.units
        ]
        return RiskRegister(enterprise_id=reg.enterprise_id, colours=dict(reg.colours), units=units)


@router.get("/enterprises/{enterprise_id}/check-tasks", response_model=CheckTasks)
def check_tasks(
    ctx: Ctx,
    enterprise_id: ObjectId,
    day: date,
    assignee: Annotated[str | None, Query(max_length=60)] = None,
    responsibility: Responsibility | None = None,
) -> CheckTasks:
    """The day's check tasks (Shanghai calendar), generated from the measures in force, done or missed."""
    with ctx.read() as session:
        found = service.check_tasks(
            session, ctx.principal, enterprise_id, day, assignee=assignee, responsibility=responsibility
        )
        tasks = [
            CheckTask(
                measure_id=t.measure.id,
                description=t.measure.description,
                cycle=t.task.cycle.value,
                responsibility=t.task.level.value,
                assignee=t.measure.assignee,
                starts_at=t.task.starts_at,
                ends_at=t.task.ends_at,
                is_done=t.is_done,
                is_missed=t.is_missed,
                record_ids=list(t.record_ids),
            )
            for t in found.tasks
        ]
        escalations = [
            EscalationRead(
                measure_id=int(e.measure_id),
                level=e.level.value,
                misses_in_a_row=e.misses_in_a_row,
                notify=e.notify,
            )
            for e in found.escalations
        ]
        return CheckTasks(
            day=found.day,
            due=len(tasks),
            done=found.done,
            missed=found.missed,
            tasks=tasks,
            escalations=escalations,
        )


@router.post(
    "/control-measures/{measure_id}/checks", response_model=CheckRead, status_code=status.HTTP_201_CREATED
)
def record_check(ctx: Ctx, measure_id: ObjectId, body: CheckCreate) -> CheckRead:
    """Record a check in one task window; an abnormal one raises a hazard (source self_inspection)."""
    draft = service.CheckDraft(
        body.window_start_at, body.checked_at, body.result, body.note, body.place, tuple(body.photos)
    )
    with ctx.write() as session:
        return CheckRead.model_validate(service.record_check(session, ctx.principal, measure_id, draft))


@router.get("/dual-prevention/summary", response_model=DualPreventionSummary)
def summary(
    ctx: Ctx,
    division: Annotated[str, Query(pattern=r"^\d{6}$")],
    day: date,
) -> DualPreventionSummary:
    """For regulators: per enterprise, the share of major risks, the day's check completion rate and
    hazards found by self-inspection vs by enforcement (a measure of self-inspection quality)."""
    with ctx.read() as session:
        rows = service.summary(session, ctx.principal, division, day)
    return DualPreventionSummary(
        division=division,
        day=day,
        enterprises=[
            EnterpriseSummaryRead(
                enterprise_id=r.enterprise_id,
                name=r.name,
                county_code=r.county_code,
                events=r.events,
                major=r.major,
                major_share=r.major_share,
                tasks_due=r.tasks_due,
                tasks_done=r.tasks_done,
                completion_rate=r.completion_rate,
                hazards_self_inspection=r.hazards_self_inspection,
                hazards_enforcement=r.hazards_enforcement,
            )
            for r in rows
        ],
    )


# --- the national exchange ----------------------------------------------------------------------


class ExchangeIssue(BaseModel):
    entity: str
    position: int | None
    record_id: str | None
    field: str
    value: str
    reason: str
    message: str


class ExchangeExport(BaseModel):
    enterprise_id: int
    name: str
    counts: dict[str, int] = Field(description="records exported per entity")
    payload: dict[str, Any] | None = Field(description="the exchange payload; null when nothing could go")
    held_back: list[ExchangeIssue] = Field(description="every record not exported, field by field")


class ExchangeImport(BaseModel):
    enterprise_id: int
    stored: dict[str, int]
    notices: list[ExchangeIssue] = Field(description="records not stored, or stored with a caveat")


def _issues(issues: Any) -> list[ExchangeIssue]:
    return [ExchangeIssue.model_validate(i, from_attributes=True) for i in issues]


def _export(r: transfer.ExportResult) -> ExchangeExport:
    return ExchangeExport(
        enterprise_id=r.enterprise_id,
        name=r.name,
        counts=r.counts,
        payload=r.payload,
        held_back=_issues(r.held_back),
    )


@router.get("/enterprises/{enterprise_id}/dual-prevention/exchange", response_model=ExchangeExport)
def export_exchange(
    ctx: Ctx,
    enterprise_id: ObjectId,
    time_format: Literal["dashed", "compact"] = "dashed",
    risk_level_encoding: Literal["A", "B"] = "A",
) -> ExchangeExport:
    """The enterprise's register, check tasks, check records and hazards in the national exchange format
    (数据交换规范); records a receiver would refuse are held back and listed, never dropped silently."""
    fmt = TimeFormat.DASHED if time_format == "dashed" else TimeFormat.COMPACT
    with ctx.read() as session:
        result = transfer.export_enterprise(
            session,
            ctx.principal,
            enterprise_id,
            time_format=fmt,
            risk_level_encoding=RiskLevelEncoding(risk_level_encoding),
        )
        return _export(result)


@router.post("/enterprises/{enterprise_id}/dual-prevention/exchange", response_model=ExchangeImport)
def import_exchange(
    ctx: Ctx,
    enterprise_id: ObjectId,
    payload: dict[str, Any],
    risk_level_encoding: Literal["A", "B"] | None = None,
) -> ExchangeImport:
    """Import an exchange file: every record is stored, or (when any is wrong) none, and the 422 names
    every error as `entity[position].field` with its reason."""
    encoding = RiskLevelEncoding(risk_level_encoding) if risk_level_encoding else None
    with ctx.write() as session:
        report = transfer.import_exchange(
            session, ctx.principal, enterprise_id, payload, risk_level_encoding=encoding
        )
        if not report.is_stored:
            raise ExchangeRejectedError(report.issues)
        return ExchangeImport(
            enterprise_id=report.enterprise_id, stored=report.stored, notices=_issues(report.notices)
        )


# --- the quarterly self-inspection --------------------------------------------------------------


class SelfInspectionItemRead(BaseModel):
    task_id: str
    pack: str
    version: str
    fact: str
    question_zh: str
    question_en: str
    unit: str
    clauses: list[str]
    answer: str | None
    answered_at: datetime | None
    is_done: bool


class SelfInspectionRead(BaseModel):
    enterprise_id: int
    quarter: str
    starts_at: datetime
    ends_at: datetime
    responsibility: str = Field(description="the 包保 level that owns the task")
    due: int
    done: int
    is_done: bool
    is_missed: bool
    items: list[SelfInspectionItemRead]


class SelfInspectionAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, float | int | bool | str | None] = Field(
        description="fact -> answer, as the checklist takes them", min_length=1, max_length=200
    )


def _self_inspection(found: self_inspection.SelfInspection) -> SelfInspectionRead:
    return SelfInspectionRead(
        enterprise_id=found.enterprise_id,
        quarter=found.quarter,
        starts_at=found.starts_at,
        ends_at=found.ends_at,
        responsibility=found.items[0].task.level.value if found.items else Responsibility.main_responsible,
        due=len(found.items),
        done=found.done,
        is_done=found.is_done,
        is_missed=found.is_missed,
        items=[
            SelfInspectionItemRead(
                task_id=i.task.id,
                pack=i.pack,
                version=i.version,
                fact=i.fact,
                question_zh=i.task.title_zh,
                question_en=i.task.title_en,
                unit=i.unit,
                clauses=list(i.clauses),
                answer=i.answer,
                answered_at=i.answered_at,
                is_done=i.is_done,
            )
            for i in found.items
        ],
    )


@router.get("/enterprises/{enterprise_id}/self-inspection", response_model=SelfInspectionRead)
def get_self_inspection(ctx: Ctx, enterprise_id: ObjectId, day: date) -> SelfInspectionRead:
    """The quarter's major-hazard self-inspection task (季度重大事故隐患自查): one item per checklist question
    of the rule packs that apply, done when answered inside the quarter."""
    with ctx.read() as session:
        return _self_inspection(self_inspection.self_inspection(session, ctx.principal, enterprise_id, day))


@router.post("/enterprises/{enterprise_id}/self-inspection/answers", response_model=SelfInspectionRead)
def answer_self_inspection(
    ctx: Ctx, enterprise_id: ObjectId, body: SelfInspectionAnswers
) -> SelfInspectionRead:
    """Answer items through the checklist (stored as facts, the enterprise determined again: a met clause
    raises its major hazard); unchanged answers count as confirmed for this quarter."""
    with ctx.write() as session:
        _, found = self_inspection.answer_self_inspection(session, ctx.principal, enterprise_id, body.answers)
        return _self_inspection(found)


# --- the division roll-up -----------------------------------------------------------------------


class RollupEnterprise(BaseModel):
    enterprise_id: int
    colours: dict[str, int]
    units: int
    tasks_due: int
    tasks_done: int
    tasks_missed: int


class RollupUnit(BaseModel):
    unit_id: int
    enterprise_id: int
    colours: dict[str, int]


class DualPreventionRollup(BaseModel):
    division: str
    day: date
    totals: dict[str, int]
    enterprises: list[RollupEnterprise]
    units: list[RollupUnit]


@router.get("/dual-prevention/rollup", response_model=DualPreventionRollup)
def rollup(
    ctx: Ctx,
    division: Annotated[str, Query(pattern=r"^\d{6}$")],
    day: date,
) -> DualPreventionRollup:
    """For regulators: the division's risk events by colour per enterprise and per unit, and the day's
    check tasks due, done and missed (vectorised over the whole division)."""
    with ctx.read() as session:
        found = service.province_rollup(session, ctx.principal, division, day)
    units = found.unit_rows()
    return DualPreventionRollup(
        division=division,
        day=day,
        totals=found.totals(),
        enterprises=[
            RollupEnterprise(
                enterprise_id=e,
                colours=r["colours"],
                units=r["units"],
                tasks_due=r["due"],
                tasks_done=r["done"],
                tasks_missed=r["missed"],
            )
            for e, r in found.rows().items()
        ],
        units=[
            RollupUnit(unit_id=u, enterprise_id=int(found.unit_enterprise[i]), colours=units[u])
            for i, u in enumerate(units)
        ],
    )


# --- edits, with the version the client last read (If-Match) ------------------------------------


class ControlMeasureUpdate(ControlMeasureCreate):
    is_in_force: bool = Field(default=True, description="false retires the measure: no more check tasks")


def _version_required(version: int | None) -> int:
    if version is None:
        raise InvalidInputError("If-Match", "required", "send If-Match with the version you last read")
    return version


@router.get("/risk-units/{unit_id}", response_model=RiskUnitRead)
def get_risk_unit(ctx: Ctx, unit_id: ObjectId, response: Response) -> RiskUnitRead:
    """A risk unit, its version in the ETag."""
    with ctx.read() as session:
        unit = service.get_unit(session, ctx.principal, unit_id)
        response.headers["ETag"] = f'"{unit.version}"'
        return _unit(unit)


@router.put("/risk-units/{unit_id}", response_model=RiskUnitRead)
def update_risk_unit(
    ctx: Ctx, unit_id: ObjectId, body: RiskUnitCreate, version: IfMatch, response: Response
) -> RiskUnitRead:
    """Edit a risk unit; If-Match carries the version last read (a stale one answers 409)."""
    expected = _version_required(version)
    draft = service.UnitDraft(
        body.name, body.kind, body.department, body.responsible_person, body.object_code
    )
    with ctx.write() as session:
        unit = service.update_unit(session, ctx.principal, unit_id, draft, expected)
        response.headers["ETag"] = f'"{unit.version}"'
        return _unit(unit)


@router.put("/risk-events/{event_id}", response_model=RiskEventRead)
def reassess_risk_event(
    ctx: Ctx, event_id: ObjectId, body: RiskEventCreate, version: IfMatch, response: Response
) -> RiskEventRead:
    """Re-assess a risk event (重新评估); clears the unit's re-assessment flag once nothing else is due."""
    expected = _version_required(version)
    draft = service.EventDraft(body.description, body.consequence, body.method, body.factors)
    with ctx.write() as session:
        event = service.update_event(session, ctx.principal, event_id, draft, expected)
        response.headers["ETag"] = f'"{event.version}"'
        return _event(service.event_controls(session, ctx.principal, event))


@router.put("/control-measures/{measure_id}", response_model=RiskEventRead)
def update_control_measure(
    ctx: Ctx, measure_id: ObjectId, body: ControlMeasureUpdate, version: IfMatch, response: Response
) -> RiskEventRead:
    """Edit a control measure (If-Match: its version); answers with its event, measures and flag. A changed
    measure makes the event due for re-assessment."""
    expected = _version_required(version)
    draft = service.MeasureDraft(
        body.description, body.hierarchy, body.cycle, body.responsibility, body.assignee, body.is_in_force
    )
    with ctx.write() as session:
        controls = service.update_measure(session, ctx.principal, measure_id, draft, expected)
        changed = next(m for m in controls.measures if m.id == measure_id)
        response.headers["ETag"] = f'"{changed.version}"'
        return _event(controls)
