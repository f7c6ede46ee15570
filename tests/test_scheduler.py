from __future__ import annotations

from datetime import timedelta

from tests.builders import Db, five_implementations
from zhiben.audit.service import history, verify_chain
from zhiben.auth.domain import SYSTEM
from zhiben.hazard import service
from zhiben.worker.scheduler import run_overdue_job


def test_the_overdue_job_flags_past_deadline_hazards_once_and_audits_as_the_scheduler(db: Db) -> None:
    hazard_id = db.hazard(db.enterprise("320506"))
    db.act(service.plan_rectification, SYSTEM, hazard_id, five_implementations(db.clock, days=3))
    assert run_overdue_job(db.factory, db.clock, 1) == 0
    db.clock.advance(timedelta(days=3, seconds=1))
    assert run_overdue_job(db.factory, db.clock, 1) == 1
    assert run_overdue_job(db.factory, db.clock, 1) == 0
    with db.uow(write=False) as uow:
        hazard = service.get_hazard(uow.session, SYSTEM, hazard_id)
        assert hazard.is_overdue and hazard.escalated_to == "320500"
        last = history(uow.session, "hazard", str(hazard_id))[-1]
        assert (last.action, last.actor) == ("hazard.overdue", "admin:scheduler")


def test_two_overlapping_overdue_runs_share_the_work_without_colliding(db: Db) -> None:
    from concurrent.futures import ThreadPoolExecutor

    firm = db.enterprise("320506")
    ids = [db.hazard(firm) for _ in range(40)]
    for hazard_id in ids:
        db.act(service.plan_rectification, SYSTEM, hazard_id, five_implementations(db.clock, days=1))
    db.clock.advance(timedelta(days=2))
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(run_overdue_job, db.factory, db.clock, 1, 5) for _ in range(2)]
        marked = [run.result() for run in runs]
    assert sum(marked) == 40
    with db.uow(write=False) as uow:
        _, broken = verify_chain(uow.session)
    assert broken is None


def test_a_city_lists_the_overdue_major_hazards_escalated_to_it(db: Db) -> None:
    from tests.builders import auth_header
    from zhiben.auth.domain import Role

    firm = db.enterprise("320506")
    escalated, on_time = db.hazard(firm), db.hazard(firm)
    db.act(service.plan_rectification, SYSTEM, escalated, five_implementations(db.clock, days=1))
    db.act(service.plan_rectification, SYSTEM, on_time, five_implementations(db.clock, days=30))
    db.clock.advance(timedelta(days=2))
    run_overdue_job(db.factory, db.clock, 1)
    city = db.user(Role.regulator, division="320500")
    client = db.client()
    body = client.get(
        "/api/v1/hazards?escalated_to=320500", headers=auth_header(client, city.username)
    ).json()
    assert [h["id"] for h in body["items"]] == [escalated]
