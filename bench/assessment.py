"""Assessment benchmark: seed the province-scale data set into PostgreSQL (its own database), then time the
assessment of a province (every KPI for the province and each of its cities, grouped in SQL) and the traces
behind its report's Excel sheets."""

from __future__ import annotations

import os
import time
from datetime import date

from sqlalchemy import func, select, text

from bench.registry import AS_OF, _recreate, _timed
from zhiben.assessment import service
from zhiben.assessment.domain import Period
from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.db.engine import make_engine, make_session_factory, vacuum_analyze
from zhiben.db.schema import upgrade
from zhiben.db.uow import UnitOfWork
from zhiben.demo.load import seed
from zhiben.division.service import load_divisions
from zhiben.hazard.models import Hazard
from zhiben.kit.clock import FrozenClock

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/zhiben_bench_assessment"
PERIOD = Period(date(2025, 11, 1), date(2026, 10, 31))


def run(scale: str = "province", runs: int = 5) -> str:
    url = os.environ.get("ZHIBEN_BENCH_ASSESSMENT_DATABASE_URL", DEFAULT_URL)
    _recreate(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    clock = FrozenClock(AS_OF)
    upgrade(engine)
    with UnitOfWork(factory, clock) as uow:
        load_divisions(uow.session, SYSTEM)
    started = time.perf_counter()
    with UnitOfWork(factory, clock) as uow:
        seed(uow.session, SYSTEM, scale, 2026, AS_OF)
    vacuum_analyze(engine)
    seed_s = time.perf_counter() - started
    with UnitOfWork(factory, clock, write=False) as uow:
        per_province = uow.session.execute(
            select(Hazard.province_code, func.count())
            .group_by(Hazard.province_code)
            .order_by(func.count().desc())
        ).first()
        size = uow.session.execute(
            text("SELECT pg_size_pretty(pg_database_size(current_database()))")
        ).scalar()
    province, hazards = (per_province[0], per_province[1]) if per_province else ("32", 0)
    regulator = Principal(user_id=1, username="bench", role=Role.regulator, division_code=province + "0000")

    def assess() -> None:
        with UnitOfWork(factory, clock, write=False) as uow:
            service.assess_division(uow.session, regulator, province + "0000", PERIOD)

    def traces() -> None:
        with UnitOfWork(factory, clock, write=False) as uow:
            found = service.assess_division(uow.session, regulator, province + "0000", PERIOD)
            service.traces_of(uow.session, regulator, found)

    assess_ms = _timed(assess, runs)
    traces_ms = _timed(traces, runs)
    engine.dispose()
    return (
        f"# Assessment benchmark\n\nscale: {scale}; database: PostgreSQL, {size}; seeding {seed_s:.1f} s\n"
        f"province {province}0000: {hazards} hazards\n\n"
        "| operation | median ms | p95 ms |\n|---|---|---|\n"
        f"| assess the province and its cities (10 KPIs) | {assess_ms[0]:.0f} | {assess_ms[1]:.0f} |\n"
        f"| assess + trace every KPI (the Excel's sheets) | {traces_ms[0]:.0f} | {traces_ms[1]:.0f} |\n"
    )
