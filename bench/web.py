"""Web UI benchmark: the main pages rendered end to end (routing, session, scoped queries, templates) for a
province regulator and a national one, over the province-scale synthetic data set on PostgreSQL.

It uses its own database (ZHIBEN_BENCH_WEB_DATABASE_URL), seeded once; `--reuse` keeps an existing one."""

from __future__ import annotations

import os
import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from bench.registry import AS_OF, _recreate, _timed
from zhiben.auth.domain import SYSTEM, Role
from zhiben.auth.service import add_user
from zhiben.config import Settings
from zhiben.db.engine import make_engine, make_session_factory, vacuum_analyze
from zhiben.db.schema import upgrade
from zhiben.db.uow import UnitOfWork
from zhiben.demo.load import seed
from zhiben.division.service import load_divisions
from zhiben.hazard.models import Hazard
from zhiben.kit.clock import FrozenClock
from zhiben.web.app import create_app
from zhiben.worker.scheduler import run_risk_job

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/zhiben_bench_web"
PASSWORD = "bench-password-2026"


def _seeded(url: str, reuse: bool) -> tuple[float, bool]:
    engine = make_engine(url)
    if reuse:
        try:
            with engine.connect() as connection:
                if connection.execute(text("SELECT count(*) FROM hazards")).scalar():
                    return 0.0, True
        except Exception:  # no such database or table: seed it
            pass
    engine.dispose()
    _recreate(url)
    engine = make_engine(url)
    factory, clock = make_session_factory(engine), FrozenClock(AS_OF)
    upgrade(engine)
    started = time.perf_counter()
    with UnitOfWork(factory, clock) as uow:
        load_divisions(uow.session, SYSTEM)
        seed(uow.session, SYSTEM, "province", 2026, AS_OF)
        add_user(uow.session, SYSTEM, "province", PASSWORD, Role.regulator, division_code="320000")
        add_user(uow.session, SYSTEM, "nation", PASSWORD, Role.regulator, division_code="")
    run_risk_job(factory, clock)  # every enterprise's colour, for the map and the early warnings
    vacuum_analyze(engine)
    engine.dispose()
    return time.perf_counter() - started, False


def run(reuse: bool = False, runs: int = 7) -> str:
    url = os.environ.get("ZHIBEN_BENCH_WEB_DATABASE_URL", DEFAULT_URL)
    seed_s, reused = _seeded(url, reuse)
    engine = make_engine(url)
    settings = Settings(
        database_url=url,
        secret_key="bench-secret-key-0123456789-abcdef",
        overdue_job_minutes=0,
        monitoring_job_seconds=0,
        risk_job_minutes=0,
    )
    client = TestClient(create_app(settings, clock=FrozenClock(AS_OF), engine=engine))
    with UnitOfWork(make_session_factory(engine), FrozenClock(AS_OF), write=False) as uow:
        hazards = uow.session.scalar(select(func.count()).select_from(Hazard)) or 0
        size = uow.session.execute(
            text("SELECT pg_size_pretty(pg_database_size(current_database()))")
        ).scalar()
    rows = []

    def timed(who: str, path: str) -> None:
        client.cookies.clear()
        answer = client.post("/login", data={"username": who, "password": PASSWORD}, follow_redirects=False)
        assert answer.status_code == 303, answer.text

        def get() -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        get()  # warm
        median, p95 = _timed(get, runs)
        rows.append(f"| {who} | `{path}` | {median:.0f} | {p95:.0f} |")

    pages: list[tuple[str, str]] = [
        ("nation", "/dashboard"),
        ("province", "/dashboard"),
        ("province", "/dashboard?division=320500"),
        ("province", "/dashboard?division=320506"),
        ("province", "/hazards?state=open"),
        ("province", "/hazards?state=overdue&sort=deadline_at"),
        ("province", "/enterprises?division=320500&risk=red"),
        ("province", "/monitoring"),
    ]
    for who, path in pages:
        timed(who, path)
    started = time.perf_counter()
    client.cookies.clear()
    client.post("/login", data={"username": "province", "password": PASSWORD})
    exported = client.get("/hazards/export.xlsx?division=320500")
    export_s = time.perf_counter() - started
    engine.dispose()
    seeded = "reused" if reused else f"seeded in {seed_s:.0f} s"
    return (
        "# Web UI benchmark\n\n"
        "Run `python -m bench.run web [--reuse]`. Pages rendered end to end through the app (TestClient: routing, "
        "session cookie, scoped queries, Jinja2), warm, median and p95 of "
        f"{runs} runs. PostgreSQL at 127.0.0.1, province-scale demo data ({hazards:,} hazards, {size}; {seeded}); "
        "2 cores.\n\n"
        "| user | page | median ms | p95 ms |\n|---|---|---:|---:|\n" + "\n".join(rows) + "\n\n"
        f"- Excel export of Suzhou's hazards (`/hazards/export.xlsx?division=320500`): {len(exported.content):,} "
        f"bytes in {export_s:.2f} s (login included)\n"
    )
