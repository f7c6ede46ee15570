"""Alarm records in the database: each row is an `alarm_states.AlarmStatus`, and every change goes
through `alarm_states.apply`, so the stored state machine is the pure one.

`apply_engine_events` turns the engine's events into process events on the open record of each alarm
point, opening a record when a condition becomes active and none is open. The unique `open_key`
column keeps one open record per point (see models.py).

It is set-based, because an alarm flood (thousands of sensors over their limits in one batch) must
not slow ingestion down: the batch's open records are read in one query, the events applied to them
in memory by the pure state machine, and the outcome written with bulk statements, the updates
guarded by each record's version as the ORM's would be. `apply_engine_events_reference` does the same
one record at a time through the ORM; tests compare the two, bench/alarm_flood.py measures them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, insert, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from zhiben.audit import service as audit
from zhiben.monitoring import alarm_states as isa
from zhiben.monitoring import domain
from zhiben.monitoring.models import Alarm, AlarmLogEntry, Sensor
from zhiben.monitoring.sensors import rationale_for

ENGINE = "engine"  # the actor of process events


@dataclass(frozen=True)
class PointSensor:
    """What an alarm record needs of its sensor: the id, the enterprise's columns it copies, and the
    rationalisation (priority, response time per condition). Read with `point_sensors`."""

    id: int
    enterprise_id: int
    county_code: str
    city_code: str
    province_code: str
    sector: str
    rationale: dict[str, Any]


AlarmSensor = Sensor | PointSensor


def point_sensors(session: Session, sensor_ids: Iterable[int]) -> dict[str, PointSensor]:
    """These sensors as PointSensor, by id as text (the engine events' `sensor_id`): column values,
    no ORM objects."""
    ids = sorted(set(sensor_ids))
    columns = (
        Sensor.id,
        Sensor.enterprise_id,
        Sensor.county_code,
        Sensor.city_code,
        Sensor.province_code,
        Sensor.sector,
        Sensor.rationale,
    )
    found: dict[str, PointSensor] = {}
    for start in range(0, len(ids), 1000):
        query = select(*columns).where(Sensor.id.in_(ids[start : start + 1000]))
        found |= {str(row[0]): PointSensor(*row) for row in session.execute(query)}
    return found


def key_of(sensor: AlarmSensor, condition: str) -> isa.AlarmKey:
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


STATUS_COLUMNS = (
    "priority",
    "response_s",
    "state",
    "is_process_active",
    "process_changed_at",
    "opened_at",
    "closed_at",
    "closed_by",
    "annunciated_at",
    "annunciations",
    "cleared_at",
    "acknowledged_at",
    "acknowledged_by",
    "escalated_at",
    "suppression",
    "assignee",
    "assigned_at",
    "open_key",
)  # the columns of an alarm row that hold its AlarmStatus


def status_from(values: Mapping[Any, Any]) -> isa.AlarmStatus:
    """The status of an alarm row given as column values (an ORM row's or a Core row's mapping)."""
    closed_by = values["closed_by"]
    return isa.AlarmStatus(
        key=isa.AlarmKey(str(values["sensor_id"]), values["condition"]),
        priority=isa.Priority(values["priority"]),
        response_time=timedelta(seconds=values["response_s"]),
        state=isa.AlarmState(values["state"]),
        is_process_active=values["is_process_active"],
        process_changed_at=values["process_changed_at"],
        opened_at=values["opened_at"],
        closed_at=values["closed_at"],
        closed_by=isa.Action(closed_by) if closed_by else None,
        annunciated_at=values["annunciated_at"],
        annunciations=values["annunciations"],
        cleared_at=values["cleared_at"],
        acknowledged_at=values["acknowledged_at"],
        acknowledged_by=values["acknowledged_by"],
        escalated_at=values["escalated_at"],
        suppression=_suppression_of(values["suppression"]),
        assignee=values["assignee"],
        assigned_at=values["assigned_at"],
    )


def status_of(row: Alarm) -> isa.AlarmStatus:
    return status_from({name: getattr(row, name) for name in ("sensor_id", "condition", *STATUS_COLUMNS)})


def columns_of(status: isa.AlarmStatus) -> dict[str, Any]:
    """The column values that store this status (STATUS_COLUMNS)."""
    return {
        "priority": status.priority.value,
        "response_s": int(status.response_time.total_seconds()),
        "state": status.state.value,
        "is_process_active": status.is_process_active,
        "process_changed_at": status.process_changed_at,
        "opened_at": status.opened_at,
        "closed_at": status.closed_at,
        "closed_by": status.closed_by.value if status.closed_by else None,
        "annunciated_at": status.annunciated_at,
        "annunciations": status.annunciations,
        "cleared_at": status.cleared_at,
        "acknowledged_at": status.acknowledged_at,
        "acknowledged_by": status.acknowledged_by,
        "escalated_at": status.escalated_at,
        "suppression": _suppression_json(status.suppression),
        "assignee": status.assignee,
        "assigned_at": status.assigned_at,
        "open_key": status.open_key.token if status.open_key else None,
    }


def store(row: Alarm, status: isa.AlarmStatus) -> None:
    for name, value in columns_of(status).items():
        setattr(row, name, value)


def new_row(sensor: AlarmSensor, condition: str) -> tuple[Alarm, isa.AlarmStatus]:
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


def apply_engine_events_reference(
    session: Session, sensors: Mapping[str, AlarmSensor], events: Sequence[domain.AlarmEvent]
) -> Applied:
    """Apply the engine's events (in their listing order) to the open records; audit opens and closes.

    The reference: one record and one log row at a time through the ORM, a flush per event. Ingestion
    uses `apply_engine_events`, which stores the same rows set-based; tests feed both the same event
    streams and compare what they stored, and bench/alarm_flood.py measures both."""
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


EventWriter = Callable[[Session, Mapping[str, AlarmSensor], Sequence[domain.AlarmEvent]], Applied]


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


# ---- set-based: what ingestion uses ----------------------------------------------------------

ALARMS = cast(Table, Alarm.__table__)
ALARM_LOG = cast(Table, AlarmLogEntry.__table__)


@dataclass
class _Record:
    """One alarm record the batch touches: its status as the events leave it, and what to write."""

    id: int | None  # None until a new record is inserted
    sensor: AlarmSensor | None  # for a new record: the sensor it is copied from
    sensor_id: int
    condition: str
    status: isa.AlarmStatus
    version: int  # as read (optimistic lock); a new record is inserted at 1
    changes: int = 0  # events that changed it (each one version, as one flush each would)
    first_value: float | None = None
    peak_value: float | None = None
    read: dict[str, Any] = field(default_factory=dict)  # the columns as read, to write only changes

    @property
    def is_new(self) -> bool:
        return self.sensor is not None


@dataclass
class Plan:
    """The batch's outcome, computed in memory by the pure state machine, written by `write_plan`."""

    applied: Applied
    records: list[_Record]  # each touched record once, in the order first touched
    log: list[tuple[_Record, str, datetime, float | None, str]]  # record, action, at, value, state after
    audit: list[tuple[_Record, dict[str, Any]]]  # opened or closed, with the snapshot of that moment


def read_open(session: Session, sensor_ids: Iterable[int]) -> dict[str, _Record]:
    """The open record of every alarm point of these sensors, by open key: one query per 1,000
    sensors, column values only (no ORM objects)."""
    session.flush()  # pending ORM changes (an operator action in this transaction) are read back
    ids = sorted(set(sensor_ids))
    columns = [ALARMS.c.id, ALARMS.c.sensor_id, ALARMS.c.condition, ALARMS.c.version, ALARMS.c.peak_value]
    columns += [ALARMS.c[name] for name in STATUS_COLUMNS if name != "open_key"]
    found: dict[str, _Record] = {}
    for start in range(0, len(ids), 1000):
        query = select(*columns, ALARMS.c.open_key).where(
            ALARMS.c.sensor_id.in_(ids[start : start + 1000]), ALARMS.c.open_key.is_not(None)
        )
        for row in session.execute(query).mappings():
            status = status_from(row)
            found[row["open_key"]] = _Record(
                id=row["id"],
                sensor=None,
                sensor_id=row["sensor_id"],
                condition=row["condition"],
                status=status,
                version=row["version"],
                peak_value=row["peak_value"],
                read=columns_of(status) | {"peak_value": row["peak_value"]},
            )
    return found


def plan_events(
    open_records: dict[str, _Record], sensors: Mapping[str, AlarmSensor], events: Sequence[domain.AlarmEvent]
) -> Plan:
    """What the events (in their listing order) do to the records: the rules of
    `apply_engine_events_reference`, without I/O."""
    plan = Plan(Applied(), [], [], [])
    current = dict(open_records)
    touched: set[int] = set()
    for event in events:
        sensor = sensors[event.sensor_id]
        condition = condition_of(event)
        token = key_of(sensor, condition).token
        record = current.get(token)
        active = event.state is domain.Phase.active
        is_new = record is None
        if record is None:
            if not active:
                continue  # cleared with no open record (e.g. it closed on acknowledgement already)
            priority, response_s = rationale_for(sensor, condition)
            status = isa.new_alarm(key_of(sensor, condition), priority, timedelta(seconds=response_s))
            record = _Record(None, sensor, sensor.id, condition, status, version=1, first_value=event.value)
        process_event: isa.ConditionActive | isa.ConditionNormal = (
            isa.ConditionActive(event.ts) if active else isa.ConditionNormal(event.ts)
        )
        after = isa.apply(record.status, process_event)
        if after == record.status and not is_new:
            continue
        record.status = after
        record.changes += 1
        if id(record) not in touched:
            touched.add(id(record))
            plan.records.append(record)
        if event.value is not None and active:
            record.peak_value = (
                event.value if record.peak_value is None else max(record.peak_value, event.value)
            )
        action = "condition_active" if active else "condition_normal"
        plan.log.append((record, action, event.ts, event.value, after.state.value))
        plan.applied.changed += 1
        if is_new:
            plan.applied.opened += 1
            current[token] = record
            plan.audit.append((record, _snapshot_of(record)))
        elif not after.is_open:
            plan.applied.closed += 1
            del current[token]
            plan.audit.append((record, _snapshot_of(record)))
    return plan


def write_plan(session: Session, plan: Plan) -> None:
    """Store the plan with bulk statements: the changed records updated by primary key and version (a
    record an operator changed since it was read raises StaleDataError, as the ORM's version check
    does), then the new records inserted, their log rows, and the audit entries."""
    old = [r for r in plan.records if not r.is_new]
    new = [r for r in plan.records if r.is_new]
    if old:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for r in old:  # by the columns that changed: in a flood, one group
            values = columns_of(r.status) | {"peak_value": r.peak_value}
            changed = tuple(name for name, value in values.items() if r.read.get(name) != value)
            params = {f"b_{name}": values[name] for name in changed}
            params |= {"b_id": r.id, "b_version": r.version, "b_new_version": r.version + r.changes}
            groups.setdefault(changed, []).append(params)
        matched = 0
        for names, params_list in groups.items():
            statement = (
                update(ALARMS)
                .where(ALARMS.c.id == bindparam("b_id"), ALARMS.c.version == bindparam("b_version"))
                .values(
                    {name: bindparam(f"b_{name}", type_=ALARMS.c[name].type) for name in names}
                    | {"version": bindparam("b_new_version")}
                )
            )
            result = session.execute(statement, params_list, execution_options={"synchronize_session": False})
            matched += cast(CursorResult[Any], result).rowcount
        if matched != len(old):
            raise StaleDataError(
                f"UPDATE statement on table 'alarms' expected to update {len(old)} row(s); {matched} were "
                "matched: an alarm record changed since it was read (a concurrent operator action)"
            )
        for r in old:  # ORM objects of these rows in this session are now out of date
            stale = session.identity_map.get(identity_key(Alarm, r.id))
            if stale is not None:
                session.expire(stale)
    if new:
        rows = []
        for r in new:
            sensor = r.sensor
            assert sensor is not None
            rows.append(
                {
                    "sensor_id": sensor.id,
                    "enterprise_id": sensor.enterprise_id,
                    "county_code": sensor.county_code,
                    "city_code": sensor.city_code,
                    "province_code": sensor.province_code,
                    "sector": sensor.sector,
                    "condition": r.condition,
                    **columns_of(r.status),
                    "first_value": r.first_value,
                    "peak_value": r.peak_value,
                    "version": r.changes,  # inserted at 1, one more per later change, as the reference
                }
            )
        if session.get_bind().dialect.name == "postgresql":
            # ids taken from the sequence first, then a plain executemany: an INSERT ... RETURNING of
            # thousands of rows is one huge statement that the driver spends longer parsing than running
            for r, row, alarm_id in zip(new, rows, _next_ids(session, len(new)), strict=True):
                r.id = row["id"] = alarm_id
            session.execute(insert(ALARMS), rows)
        else:
            returning = insert(ALARMS).returning(ALARMS.c.id, sort_by_parameter_order=True)
            for r, alarm_id in zip(new, session.execute(returning, rows).scalars(), strict=True):
                r.id = alarm_id
    if plan.log:
        session.execute(
            insert(ALARM_LOG),
            [
                {
                    "alarm_id": r.id,
                    "at": at,
                    "action": action,
                    "actor": ENGINE,
                    "state_after": state,
                    "detail": {"value": value},
                }
                for r, action, at, value, state in plan.log
            ],
        )
    if plan.audit:
        changes: list[tuple[str, dict[str, Any] | None, dict[str, Any] | None]] = [
            (str(r.id), None, snapshot) for r, snapshot in plan.audit
        ]
        audit.record_many(session, ENGINE, "alarm.process", "alarm", changes)


def _next_ids(session: Session, count: int) -> list[int]:
    """`count` new alarm ids from the table's sequence (PostgreSQL), ascending."""
    query = text("SELECT nextval(pg_get_serial_sequence('alarms', 'id')) FROM generate_series(1, :n)")
    return sorted(int(i) for i in session.scalars(query, {"n": count}))


def apply_engine_events(
    session: Session, sensors: Mapping[str, AlarmSensor], events: Sequence[domain.AlarmEvent]
) -> Applied:
    """Apply the engine's events (in their listing order) to the open records; audit opens and closes.

    Set-based: the open records of the batch's sensors read in one query (per 1,000 sensors), the new
    statuses computed by the pure state machine in memory, the rows written with bulk statements.
    Stores the same rows, log and audit entries as `apply_engine_events_reference`."""
    if not events:
        return Applied()
    plan = plan_events(read_open(session, (int(e.sensor_id) for e in events)), sensors, events)
    write_plan(session, plan)
    return plan.applied


def _snapshot_of(record: _Record) -> dict[str, Any]:
    """`_snapshot` of the record as it stands now (the audit entry's `after`)."""
    status = record.status
    return {
        "sensor_id": record.sensor_id,
        "condition": record.condition,
        "state": status.state.value,
        "priority": status.priority.value,
        "opened_at": status.opened_at.isoformat() if status.opened_at else None,
        "closed_at": status.closed_at.isoformat() if status.closed_at else None,
    }
