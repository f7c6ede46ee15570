"""Ingestion: gateway messages in, readings stored, the engine run, alarms kept, all in one transaction.

The payload (MQTT, the HTTP batch endpoint, a replayed file) is JSON, one of two shapes:

    {"readings": [{"sensor": "CH4-01", "ts": "2026-11-28T08:00:00+08:00", "value": 0.42}, ...]}
    {"readings": {"sensor": ["CH4-01", ...], "ts": [1764288000000, ...], "value": [0.42, ...]}}

`sensor` is the point code registered for the enterprise; `ts` is ISO 8601 with an offset, or epoch
milliseconds; `value` a number. The columnar shape parses several times faster and suits gateways that
batch. A message that cannot be read at all is dead-lettered whole with the reason; readings of unknown
sensors are dead-lettered together (one letter per message), and the rest of the message is ingested.

Idempotent on (sensor, timestamp). A reading later than the sensor's last one is new: it is stored (in
a block per sensor and batch, see readings.py) and evaluated. One at the same time as the last is a duplicate (a redelivery) and skipped. One earlier than
the last is *late*: stored if not stored yet, never evaluated (the engine has moved past it), counted.
The engine state saved with the readings is what a restarted worker resumes from, so a message
redelivered after a crash neither stores nor raises anything twice.

Concurrent workers: the engine state rows of the batch's sensors are locked (PostgreSQL: SELECT ... FOR
UPDATE, in id order; SQLite: the writer lock), so two workers never evaluate one sensor at once.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Float, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from zhiben.db.uow import session_clock
from zhiben.monitoring import alarms, domain, engine, readings
from zhiben.monitoring.models import DeadLetter, Sensor, SensorState
from zhiben.monitoring.sensors import engine_sensor

MAX_PAYLOAD_BYTES = 16 * 1024 * 1024
MAX_LETTER_CHARS = 64 * 1024


class PayloadError(ValueError):
    """The message cannot be read at all; the reason is kept with it in the dead letters."""


@dataclass
class Parsed:
    codes: list[str]
    ts_ms: npt.NDArray[np.int64]
    values: npt.NDArray[np.float64]


@dataclass(frozen=True)
class Message:
    """One received message: whose it is, where it came from, and its raw bytes (or its readings
    already read, e.g. from a coal-mine CDSS file, with `payload` kept for the dead letters)."""

    enterprise_id: int
    channel: str  # mqtt | http | file
    origin: str  # topic, endpoint or file name
    payload: bytes
    parsed: Parsed | None = None


@dataclass
class IngestReport:
    messages: int = 0
    readings: int = 0  # readings in the messages
    stored: int = 0  # new rows in `readings`
    evaluated: int = 0  # readings the engine took (later than the sensor's last)
    late: int = 0  # earlier than the sensor's last: stored when new, not evaluated
    duplicates: int = 0  # already stored (a redelivery)
    unknown: int = 0  # readings of sensors the enterprise has not registered
    dead_letters: int = 0
    events: int = 0
    alarms_opened: int = 0
    alarms_closed: int = 0
    event_list: list[domain.AlarmEvent] = field(default_factory=list, repr=False)
    sensor_ids: list[int] = field(default_factory=list, repr=False)  # the sensors that had readings

    def add(self, other: IngestReport) -> None:
        for name in ("messages", "readings", "stored", "evaluated", "late", "duplicates", "unknown"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("dead_letters", "events", "alarms_opened", "alarms_closed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _ts_ms(value: object) -> int:
    if isinstance(value, bool):
        raise PayloadError("ts must be ISO 8601 text with an offset, or epoch milliseconds")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError as exc:
            raise PayloadError(f"ts {value!r} is not ISO 8601") from exc
        if moment.tzinfo is None:
            raise PayloadError(f"ts {value!r} has no UTC offset")
        return domain.to_ms(moment)
    raise PayloadError("ts must be ISO 8601 text with an offset, or epoch milliseconds")


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"value {value!r} is not a number")
    number = float(value)
    if not math.isfinite(number):
        raise PayloadError("value must be a finite number")
    return number


def parse(payload: bytes) -> Parsed:
    """Read a payload (either shape above) or raise PayloadError with the reason."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"the message is larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict) or "readings" not in data:
        raise PayloadError('the message is a JSON object with "readings"')
    readings = data["readings"]
    if isinstance(readings, dict):
        codes, stamps, values = (readings.get(k) for k in ("sensor", "ts", "value"))
        if not (isinstance(codes, list) and isinstance(stamps, list) and isinstance(values, list)):
            raise PayloadError('columnar readings have the lists "sensor", "ts" and "value"')
        if not len(codes) == len(stamps) == len(values):
            raise PayloadError('"sensor", "ts" and "value" have different lengths')
        if not all(isinstance(c, str) for c in codes):
            raise PayloadError("every sensor is a point code (text)")
        if all(type(t) is int for t in stamps):
            ts = np.fromiter(stamps, dtype=np.int64, count=len(stamps))
        else:
            ts = np.fromiter((_ts_ms(t) for t in stamps), dtype=np.int64, count=len(stamps))
        try:
            number = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise PayloadError("every value is a number") from exc
        if number.ndim != 1 or any(isinstance(v, bool) for v in values) or not np.isfinite(number).all():
            raise PayloadError("every value is a finite number")
        return Parsed(list(codes), ts, number)
    if not isinstance(readings, list):
        raise PayloadError('"readings" is a list of readings or an object of columns')
    codes, ts_list, value_list = [], [], []
    for position, item in enumerate(readings):
        if not isinstance(item, dict) or not isinstance(item.get("sensor"), str):
            raise PayloadError(f"reading {position}: an object with sensor, ts and value")
        try:
            ts_list.append(_ts_ms(item.get("ts")))
            value_list.append(_number(item.get("value")))
        except PayloadError as exc:
            raise PayloadError(f"reading {position}: {exc}") from exc
        codes.append(item["sensor"])
    return Parsed(codes, np.array(ts_list, dtype=np.int64), np.array(value_list, dtype=np.float64))


def accepted_mask(
    idx: npt.NDArray[np.int64], ts: npt.NDArray[np.int64], last: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Per reading (in arrival order): is it later than every earlier reading of its sensor (the stored
    last included)? And is it exactly at that latest time (a duplicate)?"""
    n = len(idx)
    if n == 0:
        empty = np.zeros(0, dtype=bool)
        return empty, empty
    order = np.argsort(idx, kind="stable")
    s_idx, s_ts = idx[order], ts[order]
    starts = np.ones(n, dtype=bool)
    starts[1:] = s_idx[1:] != s_idx[:-1]
    base = last[s_idx]
    base = np.where(base < s_ts.min(), s_ts.min() - 1, base)  # no last reading (or an older one): all later
    floor = np.int64(base.min())
    span = np.int64(max(s_ts.max(), base.max())) - floor + 1
    group = np.cumsum(starts) - 1
    key_ts = (s_ts - floor) + group * span
    key_base = (base - floor) + group * span
    running = np.maximum.accumulate(np.maximum(key_ts, key_base))
    before = np.empty(n, dtype=np.int64)
    before[0] = key_base[0]
    before[1:] = running[:-1]
    before = np.where(starts, key_base, np.maximum(before, key_base))
    later, same = key_ts > before, key_ts == before
    out_later, out_same = np.empty(n, dtype=bool), np.empty(n, dtype=bool)
    out_later[order], out_same[order] = later, same
    return out_later, out_same


class Ingestor:
    """Ingests batches of messages. Keep one per worker: it caches the engine's view of each sensor
    (rebuilt when the sensor's version changes)."""

    def __init__(self, apply_events: alarms.EventWriter | None = None) -> None:
        self._sensors: dict[int, tuple[int, domain.Sensor]] = {}
        # how the engine's events reach the alarm records; the reference is passed by tests and benches
        self._apply_events = apply_events or alarms.apply_engine_events

    def _engine_sensor(self, row: Sensor) -> domain.Sensor:
        cached = self._sensors.get(row.id)
        if cached is None or cached[0] != row.version:
            cached = (row.version, engine_sensor(row))
            self._sensors[row.id] = cached
        return cached[1]

    def _engine_sensors(self, session: Session, points: list[Point]) -> list[domain.Sensor]:
        """The engine's sensors for these points, from the cache when the version is unchanged."""
        stale = [p.id for p in points if self._sensors.get(p.id, (None,))[0] != p.version]
        for start in range(0, len(stale), 1000):
            for row in session.scalars(select(Sensor).where(Sensor.id.in_(stale[start : start + 1000]))):
                self._engine_sensor(row)
        return [self._sensors[p.id][1] for p in points]

    def ingest(
        self, session: Session, messages: Sequence[Message], until: datetime | None = None
    ) -> IngestReport:
        """Ingest in the caller's transaction. `until` is the time the engine evaluates at (offline
        deadlines up to it are reported): now for live data, the end of the file for a replay."""
        report = IngestReport(messages=len(messages))
        now = session_clock(session).now()
        parts: list[tuple[int, Parsed, Message]] = []
        for message in messages:
            if message.enterprise_id <= 0:
                _dead_letter(session, message, f"{message.origin} names no enterprise", now)
                report.dead_letters += 1
                continue
            try:
                parsed = message.parsed if message.parsed is not None else parse(message.payload)
                parts.append((message.enterprise_id, parsed, message))
            except PayloadError as exc:
                _dead_letter(session, message, str(exc), now)
                report.dead_letters += 1
        if not parts:
            return report
        wanted = {(eid, code) for eid, parsed, _ in parts for code in set(parsed.codes)}
        by_code = {(p.enterprise_id, p.code): p for p in _points(session, wanted) if p.in_service}
        ordered = sorted(by_code.values(), key=lambda p: p.id)
        position = {p.id: i for i, p in enumerate(ordered)}
        idx_list, ts_list, val_list = [], [], []
        for enterprise_id, parsed, message in parts:
            report.readings += len(parsed.codes)
            ids = np.array(
                [
                    position.get(by_code[(enterprise_id, c)].id, -1) if (enterprise_id, c) in by_code else -1
                    for c in parsed.codes
                ],
                dtype=np.int64,
            )
            unknown = ids < 0
            if unknown.any():
                missing = sorted({c for c, bad in zip(parsed.codes, unknown, strict=True) if bad})
                _dead_letter(session, message, f"unknown sensors: {', '.join(missing[:20])}", now)
                report.dead_letters += 1
                report.unknown += int(unknown.sum())
            keep = ~unknown
            idx_list.append(ids[keep])
            ts_list.append(parsed.ts_ms[keep])
            val_list.append(parsed.values[keep])
        if not ordered:
            return report
        idx = np.concatenate(idx_list)
        ts = np.concatenate(ts_list)
        val = np.concatenate(val_list)
        states = _lock_states(session, [p.id for p in ordered])
        table = engine.SensorTable.build(self._engine_sensors(session, ordered))
        stored_states = [
            domain.SensorState.from_dict(states.get(p.id, {})).fit(table.sensors[i])
            for i, p in enumerate(ordered)
        ]
        engine_state = engine.EngineState.from_states(table, stored_states)
        last = np.array(
            [s.last_ts_ms if s.last_ts_ms is not None else engine.NONE for s in stored_states], dtype=np.int64
        )
        later, same = accepted_mask(idx, ts, last)
        result = engine.evaluate(table, engine_state, idx, ts, val, domain.to_ms(until or now))
        report.evaluated = int(later.sum())
        late = ~later & ~same
        sensor_ids = report.sensor_ids = [p.id for p in ordered]
        stored_late = readings.store_late(session, sensor_ids, idx[late], ts[late], val[late])
        readings.store_blocks(session, sensor_ids, idx[later], ts[later], val[later])
        report.stored = report.evaluated + stored_late
        report.late = int(late.sum())
        report.duplicates = int(same.sum()) + (report.late - stored_late)
        counts = np.bincount(idx[later], minlength=len(ordered))
        late_counts = np.bincount(idx[late], minlength=len(ordered))
        changes = []
        for i, point in enumerate(ordered):
            new_state = result.state.sensor_state(table, i)
            if counts[i] or late_counts[i] or new_state != stored_states[i]:
                change: dict[str, object] = {
                    "sid": point.id,
                    "state": new_state.as_dict(),
                    "n": int(counts[i]),
                    "n_late": int(late_counts[i]),
                    "now": now,
                    "last_ts": None,
                    "last_value": None,
                }
                if counts[i]:
                    last_ms = new_state.last_ts_ms
                    assert last_ms is not None
                    change["last_ts"] = domain.from_ms(last_ms)
                    mine = np.flatnonzero(later & (idx == i))
                    change["last_value"] = float(val[mine[np.argmax(ts[mine])]])
                changes.append(change)
        _save_states(session, changes, set(states))
        events = result.events.to_events(table)
        report.events = len(events)
        report.event_list = events
        if events:
            points = alarms.point_sensors(session, (int(e.sensor_id) for e in events))
            applied = self._apply_events(session, points, events)
            report.alarms_opened, report.alarms_closed = applied.opened, applied.closed
        session.flush()
        return report


@dataclass(frozen=True)
class Point:
    """What ingestion needs to know of a sensor before it evaluates anything."""

    id: int
    enterprise_id: int
    code: str
    version: int
    in_service: bool


def _points(session: Session, wanted: set[tuple[int, str]]) -> list[Point]:
    by_enterprise: dict[int, set[str]] = {}
    for enterprise_id, code in wanted:
        by_enterprise.setdefault(enterprise_id, set()).add(code)
    found: list[Point] = []
    columns = (Sensor.id, Sensor.enterprise_id, Sensor.code, Sensor.version, Sensor.in_service)
    for enterprise_id, codes in by_enterprise.items():
        listed = sorted(codes)
        for start in range(0, len(listed), 1000):
            part = listed[start : start + 1000]
            query = select(*columns).where(Sensor.enterprise_id == enterprise_id, Sensor.code.in_(part))
            found += [Point(*row) for row in session.execute(query)]
    return found


STATES = cast(Table, SensorState.__table__)


def _lock_states(session: Session, sensor_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The stored engine state of these sensors, their rows locked for this transaction (PostgreSQL;
    SQLite's writer lock does the same). Sensors without a row yet are absent."""
    found: dict[int, dict[str, Any]] = {}
    for start in range(0, len(sensor_ids), 1000):
        part = sensor_ids[start : start + 1000]
        query = (
            select(SensorState.sensor_id, SensorState.state)
            .where(SensorState.sensor_id.in_(part))
            .order_by(SensorState.sensor_id)
            .with_for_update()
        )
        found |= {sensor_id: state for sensor_id, state in session.execute(query)}
    return found


def _save_states(session: Session, changes: list[dict[str, object]], existing: set[int]) -> None:
    """Write the changed states in two statements (insert the new rows, update the others)."""
    new = [c for c in changes if c["sid"] not in existing]
    old = [c for c in changes if c["sid"] in existing]
    if new:
        session.execute(
            insert(STATES),
            [
                {
                    "sensor_id": c["sid"],
                    "state": c["state"],
                    "readings": c["n"],
                    "late": c["n_late"],
                    "updated_at": c["now"],
                    "last_ts": c["last_ts"],
                    "last_value": c["last_value"],
                }
                for c in new
            ],
        )
    if old:
        session.execute(
            update(STATES)
            .where(STATES.c.sensor_id == bindparam("sid"))
            .values(
                state=bindparam("state", type_=STATES.c.state.type),
                readings=STATES.c.readings + bindparam("n"),
                late=STATES.c.late + bindparam("n_late"),
                updated_at=bindparam("now", type_=STATES.c.updated_at.type),
                last_ts=func.coalesce(bindparam("last_ts", type_=STATES.c.last_ts.type), STATES.c.last_ts),
                last_value=func.coalesce(bindparam("last_value", type_=Float()), STATES.c.last_value),
            ),
            old,
            execution_options={"synchronize_session": False},
        )


def _dead_letter(session: Session, message: Message, reason: str, now: datetime) -> None:
    text = message.payload[: MAX_LETTER_CHARS * 4].decode("utf-8", errors="replace")[:MAX_LETTER_CHARS]
    session.add(
        DeadLetter(
            received_at=now,
            channel=message.channel,
            origin=message.origin[:300],
            reason=reason[:500],
            payload=text,
        )
    )


def sweep(
    ingestor: Ingestor, session: Session, after_id: int = 0, chunk: int = 5000
) -> tuple[int, IngestReport]:
    """Evaluate up to `chunk` in-service sensors (ids above `after_id`) with no readings at the session
    clock's time, so a sensor that has gone quiet is reported offline and a calibration date that has
    come is reported, even when no message arrives. Returns the last id looked at (0 when done)."""
    columns = (Sensor.id, Sensor.enterprise_id, Sensor.code, Sensor.version, Sensor.in_service)
    query = select(*columns).where(Sensor.id > after_id, Sensor.in_service.is_(True)).order_by(Sensor.id)
    points = [Point(*row) for row in session.execute(query.limit(chunk))]
    report = IngestReport()
    if not points:
        return 0, report
    now = session_clock(session).now()
    states = _lock_states(session, [p.id for p in points])
    table = engine.SensorTable.build(ingestor._engine_sensors(session, points))
    stored = [
        domain.SensorState.from_dict(states.get(p.id, {})).fit(table.sensors[i]) for i, p in enumerate(points)
    ]
    empty_i, empty_f = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    initial = engine.EngineState.from_states(table, stored)
    result = engine.evaluate(table, initial, empty_i, empty_i, empty_f, domain.to_ms(now))
    changes: list[dict[str, object]] = [
        {
            "sid": p.id,
            "state": new.as_dict(),
            "n": 0,
            "n_late": 0,
            "now": now,
            "last_ts": None,
            "last_value": None,
        }
        for i, p in enumerate(points)
        if (new := result.state.sensor_state(table, i)) != stored[i]
    ]
    _save_states(session, changes, set(states))
    events = result.events.to_events(table)
    report.events, report.event_list = len(events), events
    if events:
        event_sensors = alarms.point_sensors(session, (int(e.sensor_id) for e in events))
        applied = ingestor._apply_events(session, event_sensors, events)
        report.alarms_opened, report.alarms_closed = applied.opened, applied.closed
    session.flush()
    return points[-1].id, report
