"""Ingestion through the real MQTT broker: readings become alarms; a worker killed mid-stream loses and
doubles nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from tests.builders import Db
from zhiben.auth.domain import SYSTEM
from zhiben.monitoring import domain, readings
from zhiben.monitoring.ingest import Ingestor, Message
from zhiben.monitoring.models import Alarm, DeadLetter, SensorState
from zhiben.monitoring.sensors import SensorDraft, register_sensor
from zhiben.worker import mqtt_ingest

MQTT_URL = os.environ.get("ZHIBEN_TEST_MQTT_URL", "")
pytestmark = pytest.mark.skipif(not MQTT_URL, reason="MQTT tests need ZHIBEN_TEST_MQTT_URL (set by .ci/run)")


@pytest.fixture
def run_id() -> Iterator[str]:
    """Topics, share group and session ids of this test only; the sessions are ended afterwards."""
    ident = uuid.uuid4().hex[:10]
    yield ident
    broker = mqtt_ingest.Broker.of(MQTT_URL)
    for name in (f"worker-{ident}", f"publisher-{ident}"):
        mqtt_ingest.forget_session(broker, name)


def publisher(ident: str) -> mqtt.Client:
    broker = mqtt_ingest.Broker.of(MQTT_URL)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"publisher-{ident}", protocol=mqtt.MQTTv5)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def publish(client: mqtt.Client, topic: str, payload: bytes) -> None:
    client.publish(topic, payload, qos=1).wait_for_publish(timeout=10)


def wait_for(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def until_subscribed(db: Db, client: mqtt.Client, prefix: str) -> None:
    """Probe (a message naming enterprise 0, which the worker dead-letters) until the worker answers."""
    deadline = time.monotonic() + 60
    while count(db, DeadLetter) == 0:
        assert time.monotonic() < deadline, "the worker never subscribed"
        publish(client, f"{prefix}/0/0", b"probe")
        time.sleep(0.3)


def stored(db: Db) -> int:
    with db.uow(write=False) as uow:
        return readings.count(uow.session)


def count(db: Db, model: type) -> int:
    with db.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def methane(db: Db, code: str = "CH4-T1") -> int:
    mine = db.enterprise(county="140213", sector="coal_mine")
    draft = SensorDraft(code=code, kind="methane", unit="%CH4", location_code="T1", range_min=0, range_max=4)
    db.act(register_sensor, SYSTEM, mine, draft)
    return mine


def batch(code: str, start: datetime, values: list[float], step_s: int = 1) -> bytes:
    ts = [domain.to_ms(start + timedelta(seconds=step_s * i)) for i in range(len(values))]
    return json.dumps({"readings": {"sensor": [code] * len(values), "ts": ts, "value": values}}).encode()


def test_published_readings_become_alarms_acknowledged_and_cleared(db: Db, run_id: str) -> None:
    mine = methane(db)
    prefix = f"zhiben-test-{run_id}/v1/readings"
    worker = mqtt_ingest.MqttWorker(
        mqtt_ingest.Broker.of(MQTT_URL),
        db.factory,
        db.clock,
        range(mqtt_ingest.PARTITIONS),
        f"worker-{run_id}",
        linger_s=0.05,
        prefix=prefix,
        group=f"g{run_id}",
    )
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    client = publisher(run_id)
    try:
        start = db.clock.now() - timedelta(minutes=10)
        topic = mqtt_ingest.topic_for(mine, prefix)
        until_subscribed(db, client, prefix)
        publish(client, topic, batch("CH4-T1", start, [0.4, 0.7, 1.1, 1.6, 1.7]))
        wait_for(lambda: stored(db) == 5)
        with db.uow(write=False) as uow:
            opened = {a.condition: (a.id, a.version, a.state) for a in uow.session.scalars(select(Alarm))}
        assert {c: a[2] for c, a in opened.items()} == {
            "alarm:hi": "unacknowledged",
            "power_off": "unacknowledged",
        }

        from tests.builders import auth_header
        from zhiben.auth.domain import Role

        db.user(Role.enterprise, enterprise_id=mine, username="mine-operator")
        api = db.client()
        headers = auth_header(api, "mine-operator")
        for alarm_id, version, _ in opened.values():
            done = api.post(
                f"/api/v1/alarms/{alarm_id}/acknowledge", headers=headers | {"If-Match": str(version)}
            )
            assert done.status_code == 200, done.text
        publish(client, topic, batch("CH4-T1", start + timedelta(seconds=5), [0.9, 0.5]))  # below restore
        wait_for(lambda: stored(db) == 7)
        listed = api.get("/api/v1/alarms", headers=headers).json()
        by_condition = {a["condition"]: a for a in listed["items"]}
        assert {c: (a["state"], a["closed_at"] is not None) for c, a in by_condition.items()} == {
            "alarm:hi": ("normal", True),
            "power_off": ("normal", True),
        }
    finally:
        worker.stop()
        thread.join(timeout=10)
        client.loop_stop()
        client.disconnect()


SENSORS_PER_MINE, MINES, MESSAGES, PER_MESSAGE = 5, 4, 240, 100


def stream(seed: int, start: datetime) -> list[tuple[int, str, bytes]]:
    """(mine index, sensor code, payload) in publishing order: a random walk crossing the limits."""
    rng = np.random.default_rng(seed)
    out = []
    clock = dict.fromkeys(range(MINES * SENSORS_PER_MINE), 0)
    level = dict.fromkeys(clock, 0.5)
    for m in range(MESSAGES):
        sensor = int(rng.integers(0, MINES * SENSORS_PER_MINE))
        values = []
        for _ in range(PER_MESSAGE):
            level[sensor] = float(np.clip(level[sensor] + rng.normal(0, 0.08), 0, 3.5))
            values.append(round(level[sensor], 3))
        code = f"CH4-{sensor % SENSORS_PER_MINE}"
        out.append(
            (sensor // SENSORS_PER_MINE, code, batch(code, start + timedelta(seconds=clock[sensor]), values))
        )
        clock[sensor] += PER_MESSAGE
        del m
    return out


def alarm_history(db: Db, mines: list[int]) -> list[tuple[int, str, str, str | None]]:
    with db.uow(write=False) as uow:
        rows = uow.session.scalars(select(Alarm).where(Alarm.enterprise_id.in_(mines)).order_by(Alarm.id))
        codes = {m: i for i, m in enumerate(mines)}
        return sorted(
            (codes[a.enterprise_id], a.condition, a.state, a.opened_at.isoformat() if a.opened_at else None)
            for a in rows
        )


def test_a_killed_worker_loses_nothing_and_counts_nothing_twice(db: Db, run_id: str, tmp_path: Path) -> None:
    def mines() -> list[int]:
        made = []
        for _ in range(MINES):
            mine = db.enterprise(county="140213", sector="coal_mine")
            for s in range(SENSORS_PER_MINE):
                draft = SensorDraft(
                    code=f"CH4-{s}", kind="methane", unit="%CH4", location_code="T1", range_min=0, range_max=4
                )
                db.act(register_sensor, SYSTEM, mine, draft)
            made.append(mine)
        return made

    live, control = mines(), mines()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    messages = stream(2026, start)
    total = MESSAGES * PER_MESSAGE
    prefix = f"zhiben-test-{run_id}/v1/readings"
    env = os.environ | {
        "ZHIBEN_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "ZHIBEN_DATA_DIR": str(tmp_path / "data"),
    }
    command = [
        str(Path(sys.executable).parent / "zhiben"),
        "monitoring",
        "worker",
        "--mqtt",
        MQTT_URL,
        "--topic-prefix",
        prefix,
        "--group",
        f"g{run_id}",
        "--client-id",
        f"worker-{run_id}",
        "--batch",
        "10",
        "--linger-ms",
        "20",
    ]

    def start_worker() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        return process

    worker = start_worker()
    client = publisher(run_id)
    published = threading.Event()

    def publish_all() -> None:
        for mine_index, _code, payload in messages:
            publish(client, mqtt_ingest.topic_for(live[mine_index], prefix), payload)
            time.sleep(0.01)
        published.set()

    try:
        until_subscribed(db, client, prefix)  # from now on its session keeps what it has not taken
        sender = threading.Thread(target=publish_all, daemon=True)
        sender.start()
        wait_for(lambda: stored(db) >= total // 4, timeout=60)
        worker.send_signal(signal.SIGKILL)  # mid-stream, mid-batch perhaps: no goodbye
        worker.wait(timeout=10)
        killed_at = stored(db)
        assert killed_at < total
        time.sleep(0.5)
        worker = start_worker()
        wait_for(published.is_set, timeout=60)
        wait_for(lambda: stored(db) >= total, timeout=60)
        time.sleep(0.5)  # anything redelivered late would land now
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        client.loop_stop()
        client.disconnect()

    assert stored(db) == total
    with db.uow(write=False) as uow:
        assert uow.session.scalar(select(func.sum(SensorState.readings))) == total
        open_rows = uow.session.scalars(select(Alarm).where(Alarm.closed_at.is_(None))).all()
        assert len({(a.sensor_id, a.condition) for a in open_rows}) == len(open_rows)
    with db.uow(write=False) as uow:
        reasons = set(uow.session.scalars(select(DeadLetter.reason)))
    assert reasons == {f"{prefix}/0/0 names no enterprise"}  # only the probes

    # The same stream ingested in-process in one go gives the same alarm history.
    ingestor = Ingestor()
    for mine_index, _code, payload in messages:
        db.act(ingestor.ingest, [Message(control[mine_index], "test", "control", payload)])
    assert alarm_history(db, live) == alarm_history(db, control)
    assert alarm_history(db, live), "the stream should have raised alarms"
