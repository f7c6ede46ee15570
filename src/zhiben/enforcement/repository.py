"""Inspection and plan queries inside the caller's scope, with the confidentiality of unannounced
inspections (domain.py) as part of the same condition, so no query can forget it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, true
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, Role
from zhiben.auth.scope import ScopedColumns, scope_condition
from zhiben.enforcement.models import EnforcementPlan, Inspection, InspectionOfficer

COLUMNS = ScopedColumns(
    enterprise_id=Inspection.enterprise_id,
    province_code=Inspection.province_code,
    city_code=Inspection.city_code,
    county_code=Inspection.county_code,
    sector=Inspection.sector,
)


def _on_team(actor: Principal) -> ColumnElement[bool]:
    return exists().where(
        InspectionOfficer.inspection_id == Inspection.id, InspectionOfficer.user_id == actor.user_id
    )


def _planning(actor: Principal) -> ColumnElement[bool]:
    if actor.role == Role.admin:
        return true()
    if actor.role == Role.regulator:
        return Inspection.planning_division == actor.division_code
    return false()


def visible(actor: Principal, now: datetime) -> ColumnElement[bool]:
    """The team sees its inspections; everyone else within scope, unless it is still confidential."""
    disclosed = or_(
        Inspection.is_unannounced.is_(False),
        and_(Inspection.started_at.is_not(None), Inspection.started_at <= now),
        _planning(actor),
    )
    return or_(_on_team(actor), and_(scope_condition(actor, COLUMNS), disclosed))


def get_inspection(
    session: Session, actor: Principal, inspection_id: int, now: datetime
) -> Inspection | None:
    query = select(Inspection).where(Inspection.id == inspection_id, visible(actor, now))
    return session.scalars(query).first()


def inspections(
    session: Session,
    actor: Principal,
    now: datetime,
    plan_id: int | None,
    offset: int,
    limit: int,
    assigned_only: bool = False,
) -> tuple[list[Inspection], int]:
    """Inspections the caller may see; `assigned_only`: only those whose team the caller is on."""
    query = select(Inspection).where(visible(actor, now))
    if plan_id is not None:
        query = query.where(Inspection.plan_id == plan_id)
    if assigned_only:
        query = query.where(_on_team(actor))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Inspection.id).offset(offset).limit(limit))
    return list(rows), total


def team_of(session: Session, inspection_id: int) -> list[int]:
    query = select(InspectionOfficer.user_id).where(InspectionOfficer.inspection_id == inspection_id)
    return sorted(session.scalars(query))


def plan_visible(actor: Principal) -> ColumnElement[bool]:
    """A plan is the planning office's: its regulators (and administrators) see it."""
    if actor.role == Role.admin:
        return true()
    if actor.role == Role.regulator:
        return EnforcementPlan.division_code == actor.division_code
    return false()


def get_plan(session: Session, actor: Principal, plan_id: int) -> EnforcementPlan | None:
    query = select(EnforcementPlan).where(EnforcementPlan.id == plan_id, plan_visible(actor))
    return session.scalars(query).first()


def plans(session: Session, actor: Principal, offset: int, limit: int) -> tuple[list[EnforcementPlan], int]:
    """The plans the caller may see (plan_visible), newest first."""
    query = select(EnforcementPlan).where(plan_visible(actor))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(EnforcementPlan.id.desc()).offset(offset).limit(limit))
    return list(rows), total
