"""Quality metrics of enforcement (issue 5 item 7), in the caller's scope and without revealing
confidential inspections: the same condition as every inspection query (repository.visible), so an
unannounced inspection that has not started counts only for the planning regulator and its team.

Major hazards found per inspection: findings are not linked to inspections yet, so a hazard counts for
an inspection when it was reported with source `enforcement`, level major, on the inspected enterprise
within the inspection's window (its start to its end, or while it is in progress to the end of the plan
period or now, whichever is later); beside it, the major findings recorded in the inspections themselves.
Re-inspections count as on time when done by their scheduled day; a re-inspection whose day has passed
without it is late. Penalties are counted with their total amount.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, division_prefix
from zhiben.auth.scope import ScopedColumns, scope_condition
from zhiben.db.uow import session_clock
from zhiben.enforcement import repository
from zhiben.enforcement.models import EnforcementPlan, Inspection, InspectionFinding, Penalty, Reinspection
from zhiben.enterprise.models import Enterprise
from zhiben.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from zhiben.hazard.models import Hazard
from zhiben.kit.clock import SHANGHAI
from zhiben.monitoring.risk_models import EnterpriseRisk

KINDS = ("trigger", "random", "control")
COLOURS = ("red", "orange", "yellow", "blue", "unassessed")

ENTERPRISES = ScopedColumns(
    enterprise_id=Enterprise.id,
    province_code=Enterprise.province_code,
    city_code=Enterprise.city_code,
    county_code=Enterprise.county_code,
    sector=Enterprise.sector,
)


@dataclass(frozen=True)
class _Row:
    inspection_id: int
    enterprise_id: int
    colour: str
    kind: str
    state: str
    started_at: datetime | None
    finished_at: datetime | None
    period_end: date


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


def quality(
    session: Session, actor: Principal, division: str | None, period_start: date, period_end: date
) -> dict[str, Any]:
    if not actor.is_government:
        raise PermissionDeniedError(action="enforcement.metrics")
    if period_end < period_start:
        raise InvalidInputError("period_end", "order", "the period ends before it starts")
    code = actor.division_code if division is None else division
    if code and (len(code) != 6 or not code.isdigit()):
        raise InvalidInputError("division", "format", "a 6-digit division code (GB/T 2260)")
    if not actor.has_jurisdiction_over(code):
        raise NotFoundError(kind="division", key=code)
    prefix = division_prefix(code)
    now = session_clock(session).now()
    query = (
        select(Inspection, EnforcementPlan.period_end)
        .join(EnforcementPlan, EnforcementPlan.id == Inspection.plan_id)
        .where(
            repository.visible(actor, now),
            Inspection.county_code.startswith(prefix),
            EnforcementPlan.period_start <= period_end,
            EnforcementPlan.period_end >= period_start,
            or_(
                Inspection.scheduled_on.is_(None),
                and_(Inspection.scheduled_on >= period_start, Inspection.scheduled_on <= period_end),
            ),
        )
    )
    rows = [
        _Row(
            i.id,
            i.enterprise_id,
            str(i.selection.get("colour", "unassessed")),
            str(i.selection.get("kind", "")),
            i.state,
            i.started_at if i.started_at is not None and i.started_at <= now else None,
            i.finished_at,
            end,
        )
        for i, end in session.execute(query)
    ]
    started = [r for r in rows if r.started_at is not None]
    majors = _majors_found(session, started, now)
    by_kind: dict[str, Any] = {}
    for kind in KINDS:
        done = [r for r in started if r.kind == kind]
        found = sum(majors[id(r)] for r in done)
        by_kind[kind] = {
            "inspected": len(done),
            "major_hazards_found": found,
            "per_inspection": round(found / len(done), 4) if done else None,
        }
    high = _high_risk_enterprises(session, actor, prefix)
    inspected_high = {r.enterprise_id for r in started} & high
    return {
        "division": code,
        "period_start": period_start.isoformat(),
        "period_end": period_end.isoformat(),
        "inspections": len(rows),
        "by_colour": {c: sum(r.colour == c for r in rows) for c in COLOURS},
        "by_kind": {k: sum(r.kind == k for r in rows) for k in KINDS},
        "started": len(started),
        "done": sum(r.state == "done" for r in rows),
        "red_orange_enterprises": len(high),
        "red_orange_inspected": len(inspected_high),
        "red_orange_share_inspected": round(len(inspected_high) / len(high), 4) if high else None,
        "major_hazards_by_kind": by_kind,
        "major_hazards_basis": (
            "findings are not linked to inspections yet: major hazards with source enforcement reported "
            "on the inspected enterprise between the inspection's start and its end (or the plan's end)"
        ),
        "major_findings_by_kind": _major_findings(session, started),
        "reinspections": _reinspections(session, started, now),
        "penalties": _penalties(session, started),
    }


def _ids(rows: list[_Row]) -> list[int]:
    return sorted({r.inspection_id for r in rows})


def _major_findings(session: Session, started: list[_Row]) -> dict[str, int]:
    kind_of = {r.inspection_id: r.kind for r in started}
    found: Counter[str] = Counter()
    ids = _ids(started)
    for start in range(0, len(ids), 1000):
        query = select(InspectionFinding.inspection_id).where(
            InspectionFinding.inspection_id.in_(ids[start : start + 1000]),
            InspectionFinding.is_major.is_(True),
        )
        found.update(kind_of[i] for i in session.scalars(query))
    return {kind: found[kind] for kind in KINDS}


def _reinspections(session: Session, started: list[_Row], now: datetime) -> dict[str, Any]:
    today = now.astimezone(SHANGHAI).date()
    on_time = late_done = overdue = pending = 0
    ids = _ids(started)
    for start in range(0, len(ids), 1000):
        rows = session.execute(
            select(Reinspection.scheduled_on, Reinspection.done_at).where(
                Reinspection.inspection_id.in_(ids[start : start + 1000])
            )
        )
        for scheduled_on, done_at in rows:
            if done_at is not None:
                if done_at.astimezone(SHANGHAI).date() <= scheduled_on:
                    on_time += 1
                else:
                    late_done += 1
            elif scheduled_on < today:
                overdue += 1
            else:
                pending += 1
    due = on_time + late_done + overdue
    return {
        "on_time": on_time,
        "done_late": late_done,
        "overdue": overdue,
        "not_yet_due": pending,
        "on_time_share": round(on_time / due, 4) if due else None,
    }


def _penalties(session: Session, started: list[_Row]) -> dict[str, Any]:
    count, total = 0, Decimal(0)
    ids = _ids(started)
    for start in range(0, len(ids), 1000):
        query = select(func.count(), func.coalesce(func.sum(Penalty.amount_yuan), 0)).where(
            Penalty.inspection_id.in_(ids[start : start + 1000])
        )
        n, amount = session.execute(query).one()
        count, total = count + int(n), total + Decimal(amount)
    return {"count": count, "amount_yuan": str(total.quantize(Decimal("0.01")))}


def _majors_found(session: Session, started: list[_Row], now: datetime) -> Counter[int]:
    found: Counter[int] = Counter()
    if not started:
        return found
    reported: dict[int, list[datetime]] = {}
    query = select(Hazard.enterprise_id, Hazard.reported_at).where(
        Hazard.source == "enforcement",
        Hazard.level == "major",
        Hazard.enterprise_id.in_({r.enterprise_id for r in started}),
    )
    for eid, at in session.execute(query):
        reported.setdefault(eid, []).append(at)
    for r in started:
        assert r.started_at is not None
        end = r.finished_at or max(_end_of(r.period_end), now)
        found[id(r)] = sum(r.started_at <= at <= end for at in reported.get(r.enterprise_id, []))
    return found


def _high_risk_enterprises(session: Session, actor: Principal, prefix: str) -> set[int]:
    query = (
        select(Enterprise.id)
        .join(EnterpriseRisk, EnterpriseRisk.enterprise_id == Enterprise.id)
        .where(
            EnterpriseRisk.level.in_(("red", "orange")),
            Enterprise.county_code.startswith(prefix),
            scope_condition(actor, ENTERPRISES),
        )
    )
    return set(session.scalars(query))
