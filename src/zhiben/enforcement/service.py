"""Enforcement plans and their inspections: seal a verifiable draw, run it, staff and start inspections.

A plan freezes its inputs when it is created: the pool (the enterprises of the planning division and
sectors, each with its current risk colour), the officer roster and the parameters. It publishes the
commitment to a fresh secret seed and the hash of those inputs at once, in the tamper-evident audit log,
so the draw run later can be checked against what was announced before it (`zhiben enforcement
verify-draw`). The seed stays in the database, unread by any endpoint, until the draw reveals it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhiben.accident.models import Accident
from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.auth.models import User
from zhiben.db.uow import session_clock
from zhiben.enforcement import draw, programmes, repository
from zhiben.enforcement.domain import MIN_TEAM, InspectionFacts, is_confidential, is_planning_regulator
from zhiben.enforcement.models import EmphasisQuestion, EnforcementPlan, Inspection, InspectionOfficer
from zhiben.enterprise.domain import SECTOR_BY_CODE, sector_family
from zhiben.enterprise.models import Enterprise, Facility
from zhiben.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from zhiben.hazard.domain import HazardLevel, Source
from zhiben.hazard.models import Hazard
from zhiben.monitoring.risk_domain import RiskLevel
from zhiben.monitoring.risk_models import EnterpriseRisk

MODES = ("overt", "covert")


@dataclass(frozen=True)
class PlanDraft:
    title: str
    period_start: date
    period_end: date
    sectors: tuple[str, ...]
    quota: int
    officer_count: int
    is_unannounced: bool = True
    mode: str = "overt"
    emphasis: tuple[str, ...] = ()  # codes of emphasis programmes (data/emphasis_programmes.yaml)


def _check(draft: PlanDraft) -> None:
    problems = []
    if not draft.title.strip():
        problems.append(("title", "required", "give the plan a title"))
    if draft.period_end < draft.period_start:
        problems.append(("period_end", "order", "the period ends before it starts"))
    unknown = [s for s in draft.sectors if s not in SECTOR_BY_CODE]
    if unknown or not draft.sectors:
        problems.append(("sectors", "unknown", f"sectors are codes from /api/v1/sectors; not {unknown}"))
    if not 1 <= draft.quota <= 100_000:
        problems.append(("quota", "range", "a quota of 1 to 100,000 inspections"))
    if not 0 <= draft.officer_count <= 10_000:
        problems.append(("officer_count", "range", "0 to 10,000 officers"))
    if draft.mode not in MODES:
        problems.append(("mode", "unknown", "overt (明查) or covert (暗访)"))
    try:
        programmes.resolve(draft.emphasis, [s for s in draft.sectors if s in SECTOR_BY_CODE])
    except InvalidInputError as error:
        problems += [(f["field"], f["reason"], f["message"]) for f in error.details["fields"]]
    if problems:
        raise InvalidInputError.of(problems)


def _require_planner(actor: Principal) -> None:
    if actor.role not in (Role.regulator, Role.admin):
        raise PermissionDeniedError(action="enforcement.plan")


def _pool(
    session: Session,
    actor: Principal,
    sectors: tuple[str, ...],
    period_start: date,
    emphasis: tuple[programmes.Programme, ...] = (),
) -> tuple[draw.Candidate, ...]:
    prefix = actor.prefix
    wanted = set(sectors)
    query = (
        select(Enterprise.id, Enterprise.sector, Enterprise.county_code, EnterpriseRisk.level)
        .outerjoin(EnterpriseRisk, EnterpriseRisk.enterprise_id == Enterprise.id)
        .where(Enterprise.county_code.startswith(prefix) if prefix else Enterprise.id.is_not(None))
        .order_by(Enterprise.id)
    )
    rows = [
        (eid, sector, county, level)
        for eid, sector, county, level in session.execute(query)
        if sector in wanted or sector_family(sector) in wanted
    ]
    found = _triggers(session, {eid for eid, _, _, _ in rows}, period_start)
    for eid, kind, ref in _emphasis_triggers(
        session, [(eid, sector) for eid, sector, _, _ in rows], emphasis
    ):
        found.setdefault(eid, set()).add(draw.Trigger(kind, ref))
    return tuple(
        draw.Candidate(
            str(eid),
            draw.Colour.of(RiskLevel(level) if level else None),
            sector,
            county,
            tuple(sorted(found.get(eid, ()))),
        )
        for eid, sector, county, level in rows
    )


def _triggers(session: Session, ids: set[int], period_start: date) -> dict[int, set[draw.Trigger]]:
    """Reasons, from stored records, to inspect an enterprise whatever the random draw says:
    - complaint: an open hazard reported from a tip-off (举报), ref = the hazard's number;
    - risk_list: an open major hazard past its deadline (逾期重大事故隐患);
    - minimum_frequency: a grade 1 or 2 major hazard installation (GB 18218) with no inspection started
      in the year before the period (at least yearly: zhiben's default, as the issue asks);
    - accident: a production safety accident at the enterprise in the year before the period,
      ref = accident-<id> and its Decree 493 grade."""
    found: dict[int, set[draw.Trigger]] = {}
    listed = sorted(ids)

    def add(eid: int, kind: draw.TriggerKind, ref: str) -> None:
        found.setdefault(eid, set()).add(draw.Trigger(kind, ref))

    year_before = datetime.combine(period_start, datetime.min.time(), tzinfo=UTC) - timedelta(days=365)
    for start in range(0, len(listed), 1000):
        part = listed[start : start + 1000]
        tipoffs = select(Hazard.enterprise_id, Hazard.number).where(
            Hazard.enterprise_id.in_(part), Hazard.is_open.is_(True), Hazard.source == Source.tipoff.value
        )
        for eid, number in session.execute(tipoffs):
            add(eid, draw.TriggerKind.complaint, number)
        overdue = select(Hazard.enterprise_id, Hazard.number).where(
            Hazard.enterprise_id.in_(part),
            Hazard.is_open.is_(True),
            Hazard.is_overdue.is_(True),
            Hazard.level == HazardLevel.major.value,
        )
        for eid, number in session.execute(overdue):
            add(eid, draw.TriggerKind.risk_list, number)
        graded = (
            select(Facility.enterprise_id, func.min(Facility.grade))
            .where(Facility.enterprise_id.in_(part), Facility.is_major_hazard.is_(True), Facility.grade <= 2)
            .group_by(Facility.enterprise_id)
        )
        recent = set(
            session.scalars(
                select(Inspection.enterprise_id).where(
                    Inspection.enterprise_id.in_(part), Inspection.started_at >= year_before
                )
            )
        )
        for eid, grade in session.execute(graded):
            if eid not in recent:
                add(eid, draw.TriggerKind.minimum_frequency, f"gb18218-grade-{grade}")
        accidents = select(Accident.enterprise_id, Accident.id, Accident.grade).where(
            Accident.enterprise_id.in_(part), Accident.occurred_at >= year_before
        )
        for eid, accident_id, accident_grade in session.execute(accidents):
            add(eid, draw.TriggerKind.accident, f"accident-{accident_id}-{accident_grade}")
    return found


def _emphasis_triggers(
    session: Session, rows: list[tuple[int, str]], emphasis: tuple[programmes.Programme, ...]
) -> list[tuple[int, draw.TriggerKind, str]]:
    """(enterprise, emphasis, programme code) for each enterprise of the pool a named programme selects:
    of a sector it covers, and either every such enterprise (`select: all`) or those with an open hazard
    whose stored citation is in one of its clause lists (pack and clause)."""
    found = []
    for programme in emphasis:
        covered = sorted(eid for eid, sector in rows if programme.covers(sector))
        if programme.selects_all:
            chosen = set(covered)
        else:
            chosen = set()
            for start in range(0, len(covered), 1000):
                part = covered[start : start + 1000]
                query = select(Hazard.enterprise_id, Hazard.citation).where(
                    Hazard.enterprise_id.in_(part), Hazard.is_open.is_(True), Hazard.citation.is_not(None)
                )
                chosen |= {eid for eid, citation in session.execute(query) if programme.cites(citation)}
        found += [(eid, draw.TriggerKind.emphasis, programme.code) for eid in sorted(chosen)]
    return found


def _officers(session: Session, actor: Principal) -> tuple[draw.Officer, ...]:
    """The certified officers of the division. Certificates are not recorded yet (training and
    certificates come with the governance issue), so every active officer counts as certified."""
    query = select(User.id, User.division_code, User.sectors).where(
        User.role == Role.officer.value, User.is_active.is_(True)
    )
    if actor.prefix:
        query = query.where(User.division_code.startswith(actor.prefix))
    return tuple(
        draw.Officer(str(uid), True, frozenset(s for s in sectors.split(",") if s), county or "")
        for uid, county, sectors in session.execute(query.order_by(User.id))
    )


def create_plan(session: Session, actor: Principal, plan_draft: PlanDraft) -> EnforcementPlan:
    """Freeze the inputs, commit to a fresh seed and publish both (audit log) before any draw."""
    _require_planner(actor)
    _check(plan_draft)
    now = session_clock(session).now()
    plan = EnforcementPlan(
        division_code=actor.division_code,
        title=plan_draft.title.strip(),
        period_start=plan_draft.period_start,
        period_end=plan_draft.period_end,
        sectors=list(plan_draft.sectors),
        quota=plan_draft.quota,
        officer_count=plan_draft.officer_count,
        is_unannounced=plan_draft.is_unannounced,
        mode=plan_draft.mode,
        state="sealed",
        inputs={},
        inputs_sha256="",
        commitment="",
        seed_hex="",
        created_by=actor.audit_name,
        created_by_user_id=actor.user_id,
        created_at=now,
    )
    session.add(plan)
    session.flush()
    policy = draw.load_policy()
    named = programmes.resolve(plan_draft.emphasis, plan_draft.sectors)
    params = draw.default_params(f"plan-{plan.id}", plan_draft.quota, plan_draft.officer_count, policy)
    params = replace(params, emphasis={p.code: p.stored_questions for p in named})
    pool = _pool(session, actor, plan_draft.sectors, plan_draft.period_start, named)
    inputs = draw.DrawInputs(params, policy, pool, _officers(session, actor))
    seed = secrets.token_bytes(32)
    sealed = draw.seal(inputs, seed)
    plan.inputs, plan.inputs_sha256 = draw.inputs_document(inputs), sealed.inputs_sha256
    plan.commitment, plan.seed_hex = sealed.commitment, seed.hex()
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "enforcement.plan.seal",
        "enforcement_plan",
        str(plan.id),
        after=public(plan),
    )
    return plan


def public(plan: EnforcementPlan) -> dict[str, Any]:
    """What may be shown of a plan: never the seed before the draw, never the targets of an unannounced
    plan (they are in its inspections, which are confidential until they start)."""
    return {
        "id": plan.id,
        "division_code": plan.division_code,
        "title": plan.title,
        "period_start": plan.period_start.isoformat(),
        "period_end": plan.period_end.isoformat(),
        "sectors": plan.sectors,
        "quota": plan.quota,
        "officer_count": plan.officer_count,
        "is_unannounced": plan.is_unannounced,
        "mode": plan.mode,
        "state": plan.state,
        "pool_size": len(plan.inputs.get("pool", [])),
        "emphasis": emphasis_of(plan),
        "inputs_sha256": plan.inputs_sha256,
        "commitment": plan.commitment,
    }


def emphasis_of(plan: EnforcementPlan) -> list[str]:
    """The codes of the emphasis programmes the plan named, as sealed in its draw inputs."""
    return sorted(plan.inputs.get("params", {}).get("emphasis", {}))


def get_plan(session: Session, actor: Principal, plan_id: int) -> EnforcementPlan:
    plan = repository.get_plan(session, actor, plan_id)
    if plan is None:
        raise NotFoundError(kind="enforcement plan", key=plan_id)
    return plan


def list_plans(
    session: Session, actor: Principal, offset: int, limit: int
) -> tuple[list[EnforcementPlan], int]:
    """The plans the caller may see: its planning office's (regulators) or all (administrators); a plan's
    targets stay in its inspections, which keep their own confidentiality."""
    return repository.plans(session, actor, offset, limit)


def run_plan_draw(session: Session, actor: Principal, plan_id: int) -> EnforcementPlan:
    """Draw with the committed seed, reveal it, and create one inspection per selected enterprise."""
    plan = get_plan(session, actor, plan_id)
    _require_planner(actor)
    if plan.state != "sealed":
        raise ConflictError(reason="this plan has been drawn already")
    record = draw.run_draw(draw.inputs_from_document(plan.inputs), bytes.fromhex(plan.seed_hex))
    now = session_clock(session).now()
    plan.record, plan.state, plan.drawn_at = draw.record_document(record), "drawn", now
    why = {t["enterprise_id"]: t for t in plan.record["result"]["targets"]}  # stored with each inspection
    questions = record.inputs.params.emphasis  # as sealed: the questions announced with the plan
    attached: dict[str, int] = {}
    enterprises = {
        e.id: e
        for e in session.scalars(
            select(Enterprise).where(Enterprise.id.in_([int(s.enterprise_id) for s in record.result.targets]))
        )
    }
    for selection in record.result.targets:
        enterprise = enterprises[int(selection.enterprise_id)]
        inspection = Inspection(
            plan_id=plan.id,
            enterprise_id=enterprise.id,
            county_code=enterprise.county_code,
            city_code=enterprise.city_code,
            province_code=enterprise.province_code,
            sector=enterprise.sector,
            planning_division=plan.division_code,
            is_unannounced=plan.is_unannounced,
            mode=plan.mode,
            selection=why[selection.enterprise_id],
            state="planned",
            created_at=now,
        )
        session.add(inspection)
        codes = sorted(
            {t.ref for t in selection.triggers if t.kind is draw.TriggerKind.emphasis} & set(questions)
        )
        if codes:
            session.flush()
            for code in codes:
                attached[code] = attached.get(code, 0) + 1
                session.add_all(
                    EmphasisQuestion(inspection_id=inspection.id, programme=code, question=text)
                    for text in questions[code]
                )
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "enforcement.plan.draw",
        "enforcement_plan",
        str(plan.id),
        after={
            "seed": plan.seed_hex,
            "targets": len(record.result.targets),
            "officers": len(record.result.officers),
        }
        | ({"emphasis": {c: attached.get(c, 0) for c in sorted(questions)}} if questions else {}),
    )
    return plan


def facts_of(session: Session, inspection: Inspection) -> InspectionFacts:
    return InspectionFacts(
        inspection.is_unannounced,
        inspection.started_at,
        inspection.planning_division,
        repository.team_of(session, inspection.id),
    )


def view_inspection(session: Session, actor: Principal, inspection_id: int) -> Inspection:
    """One inspection, if the caller may see it; a view of a confidential one is audited."""
    now = session_clock(session).now()
    inspection = repository.get_inspection(session, actor, inspection_id, now)
    if inspection is None:
        raise NotFoundError(kind="inspection", key=inspection_id)
    if is_confidential(facts_of(session, inspection), now):
        audit.record(session, actor.audit_name, "inspection.view", "inspection", str(inspection.id))
    return inspection


def list_inspections(
    session: Session,
    actor: Principal,
    plan_id: int | None,
    offset: int,
    limit: int,
    assigned_only: bool = False,
) -> tuple[list[Inspection], int]:
    """Inspections the caller may see (`assigned_only`: on whose team the caller is); a view of a
    confidential one is audited."""
    now = session_clock(session).now()
    rows, total = repository.inspections(session, actor, now, plan_id, offset, limit, assigned_only)
    confidential = [(str(i.id), None, None) for i in rows if is_confidential(facts_of(session, i), now)]
    if confidential:
        audit.record_many(session, actor.audit_name, "inspection.view", "inspection", confidential)
    return rows, total


def assign_team(session: Session, actor: Principal, inspection_id: int, officer_ids: list[int]) -> Inspection:
    """Staff an inspection: at least two active officers, none from the target's county (异地交叉)."""
    inspection = view_inspection(session, actor, inspection_id)
    if not is_planning_regulator(actor, inspection.planning_division):
        raise PermissionDeniedError(action="inspection.assign_team")
    if inspection.state != "planned":
        raise ConflictError(reason="the team of a started inspection is not changed")
    chosen = sorted(set(officer_ids))
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(chosen)))}
    problems = []
    if len(chosen) < MIN_TEAM:
        problems.append(("officer_ids", "team_size", f"a team has at least {MIN_TEAM} officers"))
    for uid in chosen:
        user = users.get(uid)
        if user is None or user.role != Role.officer.value or not user.is_active:
            problems.append(("officer_ids", "not_officer", f"user {uid} is not an active officer"))
        elif user.division_code == inspection.county_code:
            problems.append(("officer_ids", "same_county", f"officer {uid} is from the target's county"))
    if problems:
        raise InvalidInputError.of(problems)
    before = repository.team_of(session, inspection.id)
    for row in session.scalars(
        select(InspectionOfficer).where(InspectionOfficer.inspection_id == inspection.id)
    ):
        session.delete(row)
    session.flush()
    session.add_all(InspectionOfficer(inspection_id=inspection.id, user_id=uid) for uid in chosen)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "inspection.assign_team",
        "inspection",
        str(inspection.id),
        before={"team": before},
        after={"team": chosen},
    )
    return inspection


def start_inspection(session: Session, actor: Principal, inspection_id: int) -> Inspection:
    """The team arrives (直奔现场): from now on the inspection is no longer confidential."""
    inspection = view_inspection(session, actor, inspection_id)
    team = repository.team_of(session, inspection.id)
    if actor.user_id not in team and not is_planning_regulator(actor, inspection.planning_division):
        raise PermissionDeniedError(action="inspection.start")
    if inspection.state != "planned":
        raise ConflictError(reason=f"the inspection is {inspection.state}")
    if len(team) < MIN_TEAM:
        raise ConflictError(reason=f"assign a team of at least {MIN_TEAM} officers first")
    inspection.state, inspection.started_at = "in_progress", session_clock(session).now()
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "inspection.start",
        "inspection",
        str(inspection.id),
        after={"started_at": inspection.started_at.isoformat(), "team": team},
    )
    return inspection


def give_advance_notice(session: Session, actor: Principal, inspection_id: int, reason: str) -> Inspection:
    """Where the enterprise is told in advance after all, it is recorded with the reason."""
    inspection = view_inspection(session, actor, inspection_id)
    if not is_planning_regulator(actor, inspection.planning_division):
        raise PermissionDeniedError(action="inspection.advance_notice")
    if not reason.strip():
        raise InvalidInputError("reason", "required", "say why the enterprise is told in advance")
    now = session_clock(session).now()
    inspection.advance_notice = {"reason": reason.strip(), "at": now.isoformat(), "by": actor.audit_name}
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "inspection.advance_notice",
        "inspection",
        str(inspection.id),
        after=inspection.advance_notice,
    )
    return inspection


def plan_record(session: Session, actor: Principal, plan_id: int) -> dict[str, Any]:
    plan = get_plan(session, actor, plan_id)
    if plan.record is None:
        raise ConflictError(reason="the plan has not been drawn yet: only its commitment is public")
    return plan.record


def verify_plan(session: Session, plan_id: int) -> draw.VerifyResult:
    """Recompute a drawn plan's draw from its stored record, against the seal it announced."""
    plan = session.get(EnforcementPlan, plan_id)
    if plan is None or plan.record is None:
        raise NotFoundError(kind="drawn enforcement plan", key=plan_id)
    sealed = draw.Seal(f"plan-{plan.id}", plan.commitment, plan.inputs_sha256)
    return draw.verify(draw.record_from_document(plan.record), sealed)
