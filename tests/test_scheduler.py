from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from tests.builders import Db, five_implementations
from zhiben.audit.service import history, verify_chain
from zhiben.auth.domain import SYSTEM, Role
from zhiben.hazard import service
from zhiben.monitoring import domain
from zhiben.monitoring.ingest import Ingestor, Message
from zhiben.monitoring.models import Alarm
from zhiben.monitoring.notify import FakeNotifier
from zhiben.monitoring.sensors import SensorDraft, register_sensor
from zhiben.worker.scheduler import run_monitoring_jobs, run_overdue_job


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


def test_the_monitoring_jobs_find_quiet_sensors_and_escalate_unanswered_alarms(db: Db) -> None:
    mine = db.enterprise(county="140213", sector="coal_mine")
    draft = SensorDraft(code="CH4", kind="methane", unit="%CH4", location_code="T1", sampling_period_s=60)
    db.act(register_sensor, SYSTEM, mine, draft)
    now = domain.to_ms(db.clock.now())
    body = json.dumps(
        {"readings": {"sensor": ["CH4", "CH4"], "ts": [now - 60_000, now], "value": [0.3, 1.2]}}
    )
    ingestor, notifier = Ingestor(), FakeNotifier()
    db.act(ingestor.ingest, [Message(mine, "test", "test", body.encode())])

    assert (
        run_monitoring_jobs(db.factory, db.clock, notifier, ingestor)["escalated"] == 0
    )  # nothing is due yet
    db.clock.advance(timedelta(minutes=31))  # 3 periods of silence; past the 30-minute response time (medium)
    done = run_monitoring_jobs(db.factory, db.clock, notifier, ingestor)
    assert done["alarm_events"] == 1 and done["escalated"] >= 1
    with db.uow(write=False) as uow:
        conditions = {a.condition: a.escalated_at is not None for a in uow.session.scalars(select(Alarm))}
    assert conditions == {"alarm:hi": True, "offline": False}
    assert [e.condition for e in notifier.sent] == ["alarm:hi"]
    again = run_monitoring_jobs(db.factory, db.clock, notifier, ingestor)
    assert (again["alarm_events"], again["escalated"]) == (0, 0)


def test_the_risk_job_assesses_every_enterprise_and_counts_only_changes(db: Db) -> None:
    from zhiben.worker.scheduler import run_risk_job

    for _ in range(3):
        db.enterprise()
    assert run_risk_job(db.factory, db.clock, batch=2) == 3  # a first assessment is a change from none
    assert run_risk_job(db.factory, db.clock, batch=2) == 0


def test_the_governance_jobs_mark_overdue_referrals_and_run_the_daily_bookkeeping(db: Db) -> None:
    from zhiben.chain import service as chain
    from zhiben.worker.scheduler import run_governance_jobs

    regulator = db.user(Role.regulator, division="320500")
    hazard_id = db.hazard(db.enterprise(county="320506", sector="urban_gas"))
    db.act(chain.refer_hazard, regulator, hazard_id, "燃气使用环节隐患", department="housing_construction")
    assert run_governance_jobs(db.factory, db.clock)["referrals_overdue"] == 0
    db.clock.advance(timedelta(days=5, minutes=1))
    done = run_governance_jobs(db.factory, db.clock)
    assert done == {"referrals_overdue": 1, "certificate_facts": 0, "units_to_reassess": 0}
    assert run_governance_jobs(db.factory, db.clock)["referrals_overdue"] == 0
