"""The simulator: deterministic, realistic streams that cross the limits they should, faults in the shares
asked for, fed in-process through the Ingestor or published to the MQTT broker."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import threading
import uuid
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.builders import Db
from zhiben.audit.service import verify_chain
from zhiben.auth.domain import SYSTEM
from zhiben.cli.main import app
from zhiben.demo.load import seed_monitoring
from zhiben.monitoring import domain, limits, readings
from zhiben.monitoring.ingest import Ingestor, parse
from zhiben.monitoring.models import Alarm, Sensor
from zhiben.monitoring.sensors import SensorDraft, register_sensor
from zhiben.monitoring.simulate import (
    NO_FAULTS,
    Faults,
    Point,
    Simulator,
    feed,
    history,
    point_of,
    topic_for,
)

MQTT_URL = os.environ.get("ZHIBEN_TEST_MQTT_URL", "")
T0 = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)  # midnight in Beijing: the maintenance shift begins
T0_MS = domain.to_ms(T0)
HOUR = 3_600_000


def methane(enterprise_id: int = 1, tag: str = "T1", code: str = "", period_s: float = 30.0) -> Point:
    return Point.of_limits(
        enterprise_id,
        code or f"CH4-{tag}",
        "methane",
        period_s,
        limits=limits.limits_for("methane", tag, "%CH4"),
        location_code=tag,
        range_min=0.0,
        range_max=4.0,
    )


def tank(enterprise_id: int, n: int, period_s: float = 60.0) -> Point:
    settings = {"hi": 85.0, "hihi": 92.0, "lo": 15.0, "lolo": 8.0}
    return Point.of_limits(
        enterprise_id,
        f"LT-{n}",
        "liquid_level",
        period_s,
        limits=limits.with_overrides((), settings),
        location_code="tank",
        range_min=0.0,
        range_max=100.0,
    )


def plant(enterprise_id: int) -> list[Point]:
    gas = limits.limits_for("combustible_gas", "GB50493", "%LEL")
    return [
        tank(enterprise_id, 1),
        tank(enterprise_id, 2),
        Point.of_limits(enterprise_id, "GT-1", "combustible_gas", 60, limits=gas, range_min=0, range_max=100),
        Point.of_limits(enterprise_id, "KD-1", "power_on", 60, range_min=0, range_max=1),
    ]


def test_the_same_seed_gives_the_same_readings_and_another_seed_others() -> None:
    points = [methane(1), *plant(2), *plant(3)]
    runs = []
    for seed in (5, 5, 6):
        sim = Simulator(points, seed, faults=Faults(dropout=0.05, stuck=0.05, spike=0.01))
        batches = [sim.window(T0_MS + i * HOUR, T0_MS + (i + 1) * HOUR) for i in range(3)]
        runs.append([(b.index.tolist(), b.ts_ms.tolist(), b.values.tolist()) for b in batches])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_a_point_keeps_its_character_whatever_else_is_simulated() -> None:
    alone = Simulator([methane(1)], 5, faults=NO_FAULTS, excursions_per_day=0).window(T0_MS, T0_MS + HOUR)
    crowd = Simulator([*plant(2), methane(1)], 5, faults=NO_FAULTS, excursions_per_day=0)
    mixed = crowd.window(T0_MS, T0_MS + HOUR)
    mine = mixed.index == 4
    assert mixed.ts_ms[mine].tolist() == alone.ts_ms.tolist()  # the same sampling grid
    assert abs(mixed.values[mine].mean() - alone.values.mean()) < 0.02  # the same typical value


def test_windows_follow_each_other_without_gaps_or_repeats() -> None:
    points = [methane(1, period_s=7.0), tank(2, 1, period_s=60.0)]
    sim = Simulator(points, 1, faults=NO_FAULTS)
    cuts = [T0_MS, T0_MS + 12_345, T0_MS + 600_000, T0_MS + 600_001, T0_MS + HOUR]
    batches = [sim.window(a, b) for a, b in itertools.pairwise(cuts)]
    for i, period in ((0, 7_000), (1, 60_000)):
        ts = np.concatenate([b.ts_ms[b.index == i] for b in batches])
        assert (np.diff(ts) == period).all()
        assert ts[0] - T0_MS < period and T0_MS + HOUR - ts[-1] <= period


def test_methane_is_lower_on_the_maintenance_shift() -> None:
    sim = Simulator(
        [methane(1, tag) for tag in ("T0", "T1", "T2")], 3, faults=NO_FAULTS, excursions_per_day=0
    )
    day = sim.window(T0_MS, T0_MS + 24 * HOUR)
    local_hour = ((day.ts_ms - T0_MS) // HOUR) % 24  # T0 is 00:00 in Beijing
    maintenance = day.values[local_hour < 8].mean()
    production = day.values[local_hour >= 8].mean()
    assert maintenance < 0.7 * production
    assert 0.15 < production < 0.6  # %CH4: well below the 1.0 % alarm in normal work


def test_tanks_fill_and_drain_between_their_operating_levels() -> None:
    sim = Simulator([tank(1, n) for n in range(1, 6)], 4, faults=NO_FAULTS, excursions_per_day=0)
    day = sim.window(T0_MS, T0_MS + 24 * HOUR)
    for n in range(5):
        level = day.values[day.index == n]
        assert 15.0 < level.min() < 35.0 and 65.0 < level.max() < 85.0  # inside lo..hi, a full cycle
        assert np.abs(np.diff(level)).max() < 2.0  # it moves like a liquid, not in jumps


def test_excursions_cross_the_setpoints_and_power_goes_off_with_methane() -> None:
    mine = [methane(1, "T1"), Point.of_limits(1, "KD-01", "power_on", 30, range_min=0, range_max=1)]
    sim = Simulator(mine, 8, faults=NO_FAULTS, excursions_per_day=48)
    batch = sim.window(T0_MS, T0_MS + 24 * HOUR)
    gas, power = batch.values[batch.index == 0], batch.values[batch.index == 1]
    assert gas.max() >= 1.5 and gas.max() <= 4.0  # past power-off (T1: ≥ 1.5 %), inside the range
    assert set(np.unique(power)) == {0.0, 1.0}
    assert (power[gas >= 1.5] == 0).all()  # 断电 at or above the power-off value
    assert (power[gas >= 1.0] == 0).sum() < (gas >= 1.0).sum()  # power returns below 1.0 only


def test_a_methane_excursion_opens_a_power_off_alarm_through_the_ingestor(db: Db) -> None:
    enterprise = db.enterprise(county="140213", sector="coal_mine")
    draft = SensorDraft(
        code="CH4-T1",
        kind="methane",
        unit="%CH4",
        location_code="T1",
        range_min=0,
        range_max=4,
        sampling_period_s=30,
    )
    db.act(register_sensor, SYSTEM, enterprise, draft)
    start = db.clock.now()
    with db.uow(write=False) as uow:
        points = [point_of(row) for row in uow.session.scalars(select(Sensor))]
    sim = Simulator(points, 8, faults=NO_FAULTS, excursions_per_day=48)
    ingestor = Ingestor()
    for moment, batch in history(sim, start, start + timedelta(hours=6)):
        db.clock.set(moment)
        db.act(feed, ingestor, batch)
    with db.uow(write=False) as uow:
        conditions = set(uow.session.scalars(select(Alarm.condition)))
        stored = readings.count(uow.session)
    assert {"alarm:hi", "power_off"} <= conditions
    assert stored == 6 * 120


def test_a_dropout_makes_the_sensor_offline(db: Db) -> None:
    enterprise = db.enterprise(sector="hazchem_storage")
    draft = SensorDraft(
        code="LT-101",
        kind="liquid_level",
        unit="%",
        location_code="tank",
        range_min=0,
        range_max=100,
        sampling_period_s=60,
        settings={"hi": 85, "hihi": 92, "lo": 15, "lolo": 8},
    )
    db.act(register_sensor, SYSTEM, enterprise, draft)
    with db.uow(write=False) as uow:
        points = [point_of(row) for row in uow.session.scalars(select(Sensor))]
    sim = Simulator(points, 2, faults=Faults(dropout=0.1, stuck=0, spike=0), excursions_per_day=0)
    start, ingestor = db.clock.now(), Ingestor()
    gaps = []
    for moment, batch in history(sim, start, start + timedelta(hours=3)):
        gaps.append(batch.counts["dropped"])
        db.clock.set(moment)
        db.act(feed, ingestor, batch)
    with db.uow(write=False) as uow:
        opened = uow.session.scalars(select(Alarm.opened_at).where(Alarm.condition == "offline")).all()
    assert sum(gaps) > 0 and opened and all(at is not None for at in opened)


def test_fault_shares_are_roughly_as_configured() -> None:
    points = [p for e in range(1, 101) for p in plant(e)] + [methane(e) for e in range(101, 201)]
    faults = Faults(dropout=0.02, stuck=0.03, spike=0.01, dropout_periods=10, stuck_periods=10)
    sim = Simulator(points, 11, faults=faults, excursions_per_day=0)
    due = dropped = stuck = spikes = outside = 0
    for hour in range(12):
        batch = sim.window(T0_MS + hour * HOUR, T0_MS + (hour + 1) * HOUR)
        due += batch.counts["due"]
        dropped += batch.counts["dropped"]
        stuck += batch.counts["stuck"]
        spikes += batch.counts["spikes"]
        low = np.array([p.range_min for p in points])[batch.index]
        high = np.array([p.range_max for p in points])[batch.index]
        outside += int(((batch.values < low) | (batch.values > high)).sum())
    assert due > 200_000
    assert dropped / due == pytest.approx(0.02, rel=0.25)
    assert stuck / due == pytest.approx(0.03 * 3 / 4, rel=0.25)  # power-on points cannot be stuck
    assert spikes / due == pytest.approx(0.01 * 3 / 4, rel=0.25)  # nor spike
    assert outside <= spikes and outside > 0.9 * spikes * (1 - 0.02)  # a spike is out of range


def test_payloads_are_the_columnar_shape_one_message_per_enterprise() -> None:
    sim = Simulator([methane(7), *plant(23)], 1)
    batch = sim.window(T0_MS, T0_MS + 600_000)
    messages = list(batch.payloads())
    assert [eid for eid, _ in messages] == [7, 23]
    body = json.loads(messages[1][1])
    assert set(body["readings"]) == {"sensor", "ts", "value"}
    assert set(body["readings"]["sensor"]) == {"LT-1", "LT-2", "GT-1", "KD-1"}
    assert len(parse(messages[1][1]).codes) == int((batch.index > 0).sum())
    assert topic_for(23) == "zhiben/v1/readings/7/23"


def test_the_demo_seed_gives_monitored_enterprises_sensors_readings_and_alarms(db: Db) -> None:
    mines = [db.enterprise(county="140213", sector="coal_mine") for _ in range(3)]
    plants = [db.enterprise(county="320506", sector="hazchem_production") for _ in range(3)]
    idle = db.enterprise(sector="construction")
    firms = [(e, "140213", "coal_mine") for e in mines] + [
        (e, "320506", "hazchem_production") for e in plants
    ]
    firms.append((idle, "320311", "construction"))
    with db.uow() as uow:
        counts = seed_monitoring(uow.session, SYSTEM, firms, 2026, db.clock.now())
    with db.uow(write=False) as uow:
        kinds = set(uow.session.scalars(select(Sensor.kind).where(Sensor.enterprise_id == mines[0])))
        watched = set(uow.session.scalars(select(Sensor.enterprise_id)))
        assert verify_chain(uow.session)[1] is None
    assert kinds == {"methane", "co", "o2", "wind_speed", "power_on"}
    assert watched == set(mines + plants)
    assert counts["sensors"] >= 3 * 7 + 3 * 5 and counts["readings"] > 3_000


def test_the_simulate_command_feeds_the_database_in_process(db: Db, cli: CliRunner) -> None:
    enterprise = db.enterprise(county="140213", sector="coal_mine")
    for tag in ("T0", "T1"):
        draft = SensorDraft(
            code=f"CH4-{tag}", kind="methane", unit="%CH4", location_code=tag, range_min=0, range_max=4
        )
        db.act(register_sensor, SYSTEM, enterprise, draft)
    result = cli.invoke(app, ["simulate", "--duration", "2", "--tick", "0.5", "--rate", "40", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "stopped:" in result.output
    with db.uow(write=False) as uow:
        stored = readings.count(uow.session) or 0
    assert 40 <= stored <= 160  # about 2 s at 40 readings/s


def test_the_simulate_command_refuses_a_bad_broker_url(db: Db, cli: CliRunner) -> None:
    enterprise = db.enterprise(county="140213", sector="coal_mine")
    draft = SensorDraft(
        code="CH4-T1", kind="methane", unit="%CH4", location_code="T1", range_min=0, range_max=4
    )
    db.act(register_sensor, SYSTEM, enterprise, draft)
    result = cli.invoke(app, ["simulate", "--mqtt", "http://broker", "--duration", "1"])
    assert result.exit_code == 2 and "mqtt://host:1883" in result.output


@pytest.mark.skipif(not MQTT_URL, reason="MQTT tests need ZHIBEN_TEST_MQTT_URL (set by .ci/run)")
def test_the_simulate_command_publishes_batches_to_the_broker(db: Db, cli: CliRunner) -> None:
    import aiomqtt

    from zhiben.monitoring.simulate import BrokerAddress

    enterprise = db.enterprise(county="140213", sector="coal_mine")
    code = f"CH4-{uuid.uuid4().hex[:8]}"  # other runs may publish to the same topics
    draft = SensorDraft(code=code, kind="methane", unit="%CH4", location_code="T1", range_min=0, range_max=4)
    db.act(register_sensor, SYSTEM, enterprise, draft)
    broker = BrokerAddress.of(MQTT_URL)
    topic = topic_for(enterprise)
    received: list[tuple[str, int, bytes]] = []
    ready, done = threading.Event(), threading.Event()

    async def listen() -> None:
        async with aiomqtt.Client(broker.host, broker.port, identifier=f"sim-test-{code}") as client:
            await client.subscribe(topic, qos=1)
            ready.set()
            while not done.is_set():
                try:
                    async with asyncio.timeout(0.2):
                        message = await anext(client.messages)
                except TimeoutError:
                    continue
                assert isinstance(message.payload, bytes)
                if code.encode() in message.payload:
                    received.append((str(message.topic), message.qos, message.payload))

    listener = threading.Thread(target=asyncio.run, args=(listen(),), daemon=True)
    listener.start()
    assert ready.wait(10)
    args = ["simulate", "--mqtt", MQTT_URL, "--duration", "2", "--tick", "0.5", "--rate", "20"]
    result = cli.invoke(app, [*args, "--enterprise", str(enterprise)])
    assert result.exit_code == 0, result.output
    deadline = datetime.now(UTC) + timedelta(seconds=10)
    while len(received) < 3 and datetime.now(UTC) < deadline:
        threading.Event().wait(0.1)
    done.set()
    listener.join(5)
    assert len(received) >= 3
    for got_topic, qos, payload in received:
        assert got_topic == f"zhiben/v1/readings/{enterprise % 16}/{enterprise}" and qos == 1
        readings = json.loads(payload)["readings"]
        assert set(readings) == {"sensor", "ts", "value"} and set(readings["sensor"]) == {code}
        assert all(isinstance(t, int) for t in readings["ts"])
