"""Enterprise queries, always inside the caller's scope."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, division_prefix
from zhiben.auth.scope import ScopedColumns, division_condition, scope_condition
from zhiben.enterprise.models import Enterprise
from zhiben.kit.pagination import Page, PageRequest

COLUMNS = ScopedColumns(
    enterprise_id=Enterprise.id,
    province_code=Enterprise.province_code,
    city_code=Enterprise.city_code,
    county_code=Enterprise.county_code,
    sector=Enterprise.sector,
)


@dataclass(frozen=True)
class EnterpriseFilter:
    division: str = ""
    sector: str | None = None
    name: str | None = None


def scoped(principal: Principal) -> ColumnElement[bool]:
    return scope_condition(principal, COLUMNS)


def get(session: Session, principal: Principal, enterprise_id: int) -> Enterprise | None:
    return session.scalars(
        select(Enterprise).where(Enterprise.id == enterprise_id, scoped(principal))
    ).first()


def get_by_uscc(session: Session, principal: Principal, code: str) -> Enterprise | None:
    return session.scalars(select(Enterprise).where(Enterprise.uscc == code, scoped(principal))).first()


def uscc_exists(session: Session, code: str) -> bool:
    """Uniqueness is global: asked without scope, answers only yes or no."""
    return session.scalar(select(Enterprise.id).where(Enterprise.uscc == code)) is not None


def registered_usccs(session: Session, codes: Iterable[str], chunk: int = 500) -> set[str]:
    """Which of these codes are registered already: uscc_exists for many, a query per `chunk` codes."""
    pending, found = sorted(set(codes)), set[str]()
    for start in range(0, len(pending), chunk):
        part = pending[start : start + chunk]
        found.update(session.scalars(select(Enterprise.uscc).where(Enterprise.uscc.in_(part))))
    return found


def filtered(principal: Principal, flt: EnterpriseFilter) -> Select[Enterprise]:
    query = select(Enterprise).where(scoped(principal))
    if flt.division:
        query = query.where(division_condition(division_prefix(flt.division), COLUMNS))
    if flt.sector:
        query = query.where(Enterprise.sector == flt.sector)
    if flt.name:
        query = query.where(Enterprise.name.like(f"%{flt.name}%"))
    return query


def page(
    session: Session, principal: Principal, flt: EnterpriseFilter, request: PageRequest
) -> Page[Enterprise]:
    query = filtered(principal, flt)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(query.order_by(Enterprise.id).offset(request.offset).limit(request.size)).all()
    return Page(list(items), total, request.page, request.size)


def all_in_scope(session: Session, principal: Principal, flt: EnterpriseFilter) -> Sequence[Enterprise]:
    return session.scalars(filtered(principal, flt).order_by(Enterprise.id)).all()
