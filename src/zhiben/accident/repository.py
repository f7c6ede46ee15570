"""Accident queries, always inside the caller's scope."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.orm import Session

from zhiben.accident.models import Accident, AccidentHazardLink, CasualtyUpdate, UpwardReport
from zhiben.auth.domain import Principal, division_prefix
from zhiben.auth.scope import ScopedColumns, division_condition, scope_condition
from zhiben.hazard.models import Hazard
from zhiben.kit.pagination import Page, PageRequest

COLUMNS = ScopedColumns(
    enterprise_id=Accident.enterprise_id,
    province_code=Accident.province_code,
    city_code=Accident.city_code,
    county_code=Accident.county_code,
    sector=Accident.sector,
)
HAZARD_COLUMNS = ScopedColumns(
    enterprise_id=Hazard.enterprise_id,
    province_code=Hazard.province_code,
    city_code=Hazard.city_code,
    county_code=Hazard.county_code,
    sector=Hazard.sector,
)


@dataclass(frozen=True)
class AccidentFilter:
    division: str = ""
    enterprise_id: int | None = None
    grade: str | None = None
    had_open_major_hazard: bool | None = None
    reporting_incomplete: bool | None = None
    occurred_from: datetime | None = None
    occurred_to: datetime | None = None


def scoped(principal: Principal) -> ColumnElement[bool]:
    return scope_condition(principal, COLUMNS)


def get(
    session: Session, principal: Principal, accident_id: int, *, for_update: bool = False
) -> Accident | None:
    query = select(Accident).where(Accident.id == accident_id, scoped(principal))
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def _filtered(principal: Principal, flt: AccidentFilter) -> Select[Accident]:
    query = select(Accident).where(scoped(principal))
    if flt.division:
        query = query.where(division_condition(division_prefix(flt.division), COLUMNS))
    if flt.enterprise_id is not None:
        query = query.where(Accident.enterprise_id == flt.enterprise_id)
    if flt.grade:
        query = query.where(Accident.grade == flt.grade)
    if flt.had_open_major_hazard is not None:
        query = query.where(Accident.had_open_major_hazard.is_(flt.had_open_major_hazard))
    if flt.reporting_incomplete is not None:
        query = query.where(Accident.is_reporting_complete.is_(not flt.reporting_incomplete))
    if flt.occurred_from:
        query = query.where(Accident.occurred_at >= flt.occurred_from)
    if flt.occurred_to:
        query = query.where(Accident.occurred_at < flt.occurred_to)
    return query


def page(session: Session, principal: Principal, flt: AccidentFilter, request: PageRequest) -> Page[Accident]:
    query = _filtered(principal, flt)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = session.scalars(
        query.order_by(Accident.occurred_at.desc(), Accident.id.desc())
        .offset(request.offset)
        .limit(request.size)
    ).all()
    return Page(list(items), total, request.page, request.size)


def incomplete_reporting(session: Session, principal: Principal, limit: int = 1000) -> Sequence[Accident]:
    return session.scalars(
        select(Accident)
        .where(scoped(principal), Accident.is_reporting_complete.is_(False))
        .order_by(Accident.occurred_at, Accident.id)
        .limit(limit)
    ).all()


def history(session: Session, accident_id: int) -> Sequence[CasualtyUpdate]:
    return session.scalars(
        select(CasualtyUpdate).where(CasualtyUpdate.accident_id == accident_id).order_by(CasualtyUpdate.id)
    ).all()


def upward_reports(session: Session, accident_id: int) -> Sequence[UpwardReport]:
    return session.scalars(
        select(UpwardReport).where(UpwardReport.accident_id == accident_id).order_by(UpwardReport.id)
    ).all()


def links(session: Session, accident_id: int) -> Sequence[AccidentHazardLink]:
    return session.scalars(
        select(AccidentHazardLink)
        .where(AccidentHazardLink.accident_id == accident_id)
        .order_by(AccidentHazardLink.found_at, AccidentHazardLink.hazard_id)
    ).all()


def clear_links(session: Session, accident_id: int) -> None:
    session.execute(delete(AccidentHazardLink).where(AccidentHazardLink.accident_id == accident_id))


def hazards_found_before(
    session: Session, principal: Principal, enterprise_id: int, occurred_at: datetime
) -> Sequence[Hazard]:
    """The enterprise's hazards found before the accident, as far as the caller may see them."""
    return session.scalars(
        select(Hazard)
        .where(
            scope_condition(principal, HAZARD_COLUMNS),
            Hazard.enterprise_id == enterprise_id,
            Hazard.found_at < occurred_at,
        )
        .order_by(Hazard.found_at, Hazard.id)
    ).all()


def open_major_hazards(session: Session, principal: Principal, limit: int = 1) -> Sequence[Hazard]:
    """Open, determined major hazards in the caller's scope, oldest first (the demo seed's pick)."""
    return session.scalars(
        select(Hazard)
        .where(scope_condition(principal, HAZARD_COLUMNS), Hazard.is_open, Hazard.level == "major")
        .order_by(Hazard.found_at, Hazard.id)
        .limit(limit)
    ).all()
