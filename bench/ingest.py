"""End-to-end ingestion benchmark: gateway batches through the real MQTT broker into the database.

Measured in one run on the same messages:
- the broker alone: a publisher and a subscriber that only counts (QoS 1), the ceiling;
- the ingestion service alone (no broker): parse, engine, store, state, alarms, commit;
- end to end: publisher → broker → `zhiben monitoring worker` processes (one per core, each taking half
  of the partitions) → database, from the first publish to the last commit.
Set ZHIBEN_BENCH_MQTT_URL (default mqtt://127.0.0.1:1883) and ZHIBEN_BENCH_DATABASE_URL (default: a
SQLite file; a PostgreSQL URL measures the production set-up).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import text

from zhiben.auth.domain import SYSTEM
from zhiben.db.engine import make_engine, make_session_factory
from zhiben.db.schema import upgrade
from zhiben.db.uow import UnitOfWork
from zhiben.demo.load import bulk_write
from zhiben.division.service import load_divisions
from zhiben.enterprise.domain import EnterpriseDraft
from zhiben.enterprise.service import register_enterprise
from zhiben.kit import uscc
from zhiben.kit.clock import SystemClock
from zhiben.monitoring import domain, readings
from zhiben.monitoring.ingest import Ingestor, Message
from zhiben.monitoring.limits import limits_for
from zhiben.monitoring.sensors import limit_json
from zhiben.worker import mqtt_ingest

ENTERPRISES = 16
SENSORS_PER_ENTERPRISE = 250
READINGS_PER_MESSAGE = 5_000
MESSAGES = 400  # Mosquitto's default queue (1,000 messages per client) holds them all
SERVICE_MESSAGES = 40


def _setup(url: str) -> tuple[list[int], int]:
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    clock = SystemClock()
    now = clock.now()
    with UnitOfWork(factory, clock) as uow:
        load_divisions(uow.session, SYSTEM)
        enterprises = [
            register_enterprise(
                uow.session,
                SYSTEM,
                EnterpriseDraft(
                    uscc=uscc.make(f"91140213MA{n + 1:07d}"),
                    name=f"基准测试煤矿{n}",
                    county_code="140213",
                    sector="coal_mine",
                ),
            ).id
            for n in range(ENTERPRISES)
        ]
        limits = [limit_json(lim) for lim in limits_for("methane", "T1", "%CH4")]
        rows = [
            {
                "enterprise_id": e,
                "county_code": "140213",
                "city_code": "1402",
                "province_code": "14",
                "sector": "coal_mine",
                "code": f"CH4-{s}",
                "name": "",
                "kind": "methane",
                "unit": "%CH4",
                "location_code": "T1",
                "range_min": 0.0,
                "range_max": 4.0,
                "offline_periods": 3,
                "stuck_tolerance": 0.0,
                "limits": json.dumps(limits),
                "rationale": "{}",
                "in_service": True,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
            for e in enterprises
            for s in range(SENSORS_PER_ENTERPRISE)
        ]
        bulk_write(uow.session, "sensors", list(rows[0]), rows)
    engine.dispose()
    return enterprises, len(rows)


def _messages(enterprises: list[int], count: int, start: datetime, seed: int = 7) -> list[tuple[int, bytes]]:
    """Columnar batches: each message is one enterprise's sensors for 20 consecutive seconds."""
    rng = np.random.default_rng(seed)
    seconds = READINGS_PER_MESSAGE // SENSORS_PER_ENTERPRISE
    out, clock = [], dict.fromkeys(enterprises, 0)
    codes = [f"CH4-{s}" for s in range(SENSORS_PER_ENTERPRISE)] * seconds
    for n in range(count):
        e = enterprises[n % len(enterprises)]
        base = domain.to_ms(start) + clock[e] * 1000
        ts = (base + np.repeat(np.arange(seconds), SENSORS_PER_ENTERPRISE) * 1000).tolist()
        values = np.round(np.clip(rng.normal(0.4, 0.12, READINGS_PER_MESSAGE), 0, 4), 3)
        values[rng.random(READINGS_PER_MESSAGE) < 0.0002] = 1.6  # rare excursions past power-off
        clock[e] += seconds
        body = {"readings": {"sensor": codes, "ts": ts, "value": values.tolist()}}
        out.append((e, json.dumps(body).encode()))
    return out


def _client(name: str, broker: mqtt_ingest.Broker) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name, protocol=mqtt.MQTTv5)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def _publish_all(client: mqtt.Client, prefix: str, messages: list[tuple[int, bytes]]) -> None:
    infos = [client.publish(mqtt_ingest.topic_for(e, prefix), body, qos=1) for e, body in messages]
    for info in infos:
        info.wait_for_publish(timeout=120)


def _broker_only(broker: mqtt_ingest.Broker, messages: list[tuple[int, bytes]]) -> float:
    prefix, received, done = f"bench-{uuid.uuid4().hex[:8]}", [0], threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"{prefix}-sub", protocol=mqtt.MQTTv5)

    def on_message(_c: mqtt.Client, _u: object, _m: mqtt.MQTTMessage) -> None:
        received[0] += 1
        if received[0] == len(messages):
            done.set()

    sub.on_message = on_message
    sub.connect(broker.host, broker.port)
    sub.subscribe(f"{prefix}/#", qos=1)
    sub.loop_start()
    time.sleep(0.5)
    pub = _client(f"{prefix}-pub", broker)
    started = time.perf_counter()
    _publish_all(pub, prefix, messages)
    done.wait(timeout=300)
    elapsed = time.perf_counter() - started
    for client in (pub, sub):
        client.loop_stop()
        client.disconnect()
    return elapsed


def _count(url: str) -> int:
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine), SystemClock(), write=False) as uow:
        value = readings.count(uow.session)
    engine.dispose()
    return value


def run() -> str:
    broker = mqtt_ingest.Broker.of(os.environ.get("ZHIBEN_BENCH_MQTT_URL", "mqtt://127.0.0.1:1883"))
    workdir = Path(tempfile.mkdtemp(prefix="zhiben-bench-ingest-"))
    url = os.environ.get("ZHIBEN_BENCH_DATABASE_URL") or f"sqlite:///{workdir / 'bench.db'}"
    if url.startswith("postgresql"):
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
    enterprises, sensors = _setup(url)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    total_messages = SERVICE_MESSAGES + MESSAGES
    messages = _messages(enterprises, total_messages, start)
    service_part, mqtt_part = messages[:SERVICE_MESSAGES], messages[SERVICE_MESSAGES:]

    # the service alone, in this process
    engine = make_engine(url)
    factory, ingestor = make_session_factory(engine), Ingestor()
    started = time.perf_counter()
    for i in range(0, len(service_part), 4):
        with UnitOfWork(factory, SystemClock()) as uow:
            ingestor.ingest(
                uow.session, [Message(e, "bench", "bench", body) for e, body in service_part[i : i + 4]]
            )
    service_s = time.perf_counter() - started
    engine.dispose()
    service_readings = len(service_part) * READINGS_PER_MESSAGE

    broker_s = _broker_only(broker, mqtt_part)

    # end to end: one worker process per core, half the partitions each
    run_id = uuid.uuid4().hex[:8]
    prefix, env = f"bench-{run_id}/v1/readings", os.environ | {"ZHIBEN_DATABASE_URL": url}
    env["ZHIBEN_DATA_DIR"] = str(workdir / "data")
    zhiben = str(Path(sys.executable).parent / "zhiben")
    workers = [
        subprocess.Popen(
            [
                *(zhiben, "monitoring", "worker", "--mqtt", f"mqtt://{broker.host}:{broker.port}"),
                *("--partitions", part, "--topic-prefix", prefix, "--group", f"b{run_id}"),
                *("--client-id", f"bench-{run_id}-{n}", "--batch", "50", "--linger-ms", "200"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(workdir / f"worker-{n}.log").open("wb"),
        )
        for n, part in enumerate(("0-7", "8-15"))
    ]
    time.sleep(6)  # both have connected and subscribed
    publisher = _client(f"bench-{run_id}-pub", broker)
    before = _count(url)
    expected = before + len(mqtt_part) * READINGS_PER_MESSAGE
    started = time.perf_counter()
    _publish_all(publisher, prefix, mqtt_part)
    published_s = time.perf_counter() - started
    while _count(url) < expected and time.perf_counter() - started < 600:
        time.sleep(0.05)
    e2e_s = time.perf_counter() - started
    stored = _count(url) - before
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    publisher.loop_stop()
    publisher.disconnect()
    for n in range(2):
        mqtt_ingest.forget_session(broker, f"bench-{run_id}-{n}")

    mqtt_readings = len(mqtt_part) * READINGS_PER_MESSAGE
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite (the embedded default)"
    rows = [
        ("broker alone (publish → subscriber, QoS 1)", broker_s, mqtt_readings),
        ("publishing only (QoS 1, until every PUBACK)", published_s, mqtt_readings),
        ("ingestion service alone (no broker), one process", service_s, service_readings),
        ("end to end: broker → 2 worker processes → database", e2e_s, stored),
    ]
    lines = [
        "# Ingestion benchmark (end to end through Mosquitto)",
        "",
        f"Run `make bench` (this table: `python -m bench.run ingest`, with ZHIBEN_BENCH_DATABASE_URL for PostgreSQL). {sensors:,} methane sensors of "
        f"{ENTERPRISES} coal mines; {mqtt_readings:,} readings in {len(mqtt_part)} columnar JSON messages of "
        f"{READINGS_PER_MESSAGE:,} readings (QoS 1) for the broker and end-to-end rows, "
        f"{service_readings:,} more for the service row; database: {database}; broker: Mosquitto at "
        f"{broker.host}:{broker.port}; 2 cores shared by the publisher, the broker, the workers and the database.",
        "",
        "| measure | time | readings | readings/s |",
        "|---|---:|---:|---:|",
        *(
            f"| {name} | {seconds:.2f} s | {count:,} | {count / seconds:,.0f} |"
            for name, seconds, count in rows
        ),
        "",
        f"- end to end: **{stored / e2e_s:,.0f} readings/s** (goal ≥ 200,000); the broker alone moves "
        f"{mqtt_readings / broker_s:,.0f} readings/s in the same messages "
        f"({(stored / e2e_s) / (mqtt_readings / broker_s):.0%} of it)",
        f"- stored {stored:,} of {mqtt_readings:,} published readings",
        "",
    ]
    return "\n".join(lines)
