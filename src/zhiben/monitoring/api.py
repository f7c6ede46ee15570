"""Monitoring endpoints: the sensor registry with health, readings, alarms and their handling (ISA-18.2),
alarm KPIs and the dead letters of ingestion."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from zhiben.auth.api import ERROR_RESPONSES, MAX_ID, Ctx, IfMatch, ObjectId
from zhiben.auth.domain import Principal, Role
from zhiben.errors import InvalidInputError, PermissionDeniedError
from zhiben.kit.pagination import PageRequest
from zhiben.monitoring import handling, repository
from zhiben.monitoring.alarm_states import AlarmKey, AlarmState, Priority
from zhiben.monitoring.kpi import KpiReport
from zhiben.monitoring.models import Alarm, Sensor
from zhiben.monitoring.schemas import (
    AlarmAssignIn,
    AlarmCommentIn,
    AlarmDetail,
    AlarmKpisRead,
    AlarmLogRead,
    AlarmPage,
    AlarmPointCount,
    AlarmRead,
    AlarmReasonIn,
    AlarmShelveIn,
    DeadLetterPage,
    DeadLetterRead,
    Instant,
    KpiResultRead,
    PointReasonIn,
    PointShelveIn,
    ReadingList,
    ReadingRead,
    SensorCreate,
    SensorHealthRead,
    SensorRead,
)
from zhiben.monitoring.sensors import register_sensor

router = APIRouter(prefix="/api/v1", tags=["monitoring"], responses=ERROR_RESPONSES)

MAX_READINGS = 10_000
ALARM_FIELDS = tuple(name for name in AlarmRead.model_fields if name not in ("is_open", "actions"))


def _sensor(sensor: Sensor, health: handling.Health | None) -> SensorRead:
    read = SensorRead.model_validate(sensor)
    if health is None:
        return read
    return read.model_copy(
        update={
            "health": SensorHealthRead(
                status=health.status,
                flags=list(health.flags),
                last_ts=health.last_ts,
                last_value=health.last_value,
            )
        }
    )


def _alarm(principal: Principal, row: Alarm) -> AlarmRead:
    data = {name: getattr(row, name) for name in ALARM_FIELDS}
    return AlarmRead(**data, is_open=row.open_key is not None, actions=handling.actions_for(principal, row))


def _detail(ctx: Ctx, session: Session, row: Alarm, response: Response) -> AlarmDetail:
    response.headers["ETag"] = f'"{row.version}"'
    entries = [AlarmLogRead.model_validate(e) for e in handling.log_of(session, row)]
    return AlarmDetail(**_alarm(ctx.principal, row).model_dump(), log=entries)


# ---- sensors --------------------------------------------------------------------------------


@router.post(
    "/enterprises/{enterprise_id}/sensors", response_model=SensorRead, status_code=status.HTTP_201_CREATED
)
def create_sensor(ctx: Ctx, enterprise_id: ObjectId, body: SensorCreate) -> SensorRead:
    """Register a sensor: its limits come from the tables for its kind and location (with the
    overrides in `settings`); each alarm condition may carry its rationalisation."""
    with ctx.write() as session:
        sensor = register_sensor(session, ctx.principal, enterprise_id, body.draft())
        now = ctx.state.clock.now()
        return _sensor(sensor, handling.health_of(sensor, None, now))


@router.get("/enterprises/{enterprise_id}/sensors", response_model=list[SensorRead])
def list_sensors(ctx: Ctx, enterprise_id: ObjectId) -> list[SensorRead]:
    """The enterprise's sensors with each one's latest value and health (a sensor without data, past
    its offline deadline, stuck or out of range is never `normal`)."""
    with ctx.read() as session:
        return [_sensor(s, h) for s, h in handling.sensors_with_health(session, ctx.principal, enterprise_id)]


@router.get("/sensors/{sensor_id}", response_model=SensorRead)
def get_sensor(ctx: Ctx, sensor_id: ObjectId) -> SensorRead:
    with ctx.read() as session:
        sensor = handling.get_sensor(session, ctx.principal, sensor_id)
        state = repository.sensor_state(session, sensor.id)
        return _sensor(sensor, handling.health_of(sensor, state, ctx.state.clock.now()))


@router.get("/sensors/{sensor_id}/readings", response_model=ReadingList)
def list_readings(
    ctx: Ctx,
    sensor_id: ObjectId,
    since: Annotated[Instant | None, Query(description="from this time (inclusive)")] = None,
    until: Annotated[Instant | None, Query(description="before this time")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_READINGS)] = 1000,
) -> ReadingList:
    """Readings oldest first, at most `limit`; when more follow, ask again from `next_since`."""
    with ctx.read() as session:
        sensor = handling.get_sensor(session, ctx.principal, sensor_id)
        rows = repository.readings(session, sensor.id, since, until, limit + 1)
        more = len(rows) > limit
        items = [ReadingRead(ts=ts, value=value) for ts, value in rows[:limit]]
        return ReadingList(
            sensor_id=sensor.id,
            items=items,
            is_truncated=more,
            next_since=rows[limit][0] if more else None,
        )


def _on_point(ctx: Ctx, response: Response, act: Callable[[Session, Principal], Alarm]) -> AlarmDetail:
    with ctx.write() as session:
        return _detail(ctx, session, act(session, ctx.principal), response)


@router.post("/sensors/{sensor_id}/shelve", response_model=AlarmDetail)
def shelve_point(ctx: Ctx, sensor_id: ObjectId, body: PointShelveIn, response: Response) -> AlarmDetail:
    """Shelve (搁置) one alarm point of the sensor until a time: its open record, or a new one."""
    return _on_point(
        ctx,
        response,
        lambda s, p: handling.shelve_point(s, p, sensor_id, body.condition, body.until, body.reason),
    )


@router.post("/sensors/{sensor_id}/suppress", response_model=AlarmDetail)
def suppress_point(ctx: Ctx, sensor_id: ObjectId, body: PointReasonIn, response: Response) -> AlarmDetail:
    """Suppress by design (设计抑制) one alarm point of the sensor: its open record, or a new one."""
    return _on_point(
        ctx, response, lambda s, p: handling.suppress_point(s, p, sensor_id, body.condition, body.reason)
    )


@router.post("/sensors/{sensor_id}/remove-from-service", response_model=AlarmDetail)
def remove_point_from_service(
    ctx: Ctx, sensor_id: ObjectId, body: PointReasonIn, response: Response
) -> AlarmDetail:
    """Take one alarm point of the sensor out of service (停用): its open record, or a new one."""
    return _on_point(
        ctx,
        response,
        lambda s, p: handling.remove_point_from_service(s, p, sensor_id, body.condition, body.reason),
    )


# ---- alarms ---------------------------------------------------------------------------------


@router.get("/alarms", response_model=AlarmPage)
def list_alarms(
    ctx: Ctx,
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    sensor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    division: Annotated[str, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$", description="2, 4 or 6 digits")] = "",
    is_open: Annotated[
        bool | None, Query(alias="open", description="only open (true) or only closed (false) records")
    ] = None,
    state: Annotated[AlarmState | None, Query()] = None,
    priority: Annotated[Priority | None, Query()] = None,
    condition: Annotated[
        str | None,
        Query(max_length=40, pattern=r"^[a-z_]+(:[a-z0-9_]+)?$", description="alarm, alarm:hihi, offline"),
    ] = None,
    since: Annotated[Instant | None, Query(description="opened at or after")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AlarmPage:
    """Alarm records in the caller's scope, newest first."""
    flt = repository.AlarmFilter(
        enterprise_id=enterprise_id,
        sensor_id=sensor_id,
        division=division.ljust(6, "0") if division else "",
        is_open=is_open,
        state=state.value if state else None,
        priority=priority.value if priority else None,
        condition=condition,
        since=since,
    )
    with ctx.read() as session:
        result = repository.page_alarms(session, ctx.principal, flt, PageRequest(page, size))
        return AlarmPage(
            items=[_alarm(ctx.principal, row) for row in result.items],
            total=result.total,
            page=result.page,
            size=result.size,
        )


@router.get("/alarms/{alarm_id}", response_model=AlarmDetail)
def get_alarm(ctx: Ctx, alarm_id: ObjectId, response: Response) -> AlarmDetail:
    """One alarm record with its log; the ETag is its version, for If-Match on actions."""
    with ctx.read() as session:
        return _detail(ctx, session, handling.get_alarm(session, ctx.principal, alarm_id), response)


def _act(ctx: Ctx, response: Response, act: Callable[[Session, Principal], Alarm]) -> AlarmDetail:
    with ctx.write() as session:
        return _detail(ctx, session, act(session, ctx.principal), response)


@router.post("/alarms/{alarm_id}/acknowledge", response_model=AlarmDetail)
def acknowledge(ctx: Ctx, alarm_id: ObjectId, version: IfMatch, response: Response) -> AlarmDetail:
    """Acknowledge (确认): unacknowledged → acknowledged; returned-to-normal unacknowledged → closed."""
    return _act(ctx, response, lambda s, p: handling.acknowledge_alarm(s, p, alarm_id, version))


@router.post("/alarms/{alarm_id}/shelve", response_model=AlarmDetail)
def shelve(
    ctx: Ctx, alarm_id: ObjectId, body: AlarmShelveIn, version: IfMatch, response: Response
) -> AlarmDetail:
    """Shelve (搁置) until a time; the shelving timer re-evaluates it then."""
    return _act(
        ctx, response, lambda s, p: handling.shelve_alarm(s, p, alarm_id, body.until, body.reason, version)
    )


@router.post("/alarms/{alarm_id}/unshelve", response_model=AlarmDetail)
def unshelve(ctx: Ctx, alarm_id: ObjectId, version: IfMatch, response: Response) -> AlarmDetail:
    return _act(ctx, response, lambda s, p: handling.unshelve_alarm(s, p, alarm_id, version))


@router.post("/alarms/{alarm_id}/suppress", response_model=AlarmDetail)
def suppress(
    ctx: Ctx, alarm_id: ObjectId, body: AlarmReasonIn, version: IfMatch, response: Response
) -> AlarmDetail:
    """Suppress by design (设计抑制)."""
    return _act(ctx, response, lambda s, p: handling.suppress_alarm(s, p, alarm_id, body.reason, version))


@router.post("/alarms/{alarm_id}/unsuppress", response_model=AlarmDetail)
def unsuppress(ctx: Ctx, alarm_id: ObjectId, version: IfMatch, response: Response) -> AlarmDetail:
    return _act(ctx, response, lambda s, p: handling.unsuppress_alarm(s, p, alarm_id, version))


@router.post("/alarms/{alarm_id}/remove-from-service", response_model=AlarmDetail)
def remove_from_service(
    ctx: Ctx, alarm_id: ObjectId, body: AlarmReasonIn, version: IfMatch, response: Response
) -> AlarmDetail:
    """Out of service (停用), e.g. for maintenance."""
    return _act(
        ctx, response, lambda s, p: handling.remove_alarm_from_service(s, p, alarm_id, body.reason, version)
    )


@router.post("/alarms/{alarm_id}/return-to-service", response_model=AlarmDetail)
def return_to_service(ctx: Ctx, alarm_id: ObjectId, version: IfMatch, response: Response) -> AlarmDetail:
    return _act(ctx, response, lambda s, p: handling.return_alarm_to_service(s, p, alarm_id, version))


@router.post("/alarms/{alarm_id}/comment", response_model=AlarmDetail)
def comment(
    ctx: Ctx, alarm_id: ObjectId, body: AlarmCommentIn, version: IfMatch, response: Response
) -> AlarmDetail:
    return _act(ctx, response, lambda s, p: handling.comment_on_alarm(s, p, alarm_id, body.text, version))


@router.post("/alarms/{alarm_id}/assign", response_model=AlarmDetail)
def assign(
    ctx: Ctx, alarm_id: ObjectId, body: AlarmAssignIn, version: IfMatch, response: Response
) -> AlarmDetail:
    return _act(ctx, response, lambda s, p: handling.assign_alarm(s, p, alarm_id, body.assignee, version))


# ---- KPIs and dead letters ------------------------------------------------------------------


def _kpis(report: KpiReport, enterprise_id: int, positions: int) -> AlarmKpisRead:
    results = [
        KpiResultRead(
            kpi=r.kpi,
            value=r.value,
            target=r.target.text if r.target else None,
            upper_limit=f"{r.target.upper_limit.op} {r.target.upper_limit.value:g}"
            if r.target and r.target.upper_limit
            else None,
            unit=r.target.unit if r.target else None,
            verdict=r.verdict.value if r.verdict else None,
            source_id=r.target.source_id if r.target else None,
        )
        for r in report.results.values()
    ]

    def points(keys: frozenset[AlarmKey]) -> list[AlarmPointCount]:
        return [AlarmPointCount(sensor_id=k.sensor_id, condition=k.condition) for k in sorted(keys, key=str)]

    return AlarmKpisRead(
        enterprise_id=enterprise_id,
        start=report.start,
        end=report.end,
        operator_positions=positions,
        annunciations=report.annunciations,
        results=results,
        chattering=points(report.chattering),
        fleeting=points(report.fleeting),
        stale_by_day=list(report.stale_by_day),
        top10=[
            AlarmPointCount(sensor_id=k.sensor_id, condition=k.condition, count=n) for k, n in report.top10
        ],
        priority_shares_pct={p.value: v for p, v in report.priority_shares_pct.items()},
        low_priority_target=report.low_priority_target,
    )


@router.get("/enterprises/{enterprise_id}/alarm-kpis", response_model=AlarmKpisRead)
def alarm_kpis(
    ctx: Ctx,
    enterprise_id: ObjectId,
    start: Annotated[Instant | None, Query(description="default: seven days before end")] = None,
    end: Annotated[Instant | None, Query(description="default: now")] = None,
    operator_positions: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> AlarmKpisRead:
    """Alarm-system KPIs (ISA-18.2, EEMUA 191) over [start, end), each against its reference target."""
    end = end or ctx.state.clock.now()
    start = start or end - timedelta(days=7)
    if end <= start:
        raise InvalidInputError("end", "not_after_start", "the period must end after it starts")
    with ctx.read() as session:
        report = handling.alarm_kpis(session, ctx.principal, enterprise_id, start, end, operator_positions)
        return _kpis(report, enterprise_id, operator_positions)


@router.get("/dead-letters", response_model=DeadLetterPage)
def list_dead_letters(
    ctx: Ctx,
    channel: Annotated[Literal["mqtt", "http", "file"] | None, Query()] = None,
    since: Annotated[Instant | None, Query(description="received at or after")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeadLetterPage:
    """Messages ingestion could not take, with the reason (administrators only)."""
    if ctx.principal.role != Role.admin:
        raise PermissionDeniedError(action="dead_letters.read")
    with ctx.read() as session:
        result = repository.page_dead_letters(session, PageRequest(page, size), channel, since)
        return DeadLetterPage(
            items=[DeadLetterRead.model_validate(d) for d in result.items],
            total=result.total,
            page=result.page,
            size=result.size,
        )
