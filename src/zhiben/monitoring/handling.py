"""Alarm handling (报警处置), ISA-18.2: operator actions on alarm records, the shelving and escalation
timers, sensor health for display, and alarm KPIs from the stored records.

Every action goes through `alarm_states.apply` with the actor and the session clock's time, writes an
`alarm_log` row and an audit entry in the caller's transaction, and flushes; the entry point commits.

Who may act: the enterprise's own users and government roles with jurisdiction over it (regulator,
officer, administrator). Service providers and other departments see alarms in their scope but may
not act on them (403). Outside the caller's scope an alarm or sensor is not found (404).

Shelving, suppressing or removing from service an alarm *point* (sensor, condition) that has no open
record opens one. The unique `open_key` keeps one open record per point: when a concurrent
transaction opened one first, the insert fails on the index and the action is applied to that record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import session_clock
from zhiben.enterprise import service as enterprises
from zhiben.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from zhiben.monitoring import alarm_states as isa
from zhiben.monitoring import alarms, kpi, repository
from zhiben.monitoring.models import Alarm, AlarmLogEntry, Sensor, SensorState
from zhiben.monitoring.notify import Escalation, Notifier

log = logging.getLogger(__name__)

ACTING_ROLES = frozenset({Role.enterprise, Role.regulator, Role.officer, Role.admin})
TIMER = "timer"  # the actor of the shelving and escalation timers
OPERATOR_ACTIONS = tuple(
    a for a in isa.ALLOWED_IN if a not in (isa.Action.shelving_expired, isa.Action.escalate)
)
POINT_ACTIONS = (isa.Action.shelve, isa.Action.suppress, isa.Action.remove_from_service)
HEALTH_CONDITIONS = ("offline", "stuck", "out_of_range", "rate", "calibration_due")

EventMaker = Callable[[datetime, str], isa.Event]


# ---- reading --------------------------------------------------------------------------------


def get_alarm(session: Session, actor: Principal, alarm_id: int, *, for_update: bool = False) -> Alarm:
    row = repository.get_alarm(session, actor, alarm_id, for_update=for_update)
    if row is None:
        raise NotFoundError(kind="alarm", key=alarm_id)
    return row


def get_sensor(session: Session, actor: Principal, sensor_id: int) -> Sensor:
    sensor = repository.get_sensor(session, actor, sensor_id)
    if sensor is None:
        raise NotFoundError(kind="sensor", key=sensor_id)
    return sensor


def may_act(actor: Principal) -> bool:
    """Scope decides which alarms a caller sees; the role decides whether they may act on them."""
    return actor.role in ACTING_ROLES


def actions_for(actor: Principal, row: Alarm) -> list[str]:
    """The operator actions the caller may take on this record now."""
    if not may_act(actor):
        return []
    state = isa.AlarmState(row.state)
    return [a.value for a in OPERATOR_ACTIONS if state in isa.ALLOWED_IN[a]]


def conditions_of(sensor: Sensor) -> list[str]:
    """The alarm points of a sensor: one per limit level, power-off, and the health conditions."""
    points = [
        isa.AlarmKey.of(str(sensor.id), lim["condition"], lim.get("level")).condition for lim in sensor.limits
    ]
    return list(dict.fromkeys([*points, *HEALTH_CONDITIONS]))


def snapshot(row: Alarm) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "sensor_id": row.sensor_id,
        "condition": row.condition,
        "state": row.state,
        "priority": row.priority,
        "suppression": row.suppression,
        "acknowledged_by": row.acknowledged_by,
        "assignee": row.assignee,
        "escalated_at": iso(row.escalated_at),
        "closed_at": iso(row.closed_at),
        "version": row.version,
    }


# ---- operator actions -----------------------------------------------------------------------


def _require_actor(actor: Principal, action: isa.Action) -> None:
    if not may_act(actor):
        raise PermissionDeniedError(action=f"alarm.{action.value}")


def _record(
    session: Session,
    actor: str,
    row: Alarm,
    event: isa.Event,
    before: dict[str, Any] | None,
    detail: dict[str, Any],
) -> Alarm:
    """The status after `event` is stored; log and audit it."""
    session.flush()
    alarms.log(session, row, event.action.value, actor, event.at, **detail)
    audit.record(
        session,
        actor,
        f"alarm.{event.action.value}",
        "alarm",
        str(row.id),
        before=before,
        after=snapshot(row),
    )
    return row


def _apply(session: Session, actor: str, row: Alarm, event: isa.Event, detail: dict[str, Any]) -> Alarm:
    before = snapshot(row)
    alarms.store(row, isa.apply(alarms.status_of(row), event))
    return _record(session, actor, row, event, before, detail)


def act_on_alarm(
    session: Session,
    actor: Principal,
    alarm_id: int,
    action: isa.Action,
    make: EventMaker,
    expected_version: int | None = None,
    **detail: Any,
) -> Alarm:
    """Apply one operator action to a record: scope (404), role (403), version (409), transition (409)."""
    row = get_alarm(session, actor, alarm_id, for_update=True)
    _require_actor(actor, action)
    if expected_version is not None and row.version != expected_version:
        raise StaleVersionError(current=row.version, given=expected_version)
    event = make(session_clock(session).now(), actor.audit_name)
    return _apply(session, actor.audit_name, row, event, detail)


def acknowledge_alarm(session: Session, actor: Principal, alarm_id: int, version: int | None = None) -> Alarm:
    return act_on_alarm(session, actor, alarm_id, isa.Action.acknowledge, isa.Acknowledge, version)


def shelve_alarm(
    session: Session,
    actor: Principal,
    alarm_id: int,
    until: datetime,
    reason: str,
    version: int | None = None,
) -> Alarm:
    def make(at: datetime, by: str) -> isa.Event:
        return isa.Shelve(at, by, until, reason.strip())

    return act_on_alarm(
        session, actor, alarm_id, isa.Action.shelve, make, version, until=until.isoformat(), reason=reason
    )


def unshelve_alarm(session: Session, actor: Principal, alarm_id: int, version: int | None = None) -> Alarm:
    return act_on_alarm(session, actor, alarm_id, isa.Action.unshelve, isa.Unshelve, version)


def suppress_alarm(
    session: Session, actor: Principal, alarm_id: int, reason: str, version: int | None = None
) -> Alarm:
    def make(at: datetime, by: str) -> isa.Event:
        return isa.Suppress(at, by, reason.strip())

    return act_on_alarm(session, actor, alarm_id, isa.Action.suppress, make, version, reason=reason)


def unsuppress_alarm(session: Session, actor: Principal, alarm_id: int, version: int | None = None) -> Alarm:
    return act_on_alarm(session, actor, alarm_id, isa.Action.unsuppress, isa.Unsuppress, version)


def remove_alarm_from_service(
    session: Session, actor: Principal, alarm_id: int, reason: str, version: int | None = None
) -> Alarm:
    def make(at: datetime, by: str) -> isa.Event:
        return isa.RemoveFromService(at, by, reason.strip())

    return act_on_alarm(
        session, actor, alarm_id, isa.Action.remove_from_service, make, version, reason=reason
    )


def return_alarm_to_service(
    session: Session, actor: Principal, alarm_id: int, version: int | None = None
) -> Alarm:
    return act_on_alarm(session, actor, alarm_id, isa.Action.return_to_service, isa.ReturnToService, version)


def comment_on_alarm(
    session: Session, actor: Principal, alarm_id: int, text: str, version: int | None = None
) -> Alarm:
    def make(at: datetime, by: str) -> isa.Event:
        return isa.Comment(at, by, text)

    return act_on_alarm(session, actor, alarm_id, isa.Action.comment, make, version, text=text)


def assign_alarm(
    session: Session, actor: Principal, alarm_id: int, assignee: str, version: int | None = None
) -> Alarm:
    def make(at: datetime, by: str) -> isa.Event:
        return isa.Assign(at, by, assignee.strip())

    return act_on_alarm(session, actor, alarm_id, isa.Action.assign, make, version, assignee=assignee)


# ---- actions on an alarm point (sensor, condition), opening a record when none is open -------


def insert_open_record(session: Session, sensor: Sensor, condition: str, event: isa.Event) -> Alarm | None:
    """A new record for the point with `event` applied, inserted in a savepoint; None when the unique
    index refuses it (another transaction holds an open record of the point)."""
    row, status = alarms.new_row(sensor, condition)
    alarms.store(row, isa.apply(status, event))
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def act_on_point(
    session: Session,
    actor: Principal,
    sensor_id: int,
    condition: str,
    action: isa.Action,
    make: EventMaker,
    **detail: Any,
) -> Alarm:
    """Shelve, suppress or remove from service one alarm point, on its open record or a new one."""
    if action not in POINT_ACTIONS:
        raise ValueError(f"{action} is not an action on an alarm point")
    sensor = get_sensor(session, actor, sensor_id)
    _require_actor(actor, action)
    if condition not in conditions_of(sensor):
        allowed = ", ".join(conditions_of(sensor))
        raise InvalidInputError("condition", "unknown", f"the sensor's alarm points are: {allowed}")
    event = make(session_clock(session).now(), actor.audit_name)
    for _ in range(2):
        row = repository.open_alarm(session, sensor.id, condition, for_update=True)
        if row is not None:
            return _apply(session, actor.audit_name, row, event, detail)
        row = insert_open_record(session, sensor, condition, event)
        if row is not None:
            return _record(session, actor.audit_name, row, event, None, detail | {"opened": True})
    raise ConflictError(reason=f"alarm point {sensor.id}/{condition} changed concurrently; retry")


def shelve_point(
    session: Session, actor: Principal, sensor_id: int, condition: str, until: datetime, reason: str
) -> Alarm:
    def make(at: datetime, by: str) -> isa.Event:
        return isa.Shelve(at, by, until, reason.strip())

    return act_on_point(
        session, actor, sensor_id, condition, isa.Action.shelve, make, until=until.isoformat(), reason=reason
    )


def suppress_point(session: Session, actor: Principal, sensor_id: int, condition: str, reason: str) -> Alarm:
    def make(at: datetime, by: str) -> isa.Event:
        return isa.Suppress(at, by, reason.strip())

    return act_on_point(session, actor, sensor_id, condition, isa.Action.suppress, make, reason=reason)


def remove_point_from_service(
    session: Session, actor: Principal, sensor_id: int, condition: str, reason: str
) -> Alarm:
    def make(at: datetime, by: str) -> isa.Event:
        return isa.RemoveFromService(at, by, reason.strip())

    return act_on_point(
        session, actor, sensor_id, condition, isa.Action.remove_from_service, make, reason=reason
    )


# ---- timer jobs (the scheduler calls them in a unit of work; each handles a bounded batch) -----


def expire_shelving(session: Session, now: datetime, limit: int = 500) -> int:
    """Apply ShelvingExpired to shelved records past their expiry (at most `limit`); how many."""
    handled, after_id = 0, 0
    while handled < limit:
        rows = repository.shelved_alarms(session, after_id, 500)
        if not rows:
            break
        for row in rows:
            after_id = row.id
            if not isa.is_shelving_expired(alarms.status_of(row), now):
                continue
            until = row.suppression.get("until") if row.suppression else None
            _apply(session, TIMER, row, isa.ShelvingExpired(now), {"until": until})
            handled += 1
            if handled >= limit:
                break
    return handled


def escalation_of(session: Session, row: Alarm, status: isa.AlarmStatus, at: datetime) -> Escalation:
    sensor = session.get(Sensor, row.sensor_id)
    deadline = isa.escalation_deadline(status)
    assert deadline is not None and status.annunciated_at is not None  # checked: due for escalation
    return Escalation(
        alarm_id=row.id,
        enterprise_id=row.enterprise_id,
        county_code=row.county_code,
        sensor_id=row.sensor_id,
        sensor_code=sensor.code if sensor else "",
        condition=row.condition,
        priority=row.priority,
        annunciated_at=status.annunciated_at,
        deadline_at=deadline,
        escalated_at=at,
    )


def _send(notifier: Notifier, escalation: Escalation) -> dict[str, Any]:
    """Notify; a failure is reported, never raised (the escalation stands)."""
    try:
        notifier.notify(escalation)
    except Exception as exc:  # any adapter's failure: recorded in the alarm's log
        log.warning("escalation of alarm %s not delivered: %s", escalation.alarm_id, exc)
        return {"notified": False, "error": str(exc)[:500]}
    return {"notified": True}


def escalate_due(session: Session, now: datetime, notifier: Notifier, limit: int = 100) -> int:
    """Escalate open, unacknowledged records past their response time (at most `limit`), notify each
    through the port, and record the outcome in the alarm's log; how many were escalated."""
    handled = 0
    for row in repository.escalation_candidates(session, now, limit):
        status = alarms.status_of(row)
        if not isa.is_due_for_escalation(status, now):
            continue
        escalation = escalation_of(session, row, status, now)
        before = snapshot(row)
        event = isa.Escalate(now)
        alarms.store(row, isa.apply(status, event))
        session.flush()
        outcome = _send(notifier, escalation)
        _record(
            session, TIMER, row, event, before, {"deadline_at": escalation.deadline_at.isoformat(), **outcome}
        )
        handled += 1
    return handled


# ---- sensors: registry listing with health ----------------------------------------------------

HEALTH_ORDER = ("out_of_service", "no_data", "offline", "out_of_range", "stuck", "calibration_due")


@dataclass(frozen=True)
class Health:
    """How far a sensor's latest value can be trusted. `status` is the worst flag, or `normal` when
    there is none: a sensor never reporting, stale past its offline deadline, stuck or out of range is
    never `normal`."""

    status: str
    flags: tuple[str, ...]
    last_ts: datetime | None
    last_value: float | None


def health_of(sensor: Sensor, state: SensorState | None, now: datetime) -> Health:
    engine: dict[str, Any] = state.state if state is not None else {}
    last_ts = state.last_ts if state is not None else None
    flags: set[str] = set()
    if not sensor.in_service:
        flags.add("out_of_service")
    if last_ts is None:
        flags.add("no_data")
    else:
        period = sensor.sampling_period_s
        stale_after = timedelta(seconds=sensor.offline_periods * period) if period else None
        if engine.get("is_offline") or (stale_after is not None and now - last_ts > stale_after):
            flags.add("offline")
    if engine.get("is_out_of_range"):
        flags.add("out_of_range")
    if engine.get("is_stuck"):
        flags.add("stuck")
    due = sensor.calibration_due_at
    if engine.get("is_calibration_due") or (due is not None and now >= due):
        flags.add("calibration_due")
    ordered = tuple(flag for flag in HEALTH_ORDER if flag in flags)
    return Health(
        ordered[0] if ordered else "normal",
        ordered,
        last_ts,
        state.last_value if state is not None else None,
    )


def sensors_with_health(
    session: Session, actor: Principal, enterprise_id: int
) -> list[tuple[Sensor, Health]]:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)  # 404 outside scope
    now = session_clock(session).now()
    rows = repository.sensors_with_state(session, actor, enterprise.id)
    return [(sensor, health_of(sensor, state, now)) for sensor, state in rows]


# ---- KPIs -------------------------------------------------------------------------------------

ANNUNCIATED = frozenset(s.value for s in isa.ANNUNCIATED_STATES)
SUPPRESSED = frozenset(s.value for s in isa.SUPPRESSION_STATES)


def annunciations_of(row: Alarm, entries: Iterable[AlarmLogEntry]) -> list[kpi.Annunciation]:
    """The annunciations of one record, read from its log (in order): each starts where the record
    enters `unacknowledged` from another state, clears at the next return to normal of the process
    (or when it is shelved, suppressed or removed from service), and is acknowledged by the next
    acknowledgement. A chattering point re-annunciates within one record."""
    found: list[kpi.Annunciation] = []
    current: dict[str, Any] | None = None
    previous = isa.AlarmState.normal.value

    def close() -> None:
        if current is not None:
            found.append(
                kpi.Annunciation(
                    row.enterprise_id,
                    str(row.sensor_id),
                    row.condition,
                    isa.Priority(row.priority),
                    **current,
                )
            )

    for entry in entries:
        if entry.state_after == isa.AlarmState.unacknowledged.value and previous != entry.state_after:
            close()
            current = {"raised_at": entry.at, "cleared_at": None, "acknowledged_at": None}
        elif current is not None:
            if current["cleared_at"] is None and (
                entry.action == isa.Action.condition_normal.value or entry.state_after in SUPPRESSED
            ):
                current["cleared_at"] = entry.at
            if current["acknowledged_at"] is None and entry.action == isa.Action.acknowledge.value:
                current["acknowledged_at"] = entry.at
        previous = entry.state_after
    close()
    return found


def alarm_kpis(
    session: Session,
    actor: Principal,
    enterprise_id: int,
    start: datetime,
    end: datetime,
    operator_positions: int = 1,
) -> kpi.KpiReport:
    """The enterprise's alarm KPIs over [start, end) against the reference targets."""
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    if start.tzinfo is not None and end.tzinfo is not None and end - start > timedelta(days=366):
        raise InvalidInputError("end", "too_long", "the period is at most 366 days")
    rows = repository.alarms_overlapping(session, actor, enterprise.id, start, end)
    by_alarm: dict[int, list[AlarmLogEntry]] = {}
    for entry in repository.alarm_log(session, [row.id for row in rows]):
        by_alarm.setdefault(entry.alarm_id, []).append(entry)
    records = [a for row in rows for a in annunciations_of(row, by_alarm.get(row.id, []))]
    report = kpi.compute_kpis(records, start, end, operator_positions=operator_positions)
    return report if report.enterprise_id is not None else _with_enterprise(report, enterprise.id)


def _with_enterprise(report: kpi.KpiReport, enterprise_id: int) -> kpi.KpiReport:
    return replace(report, enterprise_id=enterprise_id)


def log_of(session: Session, row: Alarm) -> Sequence[AlarmLogEntry]:
    return repository.alarm_log(session, [row.id])
