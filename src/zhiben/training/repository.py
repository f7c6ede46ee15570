"""Certificate queries, always inside the caller's scope (except the scheduler's, which says so)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, division_prefix
from zhiben.auth.scope import ScopedColumns, division_condition, scope_condition
from zhiben.kit.pagination import Page, PageRequest
from zhiben.training.models import Certificate

COLUMNS = ScopedColumns(
    enterprise_id=Certificate.enterprise_id,
    province_code=Certificate.province_code,
    city_code=Certificate.city_code,
    county_code=Certificate.county_code,
    sector=Certificate.sector,
)


@dataclass(frozen=True)
class CertificateFilter:
    division: str = ""
    enterprise_id: int | None = None
    kind: str | None = None
    status: str | None = None
    valid_until_before: date | None = None  # certificates whose last valid day is before this day


def scoped(principal: Principal) -> ColumnElement[bool]:
    return scope_condition(principal, COLUMNS)


def get(session: Session, principal: Principal, certificate_id: int) -> Certificate | None:
    return session.scalars(
        select(Certificate).where(Certificate.id == certificate_id, scoped(principal))
    ).first()


def _filtered(principal: Principal, flt: CertificateFilter) -> Select[Certificate]:
    query = select(Certificate).where(scoped(principal))
    if flt.division:
        query = query.where(division_condition(division_prefix(flt.division.ljust(6, "0")), COLUMNS))
    if flt.enterprise_id is not None:
        query = query.where(Certificate.enterprise_id == flt.enterprise_id)
    if flt.kind:
        query = query.where(Certificate.kind == flt.kind)
    if flt.status:
        query = query.where(Certificate.status == flt.status)
    if flt.valid_until_before is not None:
        query = query.where(Certificate.valid_until < flt.valid_until_before)
    return query


def page(
    session: Session, principal: Principal, flt: CertificateFilter, request: PageRequest
) -> Page[Certificate]:
    query = _filtered(principal, flt)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    items = session.scalars(
        query.order_by(Certificate.valid_until, Certificate.id).offset(request.offset).limit(request.size)
    ).all()
    return Page(list(items), total, request.page, request.size)


def all_matching(session: Session, principal: Principal, flt: CertificateFilter) -> Sequence[Certificate]:
    return session.scalars(_filtered(principal, flt).order_by(Certificate.valid_until, Certificate.id)).all()


def of_enterprise(session: Session, enterprise_id: int) -> Sequence[Certificate]:
    """Every certificate of one enterprise; the caller has already found the enterprise in its scope."""
    return session.scalars(
        select(Certificate).where(Certificate.enterprise_id == enterprise_id).order_by(Certificate.id)
    ).all()


def number_taken(session: Session, enterprise_id: int, kind: str, number: str) -> bool:
    query = select(Certificate.id).where(
        Certificate.enterprise_id == enterprise_id, Certificate.kind == kind, Certificate.number == number
    )
    return session.scalar(query) is not None


def enterprises_with_boundary(session: Session, principal: Principal, first: date, last: date) -> list[int]:
    """Enterprises in scope with a certificate that lapsed or began within [first, last]: lapsed on day d
    means valid_until = d - 1. Scoped like every query; the scheduler passes the system principal."""
    query = (
        select(Certificate.enterprise_id)
        .where(
            scoped(principal),
            Certificate.status == "active",
            or_(
                Certificate.valid_until.between(first - timedelta(days=1), last - timedelta(days=1)),
                Certificate.issued_on.between(first, last),
            ),
        )
        .distinct()
        .order_by(Certificate.enterprise_id)
    )
    return list(session.scalars(query))
