"""Alarm-flood benchmark: thousands of sensors cross their limits in one ingested batch.

4,000 methane sensors of 16 coal mines (the ingest bench's registry) report 0.3 %CH4 twice (a calm
batch: what ingesting 4,000 readings costs without any alarm event), then 1.2 %CH4 in one batch (one
message per mine, 16 messages, ingested in one transaction): 4,000 `alarm:hi` records open. Round 1:
they all return to 0.5 % in the next batch (4,000 records to returned-unacknowledged), then an
operator acknowledges each (closes them). Round 2: they rise again (4,000 new records), are
acknowledged while active, and return (4,000 records closed by the process, with an audit entry each).

Measured per ingested batch (parse, engine, readings, engine state, alarm records with their log and
audit, commit) with each way of persisting the alarm events, each on a fresh database, in one run:
before: the events' sensors read as ORM rows and the events applied by the reference
(`alarms.apply_engine_events_reference`: one record at a time through the ORM, a flush each), as
ingestion did; after: the sensors' few columns read with Core and the set-based
`alarms.apply_engine_events` (one read of the open records, the pure state machine in memory, bulk
Core writes). The operator's acknowledgements go through `handling.acknowledge_alarm` one by one
(the same code in both; timed for scale, not compared). ZHIBEN_BENCH_DATABASE_URL picks the
database (default: a SQLite file). The 2 cores are shared with other work: single batches vary by
some 20 % from run to run; the calm batch runs the same code in both columns and shows that noise.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from bench.ingest import SENSORS_PER_ENTERPRISE, _setup
from zhiben.auth.domain import SYSTEM
from zhiben.db.engine import make_engine, make_session_factory
from zhiben.db.uow import UnitOfWork
from zhiben.kit.clock import SystemClock
from zhiben.monitoring import alarms, domain, handling
from zhiben.monitoring.ingest import Ingestor, Message
from zhiben.monitoring.models import Alarm, Sensor

Writer = Callable[..., alarms.Applied]
ROUNDS = (("warm", "calm", "rise", "return", "acknowledge"), ("rise", "acknowledge", "return"))
VALUES = {"warm": 0.3, "calm": 0.3, "rise": 1.2, "return": 0.5}


def _fresh(url: str) -> str:
    if url.startswith("postgresql"):
        engine = make_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        return url
    return f"sqlite:///{Path(tempfile.mkdtemp(prefix='zhiben-bench-flood-')) / 'bench.db'}"


def _batch(enterprises: list[int], value: float, at: datetime) -> list[Message]:
    codes = [f"CH4-{s}" for s in range(SENSORS_PER_ENTERPRISE)]
    ts = [domain.to_ms(at)] * len(codes)
    body = json.dumps({"readings": {"sensor": codes, "ts": ts, "value": [value] * len(codes)}}).encode()
    return [Message(e, "bench", "bench", body) for e in enterprises]


def _scenario(url: str, writer: Writer) -> list[tuple[str, str, int, float]]:
    """(phase, its label, events or actions, seconds) for each phase of both rounds, on a fresh database."""
    enterprises, _ = _setup(url)
    engine = make_engine(url)
    factory, ingestor = make_session_factory(engine), Ingestor(apply_events=writer)
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    out: list[tuple[str, str, int, float]] = []
    for number, phases in enumerate(ROUNDS, start=1):
        for phase in phases:
            at += timedelta(seconds=10)
            if phase == "acknowledge":
                with UnitOfWork(factory, SystemClock(), write=False) as uow:
                    ids = list(uow.session.scalars(select(Alarm.id).where(Alarm.open_key.is_not(None))))
                started = time.perf_counter()
                with UnitOfWork(factory, SystemClock()) as uow:
                    for alarm_id in ids:
                        handling.acknowledge_alarm(uow.session, SYSTEM, alarm_id)
                label = f"{number}. acknowledge (operator, one by one)"
                out.append((phase, label, len(ids), time.perf_counter() - started))
                continue
            messages = _batch(enterprises, VALUES[phase], at)
            started = time.perf_counter()
            with UnitOfWork(factory, SystemClock()) as uow:
                report = ingestor.ingest(uow.session, messages)
            seconds = time.perf_counter() - started
            if phase == "warm":
                continue  # the first batch inserts the sensors' engine state rows: not reported
            if phase == "calm":
                what = "0.3 %, no event: the floor"
            elif phase == "rise":
                what = f"to 1.2 %, {report.alarms_opened:,} records opened"
            elif report.alarms_closed:
                what = f"to 0.5 %, {report.alarms_closed:,} records closed"
            else:
                what = "to 0.5 %, records to returned-unacknowledged"
            out.append((phase, f"{number}. {phase} ({what})", report.events, seconds))
    engine.dispose()
    return out


def _before(
    session: Session, sensors: Mapping[str, alarms.AlarmSensor], events: Sequence[domain.AlarmEvent]
) -> alarms.Applied:
    """Ingestion as it was: the events' sensors read as ORM rows, the events applied one by one (the
    light read of the sensors that ingestion now does first is wasted here, a few ms)."""
    ids = sorted(int(key) for key in sensors)
    rows = {str(r.id): r for r in session.scalars(select(Sensor).where(Sensor.id.in_(ids)))}
    return alarms.apply_engine_events_reference(session, rows, events)


def run() -> str:
    url = os.environ.get("ZHIBEN_BENCH_DATABASE_URL") or ""
    writers: list[tuple[str, Writer]] = [
        ("before: one by one (ORM)", _before),
        ("after: set-based (bulk Core)", alarms.apply_engine_events),
    ]
    results = [(name, _scenario(_fresh(url), writer)) for name, writer in writers]
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite (the embedded default)"
    (before_name, before), (after_name, after) = results
    lines = [
        f"## {database}",
        "",
        f"`python -m bench.run alarm-flood` (database: {database}). {len(before)} phases on a fresh "
        "database for each way of persisting, after one unreported warm-up batch; 16 messages (one per mine, 250 sensors each) per ingested "
        "batch, ingested and committed in one transaction; one process on this 2-core machine.",
        "",
        f"| phase | events | {before_name}: ms per batch | events/s | {after_name}: ms per batch | events/s | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    ingest_before = ingest_after = floor_before = floor_after = 0.0
    events_total = 0
    for (phase, label, n, b), (_, _, n2, a) in zip(before, after, strict=True):
        assert n == n2, (label, n, n2)
        lines.append(
            f"| {label} | {n:,} | {b * 1000:,.0f} | {n / b:,.0f} | {a * 1000:,.0f} | {n / a:,.0f} | {b / a:.1f}× |"
            if n
            else f"| {label} | 0 | {b * 1000:,.0f} | — | {a * 1000:,.0f} | — | — |"
        )
        if phase == "calm":
            floor_before, floor_after = b, a
        elif phase != "acknowledge":
            ingest_before, ingest_after, events_total = ingest_before + b, ingest_after + a, events_total + n
    batches = sum(1 for phase, *_ in before if phase not in ("acknowledge", "calm"))
    alarm_before, alarm_after = ingest_before - batches * floor_before, ingest_after - batches * floor_after
    lines += [
        "",
        f"- ingested flood batches ({events_total:,} events): **{events_total / ingest_before:,.0f} events/s** "
        f"one by one, **{events_total / ingest_after:,.0f} events/s** set-based: "
        f"**{ingest_before / ingest_after:.1f}×** faster",
        f"- the alarm events' share (each flood batch less the calm batch of the same run): "
        f"{alarm_before / batches * 1000:,.0f} ms per batch one by one, {alarm_after / batches * 1000:,.0f} ms "
        f"set-based ({alarm_before / alarm_after:.1f}×)",
        "",
    ]
    return "\n".join(lines)


HEADER = "# Alarm-flood benchmark\n\n" + (__doc__ or "").split("\n\n", 1)[1].strip() + "\n\n"


def merge(existing: str, section: str) -> str:
    """The results file with this database's section replaced (the other database's kept)."""
    sections = {part.split("\n", 1)[0]: "## " + part for part in existing.split("\n## ")[1:]}
    sections[section.split("\n", 1)[0].removeprefix("## ")] = section
    return HEADER + "\n".join(s.rstrip("\n") + "\n" for _, s in sorted(sections.items()))
