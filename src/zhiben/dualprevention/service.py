"""Dual prevention (双重预防机制) use cases at the enterprise: the risk register, the day's check tasks,
check records, hazards from failed checks, and the regulator's roll-up.

The enterprise's own users (and administrators) write; government in jurisdiction reads; anyone else does
not find the rows (404). Every write is audited in the caller's transaction; nothing here commits.
Check tasks are not stored: they are generated for a day from the measures in force (tasks.py), and a task
is done when a check record of its measure falls inside its window.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role, covers, division_prefix
from zhiben.db.uow import session_clock
from zhiben.dualprevention import repository, rollup
from zhiben.dualprevention.assessment import (
    RiskLevel,
    assess_lec,
    assess_matrix,
    residual_lec,
    residual_matrix,
)
from zhiben.dualprevention.controls import ControlFlag, ControlLevel, control_flag
from zhiben.dualprevention.models import CheckRecord, ControlMeasure, ExchangeId, RiskEvent, RiskUnit
from zhiben.dualprevention.tasks import (
    Cycle,
    Escalation,
    Measure,
    Responsibility,
    Task,
    escalations,
    missed,
    shanghai_day,
    tasks_due,
    windows,
)
from zhiben.enterprise import service as enterprises
from zhiben.enterprise.models import Enterprise
from zhiben.errors import InvalidInputError, NotFoundError, PermissionDeniedError, StaleVersionError
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, Plan, Source
from zhiben.kit.pagination import Page, PageRequest

UNIT_KINDS = ("device", "facility", "area", "job")  # 设备 / 设施 / 场所(区域) / 作业活动
METHODS = ("lec", "matrix")
RESULTS = ("normal", "abnormal")
FACTORS = {"lec": ("L", "E", "C"), "matrix": ("likelihood", "severity")}
RESIDUAL = {"lec": "L_after", "matrix": "likelihood_after"}  # the likelihood re-assessed after controls
SHA256 = re.compile(r"^[0-9a-f]{64}$")


# --- who may ------------------------------------------------------------------------------------


def require_owner(actor: Principal, enterprise_id: int, action: str) -> None:
    """Only the enterprise's own users (and administrators) write its register and check records."""
    own = actor.role == Role.enterprise and actor.enterprise_id == enterprise_id
    if not (own or actor.role == Role.admin):
        raise PermissionDeniedError(action=action)


def _scope_of(enterprise: Enterprise) -> dict[str, Any]:
    return {
        "enterprise_id": enterprise.id,
        "county_code": enterprise.county_code,
        "city_code": enterprise.city_code,
        "province_code": enterprise.province_code,
        "sector": enterprise.sector,
    }


def _copy_scope(row: RiskUnit | RiskEvent | ControlMeasure) -> dict[str, Any]:
    return {
        "enterprise_id": row.enterprise_id,
        "county_code": row.county_code,
        "city_code": row.city_code,
        "province_code": row.province_code,
        "sector": row.sector,
    }


def _check_version(row: RiskUnit | RiskEvent | ControlMeasure, expected: int | None) -> None:
    if expected is not None and row.version != expected:
        raise StaleVersionError(current=row.version, given=expected)


def _problems(problems: list[tuple[str, str, str]]) -> None:
    if problems:
        raise InvalidInputError.of(problems)


def _required(problems: list[tuple[str, str, str]], name: str, value: str, limit: int) -> None:
    if not value.strip():
        problems.append((name, "required", f"{name} is required"))
    elif len(value) > limit:
        problems.append((name, "too_long", f"at most {limit} characters"))


# --- risk units ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitDraft:
    name: str
    kind: str
    department: str
    responsible_person: str
    object_code: str = ""  # 风险分析对象编码 (exchange `hazardCode`), when the enterprise has one


def _check_unit(draft: UnitDraft) -> None:
    problems: list[tuple[str, str, str]] = []
    _required(problems, "name", draft.name, 200)
    if draft.kind not in UNIT_KINDS:
        problems.append(("kind", "unknown", f"one of {', '.join(UNIT_KINDS)}"))
    _required(problems, "department", draft.department, 100)
    _required(problems, "responsible_person", draft.responsible_person, 60)
    if len(draft.object_code.strip()) > 36:
        problems.append(("object_code", "too_long", "at most 36 characters"))
    _problems(problems)


def unit_snapshot(unit: RiskUnit) -> dict[str, Any]:
    return {
        "enterprise_id": unit.enterprise_id,
        "name": unit.name,
        "kind": unit.kind,
        "department": unit.department,
        "responsible_person": unit.responsible_person,
        "object_code": unit.object_code,
        "reassessment_due_since": unit.reassessment_due_since.isoformat()
        if unit.reassessment_due_since
        else None,
        "version": unit.version,
    }


def get_unit(session: Session, actor: Principal, unit_id: int) -> RiskUnit:
    unit = repository.get_unit(session, actor, unit_id)
    if unit is None:
        raise NotFoundError(kind="risk unit", key=unit_id)
    return unit


def create_unit(session: Session, actor: Principal, enterprise_id: int, draft: UnitDraft) -> RiskUnit:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    require_owner(actor, enterprise.id, "dual_prevention.unit.create")
    _check_unit(draft)
    now = session_clock(session).now()
    unit = RiskUnit(
        **_scope_of(enterprise),
        name=draft.name.strip(),
        kind=draft.kind,
        department=draft.department.strip(),
        responsible_person=draft.responsible_person.strip(),
        object_code=draft.object_code.strip(),
        created_at=now,
        updated_at=now,
    )
    session.add(unit)
    session.flush()
    audit.record(
        session, actor.audit_name, "risk_unit.create", "risk_unit", str(unit.id), after=unit_snapshot(unit)
    )
    return unit


def update_unit(
    session: Session, actor: Principal, unit_id: int, draft: UnitDraft, expected_version: int | None = None
) -> RiskUnit:
    unit = get_unit(session, actor, unit_id)
    require_owner(actor, unit.enterprise_id, "dual_prevention.unit.update")
    _check_version(unit, expected_version)
    _check_unit(draft)
    before = unit_snapshot(unit)
    unit.name, unit.kind = draft.name.strip(), draft.kind
    unit.department, unit.responsible_person = draft.department.strip(), draft.responsible_person.strip()
    unit.object_code = draft.object_code.strip()
    unit.updated_at = session_clock(session).now()
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "risk_unit.update",
        "risk_unit",
        str(unit.id),
        before=before,
        after=unit_snapshot(unit),
    )
    return unit


def list_units(session: Session, actor: Principal, enterprise_id: int) -> Sequence[RiskUnit]:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    return repository.units(session, actor, enterprise.id)


# --- risk events and their assessment -----------------------------------------------------------


@dataclass(frozen=True)
class EventDraft:
    description: str
    consequence: str
    method: str  # lec | matrix
    factors: Mapping[
        str, object
    ]  # lec: L, E, C (and L_after); matrix: likelihood, severity (likelihood_after)


@dataclass(frozen=True)
class Assessed:
    factors: dict[str, Any]
    inherent: RiskLevel
    residual: RiskLevel | None


def _prefixed(error: InvalidInputError) -> InvalidInputError:
    """The assessment names its factors bare (`L`); on the wire they sit under `factors`."""
    fields = error.details["fields"]
    return InvalidInputError.of([(f"factors.{f['field']}", f["reason"], f["message"]) for f in fields])


def assess(method: str, factors: Mapping[str, object]) -> Assessed:
    """Assess by the method's packaged table (assessment.py); each wrong factor is named."""
    if method not in METHODS:
        raise InvalidInputError("method", "unknown", f"one of {', '.join(METHODS)}")
    known = {*FACTORS[method], RESIDUAL[method]}
    problems = [
        (f"factors.{name}", "unknown_factor", f"{method} takes {', '.join(sorted(known))}")
        for name in sorted(set(factors) - known)
    ]
    problems += [
        (f"factors.{name}", "required", f"{method} needs {name}")
        for name in FACTORS[method]
        if factors.get(name) is None
    ]
    _problems(problems)
    after = factors.get(RESIDUAL[method])
    try:
        return _lec(factors, after) if method == "lec" else _matrix(factors, after)
    except InvalidInputError as error:
        raise _prefixed(error) from None


def _lec(factors: Mapping[str, object], after: object) -> Assessed:
    lec = assess_lec(factors["L"], factors["E"], factors["C"])
    left = residual_lec(lec, after) if after is not None else None
    stored: dict[str, Any] = {"L": str(lec.likelihood), "E": str(lec.exposure), "C": str(lec.consequence)}
    stored |= {"D": str(lec.d), "band": lec.band.danger_zh, "mapping": lec.mapping}
    if left is not None:
        stored |= {"L_after": str(left.likelihood), "D_after": str(left.d)}
    return Assessed(stored, lec.level, left.level if left else None)


def _matrix(factors: Mapping[str, object], after: object) -> Assessed:
    cell = assess_matrix(factors["likelihood"], factors["severity"])
    rest = residual_matrix(cell, after) if after is not None else None
    stored: dict[str, Any] = {"likelihood": cell.likelihood, "severity": cell.severity, "R": cell.r}
    stored["matrix"] = cell.matrix
    if rest is not None:
        stored |= {"likelihood_after": rest.likelihood, "R_after": rest.r}
    return Assessed(stored, cell.level, rest.level if rest else None)


def _check_event(draft: EventDraft) -> Assessed:
    problems: list[tuple[str, str, str]] = []
    _required(problems, "description", draft.description, 1000)
    _required(problems, "consequence", draft.consequence, 500)
    _problems(problems)
    return assess(draft.method, draft.factors)


def event_snapshot(event: RiskEvent) -> dict[str, Any]:
    return {
        "unit_id": event.unit_id,
        "description": event.description,
        "consequence": event.consequence,
        "method": event.method,
        "factors": event.factors,
        "inherent_level": event.inherent_level,
        "residual_level": event.residual_level,
        "assessed_at": event.assessed_at.isoformat(),
        "version": event.version,
    }


def get_event(session: Session, actor: Principal, event_id: int) -> RiskEvent:
    event = repository.get_event(session, actor, event_id)
    if event is None:
        raise NotFoundError(kind="risk event", key=event_id)
    return event


def create_event(session: Session, actor: Principal, unit_id: int, draft: EventDraft) -> RiskEvent:
    unit = get_unit(session, actor, unit_id)
    require_owner(actor, unit.enterprise_id, "dual_prevention.event.create")
    result = _check_event(draft)
    event = RiskEvent(
        **_copy_scope(unit),
        unit_id=unit.id,
        description=draft.description.strip(),
        consequence=draft.consequence.strip(),
        method=draft.method,
        factors=result.factors,
        inherent_level=result.inherent.value,
        residual_level=result.residual.value if result.residual else None,
        assessed_at=session_clock(session).now(),
        assessed_by=actor.audit_name,
    )
    session.add(event)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "risk_event.assess",
        "risk_event",
        str(event.id),
        after=event_snapshot(event),
    )
    return event


def update_event(
    session: Session, actor: Principal, event_id: int, draft: EventDraft, expected_version: int | None = None
) -> RiskEvent:
    """Re-assess (重新评估) an event: the answer to `reassessment_due`."""
    event = get_event(session, actor, event_id)
    require_owner(actor, event.enterprise_id, "dual_prevention.event.update")
    _check_version(event, expected_version)
    result = _check_event(draft)
    before = event_snapshot(event)
    event.description, event.consequence = draft.description.strip(), draft.consequence.strip()
    event.method, event.factors = draft.method, result.factors
    event.inherent_level = result.inherent.value
    event.residual_level = result.residual.value if result.residual else None
    event.assessed_at, event.assessed_by = session_clock(session).now(), actor.audit_name
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "risk_event.reassess",
        "risk_event",
        str(event.id),
        before=before,
        after=event_snapshot(event),
    )
    _clear_reassessment(session, actor, event.unit_id)
    return event


# --- re-assessment after a hazard is closed -----------------------------------------------------


def flag_reassessments(session: Session, actor: Principal) -> list[RiskUnit]:
    """The re-assessment job (重新评估): flag every unit (in the actor's scope) one of whose hazards, raised by
    a check of its measures, was closed after the event's last assessment. The hazard close-out does not
    call dual prevention (it sits below it); this job finds the closures instead, so it may run after each
    close-out, on a schedule, or from `zhiben dualprevention flag-reassessments`. Idempotent."""
    found: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for unit_id, number, closed_at in repository.closed_since_assessment(session, actor):
        found[unit_id].append((number, closed_at))
    flagged = []
    for unit_id, closures in found.items():
        unit = get_unit(session, actor, unit_id)
        before = unit_snapshot(unit)
        unit.reassessment_due_since = max(closed for _, closed in closures)
        numbers = ", ".join(sorted({n for n, _ in closures}))
        unit.reassessment_reason = f"隐患 {numbers} 已销号，需重新评估风险"[:300]
        session.flush()
        after = unit_snapshot(unit) | {"reason": unit.reassessment_reason}
        audit.record(
            session,
            actor.audit_name,
            "risk_unit.reassessment_due",
            "risk_unit",
            str(unit.id),
            before=before,
            after=after,
        )
        flagged.append(unit)
    return flagged


def _clear_reassessment(session: Session, actor: Principal, unit_id: int) -> None:
    """After an event is re-assessed: the unit's flag goes once no closure postdates an assessment."""
    unit = get_unit(session, actor, unit_id)
    if unit.reassessment_due_since is None:
        return
    if repository.closed_since_assessment(session, actor, unit_id=unit.id, unflagged_only=False):
        return
    before = unit_snapshot(unit)
    unit.reassessment_due_since, unit.reassessment_reason = None, ""
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "risk_unit.reassessed",
        "risk_unit",
        str(unit.id),
        before=before,
        after=unit_snapshot(unit),
    )


def event_flag(event: RiskEvent, measures: Sequence[ControlMeasure]) -> ControlFlag | None:
    """The admin/PPE-only flag of a major risk, from the measures in force (controls.py)."""
    levels = [ControlLevel(m.hierarchy) for m in measures if m.is_in_force]
    return control_flag(RiskLevel(event.inherent_level), levels)


def reassessment_due(event: RiskEvent, measures: Sequence[ControlMeasure]) -> bool:
    """A measure was added or changed after the last assessment (assessment.Trigger.control_changed)."""
    return any(m.updated_at > event.assessed_at for m in measures)


# --- control measures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureDraft:
    description: str
    hierarchy: str  # controls.ControlLevel
    cycle: str  # tasks.Cycle
    responsibility: str  # tasks.Responsibility
    assignee: str = ""
    is_in_force: bool = True


def _check_measure(draft: MeasureDraft) -> None:
    problems: list[tuple[str, str, str]] = []
    _required(problems, "description", draft.description, 1000)
    for name, value, allowed in (
        ("hierarchy", draft.hierarchy, ControlLevel),
        ("cycle", draft.cycle, Cycle),
        ("responsibility", draft.responsibility, Responsibility),
    ):
        if value not in {a.value for a in allowed}:
            problems.append((name, "unknown", f"one of {', '.join(a.value for a in allowed)}"))
    if len(draft.assignee) > 60:
        problems.append(("assignee", "too_long", "at most 60 characters"))
    _problems(problems)


def measure_snapshot(measure: ControlMeasure) -> dict[str, Any]:
    return {
        "event_id": measure.event_id,
        "description": measure.description,
        "hierarchy": measure.hierarchy,
        "cycle": measure.cycle,
        "responsibility": measure.responsibility,
        "assignee": measure.assignee,
        "is_in_force": measure.is_in_force,
        "version": measure.version,
    }


def get_measure(session: Session, actor: Principal, measure_id: int) -> ControlMeasure:
    measure = repository.get_measure(session, actor, measure_id)
    if measure is None:
        raise NotFoundError(kind="control measure", key=measure_id)
    return measure


@dataclass(frozen=True)
class EventControls:
    """An event with its measures and the flag they earn it."""

    event: RiskEvent
    measures: Sequence[ControlMeasure]
    flag: ControlFlag | None
    reassessment_due: bool


def event_controls(session: Session, actor: Principal, event: RiskEvent) -> EventControls:
    rows = repository.measures_of_event(session, actor, event.id)
    return EventControls(event, rows, event_flag(event, rows), reassessment_due(event, rows))


def add_measure(session: Session, actor: Principal, event_id: int, draft: MeasureDraft) -> EventControls:
    event = get_event(session, actor, event_id)
    require_owner(actor, event.enterprise_id, "dual_prevention.measure.create")
    _check_measure(draft)
    now = session_clock(session).now()
    measure = ControlMeasure(
        **_copy_scope(event),
        event_id=event.id,
        description=draft.description.strip(),
        hierarchy=draft.hierarchy,
        cycle=draft.cycle,
        responsibility=draft.responsibility,
        assignee=draft.assignee.strip(),
        is_in_force=draft.is_in_force,
        created_at=now,
        updated_at=now,
    )
    session.add(measure)
    session.flush()
    controls = event_controls(session, actor, event)
    after = measure_snapshot(measure) | {"event_flag": controls.flag.value if controls.flag else None}
    audit.record(
        session, actor.audit_name, "control_measure.create", "control_measure", str(measure.id), after=after
    )
    return controls


def update_measure(
    session: Session,
    actor: Principal,
    measure_id: int,
    draft: MeasureDraft,
    expected_version: int | None = None,
) -> EventControls:
    measure = get_measure(session, actor, measure_id)
    require_owner(actor, measure.enterprise_id, "dual_prevention.measure.update")
    _check_version(measure, expected_version)
    _check_measure(draft)
    before = measure_snapshot(measure)
    measure.description, measure.hierarchy = draft.description.strip(), draft.hierarchy
    measure.cycle, measure.responsibility = draft.cycle, draft.responsibility
    measure.assignee, measure.is_in_force = draft.assignee.strip(), draft.is_in_force
    measure.updated_at = session_clock(session).now()
    session.flush()
    controls = event_controls(session, actor, get_event(session, actor, measure.event_id))
    after = measure_snapshot(measure) | {"event_flag": controls.flag.value if controls.flag else None}
    audit.record(
        session,
        actor.audit_name,
        "control_measure.update",
        "control_measure",
        str(measure.id),
        before=before,
        after=after,
    )
    return controls


# --- the register -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Register:
    """Units → events → measures, with the four-colour distribution (红橙黄蓝) of the events."""

    enterprise_id: int
    units: Sequence[RiskUnit]
    events_of_unit: Mapping[int, Sequence[EventControls]]
    colours: Mapping[str, int]


def colour_distribution(levels: Sequence[str]) -> dict[str, int]:
    """Count of events per colour, every colour present (red, orange, yellow, blue)."""
    out = {level.colour: 0 for level in RiskLevel}
    for level in levels:
        out[RiskLevel(level).colour] += 1
    return out


def risk_register(session: Session, actor: Principal, enterprise_id: int) -> Register:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    unit_rows = repository.units(session, actor, enterprise.id)
    event_rows = repository.events(session, actor, enterprise.id)
    by_event: dict[int, list[ControlMeasure]] = defaultdict(list)
    for m in repository.measures(session, actor, [enterprise.id]):
        by_event[m.event_id].append(m)
    of_unit: dict[int, list[EventControls]] = defaultdict(list)
    for e in event_rows:
        rows = by_event.get(e.id, [])
        of_unit[e.unit_id].append(EventControls(e, rows, event_flag(e, rows), reassessment_due(e, rows)))
    colours = colour_distribution([e.inherent_level for e in event_rows])
    return Register(enterprise.id, unit_rows, of_unit, colours)


# --- the day's check tasks ----------------------------------------------------------------------


@dataclass(frozen=True)
class TaskStatus:
    task: Task
    measure: ControlMeasure
    record_ids: tuple[int, ...]
    is_done: bool
    is_missed: bool  # the window has ended with no record inside it


@dataclass(frozen=True)
class DayTasks:
    day: date
    tasks: Sequence[TaskStatus]
    escalations: Sequence[Escalation] = field(default_factory=tuple)

    @property
    def done(self) -> int:
        return sum(t.is_done for t in self.tasks)

    @property
    def missed(self) -> int:
        return sum(t.is_missed for t in self.tasks)


def _as_measure(row: ControlMeasure) -> Measure:
    return Measure(str(row.id), Cycle(row.cycle), Responsibility(row.responsibility), str(row.enterprise_id))


def _day_tasks(session: Session, actor: Principal, rows: Sequence[ControlMeasure], day: date) -> DayTasks:
    tasks = tasks_due([_as_measure(r) for r in rows], day)
    if not tasks:
        return DayTasks(day, ())
    start, end = min(t.starts_at for t in tasks), max(t.ends_at for t in tasks)
    records = repository.records_between(session, actor, [r.id for r in rows], start, end)
    times: dict[str, list[datetime]] = defaultdict(list)
    for rec in records:
        times[str(rec.measure_id)].append(rec.checked_at)
    now = session_clock(session).now()
    gone = {(t.measure_id, t.starts_at) for t in missed(tasks, times, now)}
    by_id = {str(r.id): r for r in rows}
    out = []
    for t in tasks:
        inside = tuple(
            rec.id
            for rec in records
            if str(rec.measure_id) == t.measure_id and t.starts_at <= rec.checked_at < t.ends_at
        )
        out.append(
            TaskStatus(t, by_id[t.measure_id], inside, bool(inside), (t.measure_id, t.starts_at) in gone)
        )
    return DayTasks(day, out, tuple(escalations(tasks, times, now)))


def check_tasks(
    session: Session,
    actor: Principal,
    enterprise_id: int,
    day: date,
    *,
    assignee: str | None = None,
    responsibility: Responsibility | None = None,
) -> DayTasks:
    """The day's to-do list (待办): the windows opening on the Shanghai day, done or missed so far,
    for the whole enterprise or for one person (by name) or one 包保 level."""
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    rows = [
        m
        for m in repository.measures(session, actor, [enterprise.id], in_force_only=True)
        if (assignee is None or m.assignee == assignee)
        and (responsibility is None or m.responsibility == responsibility.value)
    ]
    return _day_tasks(session, actor, rows, shanghai_day(day))


def missed_checks(session: Session, actor: Principal, enterprise_id: int, day: date) -> list[TaskStatus]:
    """The day's windows that have ended with no check record inside them."""
    return [t for t in check_tasks(session, actor, enterprise_id, day).tasks if t.is_missed]


# --- check records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckDraft:
    window_start_at: datetime
    checked_at: datetime
    result: str  # normal | abnormal
    note: str = ""
    place: str = ""
    photos: tuple[str, ...] = ()  # SHA-256 of photos already in the blob store


def _window_of(measure: ControlMeasure, start: datetime) -> tuple[datetime, datetime]:
    for begins, ends in windows(Cycle(measure.cycle), shanghai_day(start)):
        if begins == start:
            return begins, ends
    raise InvalidInputError(
        "window_start_at", "not_a_window", f"no {measure.cycle} check window of this measure starts then"
    )


def _check_record(draft: CheckDraft, window: tuple[datetime, datetime], now: datetime) -> None:
    problems: list[tuple[str, str, str]] = []
    if draft.result not in RESULTS:
        problems.append(("result", "unknown", "normal or abnormal"))
    if not window[0] <= draft.checked_at < window[1]:
        problems.append(("checked_at", "outside_window", "the check must fall inside its task window"))
    elif draft.checked_at > now:
        problems.append(("checked_at", "future", "a check cannot be recorded in the future"))
    if draft.result == "abnormal" and not draft.note.strip():
        problems.append(("note", "required", "say what was abnormal: it becomes the hazard's description"))
    if len(draft.note) > 1000 or len(draft.place) > 200:
        problems.append(("note", "too_long", "note at most 1000, place at most 200 characters"))
    bad = [p for p in draft.photos if not SHA256.match(p)]
    if bad or len(draft.photos) > 20:
        problems.append(("photos", "not_sha256", "up to 20 photos, each the SHA-256 of a stored blob"))
    _problems(problems)


def record_snapshot(record: CheckRecord) -> dict[str, Any]:
    return {
        "measure_id": record.measure_id,
        "window_start_at": record.window_start_at.isoformat(),
        "checked_at": record.checked_at.isoformat(),
        "checked_by": record.checked_by,
        "result": record.result,
        "note": record.note,
        "place": record.place,
        "photos": record.photos,
        "hazard_id": record.hazard_id,
    }


def _hazard_from(session: Session, actor: Principal, measure: ControlMeasure, draft: CheckDraft) -> int:
    """An abnormal check is a hazard found by self-inspection (企业自查), naming what failed."""
    event = get_event(session, actor, measure.event_id)
    unit = get_unit(session, actor, event.unit_id)
    description = (
        f"风险分析单元“{unit.name}”风险事件“{event.description}”的管控措施“{measure.description}”"
        f"检查异常：{draft.note.strip()}"
    )[:2000]
    report = hazards.HazardReport(
        enterprise_id=measure.enterprise_id,
        description=description,
        source=Source.self_inspection,
        found_at=draft.checked_at,
        location=(draft.place.strip() or unit.name)[:200],
    )
    return hazards.report_hazard(session, actor, report).id


def record_check(session: Session, actor: Principal, measure_id: int, draft: CheckDraft) -> CheckRecord:
    measure = get_measure(session, actor, measure_id)
    require_owner(actor, measure.enterprise_id, "dual_prevention.check.record")
    if not measure.is_in_force:
        raise InvalidInputError("measure_id", "not_in_force", "this measure is no longer in force")
    now = session_clock(session).now()
    _check_record(draft, _window_of(measure, draft.window_start_at), now)
    hazard_id = _hazard_from(session, actor, measure, draft) if draft.result == "abnormal" else None
    record = CheckRecord(
        **_copy_scope(measure),
        measure_id=measure.id,
        window_start_at=draft.window_start_at,
        checked_at=draft.checked_at,
        checked_by=actor.audit_name,
        result=draft.result,
        note=draft.note.strip(),
        place=draft.place.strip(),
        photos=list(draft.photos),
        hazard_id=hazard_id,
        recorded_at=now,
    )
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "check_record.create",
        "check_record",
        str(record.id),
        after=record_snapshot(record),
    )
    return record


# --- the regulator's roll-up --------------------------------------------------------------------


def division_in_reach(actor: Principal, division_code: str) -> str:
    """The division's scope prefix; a division outside a government user's jurisdiction is not found."""
    try:
        prefix = division_prefix(division_code)
    except ValueError:
        raise InvalidInputError("division", "not_a_division", "a 6-digit GB/T 2260 code") from None
    if actor.is_government and actor.role != Role.admin and not covers(actor.division_code, division_code):
        raise NotFoundError(kind="division", key=division_code)
    return prefix


@dataclass(frozen=True)
class EnterpriseSummary:
    enterprise_id: int
    name: str
    county_code: str
    events: int
    major: int
    tasks_due: int
    tasks_done: int
    hazards_self_inspection: int
    hazards_enforcement: int

    @property
    def major_share(self) -> float | None:
        return self.major / self.events if self.events else None

    @property
    def completion_rate(self) -> float | None:
        return self.tasks_done / self.tasks_due if self.tasks_due else None


def _summaries(
    session: Session, actor: Principal, firms: Sequence[tuple[int, str, str]], day: date
) -> list[EnterpriseSummary]:
    ids = [eid for eid, _, _ in firms]
    levels = repository.level_counts(session, actor, ids)
    found = repository.hazard_counts(session, actor, ids)
    by_firm: dict[int, list[ControlMeasure]] = defaultdict(list)
    for m in repository.measures(session, actor, ids, in_force_only=True):
        by_firm[m.enterprise_id].append(m)
    local = shanghai_day(day)
    out = []
    for eid, name, county in firms:
        tasks = _day_tasks(session, actor, by_firm.get(eid, []), local)
        counts = levels.get(eid, {})
        out.append(
            EnterpriseSummary(
                eid,
                name,
                county,
                sum(counts.values()),
                counts.get(RiskLevel.major.value, 0),
                len(tasks.tasks),
                tasks.done,
                found.get(eid, {}).get(Source.self_inspection.value, 0),
                found.get(eid, {}).get(Source.enforcement.value, 0),
            )
        )
    return out


def _summary_prefix(actor: Principal, division_code: str) -> str:
    if not actor.is_government:
        raise PermissionDeniedError(action="dual_prevention.summary")
    return division_in_reach(actor, division_code)


def summary(session: Session, actor: Principal, division_code: str, day: date) -> list[EnterpriseSummary]:
    """Per enterprise of the division with a register: share of major risks, the day's check completion,
    and hazards found by the enterprise itself (自查) vs by enforcement (执法检查)."""
    prefix = _summary_prefix(actor, division_code)
    return _summaries(session, actor, repository.enterprises_with_register(session, actor, prefix), day)


def summary_page(
    session: Session, actor: Principal, division_code: str, day: date, request: PageRequest
) -> Page[EnterpriseSummary]:
    """One page of `summary`, by enterprise id: only the page's enterprises are computed."""
    prefix = _summary_prefix(actor, division_code)
    firms = repository.enterprises_with_register(session, actor, prefix, request.offset, request.size)
    total = repository.count_with_register(session, actor, prefix)
    return Page(_summaries(session, actor, firms, day), total, request.page, request.size)


def hazard_totals(session: Session, actor: Principal, division_code: str) -> dict[str, int]:
    """Hazards by source over the division's enterprises with a register (self-inspection vs enforcement)."""
    return repository.hazard_source_totals(session, actor, _summary_prefix(actor, division_code))


def province_rollup(session: Session, actor: Principal, division_code: str, day: date) -> rollup.Rollup:
    """The division's register and the day's checks rolled up with the vectorised kernel (rollup.py):
    events by colour per enterprise and per unit, tasks due, done and missed."""
    if not actor.is_government:
        raise PermissionDeniedError(action="dual_prevention.rollup")
    prefix = division_in_reach(actor, division_code)
    local = shanghai_day(day)
    since = windows(Cycle.daily, local)[0][0]
    events, measures, records = repository.rollup_rows(session, actor, prefix, since)
    index = {m: i for i, (m, _, _) in enumerate(measures)}
    kept = [(index[m], at) for m, at in records if m in index]
    cols = rollup.Columns(
        np.array([e for e, _, _ in events], dtype=np.int64),
        np.array([u for _, u, _ in events], dtype=np.int64),
        np.array([rollup.level_code(lv) for _, _, lv in events], dtype=np.int64),
        np.array([e for _, e, _ in measures], dtype=np.int64),
        np.array([rollup.cycle_code(c) for _, _, c in measures], dtype=np.int64),
        np.array([i for i, _ in kept], dtype=np.int64),
        np.array([int(at.timestamp()) for _, at in kept], dtype=np.int64),
    )
    return rollup.rollup(cols, local, session_clock(session).now())


# --- the demo -----------------------------------------------------------------------------------

# Synthetic demo register (our examples, not from a standard): unit, kind, department, events with their
# method and factors (LEC or matrix, values from the packaged tables), and measures (description,
# hierarchy, cycle, 包保 level).
_DEMO_UNITS: tuple[tuple[str, str, str, tuple[tuple[str, str, str, dict[str, object]], ...],
                         tuple[tuple[str, str, str, str], ...]], ...] = (
    ("液化烃罐区", "area", "储运部", (("储罐泄漏遇点火源", "火灾爆炸", "lec", {"L": 6, "E": 6, "C": 15, "L_after": 1}),),
     (("可燃气体检测报警仪在线值巡查", "engineering", "hourly", "operator"),
      ("罐区巡回检查", "administrative", "shift", "operator"),
      ("防静电服与便携式检测仪配备检查", "ppe", "daily", "operator"),
      ("紧急切断阀功能测试", "engineering", "monthly", "technical_lead"))),
    ("加氢反应釜", "device", "生产部", (("反应超温超压", "爆炸", "matrix", {"likelihood": 3, "severity": 5, "likelihood_after": 1}),),
     (("安全仪表系统联锁投用检查", "engineering", "daily", "technical_lead"),
      ("工艺操作规程执行检查", "administrative", "weekly", "technical_lead"))),
    ("装卸作业", "job", "储运部", (("装卸过程静电积聚", "火灾", "lec", {"L": 3, "E": 6, "C": 7}),),
     (("装卸作业票证检查", "administrative", "daily", "operator"),
      ("静电接地报警器检测", "engineering", "quarterly", "main_responsible"))),
    ("变配电室", "facility", "设备部", (("电气设备短路", "火灾、触电", "matrix", {"likelihood": 2, "severity": 3}),),
     (("配电室巡检", "administrative", "daily", "operator"),)),
)  # fmt: skip
_DEMO_PEOPLE = ("王强", "李娜", "张伟", "刘洋", "陈静", "杨磊")


@dataclass(frozen=True)
class DemoRegister:
    enterprises: int
    units: int
    events: int
    measures: int
    checks: int
    missed: int
    hazards: int


def _demo_checks(
    session: Session, actor: Principal, measures: Sequence[ControlMeasure], day: date, seed: int
) -> tuple[int, int, int]:
    """Check the day's ended windows: about one in six missed, the PPE check abnormal on odd seeds."""
    now = session_clock(session).now()
    done = missed_count = raised = 0
    for m in measures:
        for n, (start, end) in enumerate(windows(Cycle(m.cycle), day)):
            if end > now:
                continue
            if (seed + m.id + n) % 6 == 0:
                missed_count += 1
                continue
            abnormal = m.hierarchy == "ppe" and seed % 2 == 1
            note = "检测仪电量不足，未按要求佩戴" if abnormal else ""
            draft = CheckDraft(
                start,
                start + (end - start) / 4,
                "abnormal" if abnormal else "normal",
                note,
                m.description[:40],
            )
            hazard_id = record_check(session, actor, m.id, draft).hazard_id
            if hazard_id is not None:  # the enterprise determines and plans it, so the exchange carries it
                hazards.determine_hazard(session, actor, hazard_id, HazardLevel.general)
                plan = Plan(
                    m.assignee or "安全管理员", "更换检测仪电池并加强佩戴检查", now + timedelta(days=14)
                )
                hazards.plan_rectification(session, actor, hazard_id, plan)
                raised += 1
            done += 1
    return done, missed_count, raised


def seed_dualprevention_demo(
    session: Session, actor: Principal, enterprise_ids: Sequence[int]
) -> DemoRegister:
    """A realistic register for each enterprise (four units, four events from red to yellow, nine measures
    over every kind of cycle), yesterday's and today's ended check windows checked or missed, and hazards
    raised by failed checks; a synthetic 9-digit companyCode and object codes so the exchange exports.
    Every row goes through the services (audited). Hourly measures make ~50 records per enterprise a day:
    keep the list to a few dozen enterprises."""
    totals = dict.fromkeys(("units", "events", "measures", "checks", "missed", "hazards"), 0)
    today = shanghai_day(session_clock(session).now())
    for seed, enterprise_id in enumerate(enterprise_ids):
        enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
        person = _DEMO_PEOPLE[seed % len(_DEMO_PEOPLE)]
        created: list[ControlMeasure] = []
        for n, (name, kind, department, events, measures) in enumerate(_DEMO_UNITS, start=1):
            draft = UnitDraft(name, kind, department, person, f"DEMO-{enterprise.id}-{n:02d}")
            unit = create_unit(session, actor, enterprise.id, draft)
            totals["units"] += 1
            for description, consequence, method, factors in events:
                shifted = dict(factors) | (
                    {"L": 3} if method == "lec" and seed % 3 == 1 and factors["L"] == 6 else {}
                )
                event = create_event(
                    session, actor, unit.id, EventDraft(description, consequence, method, shifted)
                )
                totals["events"] += 1
                for text, hierarchy, cycle, level in measures:
                    draft_m = MeasureDraft(
                        text, hierarchy, cycle, level, person if level == "operator" else ""
                    )
                    created.append(
                        max(add_measure(session, actor, event.id, draft_m).measures, key=lambda r: r.id)
                    )
                    totals["measures"] += 1
        _demo_company_code(session, enterprise)
        for day in (today - timedelta(days=1), today):
            done, missed_count, raised = _demo_checks(session, actor, created, day, seed)
            totals["checks"] += done
            totals["missed"] += missed_count
            totals["hazards"] += raised
    return DemoRegister(len(enterprise_ids), **totals)


def _demo_company_code(session: Session, enterprise: Enterprise) -> None:
    """A synthetic companyCode (the demo's enterprises have no 危化品登记 code): county digits + the id."""
    session.add(
        ExchangeId(
            **_scope_of(enterprise),
            entity="enterprise",
            external_id=f"{enterprise.county_code[:4]}{enterprise.id % 100_000:05d}",
            local_id=enterprise.id,
            created_at=session_clock(session).now(),
        )
    )
    session.flush()
