"""Chain use cases: the effective matrix and its gap and overlap report, local assignments, referrals (移送)
of hazards to departments, and new business types placed by the similar-business principle (相近业态).

Every state change is audited in the caller's transaction; functions flush, the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role, division_prefix, parent_code
from zhiben.chain import repository
from zhiben.chain.domain import (
    Assignment,
    AssignmentRole,
    ChainReport,
    KnownBusinessType,
    Reference,
    ReferralAction,
    ReferralState,
    Stage,
    chain_report,
    departments_of,
    effective_matrix,
    leads_of,
    next_referral_state,
    normalise_industry_code,
    parse_reference,
    propose_department,
)
from zhiben.chain.models import BusinessType, ChainAssignment, Referral
from zhiben.db.uow import session_clock
from zhiben.division import service as divisions
from zhiben.errors import DuplicateError, InvalidInputError, NotFoundError, PermissionDeniedError
from zhiben.hazard import service as hazards
from zhiben.kit.pagination import Page, PageRequest

REFERRING_ROLES = (Role.regulator, Role.officer, Role.admin)
RECEIVING_ROLES = (Role.department, Role.admin)


@lru_cache(maxsize=1)
def reference() -> Reference:
    """The reference data in data/, parsed once per process."""
    folder = resources.files("zhiben.chain").joinpath("data")

    def load(name: str) -> Any:
        return yaml.safe_load(folder.joinpath(name).read_text("utf-8"))

    return parse_reference(
        load("stages.yaml"),
        load("departments.yaml"),
        load("things.yaml"),
        load("referral.yaml"),
        load("business_types.yaml"),
    )


def departments_of_actor(actor: Principal) -> frozenset[str]:
    if actor.role != Role.department:
        return frozenset()
    return departments_of(actor.sectors, reference().departments.values())


# ---------------------------------------------------------------------------------------------- matrix


def normalise_division(code: str) -> str:
    """'' for the nation, else a 6-digit code (2 or 4 digits are padded): 32 → 320000."""
    code = code.strip()
    if code in ("", "000000"):
        return ""
    if code.isdigit() and len(code) in (2, 4, 6):
        return code.ljust(6, "0")
    raise InvalidInputError(
        "division", "format", "a division code of 2, 4 or 6 digits, or empty for the nation"
    )


def _chain_of(division_code: str) -> list[str]:
    """The division and its ancestors, from the nation ('') down."""
    path = [division_code]
    while path[-1]:
        path.append(parent_code(path[-1]))
    return list(reversed(path))


def _as_assignment(row: ChainAssignment) -> Assignment:
    return Assignment(
        row.thing, Stage(row.stage), row.department, AssignmentRole(row.role), row.basis, row.division_code
    )


def matrix_for(session: Session, division_code: str) -> dict[tuple[str, Stage], tuple[Assignment, ...]]:
    """The effective matrix of a division: the national default overlaid by the stored assignments of the
    nation, then each level down to the division."""
    chain = _chain_of(division_code)
    stored = repository.assignments_for(session, chain)
    layers = [[_as_assignment(r) for r in stored if r.division_code == code] for code in chain]
    return effective_matrix(reference().defaults, layers)


def _check_reader(actor: Principal, division_code: str) -> None:
    if not actor.is_government:
        raise PermissionDeniedError(action="chain.report")
    if not actor.has_jurisdiction_over(division_code or "000000"):  # '000000': the nation
        raise NotFoundError(kind="division", key=division_code or "nation")


def report_for(session: Session, actor: Principal, division_code: str | None = None) -> ChainReport:
    """The gap and overlap report of a division (the actor's own jurisdiction when none is given)."""
    code = normalise_division(actor.division_code if division_code is None else division_code)
    _check_reader(actor, code)
    if code:
        divisions.get_division(session, code)
    return chain_report(code, reference().things.values(), matrix_for(session, code))


@dataclass(frozen=True)
class CellAssignment:
    department: str
    role: AssignmentRole


def _cell_snapshot(rows: Sequence[ChainAssignment]) -> dict[str, Any]:
    return {"assignments": [{"department": r.department, "role": r.role, "basis": r.basis} for r in rows]}


def assign_cell(
    session: Session,
    actor: Principal,
    division_code: str,
    thing: str,
    stage: str,
    assignments: Sequence[CellAssignment],
    basis: str,
) -> list[ChainAssignment]:
    """Set a division's own assignments for one (thing, stage), replacing those it stored before; an empty
    list removes the local override (the cell then follows the level above). Audited."""
    code = normalise_division(division_code)
    ref = reference()
    parsed_stage = ref.check_cell(thing, stage)
    for a in assignments:
        ref.check_department(a.department)
    if len({a.department for a in assignments}) != len(assignments):
        raise InvalidInputError("assignments", "duplicate", "each department at most once per stage")
    if assignments and not basis.strip():
        raise InvalidInputError(
            "basis", "required", "say on what basis (document, decision) the stage is assigned"
        )
    if actor.role not in (Role.admin, Role.regulator) or not actor.has_jurisdiction_over(code or "000000"):
        raise PermissionDeniedError(action="chain.assign")
    if code:
        divisions.get_division(session, code)
    old = repository.cell_assignments(session, code, thing, parsed_stage.value)
    before = _cell_snapshot(old)
    for row in old:
        session.delete(row)
    session.flush()
    now = session_clock(session).now()
    rows = [
        ChainAssignment(
            division_code=code,
            thing=thing,
            stage=parsed_stage.value,
            department=a.department,
            role=a.role.value,
            basis=basis.strip(),
            created_by=actor.audit_name,
            created_at=now,
        )
        for a in assignments
    ]
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "chain.assign",
        "chain_cell",
        f"{code or 'national'}/{thing}/{parsed_stage.value}",
        before=before,
        after=_cell_snapshot(rows),
    )
    return rows


def seed_national_matrix(session: Session, actor: Principal) -> int:
    """Store the national default of data/things.yaml as national assignments, for cells the nation has not
    stored yet (so the stored table shows the whole matrix). Idempotent; one audit entry per run."""
    if actor.role != Role.admin:
        raise PermissionDeniedError(action="chain.seed")
    stored = {(r.thing, r.stage) for r in repository.assignments_for(session, [""])}
    now = session_clock(session).now()
    rows = [
        ChainAssignment(
            division_code="",
            thing=a.thing,
            stage=a.stage.value,
            department=a.department,
            role=a.role.value,
            basis=a.basis,
            created_by=actor.audit_name,
            created_at=now,
        )
        for a in reference().defaults
        if (a.thing, a.stage.value) not in stored
    ]
    session.add_all(rows)
    session.flush()
    if rows:
        audit.record(
            session,
            actor.audit_name,
            "chain.seed_national",
            "chain_matrix",
            "national",
            after={"cells": sorted({f"{r.thing}/{r.stage}" for r in rows}), "rows": len(rows)},
        )
    return len(rows)


# -------------------------------------------------------------------------------------------- referrals


def referral_snapshot(referral: Referral) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "hazard": referral.hazard_number,
        "department": referral.department,
        "thing": referral.thing,
        "stage": referral.stage,
        "state": referral.state,
        "acknowledge_by": iso(referral.acknowledge_by),
        "acknowledged_at": iso(referral.acknowledged_at),
        "is_late": referral.is_late,
        "handled_at": iso(referral.handled_at),
        "outcome": referral.outcome,
    }


def _resolve_department(
    session: Session, county_code: str, department: str | None, thing: str | None, stage: str | None
) -> tuple[str, str | None, str | None]:
    ref = reference()
    parsed: Stage | None = None
    if (thing is None) != (stage is None):
        raise InvalidInputError("stage", "pair", "give the thing and the stage together, or neither")
    if thing is not None and stage is not None:
        parsed = ref.check_cell(thing, stage)
    if department is not None:
        ref.check_department(department)
        return department, thing, parsed.value if parsed else None
    if thing is None or parsed is None:
        raise InvalidInputError(
            "department", "required", "name the department, or the thing and stage to look it up"
        )
    leads = leads_of(matrix_for(session, county_code), thing, parsed)
    if len(leads) != 1:
        reason = "no_lead" if not leads else "several_leads"
        text = (
            f"nobody leads {thing}/{parsed.value} here (a gap in the chain): name the department"
            if not leads
            else f"{' and '.join(leads)} both lead {thing}/{parsed.value} here (an overlap): name one"
        )
        raise InvalidInputError("department", reason, text)
    return leads[0], thing, parsed.value


def refer_hazard(
    session: Session,
    actor: Principal,
    hazard_id: int,
    reason: str,
    *,
    department: str | None = None,
    thing: str | None = None,
    stage: str | None = None,
) -> Referral:
    """Refer a hazard to a department: the one named, or the lead of the thing's stage in the hazard's
    county. The department must acknowledge it within the deadline of data/referral.yaml."""
    hazard = hazards.get_hazard(session, actor, hazard_id)
    if actor.role not in REFERRING_ROLES:
        raise PermissionDeniedError(action="chain.refer")
    if not reason.strip():
        raise InvalidInputError("reason", "required", "say why the hazard is referred")
    dept, thing, stage = _resolve_department(session, hazard.county_code, department, thing, stage)
    if repository.open_referral(session, hazard.id, dept) is not None:
        raise DuplicateError(kind="referral", key=f"{hazard.number} → {dept}")
    now = session_clock(session).now()
    referral = Referral(
        hazard_id=hazard.id,
        hazard_number=hazard.number,
        enterprise_id=hazard.enterprise_id,
        county_code=hazard.county_code,
        city_code=hazard.city_code,
        province_code=hazard.province_code,
        sector=hazard.sector,
        department=dept,
        thing=thing,
        stage=stage,
        reason=reason.strip(),
        state=ReferralState.referred.value,
        referred_by=actor.audit_name,
        referred_at=now,
        acknowledge_by=now + reference().acknowledge_within,
        is_late=False,
    )
    session.add(referral)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "chain.refer",
        "referral",
        str(referral.id),
        after=referral_snapshot(referral),
    )
    return referral


def get_referral(
    session: Session, actor: Principal, referral_id: int, *, for_update: bool = False
) -> Referral:
    referral = repository.get_referral(
        session, actor, departments_of_actor(actor), referral_id, for_update=for_update
    )
    if referral is None:
        raise NotFoundError(kind="referral", key=referral_id)
    return referral


def list_referrals(
    session: Session, actor: Principal, *, state: str | None = None, hazard_id: int | None = None
) -> Sequence[Referral]:
    return repository.list_referrals(
        session, actor, departments_of_actor(actor), state=state, hazard_id=hazard_id
    )


def page_referrals(
    session: Session, actor: Principal, request: PageRequest, *, state: str | None = None
) -> Page[Referral]:
    """The referrals this caller sees (a department: those addressed to it), one page at a time."""
    return repository.page_referrals(session, actor, departments_of_actor(actor), state, request)


def _receiving(session: Session, actor: Principal, referral_id: int, action: str) -> Referral:
    referral = get_referral(session, actor, referral_id, for_update=True)
    if actor.role not in RECEIVING_ROLES:
        raise PermissionDeniedError(action=f"chain.{action}")
    return referral


def acknowledge_referral(session: Session, actor: Principal, referral_id: int) -> Referral:
    """The department signs for the referral (签收); after the deadline it is recorded as late."""
    referral = _receiving(session, actor, referral_id, "acknowledge")
    before = referral_snapshot(referral)
    now = session_clock(session).now()
    referral.state = next_referral_state(ReferralState(referral.state), ReferralAction.acknowledge).value
    referral.acknowledged_by = actor.audit_name
    referral.acknowledged_at = now
    referral.is_late = now > referral.acknowledge_by
    session.flush()
    audit.record(
        session, actor.audit_name, "chain.acknowledge", "referral", str(referral.id),
        before=before, after=referral_snapshot(referral),
    )  # fmt: skip
    return referral


def record_referral_outcome(session: Session, actor: Principal, referral_id: int, outcome: str) -> Referral:
    """The department says what it did with the referred hazard (办结)."""
    referral = _receiving(session, actor, referral_id, "record_outcome")
    if not outcome.strip():
        raise InvalidInputError("outcome", "required", "say what was done")
    before = referral_snapshot(referral)
    referral.state = next_referral_state(ReferralState(referral.state), ReferralAction.record_outcome).value
    referral.outcome = outcome.strip()
    referral.handled_by = actor.audit_name
    referral.handled_at = session_clock(session).now()
    session.flush()
    audit.record(
        session, actor.audit_name, "chain.outcome", "referral", str(referral.id),
        before=before, after=referral_snapshot(referral),
    )  # fmt: skip
    return referral


def mark_overdue_referrals(session: Session, actor: Principal, batch: int = 500) -> int:
    """One batch of the scheduled job: referrals not acknowledged by their deadline become overdue.
    Returns how many; the caller commits and calls again until it returns fewer than `batch`."""
    now = session_clock(session).now()
    found = repository.newly_overdue_referrals(session, now, batch)
    changes: list[audit.Change] = []
    for referral in found:
        before = referral_snapshot(referral)
        referral.state = next_referral_state(ReferralState(referral.state), ReferralAction.mark_overdue).value
        referral.overdue_at = now
        changes.append((str(referral.id), before, referral_snapshot(referral)))
    session.flush()
    audit.record_many(session, actor.audit_name, "chain.referral_overdue", "referral", changes)
    return len(found)


# ------------------------------------------------------------------------------------ similar business


def _decided_types(session: Session) -> list[KnownBusinessType]:
    return [
        KnownBusinessType(
            code=f"local:{t.id}",
            zh=t.name,
            en=t.name,
            industry_code=t.industry_code,
            attributes=frozenset(t.attributes),
            department=t.department or t.proposed_department,
            has_legal_basis=True,
            basis=f"decided by {t.decided_by} on {t.decided_at:%Y-%m-%d}"
            + (f": {t.decision_note}" if t.decision_note else ""),
        )
        for t in repository.business_types(session)
        if t.state != "proposed" and t.decided_at is not None
    ]


def type_snapshot(t: BusinessType) -> dict[str, Any]:
    return {
        "name": t.name,
        "industry_code": t.industry_code,
        "attributes": list(t.attributes),
        "neighbour": t.neighbour,
        "proposed_department": t.proposed_department,
        "state": t.state,
        "department": t.department,
        "decision_note": t.decision_note,
    }


def propose_business_type(
    session: Session,
    actor: Principal,
    name: str,
    industry_code: str,
    attributes: frozenset[str],
    description: str = "",
) -> BusinessType:
    """Register a new business type with the lead department of its nearest known type, and the reason."""
    if actor.role not in (Role.regulator, Role.admin):
        raise PermissionDeniedError(action="chain.propose_business_type")
    if not name.strip():
        raise InvalidInputError("name", "required", "name the business type")
    if repository.business_type_named(session, name.strip()) is not None:
        raise DuplicateError(kind="business type", key=name.strip())
    ref = reference()
    code = normalise_industry_code(industry_code)
    known = [*ref.known_types, *_decided_types(session)]
    proposal = propose_department(code, attributes, known, ref.attributes, ref.departments)
    business = BusinessType(
        name=name.strip(),
        industry_code=code,
        attributes=sorted(attributes),
        description=description.strip(),
        neighbour=proposal.neighbour.known.code,
        proposed_department=proposal.department,
        reason_zh=proposal.reason_zh,
        reason_en=proposal.reason_en,
        state="proposed",
        decision_note="",
        proposed_by=actor.audit_name,
        proposed_at=session_clock(session).now(),
    )
    session.add(business)
    session.flush()
    audit.record(
        session, actor.audit_name, "chain.propose_business_type", "business_type", str(business.id),
        after=type_snapshot(business),
    )  # fmt: skip
    return business


def decide_business_type(
    session: Session, actor: Principal, type_id: int, department: str | None = None, note: str = ""
) -> BusinessType:
    """An administrator confirms the proposed department, or overrides it with another (a note is then
    required). Audited; a decided type becomes a known neighbour for later proposals."""
    business = repository.business_type(session, type_id, for_update=True)
    if business is None or not actor.is_government:
        raise NotFoundError(kind="business type", key=type_id)
    if actor.role != Role.admin:
        raise PermissionDeniedError(action="chain.decide_business_type")
    if business.state != "proposed":
        raise DuplicateError(kind="decision on business type", key=business.name)
    chosen = department or business.proposed_department
    reference().check_department(chosen)
    overridden = chosen != business.proposed_department
    if overridden and not note.strip():
        raise InvalidInputError("note", "required", "say why the proposed department is overridden")
    before = type_snapshot(business)
    business.state = "overridden" if overridden else "confirmed"
    business.department = chosen
    business.decision_note = note.strip()
    business.decided_by = actor.audit_name
    business.decided_at = session_clock(session).now()
    session.flush()
    audit.record(
        session, actor.audit_name, "chain.decide_business_type", "business_type", str(business.id),
        before=before, after=type_snapshot(business),
    )  # fmt: skip
    return business


def list_business_types(
    session: Session, actor: Principal, state: str | None = None
) -> Sequence[BusinessType]:
    if not actor.is_government:
        raise PermissionDeniedError(action="chain.business_types")
    return repository.business_types(session, state)


# ------------------------------------------------------------------------------------------------- demo

DEMO_DIVISION = "320500"  # 苏州市, where the demo's department user (住建局) sits


def seed_chain_demo(session: Session, actor: Principal) -> dict[str, Any]:
    """For the demo loader: Suzhou keeps only a supporting role for the sale of urban gas (so its report
    shows a gap where the nation has a lead), and one open hazard in Suzhou is referred to housing and
    construction. Returns what it made; skips the referral when Suzhou has no open hazard."""
    if not repository.assignments_for(session, [DEMO_DIVISION]):  # idempotent: only the first time
        assign_cell(
            session,
            actor,
            DEMO_DIVISION,
            "urban_gas",
            Stage.sale.value,
            [CellAssignment("housing_construction", AssignmentRole.support)],
            "演示数据：市政府调整燃气经营环节分工，牵头部门待定 (demo: lead under review)",
        )
    made: dict[str, Any] = {"override": f"{DEMO_DIVISION}/urban_gas/sale", "referral": None}
    hazard_id = repository.demo_hazard(session, division_prefix(DEMO_DIVISION))
    if hazard_id is not None and repository.open_referral(session, hazard_id, "housing_construction") is None:
        referral = refer_hazard(
            session,
            actor,
            hazard_id,
            "隐患涉及燃气使用环节，移送住建部门处理 (demo referral)",
            department="housing_construction",
        )
        made["referral"] = referral.id
    return made
