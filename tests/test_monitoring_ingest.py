"""Ingestion into the database: readings stored once, the engine's state carried, alarms kept one per point."""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import func, select

from tests.builders import Db
from zhiben.auth.domain import SYSTEM
from zhiben.monitoring import domain, readings
from zhiben.monitoring.ingest import Ingestor, Message, PayloadError, accepted_mask, parse
from zhiben.monitoring.models import Alarm, DeadLetter, SensorState
from zhiben.monitoring.sensors import SensorDraft, register_sensor


@pytest.fixture
def mine(db: Db) -> int:
    enterprise = db.enterprise(county="140213", sector="coal_mine")
    db.act(
        register_sensor,
        SYSTEM,
        enterprise,
        SensorDraft(
            code="CH4-T1",
            kind="methane",
            unit="%CH4",
            location_code="T1",
            range_min=0,
            range_max=4,
            sampling_period_s=600,
        ),
    )
    return enterprise


def payload(db: Db, values: list[float], start_s: int = 0, code: str = "CH4-T1", ago_s: int = 1200) -> bytes:
    """Readings every 10 s from `ago_s` before now (the sensor reports every 10 min: offline after 30)."""
    base = domain.to_ms(db.clock.now()) - ago_s * 1000
    return json.dumps(
        {
            "readings": {
                "sensor": [code] * len(values),
                "ts": [base + (start_s + 10 * i) * 1000 for i in range(len(values))],
                "value": values,
            }
        }
    ).encode()


def ingest(db: Db, mine: int, *payloads: bytes, ingestor: Ingestor | None = None):  # type: ignore[no-untyped-def]
    runner = ingestor or Ingestor()
    return db.act(runner.ingest, [Message(mine, "http", "test", p) for p in payloads])


def test_readings_are_stored_and_alarms_opened_and_closed(db: Db, mine: int) -> None:
    report = ingest(db, mine, payload(db, [0.3, 0.8, 1.0, 1.6, 1.2, 0.9, 0.5]))
    assert (report.readings, report.stored, report.evaluated, report.late, report.duplicates) == (
        7,
        7,
        7,
        0,
        0,
    )
    kinds = [(e.condition.value, e.level, e.state.value) for e in report.event_list]
    assert kinds == [
        ("alarm", "hi", "active"),  # at 1.0: the alarm is "≥ 1.0"
        ("power_off", None, "active"),  # at 1.6 ≥ 1.5
        ("alarm", "hi", "cleared"),  # 0.9 < 1.0
        ("power_off", None, "cleared"),  # restore "< 1.0"
    ]
    with db.uow(write=False) as uow:
        rows = uow.session.scalars(select(Alarm).order_by(Alarm.id)).all()
        assert [(a.condition, a.state, a.open_key is None) for a in rows] == [
            ("alarm:hi", "returned_unacknowledged", False),
            ("power_off", "returned_unacknowledged", False),
        ]
        assert readings.count(uow.session) == 7


def test_a_redelivered_message_stores_and_raises_nothing_twice(db: Db, mine: int) -> None:
    message = payload(db, [0.3, 1.2, 1.3])
    first = ingest(db, mine, message)
    again = ingest(db, mine, message)
    assert (first.stored, again.stored, again.duplicates, again.events) == (3, 0, 3, 0)
    with db.uow(write=False) as uow:
        assert readings.count(uow.session) == 3
        assert uow.session.scalar(select(func.count()).select_from(Alarm)) == 1
        state = uow.session.scalars(select(SensorState)).one()
        assert (state.readings, state.last_value) == (3, 1.3)


def test_late_readings_are_stored_once_and_not_evaluated(db: Db, mine: int) -> None:
    ingest(db, mine, payload(db, [0.2, 0.2, 0.2], start_s=100))
    late = payload(db, [3.0, 0.2], start_s=0)  # earlier than the last reading: a 3.0 spike, late
    report = ingest(db, mine, late)
    assert (report.stored, report.late, report.events) == (2, 2, 0)
    assert ingest(db, mine, late).stored == 0


def test_state_carries_across_batches_and_workers(db: Db, mine: int) -> None:
    """The same stream in one batch or cut in three, by three fresh ingestors, gives the same events."""
    values = [0.5, 1.1, 1.2, 0.95, 0.4, 1.7, 1.8, 0.8]
    whole = ingest(db, mine, payload(db, values)).event_list
    other = db.enterprise(county="140213", sector="coal_mine")
    db.act(
        register_sensor,
        SYSTEM,
        other,
        SensorDraft(
            code="CH4-T1",
            kind="methane",
            unit="%CH4",
            location_code="T1",
            range_min=0,
            range_max=4,
            sampling_period_s=600,
        ),
    )
    parts = [
        ingest(db, other, payload(db, values[a:b], start_s=10 * a)).event_list
        for a, b in ((0, 3), (3, 5), (5, 8))
    ]
    strip = lambda events: [(e.ts, e.condition, e.level, e.state) for e in events]  # noqa: E731
    assert strip([e for part in parts for e in part]) == strip(whole)


def test_bad_messages_are_dead_lettered_and_the_rest_ingested(db: Db, mine: int) -> None:
    good_and_unknown = json.dumps(
        {
            "readings": [
                {"sensor": "CH4-T1", "ts": "2026-03-02T09:00:00+08:00", "value": 0.4},
                {"sensor": "NOPE", "ts": 1, "value": 1},
            ]
        }
    ).encode()
    report = ingest(
        db,
        mine,
        b"{not json",
        good_and_unknown,
        b'{"readings": [{"sensor": "CH4-T1", "ts": "2026-03-02T09:00:00", "value": 1}]}',
    )
    assert (report.messages, report.stored, report.unknown, report.dead_letters) == (3, 1, 1, 3)
    with db.uow(write=False) as uow:
        reasons = [d.reason for d in uow.session.scalars(select(DeadLetter).order_by(DeadLetter.id))]
    assert len(reasons) == 3 and "unknown sensors: NOPE" in reasons
    assert any(r.startswith("not JSON") for r in reasons) and any("no UTC offset" in r for r in reasons)


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"readings": 3}',
        b'{"readings": {"sensor": ["a"], "ts": [1, 2], "value": [1]}}',
        b'{"readings": [{"sensor": "a", "ts": 1, "value": true}]}',
    ],
)
def test_unreadable_payloads_say_why(body: bytes) -> None:
    with pytest.raises(PayloadError):
        parse(body)


def test_accepted_mask_matches_a_plain_loop() -> None:
    rng = np.random.default_rng(7)
    idx = rng.integers(0, 4, 300)
    ts = rng.integers(0, 60, 300)
    last = np.array([10, -5, 30, 0])
    later, same = accepted_mask(idx, ts, last)
    latest = dict(enumerate(last.tolist()))
    for i, (s, t) in enumerate(zip(idx.tolist(), ts.tolist(), strict=True)):
        assert (later[i], same[i]) == (t > latest[s], t == latest[s])
        latest[s] = max(latest[s], t)


def test_clock_is_frozen_for_offline(db: Db, mine: int) -> None:
    """Offline is judged at the ingestion time: the last reading 40 minutes ago, 3 periods of 10 minutes."""
    report = ingest(db, mine, payload(db, [0.2, 0.2], ago_s=2410))
    assert [(e.condition.value, e.state.value) for e in report.event_list] == [("offline", "active")]
    assert report.event_list[0].ts == db.clock.now() - timedelta(seconds=2400) + timedelta(minutes=30)


def test_the_http_batch_endpoint(db: Db, mine: int) -> None:
    from tests.builders import auth_header
    from zhiben.auth.domain import Role

    db.user(Role.enterprise, enterprise_id=mine, username="gateway")
    db.user(
        Role.enterprise,
        enterprise_id=db.enterprise(county="140213", sector="coal_mine"),
        username="neighbour",
    )
    db.user(Role.regulator, division="140213", username="datong")
    client = db.client()
    url = f"/api/v1/enterprises/{mine}/readings"
    body = payload(db, [0.2, 1.2])
    posted = client.post(url, content=body, headers=auth_header(client, "gateway"))
    assert posted.status_code == 200, posted.text
    assert (posted.json()["stored"], posted.json()["alarms_opened"]) == (2, 1)
    again = client.post(url, content=body, headers=auth_header(client, "gateway")).json()
    assert (again["stored"], again["duplicates"]) == (0, 2)
    assert client.post(url, content=body, headers=auth_header(client, "neighbour")).status_code == 404
    assert client.post(url, content=body, headers=auth_header(client, "datong")).status_code == 403
    bad = client.post(url, content=b'{"readings": [{"sensor": 1}]}', headers=auth_header(client, "gateway"))
    assert bad.status_code == 422 and "reading 0" in bad.json()["error"]["details"]["fields"][0]["message"]
    with db.uow(write=False) as uow:
        [letter] = uow.session.scalars(select(DeadLetter)).all()
        assert letter.channel == "http" and letter.reason.startswith("reading 0")


def test_replay_a_csv_or_parquet_file(db: Db, mine: int, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import polars as pl

    from zhiben.cli.main import app

    start = domain.to_ms(db.clock.now()) - 600_000
    rows = {
        "sensor": ["CH4-T1"] * 4,
        "ts": [start + 10_000 * i for i in range(4)],
        "value": [0.2, 1.1, 1.6, 0.3],
    }
    csv_file = tmp_path / "readings.csv"
    pl.DataFrame(rows).with_columns(
        pl.from_epoch("ts", time_unit="ms")
        .dt.replace_time_zone("UTC")
        .dt.strftime("%Y-%m-%dT%H:%M:%S%.3f+00:00")
    ).write_csv(csv_file)
    result = cli.invoke(app, ["monitoring", "replay", "--enterprise", str(mine), str(csv_file)])
    assert result.exit_code == 0, result.output
    assert "4 readings: 4 stored" in result.output
    parquet = tmp_path / "readings.parquet"
    pl.DataFrame(rows).write_parquet(parquet)
    again = cli.invoke(app, ["monitoring", "replay", "--enterprise", str(mine), str(parquet)])
    assert again.exit_code == 0 and "0 stored, 4 already stored" in again.output
    with db.uow(write=False) as uow:
        assert readings.count(uow.session) == 4
        assert {a.condition for a in uow.session.scalars(select(Alarm))} == {"alarm:hi", "power_off"}
    bad = tmp_path / "bad.csv"
    bad.write_text("sensor,ts,value\nCH4-T1,2026-03-02T01:00:00,1\n")
    refused = cli.invoke(app, ["monitoring", "replay", "--enterprise", str(mine), str(bad)])
    assert refused.exit_code == 2 and "row 2" in refused.output
