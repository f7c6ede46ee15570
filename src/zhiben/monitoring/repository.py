"""Monitoring queries: sensors, alarm records and their log, readings, dead letters.

Every query that returns enterprise-bound rows applies the principal's scope in SQL
(`scope_condition` over the division and enterprise columns that sensors and alarms carry). The
timer jobs' queries (`shelved_alarms`, `escalation_candidates`) and the lookups by a sensor already
found in scope (`open_alarm`, `readings`, `alarm_log`) take no principal, and say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, division_prefix
from zhiben.auth.scope import ScopedColumns, division_condition, scope_condition
from zhiben.kit.pagination import Page, PageRequest
from zhiben.monitoring import domain
from zhiben.monitoring import readings as stored_readings
from zhiben.monitoring.models import Alarm, AlarmLogEntry, DeadLetter, Sensor, SensorState

SENSOR_COLUMNS = ScopedColumns(
    enterprise_id=Sensor.enterprise_id,
    province_code=Sensor.province_code,
    city_code=Sensor.city_code,
    county_code=Sensor.county_code,
    sector=Sensor.sector,
)
ALARM_COLUMNS = ScopedColumns(
    enterprise_id=Alarm.enterprise_id,
    province_code=Alarm.province_code,
    city_code=Alarm.city_code,
    county_code=Alarm.county_code,
    sector=Alarm.sector,
)


def scoped_sensors(principal: Principal) -> ColumnElement[bool]:
    return scope_condition(principal, SENSOR_COLUMNS)


def scoped_alarms(principal: Principal) -> ColumnElement[bool]:
    return scope_condition(principal, ALARM_COLUMNS)


# ---- sensors --------------------------------------------------------------------------------


def get_sensor(session: Session, principal: Principal, sensor_id: int) -> Sensor | None:
    return session.scalars(select(Sensor).where(Sensor.id == sensor_id, scoped_sensors(principal))).first()


def sensors_with_state(
    session: Session, principal: Principal, enterprise_id: int
) -> list[tuple[Sensor, SensorState | None]]:
    """The enterprise's sensors (in scope) by code, each with the engine's state row if it has one."""
    query = (
        select(Sensor, SensorState)
        .outerjoin(SensorState, SensorState.sensor_id == Sensor.id)
        .where(Sensor.enterprise_id == enterprise_id, scoped_sensors(principal))
        .order_by(Sensor.code)
    )
    return [(row[0], row[1]) for row in session.execute(query)]


def sensor_state(session: Session, sensor_id: int) -> SensorState | None:
    """Unscoped: for a sensor the caller has already found in scope."""
    return session.get(SensorState, sensor_id)


def readings(
    session: Session, sensor_id: int, since: datetime | None, until: datetime | None, limit: int
) -> list[tuple[datetime, float]]:
    """Unscoped: one sensor's readings in [since, until), oldest first, at most `limit`."""
    ts, values = stored_readings.series(session, sensor_id, since, until)
    return [(domain.from_ms(t), v) for t, v in zip(ts[:limit].tolist(), values[:limit].tolist(), strict=True)]


# ---- alarms ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlarmFilter:
    enterprise_id: int | None = None
    sensor_id: int | None = None
    division: str = ""  # a 6-digit code; its prefix selects
    is_open: bool | None = None
    state: str | None = None
    priority: str | None = None
    condition: str | None = None  # exact (alarm:hihi), or a family (alarm matches alarm:*)
    since: datetime | None = None  # opened at or after


def get_alarm(
    session: Session, principal: Principal, alarm_id: int, *, for_update: bool = False
) -> Alarm | None:
    query = select(Alarm).where(Alarm.id == alarm_id, scoped_alarms(principal))
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def _filtered(principal: Principal, flt: AlarmFilter) -> Select[Alarm]:
    query = select(Alarm).where(scoped_alarms(principal))
    if flt.enterprise_id is not None:
        query = query.where(Alarm.enterprise_id == flt.enterprise_id)
    if flt.sensor_id is not None:
        query = query.where(Alarm.sensor_id == flt.sensor_id)
    if flt.division:
        query = query.where(division_condition(division_prefix(flt.division), ALARM_COLUMNS))
    if flt.is_open is not None:
        query = query.where(Alarm.open_key.is_not(None) if flt.is_open else Alarm.open_key.is_(None))
    if flt.state:
        query = query.where(Alarm.state == flt.state)
    if flt.priority:
        query = query.where(Alarm.priority == flt.priority)
    if flt.condition:
        family = Alarm.condition.startswith(f"{flt.condition}:", autoescape=True)
        query = query.where(or_(Alarm.condition == flt.condition, family))
    if flt.since is not None:
        query = query.where(Alarm.opened_at >= flt.since)
    return query


def page_alarms(
    session: Session, principal: Principal, flt: AlarmFilter, request: PageRequest
) -> Page[Alarm]:
    """Newest first (by the time the record opened)."""
    query = _filtered(principal, flt)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(Alarm.opened_at.desc(), Alarm.id.desc())
    items = session.scalars(ordered.offset(request.offset).limit(request.size)).all()
    return Page(list(items), total, request.page, request.size)


def open_alarm(session: Session, sensor_id: int, condition: str, *, for_update: bool = False) -> Alarm | None:
    """Unscoped: the open record of one alarm point of a sensor already found in scope."""
    query = select(Alarm).where(
        Alarm.sensor_id == sensor_id, Alarm.condition == condition, Alarm.open_key.is_not(None)
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def alarm_log(session: Session, alarm_ids: Sequence[int]) -> list[AlarmLogEntry]:
    """Unscoped: the log of records already found in scope, in order (by record, then time)."""
    found: list[AlarmLogEntry] = []
    ids = sorted(set(alarm_ids))
    for start in range(0, len(ids), 1000):
        query = select(AlarmLogEntry).where(AlarmLogEntry.alarm_id.in_(ids[start : start + 1000]))
        found += session.scalars(query.order_by(AlarmLogEntry.alarm_id, AlarmLogEntry.at, AlarmLogEntry.id))
    return found


def alarms_overlapping(
    session: Session, principal: Principal, enterprise_id: int, start: datetime, end: datetime
) -> list[Alarm]:
    """The enterprise's records that were open at some time in [start, end): opened before `end`, and
    still open or closed at or after `start`."""
    query = select(Alarm).where(
        scoped_alarms(principal),
        Alarm.enterprise_id == enterprise_id,
        Alarm.opened_at < end,
        or_(Alarm.closed_at.is_(None), Alarm.closed_at >= start),
    )
    return list(session.scalars(query.order_by(Alarm.id)))


# ---- the timer jobs' queries (unscoped: they act for the system on every enterprise) ---------


def shelved_alarms(session: Session, after_id: int, size: int) -> list[Alarm]:
    """Unscoped: shelved records with an id above `after_id`, by id (keyset pages), locked where the
    database can (rows another transaction holds are skipped and taken on a later run)."""
    query = (
        select(Alarm)
        .where(Alarm.state == "shelved", Alarm.open_key.is_not(None), Alarm.id > after_id)
        .order_by(Alarm.id)
        .limit(size)
    )
    return list(session.scalars(query.with_for_update(skip_locked=True)))


def escalation_candidates(session: Session, now: datetime, size: int) -> list[Alarm]:
    """Unscoped: unacknowledged records not yet escalated whose response time ran out before `now`,
    oldest annunciation first. Response times are few distinct values, so the deadline is compared
    per value with plain timestamps, the same on SQLite and PostgreSQL."""
    waiting = and_(Alarm.state == "unacknowledged", Alarm.escalated_at.is_(None), Alarm.open_key.is_not(None))
    response_times = session.scalars(select(Alarm.response_s).where(waiting).distinct()).all()
    overdue = [
        and_(Alarm.response_s == seconds, Alarm.annunciated_at < now - timedelta(seconds=seconds))
        for seconds in response_times
    ]
    query = (
        select(Alarm)
        .where(waiting, or_(false(), *overdue))
        .order_by(Alarm.annunciated_at, Alarm.id)
        .limit(size)
    )
    return list(session.scalars(query.with_for_update(skip_locked=True)))


# ---- dead letters (not bound to an enterprise: administrators only, checked by the caller) ----


def page_dead_letters(
    session: Session, request: PageRequest, channel: str | None = None, since: datetime | None = None
) -> Page[DeadLetter]:
    query = select(DeadLetter)
    if channel:
        query = query.where(DeadLetter.channel == channel)
    if since is not None:
        query = query.where(DeadLetter.received_at >= since)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(DeadLetter.received_at.desc(), DeadLetter.id.desc())
    items = session.scalars(ordered.offset(request.offset).limit(request.size)).all()
    return Page(list(items), total, request.page, request.size)
