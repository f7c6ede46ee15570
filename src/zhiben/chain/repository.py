"""Chain queries. Referrals are read inside the caller's scope: regulators and officers by division,
department users by division AND the departments they belong to, nobody else."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, func, select, true
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, Role
from zhiben.auth.scope import ScopedColumns, division_condition
from zhiben.chain.domain import ReferralState
from zhiben.chain.models import BusinessType, ChainAssignment, Referral
from zhiben.hazard.models import Hazard
from zhiben.kit.pagination import Page, PageRequest

COLUMNS = ScopedColumns(
    enterprise_id=Referral.enterprise_id,
    province_code=Referral.province_code,
    city_code=Referral.city_code,
    county_code=Referral.county_code,
    sector=Referral.sector,
)


def scoped(principal: Principal, departments: frozenset[str]) -> ColumnElement[bool]:
    """`departments`: the departments a department user belongs to (domain.departments_of)."""
    match principal.role:
        case Role.admin:
            return true()
        case Role.regulator | Role.officer:
            return division_condition(principal.prefix, COLUMNS)
        case Role.department:
            if not departments:
                return false()
            return and_(
                division_condition(principal.prefix, COLUMNS), Referral.department.in_(sorted(departments))
            )
    return false()


def get_referral(
    session: Session,
    principal: Principal,
    departments: frozenset[str],
    referral_id: int,
    *,
    for_update: bool = False,
) -> Referral | None:
    query = select(Referral).where(Referral.id == referral_id, scoped(principal, departments))
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def list_referrals(
    session: Session,
    principal: Principal,
    departments: frozenset[str],
    *,
    state: str | None = None,
    hazard_id: int | None = None,
    limit: int = 200,
) -> Sequence[Referral]:
    query = select(Referral).where(scoped(principal, departments))
    if state:
        query = query.where(Referral.state == state)
    if hazard_id is not None:
        query = query.where(Referral.hazard_id == hazard_id)
    return session.scalars(query.order_by(Referral.referred_at.desc(), Referral.id.desc()).limit(limit)).all()


def page_referrals(
    session: Session, principal: Principal, departments: frozenset[str], state: str | None, request: PageRequest
) -> Page[Referral]:
    """One page of the referrals in scope, newest first, with the total: paged in SQL."""
    query = select(Referral).where(scoped(principal, departments))
    if state:
        query = query.where(Referral.state == state)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ordered = query.order_by(Referral.referred_at.desc(), Referral.id.desc())
    items = session.scalars(ordered.offset(request.offset).limit(request.size)).all()
    return Page(list(items), total, request.page, request.size)


def open_referral(session: Session, hazard_id: int, department: str) -> Referral | None:
    """An unfinished referral of the hazard to the department (the caller has already found the hazard)."""
    return session.scalars(
        select(Referral).where(
            Referral.hazard_id == hazard_id,
            Referral.department == department,
            Referral.state != ReferralState.handled,
        )
    ).first()


def newly_overdue_referrals(session: Session, now: datetime, batch: int) -> Sequence[Referral]:
    """UNSCOPED, for the scheduler only: referrals still unacknowledged after their deadline."""
    return session.scalars(
        select(Referral)
        .where(Referral.state == ReferralState.referred, Referral.acknowledge_by < now)
        .order_by(Referral.id)
        .limit(batch)
        .with_for_update()
    ).all()


def assignments_for(session: Session, division_codes: Sequence[str]) -> Sequence[ChainAssignment]:
    """Stored assignments of the given divisions (not enterprise-bound: the matrix is public to government)."""
    return session.scalars(
        select(ChainAssignment)
        .where(ChainAssignment.division_code.in_(list(division_codes)))
        .order_by(ChainAssignment.id)
    ).all()


def cell_assignments(
    session: Session, division_code: str, thing: str, stage: str
) -> Sequence[ChainAssignment]:
    return session.scalars(
        select(ChainAssignment).where(
            ChainAssignment.division_code == division_code,
            ChainAssignment.thing == thing,
            ChainAssignment.stage == stage,
        )
    ).all()


def business_types(session: Session, state: str | None = None) -> Sequence[BusinessType]:
    query = select(BusinessType)
    if state:
        query = query.where(BusinessType.state == state)
    return session.scalars(query.order_by(BusinessType.id)).all()


def business_type(session: Session, type_id: int, *, for_update: bool = False) -> BusinessType | None:
    query = select(BusinessType).where(BusinessType.id == type_id)
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def business_type_named(session: Session, name: str) -> BusinessType | None:
    return session.scalars(select(BusinessType).where(BusinessType.name == name)).first()


def demo_hazard(session: Session, prefix: str) -> int | None:
    """UNSCOPED, for the demo seed only: an open hazard in the division, urban gas and construction first."""
    query = (
        select(Hazard.id)
        .where(Hazard.is_open, Hazard.city_code == prefix[:4])
        .order_by((Hazard.sector.in_(["urban_gas", "construction"])).desc(), Hazard.id)
        .limit(1)
    )
    return session.scalars(query).first()
