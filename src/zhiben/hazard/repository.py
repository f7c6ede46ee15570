"""Hazard queries, always inside the caller's scope; the gap-free number counter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, division_prefix
from zhiben.auth.scope import ScopedColumns, division_condition, scope_condition
from zhiben.hazard.models import (
    DeadlineExtension,
    Evidence,
    Hazard,
    HazardCounter,
    RectificationPlan,
    Supervision,
)
from zhiben.kit.pagination import Page, PageRequest

COLUMNS = ScopedColumns(
    enterprise_id=Hazard.enterprise_id,
    province_code=Hazard.province_code,
    city_code=Hazard.city_code,
    county_code=Hazard.county_code,
    sector=Hazard.sector,
)

SORTABLE = {
    "reported_at": Hazard.reported_at,
    "deadline_at": Hazard.deadline_at,
    "number": Hazard.number,
    "id": Hazard.id,
}


@dataclass(frozen=True)
class HazardFilter:
    division: str = ""
    sector: str | None = None
    level: str | None = None
    state: str | None = None  # a HazardState, or "open" / "overdue"
    is_listed: bool | None = None
    listed_level: str | None = None
    enterprise_id: int | None = None
    escalated_to: str | None = None  # overdue major hazards escalated to this division
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    sort: str = "-reported_at"


def scoped(principal: Principal) -> ColumnElement[bool]:
    return scope_condition(principal, COLUMNS)


def get(session: Session, principal: Principal, hazard_id: int, *, for_update: bool = False) -> Hazard | None:
    query = select(Hazard).where(Hazard.id == hazard_id, scoped(principal))
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def get_by_number(session: Session, principal: Principal, number: str) -> Hazard | None:
    return session.scalars(select(Hazard).where(Hazard.number == number, scoped(principal))).first()


def _filtered(principal: Principal, flt: HazardFilter) -> Select[Hazard]:
    query = select(Hazard).where(scoped(principal))
    if flt.division:
        query = query.where(division_condition(division_prefix(flt.division), COLUMNS))
    if flt.sector:
        query = query.where(Hazard.sector == flt.sector)
    if flt.level:
        query = query.where(Hazard.level == flt.level)
    if flt.state == "open":
        query = query.where(Hazard.is_open)
    elif flt.state == "overdue":
        query = query.where(Hazard.is_overdue)
    elif flt.state:
        query = query.where(Hazard.state == flt.state)
    if flt.is_listed is not None:
        query = query.where(
            Hazard.listed_level.is_not(None) if flt.is_listed else Hazard.listed_level.is_(None)
        )
    if flt.listed_level:
        query = query.where(Hazard.listed_level == flt.listed_level)
    if flt.enterprise_id is not None:
        query = query.where(Hazard.enterprise_id == flt.enterprise_id)
    if flt.escalated_to is not None:
        query = query.where(Hazard.escalated_to == flt.escalated_to)
    if flt.reported_from:
        query = query.where(Hazard.reported_at >= flt.reported_from)
    if flt.reported_to:
        query = query.where(Hazard.reported_at < flt.reported_to)
    return query


def _ordered(query: Select[Hazard], sort: str) -> Select[Hazard]:
    column = SORTABLE[sort.lstrip("-")]
    return query.order_by(column.desc() if sort.startswith("-") else column.asc(), Hazard.id.desc())


def page(session: Session, principal: Principal, flt: HazardFilter, request: PageRequest) -> Page[Hazard]:
    query = _filtered(principal, flt)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = session.scalars(_ordered(query, flt.sort).offset(request.offset).limit(request.size)).all()
    return Page(list(items), total, request.page, request.size)


def next_sequence(session: Session, county_code: str, year: int) -> int:
    """Take the next number for a county and year. The row lock (PostgreSQL) or the write lock (SQLite)
    is held until the reporting transaction ends, and a rollback returns the number: no gaps, no repeats."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(HazardCounter).values(county_code=county_code, year=year, last=0).on_conflict_do_nothing()
    )
    return session.execute(
        update(HazardCounter)
        .where(HazardCounter.county_code == county_code, HazardCounter.year == year)
        .values(last=HazardCounter.last + 1)
        .returning(HazardCounter.last)
    ).scalar_one()


def current_plan(session: Session, hazard_id: int) -> RectificationPlan | None:
    return session.scalars(
        select(RectificationPlan)
        .where(RectificationPlan.hazard_id == hazard_id)
        .order_by(RectificationPlan.id.desc())
    ).first()


def active_supervision(session: Session, hazard_id: int) -> Supervision | None:
    return session.scalars(
        select(Supervision).where(Supervision.hazard_id == hazard_id, Supervision.lifted_at.is_(None))
    ).first()


def extensions(session: Session, hazard_id: int) -> Sequence[DeadlineExtension]:
    return session.scalars(
        select(DeadlineExtension)
        .where(DeadlineExtension.hazard_id == hazard_id)
        .order_by(DeadlineExtension.id)
    ).all()


def evidence(session: Session, hazard_id: int) -> Sequence[Evidence]:
    return session.scalars(
        select(Evidence).where(Evidence.hazard_id == hazard_id).order_by(Evidence.id)
    ).all()


def newly_overdue(
    session: Session, now: datetime, states: Sequence[str], limit: int = 1000
) -> Sequence[Hazard]:
    """Unscoped: the scheduler's query, never an ordinary user's. Rows another run has locked are skipped
    (PostgreSQL), so two overlapping runs share the work instead of colliding."""
    return session.scalars(
        select(Hazard)
        .where(
            Hazard.is_open.is_(True),
            Hazard.is_overdue.is_(False),
            Hazard.deadline_at < now,
            Hazard.state.in_(list(states)),
        )
        .order_by(Hazard.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()


def all_matching(session: Session, principal: Principal, flt: HazardFilter, limit: int) -> list[Hazard]:
    """Up to `limit` hazards in scope that the filter selects, in the filter's order (for exports)."""
    return list(session.scalars(_ordered(_filtered(principal, flt), flt.sort).limit(limit)))
