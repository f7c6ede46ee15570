"""Liability insurance use cases: record and cancel policies, check mandatory cover, record an insurer's
prevention-service visit (its hazards go into the registry through the hazard service), and suggest the
premium floating from the enterprise's record.

Who may do what: a policy is recorded or cancelled by an administrator or a regulator over the enterprise
(a policy gives its insurer's users access to the enterprise, so an insurer cannot grant that to itself);
an insurer's user records visits to the enterprises it insures; everyone reads within their scope.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.auth.models import ServiceContract
from zhiben.db.uow import session_clock
from zhiben.enterprise import service as enterprises
from zhiben.errors import (
    DuplicateError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import Source
from zhiben.insurance import repository
from zhiben.insurance.domain import (
    CoverFinding,
    FloatingSuggestion,
    InsuredEnterprise,
    PolicyCover,
    PolicyTerms,
    SafetyRecord,
    check_day,
    check_terms,
    cover_findings,
    floating_suggestion,
    measures,
)
from zhiben.insurance.models import InsurancePolicy, PreventionVisit
from zhiben.insurance.repository import PolicyFilter
from zhiben.kit.clock import SHANGHAI
from zhiben.kit.pagination import Page, PageRequest

GOVERNMENT = {Role.admin, Role.regulator, Role.officer, Role.department}
READERS = GOVERNMENT | {Role.enterprise, Role.service_provider}
CONTRACT_KIND = "insurance"


def today(session: Session) -> date:
    return session_clock(session).now().astimezone(SHANGHAI).date()


def snapshot(policy: InsurancePolicy) -> dict[str, Any]:
    return {
        "enterprise_id": policy.enterprise_id,
        "insurer_org": policy.insurer_org,
        "policy_number": policy.policy_number,
        "starts_on": policy.starts_on.isoformat(),
        "ends_on": policy.ends_on.isoformat(),
        "cancelled_on": policy.cancelled_on.isoformat() if policy.cancelled_on else None,
        "premium_yuan": str(policy.premium_yuan),
        "cover_per_person_yuan": str(policy.cover_per_person_yuan),
        "insured_headcount": policy.insured_headcount,
        "contract_id": policy.contract_id,
        "version": policy.version,
    }


def _require(actor: Principal, allowed: set[Role], action: str) -> None:
    if actor.role not in allowed:
        raise PermissionDeniedError(action=action)


def _check_division(division: str) -> None:
    if division and not (len(division) in (2, 4, 6) and division.isdigit()):
        raise InvalidInputError("division", "format", "a division is 2, 4 or 6 digits")


def _require_registrar(actor: Principal, county_code: str, action: str) -> None:
    if actor.role not in (Role.admin, Role.regulator) or not actor.has_jurisdiction_over(county_code):
        raise PermissionDeniedError(action=action)


def _last_covered_day(policy: InsurancePolicy) -> date:
    if policy.cancelled_on is not None:
        return min(policy.ends_on, policy.cancelled_on - timedelta(days=1))
    return policy.ends_on


def _link_contract(session: Session, policy: InsurancePolicy) -> ServiceContract:
    """The insurer's scope over the enterprise: reuse the contract starting the same day, else make one;
    it runs to the last day any of its policies covers."""
    contract = repository.contract_for(session, policy.insurer_org, policy.enterprise_id, policy.starts_on)
    if contract is None:
        contract = ServiceContract(
            provider_org=policy.insurer_org,
            enterprise_id=policy.enterprise_id,
            kind=CONTRACT_KIND,
            valid_from=policy.starts_on,
            valid_until=policy.ends_on,
        )
        session.add(contract)
        session.flush()
    else:
        contract.valid_until = max(contract.valid_until, policy.ends_on)
    return contract


def record_policy(
    session: Session, actor: Principal, enterprise_id: int, terms: PolicyTerms
) -> InsurancePolicy:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    _require_registrar(actor, enterprise.county_code, "insurance.policy.record")
    check_terms(terms)
    insurer, number = terms.insurer_org.strip(), terms.policy_number.strip()
    if repository.policy_number_taken(session, insurer, number):
        raise DuplicateError(kind="insurance policy", key=f"{insurer} {number}")
    now = session_clock(session).now()
    policy = InsurancePolicy(
        enterprise_id=enterprise.id,
        county_code=enterprise.county_code,
        city_code=enterprise.city_code,
        province_code=enterprise.province_code,
        sector=enterprise.sector,
        insurer_org=insurer,
        policy_number=number,
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        premium_yuan=terms.premium_yuan,
        cover_per_person_yuan=terms.cover_per_person_yuan,
        insured_headcount=terms.insured_headcount,
        recorded_by=actor.audit_name,
        recorded_at=now,
        updated_at=now,
    )
    policy.contract_id = _link_contract(session, policy).id
    session.add(policy)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "insurance.policy.record",
        "insurance_policy",
        str(policy.id),
        after=snapshot(policy),
    )
    return policy


def get_policy(session: Session, actor: Principal, policy_id: int) -> InsurancePolicy:
    _require(actor, READERS, "insurance.policy.read")
    policy = repository.get_policy(session, actor, policy_id)
    if policy is None:
        raise NotFoundError(kind="insurance policy", key=policy_id)
    return policy


def cancel_policy(
    session: Session,
    actor: Principal,
    policy_id: int,
    cancelled_on: date,
    expected_version: int | None = None,
) -> InsurancePolicy:
    """Cancel (退保) from a day: cover ends the day before, and so does the insurer's access through it.
    The 2025 measures (Art 16) allow it only when the unit closed or fully stopped: the caller says so."""
    policy = get_policy(session, actor, policy_id)
    _require_registrar(actor, policy.county_code, "insurance.policy.cancel")
    if expected_version is not None and policy.version != expected_version:
        raise StaleVersionError(current=policy.version, given=expected_version)
    if policy.cancelled_on is not None:
        raise InvalidInputError("cancelled_on", "already", "the policy is cancelled already")
    check_day("cancelled_on", cancelled_on)
    if not policy.starts_on <= cancelled_on <= policy.ends_on:
        raise InvalidInputError("cancelled_on", "out_of_period", "cancel on a day within the policy's period")
    before = snapshot(policy)
    policy.cancelled_on, policy.updated_at = cancelled_on, session_clock(session).now()
    contract = session.get(ServiceContract, policy.contract_id)
    if contract is not None:
        linked = repository.linked_policies(session, contract.id)
        contract.valid_until = max(_last_covered_day(p) for p in linked)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "insurance.policy.cancel",
        "insurance_policy",
        str(policy.id),
        before=before,
        after=snapshot(policy),
    )
    return policy


def list_policies(
    session: Session, actor: Principal, flt: PolicyFilter, request: PageRequest
) -> Page[InsurancePolicy]:
    _require(actor, READERS, "insurance.policy.list")
    _check_division(flt.division)
    if flt.enterprise_id is not None:
        enterprises.get_enterprise(session, actor, flt.enterprise_id)
    return repository.page_policies(session, actor, flt, request)


# --- the mandatory-cover check -----------------------------------------------------------------------


def check_cover(
    session: Session, actor: Principal, on: date | None = None, division: str = ""
) -> list[CoverFinding]:
    """Enterprises in the caller's area in a mandatory sector (Art 2) with no policy in force, and policies in
    force below the least cover per person (Art 15)."""
    _require(actor, GOVERNMENT, "insurance.cover.check")
    _check_division(division)
    on = on or today(session)
    check_day("on", on)
    rules = measures()
    lacking = repository.mandatory_without_policy(session, actor, sorted(rules.mandatory), on, division)
    highest = max([rules.minimum_cover_yuan, *rules.minimum_by_province.values()])
    low = repository.in_force_below(session, actor, on, highest, division)
    insured = {p.enterprise_id: InsuredEnterprise(p.enterprise_id, p.sector, p.province_code) for p in low}
    subjects = [InsuredEnterprise(i, s, p) for i, s, p in lacking] + list(insured.values())
    covers = [PolicyCover(p.id, p.enterprise_id, p.cover_per_person_yuan) for p in low]
    return sorted(cover_findings(subjects, covers, rules), key=lambda f: (f.enterprise_id, f.problem.value))


# --- prevention-service visits -------------------------------------------------------------------------


@dataclass(frozen=True)
class FoundHazard:
    description: str
    location: str = ""


@dataclass(frozen=True)
class VisitDraft:
    visited_at: datetime
    summary: str
    experts: str = ""
    hazards: Sequence[FoundHazard] = field(default_factory=tuple)


def record_visit(
    session: Session, actor: Principal, enterprise_id: int, draft: VisitDraft
) -> PreventionVisit:
    """An insurer's accident-prevention service visit (事故预防服务): the hazards found are reported into the
    registry (source `service`, for the regulator or the enterprise to determine)."""
    _require(actor, {Role.service_provider}, "insurance.visit.record")
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)  # 404 unless insured by the caller
    if not draft.summary.strip():
        raise InvalidInputError("summary", "required", "summarise the visit")
    day = draft.visited_at.astimezone(SHANGHAI).date()
    policy = repository.in_force_policy_of(session, actor, enterprise.id, day)
    if policy is None:
        raise InvalidInputError(
            "visited_at", "no_policy", "the caller's insurer had no policy in force on that day"
        )
    ids = [
        hazards.report_hazard(
            session,
            actor,
            hazards.HazardReport(
                enterprise_id=enterprise.id,
                description=h.description,
                source=Source.service,
                found_at=draft.visited_at,
                location=h.location,
            ),
        ).id
        for h in draft.hazards
    ]
    now = session_clock(session).now()
    visit = PreventionVisit(
        enterprise_id=enterprise.id,
        county_code=enterprise.county_code,
        city_code=enterprise.city_code,
        province_code=enterprise.province_code,
        sector=enterprise.sector,
        policy_id=policy.id,
        insurer_org=policy.insurer_org,
        visited_at=draft.visited_at,
        visited_by=actor.audit_name,
        experts=draft.experts.strip(),
        summary=draft.summary.strip(),
        hazard_ids=ids,
        recorded_at=now,
    )
    session.add(visit)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "insurance.visit.record",
        "prevention_visit",
        str(visit.id),
        after={
            "enterprise_id": enterprise.id,
            "policy_id": policy.id,
            "hazard_ids": ids,
            "summary": visit.summary,
        },
    )
    return visit


def list_visits(
    session: Session, actor: Principal, enterprise_id: int | None = None
) -> Sequence[PreventionVisit]:
    _require(actor, READERS, "insurance.visit.list")
    if enterprise_id is not None:
        enterprises.get_enterprise(session, actor, enterprise_id)
    return repository.visits(session, actor, enterprise_id)


# --- premium floating ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FloatingResult:
    enterprise_id: int
    since: date
    until: date  # exclusive
    record: SafetyRecord
    accidents_given: bool  # False: no accident counts were supplied, so none were counted
    suggestion: FloatingSuggestion


def suggest_floating(
    session: Session,
    actor: Principal,
    enterprise_id: int,
    accidents: Mapping[str, int] | None = None,
    on: date | None = None,
) -> FloatingResult:
    """A premium-floating suggestion (上浮/下浮, percent) for the enterprise's next period, from its record
    over the look-back period before `on`: accident counts by grade come in as an argument (the accident
    feature supplies them), major hazards are counted from the registry."""
    _require(actor, READERS, "insurance.floating")
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    rules = measures().floating
    until = on or today(session)
    check_day("on", until)
    since = until - timedelta(days=rules.look_back_days)
    start = datetime.combine(since, datetime.min.time(), SHANGHAI)
    end = datetime.combine(until, datetime.min.time(), SHANGHAI)
    found, overdue = repository.major_hazard_counts(session, actor, enterprise.id, start, end)
    record = SafetyRecord(dict(accidents or {}), found, overdue)
    return FloatingResult(
        enterprise.id, since, until, record, accidents is not None, floating_suggestion(record, rules)
    )
