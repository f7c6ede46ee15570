"""Insurance queries, always inside the caller's scope. An insurer's users also see only their own
insurer's policies and visits: another insurer's premium on the same enterprise is not theirs to read.

The service contract behind each policy is created and kept here too (auth.models.ServiceContract, kind
"insurance"): it is what auth/scope.py joins for a service provider, so a policy in force is the relation
that lets an insurer see an enterprise."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, Role, division_prefix
from zhiben.auth.models import ServiceContract
from zhiben.auth.scope import ScopedColumns, division_condition, scope_condition
from zhiben.enterprise.models import Enterprise
from zhiben.hazard.models import Hazard
from zhiben.insurance.models import InsurancePolicy, PreventionVisit
from zhiben.kit.pagination import Page, PageRequest

POLICY_COLUMNS = ScopedColumns(
    enterprise_id=InsurancePolicy.enterprise_id,
    province_code=InsurancePolicy.province_code,
    city_code=InsurancePolicy.city_code,
    county_code=InsurancePolicy.county_code,
    sector=InsurancePolicy.sector,
)
VISIT_COLUMNS = ScopedColumns(
    enterprise_id=PreventionVisit.enterprise_id,
    province_code=PreventionVisit.province_code,
    city_code=PreventionVisit.city_code,
    county_code=PreventionVisit.county_code,
    sector=PreventionVisit.sector,
)
ENTERPRISE_COLUMNS = ScopedColumns(
    enterprise_id=Enterprise.id,
    province_code=Enterprise.province_code,
    city_code=Enterprise.city_code,
    county_code=Enterprise.county_code,
    sector=Enterprise.sector,
)
HAZARD_COLUMNS = ScopedColumns(
    enterprise_id=Hazard.enterprise_id,
    province_code=Hazard.province_code,
    city_code=Hazard.city_code,
    county_code=Hazard.county_code,
    sector=Hazard.sector,
)


def scoped_policies(principal: Principal) -> ColumnElement[bool]:
    condition = scope_condition(principal, POLICY_COLUMNS)
    if principal.role == Role.service_provider:
        condition = and_(condition, InsurancePolicy.insurer_org == (principal.provider_org or ""))
    return condition


def scoped_visits(principal: Principal) -> ColumnElement[bool]:
    condition = scope_condition(principal, VISIT_COLUMNS)
    if principal.role == Role.service_provider:
        condition = and_(condition, PreventionVisit.insurer_org == (principal.provider_org or ""))
    return condition


def in_force_condition(on: date) -> ColumnElement[bool]:
    return and_(
        InsurancePolicy.starts_on <= on,
        InsurancePolicy.ends_on >= on,
        or_(InsurancePolicy.cancelled_on.is_(None), InsurancePolicy.cancelled_on > on),
    )


@dataclass(frozen=True)
class PolicyFilter:
    division: str = ""
    enterprise_id: int | None = None
    insurer_org: str | None = None
    in_force_on: date | None = None


def get_policy(session: Session, principal: Principal, policy_id: int) -> InsurancePolicy | None:
    query = select(InsurancePolicy).where(InsurancePolicy.id == policy_id, scoped_policies(principal))
    return session.scalars(query).first()


def _policies(principal: Principal, flt: PolicyFilter) -> Select[InsurancePolicy]:
    query = select(InsurancePolicy).where(scoped_policies(principal))
    if flt.division:
        query = query.where(division_condition(division_prefix(flt.division.ljust(6, "0")), POLICY_COLUMNS))
    if flt.enterprise_id is not None:
        query = query.where(InsurancePolicy.enterprise_id == flt.enterprise_id)
    if flt.insurer_org:
        query = query.where(InsurancePolicy.insurer_org == flt.insurer_org)
    if flt.in_force_on is not None:
        query = query.where(in_force_condition(flt.in_force_on))
    return query


def page_policies(
    session: Session, principal: Principal, flt: PolicyFilter, request: PageRequest
) -> Page[InsurancePolicy]:
    query = _policies(principal, flt)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(InsurancePolicy.starts_on.desc(), InsurancePolicy.id.desc())
        .offset(request.offset)
        .limit(request.size)
    ).all()
    return Page(list(items), total, request.page, request.size)


def policies(session: Session, principal: Principal, flt: PolicyFilter) -> Sequence[InsurancePolicy]:
    return session.scalars(_policies(principal, flt).order_by(InsurancePolicy.id)).all()


def policy_number_taken(session: Session, insurer_org: str, policy_number: str) -> bool:
    """Uniqueness is per insurer and global: answers only yes or no."""
    query = select(InsurancePolicy.id).where(
        InsurancePolicy.insurer_org == insurer_org, InsurancePolicy.policy_number == policy_number
    )
    return session.scalar(query) is not None


def in_force_policy_of(
    session: Session, principal: Principal, enterprise_id: int, on: date
) -> InsurancePolicy | None:
    query = (
        select(InsurancePolicy)
        .where(
            scoped_policies(principal), InsurancePolicy.enterprise_id == enterprise_id, in_force_condition(on)
        )
        .order_by(InsurancePolicy.starts_on.desc(), InsurancePolicy.id.desc())
    )
    return session.scalars(query).first()


# --- the contract behind a policy ----------------------------------------------------------------


def contract_for(
    session: Session, provider_org: str, enterprise_id: int, valid_from: date
) -> ServiceContract | None:
    query = select(ServiceContract).where(
        ServiceContract.provider_org == provider_org,
        ServiceContract.enterprise_id == enterprise_id,
        ServiceContract.valid_from == valid_from,
    )
    return session.scalars(query).first()


def linked_policies(session: Session, contract_id: int) -> Sequence[InsurancePolicy]:
    return session.scalars(select(InsurancePolicy).where(InsurancePolicy.contract_id == contract_id)).all()


# --- the mandatory-cover check -----------------------------------------------------------------------


def mandatory_without_policy(
    session: Session, principal: Principal, sectors: Sequence[str], on: date, division: str = ""
) -> Sequence[tuple[int, str, str]]:
    """(id, sector, province) of enterprises in scope, in the given sectors, with no policy in force on the
    day (any insurer's: the duty is the enterprise's)."""
    covered = exists().where(InsurancePolicy.enterprise_id == Enterprise.id, in_force_condition(on))
    query = select(Enterprise.id, Enterprise.sector, Enterprise.province_code).where(
        scope_condition(principal, ENTERPRISE_COLUMNS), Enterprise.sector.in_(sorted(sectors)), ~covered
    )
    if division:
        query = query.where(division_condition(division_prefix(division.ljust(6, "0")), ENTERPRISE_COLUMNS))
    return [(r[0], r[1], r[2]) for r in session.execute(query.order_by(Enterprise.id))]


def in_force_below(
    session: Session, principal: Principal, on: date, below_yuan: object, division: str = ""
) -> Sequence[InsurancePolicy]:
    """Policies in scope in force on the day whose cover per person is below the amount."""
    query = select(InsurancePolicy).where(
        scoped_policies(principal), in_force_condition(on), InsurancePolicy.cover_per_person_yuan < below_yuan
    )
    if division:
        query = query.where(division_condition(division_prefix(division.ljust(6, "0")), POLICY_COLUMNS))
    return session.scalars(query.order_by(InsurancePolicy.enterprise_id, InsurancePolicy.id)).all()


# --- the hazard record, for premium floating ---------------------------------------------------------


def major_hazard_counts(
    session: Session, principal: Principal, enterprise_id: int, since: datetime, until: datetime
) -> tuple[int, int]:
    """Major hazards of the enterprise reported in [since, until) and not rejected: how many, and how many
    of them went overdue (overdue_since set: an approved extension clears it)."""
    query = select(func.count(Hazard.id), func.count(Hazard.overdue_since)).where(
        scope_condition(principal, HAZARD_COLUMNS),
        Hazard.enterprise_id == enterprise_id,
        Hazard.level == "major",
        Hazard.state != "rejected",
        Hazard.reported_at >= since,
        Hazard.reported_at < until,
    )
    found, overdue = session.execute(query).one()
    return int(found), int(overdue)


# --- visits ---------------------------------------------------------------------------------------------


def visits(
    session: Session, principal: Principal, enterprise_id: int | None = None
) -> Sequence[PreventionVisit]:
    query = select(PreventionVisit).where(scoped_visits(principal))
    if enterprise_id is not None:
        query = query.where(PreventionVisit.enterprise_id == enterprise_id)
    return session.scalars(query.order_by(PreventionVisit.visited_at.desc(), PreventionVisit.id.desc())).all()


def get_visit(session: Session, principal: Principal, visit_id: int) -> PreventionVisit | None:
    return session.scalars(
        select(PreventionVisit).where(PreventionVisit.id == visit_id, scoped_visits(principal))
    ).first()
