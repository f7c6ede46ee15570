"""The set-based persistence of alarm events stores exactly what the one-by-one reference stores (records,
versions, log, audit), for random event streams with operator actions between the batches; and its
optimistic lock still catches an operator action that came in between reading and writing."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tests.builders import Db
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import SYSTEM
from zhiben.db.uow import session_clock
from zhiben.monitoring import alarm_states as isa
from zhiben.monitoring import alarms, domain, handling
from zhiben.monitoring.models import Alarm, AlarmLogEntry, Sensor
from zhiben.monitoring.sensors import SensorDraft, register_sensor

SENSORS = 3
POINTS = [
    (domain.Condition.alarm, "hi"),
    (domain.Condition.power_off, None),
    (domain.Condition.offline, None),
    (domain.Condition.stuck, None),
]
Abstract = tuple[int, int, int, bool, float | None]  # sensor index, point index, seconds, active, value


def _mine(db: Db) -> list[int]:
    enterprise = db.enterprise(county="140213", sector="coal_mine")
    ids = []
    for n in range(SENSORS):
        draft = SensorDraft(
            code=f"CH4-{n}", kind="methane", unit="%CH4", location_code="T1", range_min=0, range_max=4
        )
        ids.append(db.act(register_sensor, SYSTEM, enterprise, draft).id)
    return ids


def _events(db: Db, sensor_ids: list[int], stream: list[Abstract]) -> list[domain.AlarmEvent]:
    now = db.clock.now()
    return [
        domain.AlarmEvent(
            str(sensor_ids[s]),
            now + timedelta(seconds=t),
            POINTS[p][0],
            POINTS[p][1],
            domain.Phase.active if active else domain.Phase.cleared,
            value,
        )
        for s, p, t, active, value in stream
    ]


def _apply(
    db: Db, writer: alarms.EventWriter, sensor_ids: list[int], stream: list[Abstract]
) -> alarms.Applied:
    events = _events(db, sensor_ids, stream)
    with db.uow() as uow:
        rows = {str(r.id): r for r in uow.session.scalars(select(Sensor).where(Sensor.id.in_(sensor_ids)))}
        return writer(uow.session, rows, events)


def _stream(rng: random.Random) -> list[Abstract]:
    out, t = [], 0
    for _ in range(rng.randint(0, 25)):
        t += rng.choice([0, 0, 1, 5])
        value = rng.choice([None, 0.4, 1.1, 1.3, 1.7, 2.5])
        out.append((rng.randrange(SENSORS), rng.randrange(len(POINTS)), t, rng.random() < 0.55, value))
    return out


def _act(session: Session, rng_state: int, sensor_ids: list[int]) -> None:
    """The same operator actions on the same records of either mine: the n-th open record by id gets
    the n-th choice of a generator seeded alike."""
    rng = random.Random(rng_state)
    until = session_clock(session).now() + timedelta(hours=1)
    rows = session.scalars(
        select(Alarm).where(Alarm.sensor_id.in_(sensor_ids), Alarm.open_key.is_not(None)).order_by(Alarm.id)
    ).all()
    actions: dict[isa.Action, Callable[[int], Any]] = {
        isa.Action.acknowledge: partial(handling.acknowledge_alarm, session, SYSTEM),
        isa.Action.shelve: lambda alarm_id: handling.shelve_alarm(session, SYSTEM, alarm_id, until, "检修"),
        isa.Action.unshelve: partial(handling.unshelve_alarm, session, SYSTEM),
        isa.Action.suppress: lambda alarm_id: handling.suppress_alarm(session, SYSTEM, alarm_id, "停产"),
        isa.Action.unsuppress: partial(handling.unsuppress_alarm, session, SYSTEM),
        isa.Action.remove_from_service: lambda alarm_id: handling.remove_alarm_from_service(
            session, SYSTEM, alarm_id, "校准"
        ),
        isa.Action.return_to_service: partial(handling.return_alarm_to_service, session, SYSTEM),
    }
    for row in rows:
        choice = rng.choice([None, *actions])
        if choice is not None and choice.value in handling.actions_for(SYSTEM, row):
            actions[choice](row.id)


def _stored(db: Db, sensor_ids: list[int]) -> dict[str, list[Any]]:
    """What is stored for these sensors, with ids replaced by their rank (sensors by position)."""
    sensor_rank = {sid: n for n, sid in enumerate(sensor_ids)}
    with db.uow(write=False) as uow:
        rows = uow.session.execute(
            select(Alarm.__table__, Alarm.suppression.is_(None).label("suppression_is_sql_null"))
            .where(Alarm.sensor_id.in_(sensor_ids))
            .order_by(Alarm.id)
        ).mappings()
        records = [dict(r) for r in rows]
        rank = {r["id"]: n for n, r in enumerate(records)}
        for r in records:
            r["id"], r["sensor_id"] = rank[r["id"]], sensor_rank[r["sensor_id"]]
            r["enterprise_id"] = None
            r["open_key"] = r["open_key"] and r["open_key"].replace(str(sensor_ids[r["sensor_id"]]), "S")
        log = [
            (rank[e.alarm_id], e.at, e.action, e.actor, e.state_after, e.detail)
            for e in uow.session.scalars(
                select(AlarmLogEntry).where(AlarmLogEntry.alarm_id.in_(rank)).order_by(AlarmLogEntry.id)
            )
        ]
        audit = []
        for entry in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.object_type == "alarm").order_by(AuditEntry.seq)
        ):
            if int(entry.object_id) not in rank:
                continue
            sides = [
                None if side is None else side | {"sensor_id": sensor_rank[side["sensor_id"]]}
                for side in (entry.before, entry.after)
            ]
            audit.append((entry.action, entry.actor, rank[int(entry.object_id)], entry.at, *sides))
    return {"records": records, "log": log, "audit": audit}


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_set_based_writes_store_what_the_reference_stores(db: Db, seed: int) -> None:
    reference, set_based = _mine(db), _mine(db)
    rng = random.Random(seed)
    for _ in range(12):
        stream = _stream(rng)
        expected = _apply(db, alarms.apply_engine_events_reference, reference, stream)
        got = _apply(db, alarms.apply_engine_events, set_based, stream)
        assert got == expected
        db.clock.advance(timedelta(minutes=1))
        state = rng.randrange(1 << 30)
        db.act(_act, state, reference)
        db.act(_act, state, set_based)
        db.clock.advance(timedelta(minutes=1))
    want, have = _stored(db, reference), _stored(db, set_based)
    assert len(want["records"]) > 3 and len(want["log"]) > 10  # the streams did something
    assert have == want


def test_an_operator_action_between_reading_and_writing_is_caught_by_the_version(db: Db) -> None:
    sensor_ids = _mine(db)
    _apply(db, alarms.apply_engine_events, sensor_ids, [(0, 0, 0, True, 1.2)])
    db.clock.advance(timedelta(minutes=1))
    with db.uow() as uow:
        session = uow.session
        sensors = {str(r.id): r for r in session.scalars(select(Sensor).where(Sensor.id.in_(sensor_ids)))}
        events = _events(db, sensor_ids, [(0, 0, 0, False, 0.4)])
        plan = alarms.plan_events(alarms.read_open(session, [sensor_ids[0]]), sensors, events)
        alarm_id = session.scalars(select(Alarm.id)).one()
        handling.acknowledge_alarm(session, SYSTEM, alarm_id)  # as if another transaction had, first
        with pytest.raises(StaleDataError):
            alarms.write_plan(session, plan)


def test_a_record_an_operator_loaded_is_read_fresh_after_the_bulk_write(db: Db) -> None:
    sensor_ids = _mine(db)
    _apply(db, alarms.apply_engine_events, sensor_ids, [(0, 0, 0, True, 1.2)])
    with db.uow() as uow:
        row = uow.session.scalars(select(Alarm)).one()
        assert (row.state, row.version) == ("unacknowledged", 1)
        sensors = {str(r.id): r for r in uow.session.scalars(select(Sensor))}
        applied = alarms.apply_engine_events(
            uow.session, sensors, _events(db, sensor_ids, [(0, 0, 5, False, 0.4)])
        )
        assert applied.changed == 1
        assert (row.state, row.version) == (isa.AlarmState.returned_unacknowledged.value, 2)
        handling.acknowledge_alarm(uow.session, SYSTEM, row.id, row.version)
        assert (row.state, row.version, row.closed_by) == ("normal", 3, "acknowledge")
