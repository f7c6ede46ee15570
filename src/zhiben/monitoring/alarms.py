"""Alarm records in the database: each row is an `alarm_states.AlarmStatus`, and every change goes
through `alarm_states.apply`, so the stored state machine is the pure one.

`apply_engine_events` turns the engine's events into process events on the open record of each alarm
point, opening a record when a condition becomes active and none is open. The unique `open_key`
column keeps one open record per point (see models.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.monitoring import alarm_states as isa
from zhiben.monitoring import domain
from zhiben.monitoring.models import Alarm, AlarmLogEntry, Sensor
from zhiben.monitoring.sensors import rationale_for

ENGINE = "engine"  # the actor of process events


def key_of(sensor: Sensor, condition: str) -> isa.AlarmKey:
    return isa.AlarmKey(str(sensor.id), condition)


def condition_of(event: domain.AlarmEvent) -> str:
    return isa.AlarmKey.of(event.sensor_id, event.condition.value, event.level).condition


def _suppression_json(s: isa.Suppression | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "state": s.state.value,
        "by": s.by,
        "at": s.at.isoformat(),
        "reason": s.reason,
        "until": s.until.isoformat() if s.until else None,
    }


def _suppression_of(data: dict[str, Any] | None) -> isa.Suppression | None:
    if not data:
        return None
    until = data.get("until")
    return isa.Suppression(
        isa.AlarmState(data["state"]),
        data["by"],
        datetime.fromisoformat(data["at"]),
        data["reason"],
        datetime.fromisoformat(until) if until else None,
    )


def status_of(row: Alarm) -> isa.AlarmStatus:
    return isa.AlarmStatus(
        key=isa.AlarmKey(str(row.sensor_id), row.condition),
        priority=isa.Priority(row.priority),
        response_time=timedelta(seconds=row.response_s),
        state=isa.AlarmState(row.state),
        is_process_active=row.is_process_active,
        process_changed_at=row.process_changed_at,
        opened_at=row.opened_at,
        closed_at=row.closed_at,
        closed_by=isa.Action(row.closed_by) if row.closed_by else None,
        annunciated_at=row.annunciated_at,
        annunciations=row.annunciations,
        cleared_at=row.cleared_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        escalated_at=row.escalated_at,
        suppression=_suppression_of(row.suppression),
        assignee=row.assignee,
        assigned_at=row.assigned_at,
    )


def store(row: Alarm, status: isa.AlarmStatus) -> None:
    row.priority = status.priority.value
    row.response_s = int(status.response_time.total_seconds())
    row.state = status.state.value
    row.is_process_active = status.is_process_active
    row.process_changed_at = status.process_changed_at
    row.opened_at = status.opened_at
    row.closed_at = status.closed_at
    row.closed_by = status.closed_by.value if status.closed_by else None
    row.annunciated_at = status.annunciated_at
    row.annunciations = status.annunciations
    row.cleared_at = status.cleared_at
    row.acknowledged_at = status.acknowledged_at
    row.acknowledged_by = status.acknowledged_by
    row.escalated_at = status.escalated_at
    row.suppression = _suppression_json(status.suppression)
    row.assignee = status.assignee
    row.assigned_at = status.assigned_at
    row.open_key = status.open_key.token if status.open_key else None


def new_row(sensor: Sensor, condition: str) -> tuple[Alarm, isa.AlarmStatus]:
    priority, response_s = rationale_for(sensor, condition)
    status = isa.new_alarm(key_of(sensor, condition), priority, timedelta(seconds=response_s))
    row = Alarm(
        sensor_id=sensor.id,
        enterprise_id=sensor.enterprise_id,
        county_code=sensor.county_code,
        city_code=sensor.city_code,
        province_code=sensor.province_code,
        sector=sensor.sector,
        condition=condition,
    )
    store(row, status)
    return row, status


def log(session: Session, row: Alarm, action: str, actor: str, at: datetime, **detail: Any) -> None:
    session.add(
        AlarmLogEntry(
            alarm_id=row.id, at=at, action=action, actor=actor, state_after=row.state, detail=detail
        )
    )


def open_alarms(session: Session, sensor_ids: Iterable[int]) -> dict[str, Alarm]:
    """The open record of every alarm point of these sensors, by open key."""
    ids = sorted(set(sensor_ids))
    found: dict[str, Alarm] = {}
    for start in range(0, len(ids), 1000):
        rows = session.scalars(
            select(Alarm).where(Alarm.sensor_id.in_(ids[start : start + 1000]), Alarm.open_key.is_not(None))
        )
        found |= {row.open_key: row for row in rows if row.open_key}
    return found


@dataclass
class Applied:
    opened: int = 0
    closed: int = 0
    changed: int = 0


def apply_engine_events(
    session: Session, sensors: dict[str, Sensor], events: Sequence[domain.AlarmEvent]
) -> Applied:
    """Apply the engine's events (in their listing order) to the open records; audit opens and closes."""
    result = Applied()
    if not events:
        return result
    open_rows = open_alarms(session, (int(e.sensor_id) for e in events))
    changes: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = []
    for event in events:
        sensor = sensors[event.sensor_id]
        condition = condition_of(event)
        key = key_of(sensor, condition)
        row = open_rows.get(key.token)
        active = event.state is domain.Phase.active
        if row is None:
            if not active:
                continue  # cleared with no open record (e.g. it closed on acknowledgement already)
            row, status = new_row(sensor, condition)
            session.add(row)
            is_new = True
        else:
            status, is_new = status_of(row), False
        process_event: isa.ConditionActive | isa.ConditionNormal = (
            isa.ConditionActive(event.ts) if active else isa.ConditionNormal(event.ts)
        )
        after = isa.apply(status, process_event)
        if after == status and not is_new:
            continue
        store(row, after)
        if is_new:
            row.first_value = event.value
        if event.value is not None and active:
            row.peak_value = event.value if row.peak_value is None else max(row.peak_value, event.value)
        session.flush()
        log(
            session,
            row,
            "condition_active" if active else "condition_normal",
            ENGINE,
            event.ts,
            value=event.value,
        )
        result.changed += 1
        if is_new:
            result.opened += 1
            open_rows[key.token] = row
            changes.append((str(row.id), None, _snapshot(row)))
        elif not after.is_open:
            result.closed += 1
            del open_rows[key.token]
            changes.append((str(row.id), None, _snapshot(row)))
    if changes:
        audit.record_many(session, ENGINE, "alarm.process", "alarm", changes)
    return result


def _snapshot(row: Alarm) -> dict[str, Any]:
    return {
        "sensor_id": row.sensor_id,
        "condition": row.condition,
        "state": row.state,
        "priority": row.priority,
        "opened_at": row.opened_at.isoformat() if row.opened_at else None,
        "closed_at": row.closed_at.isoformat() if row.closed_at else None,
    }


def replace_status(status: isa.AlarmStatus, **changes: Any) -> isa.AlarmStatus:
    return replace(status, **changes)
