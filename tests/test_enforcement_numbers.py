"""Enforcement document numbers (文书编号) stay distinct and consecutive per planning division, kind and
year, also when several transactions issue documents at once (PostgreSQL: the loser of the race on the
unique constraint retries in a savepoint instead of failing with a 500)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import select, text

from tests.builders import Db
from tests.test_enforcement_programmes import draft, world  # noqa: F401  (fixture)
from zhiben.auth.domain import Principal
from zhiben.enforcement import inspecting, service
from zhiben.enforcement.models import EnforcementDocumentNumber


def _in_progress(db: Db, world: dict[str, Any], count: int) -> list[int]:  # noqa: F811
    """`count` started inspections of one plan (one planning division), staffed by officers a and b."""
    planner: Principal = world["planner"]
    plan = db.act(service.create_plan, planner, draft(("hazchem_production",), count, ()))
    db.act(service.run_plan_draw, planner, plan.id)
    rows, _ = db.act(service.list_inspections, planner, plan.id, 0, 50)
    team = [world["officer_a"].user_id, world["officer_b"].user_id]
    for row in rows:
        db.act(service.assign_team, planner, row.id, team)
        db.act(service.start_inspection, world["officer_a"], row.id)
    return [r.id for r in rows]


def test_numbers_are_consecutive_per_division_and_kind(db: Db, world: dict[str, Any]) -> None:  # noqa: F811
    first, second = _in_progress(db, world, 2)
    for inspection_id in (first, second):
        db.act(inspecting.finish_inspection, world["officer_a"], inspection_id)
    with db.uow(write=False) as uow:
        numbers = uow.session.scalars(
            select(EnforcementDocumentNumber.sequence).order_by(EnforcementDocumentNumber.id)
        )
        assert list(numbers) == [1, 2]


@pytest.mark.postgres
def test_two_transactions_issuing_at_once_get_distinct_consecutive_numbers(
    db: Db,
    world: dict[str, Any],  # noqa: F811
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN: the race needs PostgreSQL")
    first, second = _in_progress(db, world, 2)
    officer = world["officer_a"]
    outcome: dict[str, Any] = {}

    def other() -> None:
        try:
            with db.uow() as uow:
                inspecting.finish_inspection(uow.session, officer, second)
        except Exception as exc:  # reported to the test below
            outcome["error"] = exc

    with db.uow() as uow:
        inspecting.finish_inspection(uow.session, officer, first)  # number 1, not yet committed
        thread = threading.Thread(target=other)
        thread.start()
        _wait_for_lock_wait(db)  # the other read the same maximum and waits on the unique index
    thread.join(timeout=30)
    assert "error" not in outcome, outcome.get("error")
    with db.uow(write=False) as uow:
        rows = uow.session.scalars(
            select(EnforcementDocumentNumber).order_by(EnforcementDocumentNumber.sequence)
        )
        assert [(r.object_id, r.sequence) for r in rows] == [(first, 1), (second, 2)]


@pytest.mark.postgres
def test_many_threads_issuing_at_once_get_numbers_one_to_n(db: Db, world: dict[str, Any]) -> None:  # noqa: F811
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN: the race needs PostgreSQL")
    ids = _in_progress(db, world, 4)
    officer = world["officer_a"]
    barrier = threading.Barrier(len(ids))
    errors: list[Exception] = []

    def finish(inspection_id: int) -> None:
        try:
            with db.uow() as uow:
                barrier.wait(timeout=10)
                inspecting.finish_inspection(uow.session, officer, inspection_id)
        except Exception as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=finish, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with db.uow(write=False) as uow:
        sequences = sorted(uow.session.scalars(select(EnforcementDocumentNumber.sequence)))
        assert sequences == [1, 2, 3, 4]


def _wait_for_lock_wait(db: Db) -> None:
    deadline = time.monotonic() + 10
    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    while time.monotonic() < deadline:
        with db.engine.connect() as connection:
            if connection.scalar(query):
                return
        time.sleep(0.05)
    raise AssertionError("the second transaction never waited on the unique index")
