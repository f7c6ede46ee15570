"""Scheduled jobs. `zhiben serve` runs them in-process; a cluster runs `zhiben hazards mark-overdue` from cron."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from zhiben.auth.domain import Principal, Role
from zhiben.chain.service import mark_overdue_referrals
from zhiben.db.uow import UnitOfWork
from zhiben.dualprevention.service import flag_reassessments
from zhiben.hazard.service import mark_overdue
from zhiben.kit.clock import SHANGHAI, Clock
from zhiben.monitoring import handling, hazard_link, ingest, risk
from zhiben.monitoring.notify import LogNotifier, Notifier, WebhookNotifier
from zhiben.training.service import refresh_certificate_facts

log = logging.getLogger(__name__)
SCHEDULER = Principal(user_id=0, username="scheduler", role=Role.admin)


def run_overdue_job(
    factory: sessionmaker[Session], clock: Clock, escalate_levels: int, batch: int = 500
) -> int:
    """Flag every hazard now past its deadline, one committed batch at a time (short locks, nothing redone)."""
    marked = 0
    while True:
        with UnitOfWork(factory, clock) as uow:
            done = mark_overdue(uow.session, SCHEDULER, escalate_levels, batch)
        marked += done
        if done < batch:
            break
    if marked:
        log.info("overdue job: %d hazards newly overdue", marked)
    return marked


def run_referral_overdue_job(factory: sessionmaker[Session], clock: Clock, batch: int = 500) -> int:
    """Mark referrals (移送) not acknowledged by their deadline as overdue, one committed batch at a time."""
    marked = 0
    while True:
        with UnitOfWork(factory, clock) as uow:
            done = mark_overdue_referrals(uow.session, SCHEDULER, batch)
        marked += done
        if done < batch:
            break
    if marked:
        log.info("referral job: %d referrals newly overdue", marked)
    return marked


def run_governance_jobs(factory: sessionmaker[Session], clock: Clock) -> dict[str, int]:
    """The slower bookkeeping, each in its own transaction so one failure does not hold up the others:
    referrals past their deadline, certificate facts for today (a lapsed certificate meets its clause),
    risk units whose hazards closed since their last assessment."""
    done = {"referrals_overdue": run_referral_overdue_job(factory, clock)}
    today = clock.now().astimezone(SHANGHAI).date()
    with UnitOfWork(factory, clock) as uow:
        done["certificate_facts"] = len(refresh_certificate_facts(uow.session, SCHEDULER, today))
    with UnitOfWork(factory, clock) as uow:
        done["units_to_reassess"] = len(flag_reassessments(uow.session, SCHEDULER))
    if any(done.values()):
        log.info("governance jobs: %s", done)
    return done


def notifier_for(webhook_url: str) -> Notifier:
    return WebhookNotifier(webhook_url) if webhook_url else LogNotifier()


def run_monitoring_jobs(
    factory: sessionmaker[Session], clock: Clock, notifier: Notifier, ingestor: ingest.Ingestor
) -> dict[str, int]:
    """Sensors gone quiet (offline) and calibrations due, shelving that has expired, and alarms not
    acknowledged within their response time: each in short committed batches until none is left."""
    done = {"sensors_swept": 0, "alarm_events": 0, "unshelved": 0, "escalated": 0, "hazards_raised": 0}
    after = 0
    while True:
        with UnitOfWork(factory, clock) as uow:
            last, report = ingest.sweep(ingestor, uow.session, after)
        if not last:
            break
        done["sensors_swept"] += 1
        done["alarm_events"] += report.events
        after = last
    while True:
        with UnitOfWork(factory, clock) as uow:
            count = handling.expire_shelving(uow.session, clock.now())
        done["unshelved"] += count
        if count == 0:
            break
    while True:
        with UnitOfWork(factory, clock) as uow:
            count = handling.escalate_due(uow.session, clock.now(), notifier)
        done["escalated"] += count
        if count == 0:
            break
    with UnitOfWork(factory, clock) as uow:  # alarm patterns a standard names (e.g. coal article 5)
        done["hazards_raised"] = len(
            hazard_link.hazards_from_alarms(uow.session, ingest.IngestReport()).raised
        )
    if any(done[k] for k in ("alarm_events", "unshelved", "escalated", "hazards_raised")):
        log.info("monitoring jobs: %s", done)
    return done


def run_risk_job(factory: sessionmaker[Session], clock: Clock, batch: int = 1000) -> int:
    """Recompute every enterprise's risk level, a committed batch at a time; returns how many changed."""
    changed, after = 0, 0
    while True:
        with UnitOfWork(factory, clock) as uow:
            ids = risk.next_enterprise_ids(uow.session, after, batch)
            if not ids:
                break
            changed += len(risk.recompute_risk(uow.session, SCHEDULER, ids).changed)
        after = ids[-1]
    if changed:
        log.info("risk job: %d enterprises changed level", changed)
    return changed


async def every(seconds: float, job: Callable[[], object]) -> None:
    """Run a blocking job now and then every `seconds`, in a worker thread; a failure is logged, not fatal."""
    while True:
        try:
            await asyncio.to_thread(job)
        except Exception as exc:  # the loop must outlive one bad run; the next run retries the same work
            log.exception("scheduled job failed (%s); retrying in %.0f s", exc, seconds)
        await asyncio.sleep(seconds)
