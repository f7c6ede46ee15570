"""Tip-off queries. Tip-offs are not enterprise-bound rows that an enterprise may read: their scope is the
handling regulators' alone, in SQL, and the reporter's identity is narrower still.

* a tip-off: regulators whose jurisdiction contains its county, and administrators;
* its reporter: regulators whose jurisdiction contains its county, and nobody else (not administrators,
  not officers, departments, service providers or any enterprise user).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, func, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhiben.auth.domain import Principal, Role
from zhiben.kit.pagination import Page, PageRequest
from zhiben.tipoff.models import Tipoff, TipoffReporter


def _in_division(
    prefix: str,
    province: InstrumentedAttribute[str],
    city: InstrumentedAttribute[str],
    county: InstrumentedAttribute[str],
) -> ColumnElement[bool]:
    if prefix == "":
        return true()
    conditions = [province == prefix[:2]]
    if len(prefix) >= 4:
        conditions.append(city == prefix[:4])
    if len(prefix) == 6:
        conditions.append(county == prefix)
    return and_(*conditions)


def tipoff_scope(principal: Principal) -> ColumnElement[bool]:
    if principal.role == Role.admin:
        return true()
    if principal.role == Role.regulator:
        return _in_division(principal.prefix, Tipoff.province_code, Tipoff.city_code, Tipoff.county_code)
    return false()


def reporter_scope(principal: Principal) -> ColumnElement[bool]:
    if principal.role == Role.regulator:
        return _in_division(
            principal.prefix,
            TipoffReporter.province_code,
            TipoffReporter.city_code,
            TipoffReporter.county_code,
        )
    return false()


@dataclass(frozen=True)
class TipoffFilter:
    state: str | None = None  # a TipoffState


def get(session: Session, principal: Principal, tipoff_id: int, *, for_update: bool = False) -> Tipoff | None:
    query = select(Tipoff).where(Tipoff.id == tipoff_id, tipoff_scope(principal))
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).first()


def by_receipt(session: Session, receipt_hash: str) -> Tipoff | None:
    """Unscoped on purpose: the receipt code is the public's only credential, and whoever holds it may see
    the tip-off's status and public outcome (never more: the API maps it to a narrow schema)."""
    return session.scalars(select(Tipoff).where(Tipoff.receipt_hash == receipt_hash)).first()


def receipt_taken(session: Session, receipt_hash: str) -> bool:
    return session.scalar(select(Tipoff.id).where(Tipoff.receipt_hash == receipt_hash)) is not None


def reporter(session: Session, principal: Principal, tipoff_id: int) -> TipoffReporter | None:
    return session.scalars(
        select(TipoffReporter).where(TipoffReporter.tipoff_id == tipoff_id, reporter_scope(principal))
    ).first()


def page(session: Session, principal: Principal, flt: TipoffFilter, request: PageRequest) -> Page[Tipoff]:
    query = select(Tipoff).where(tipoff_scope(principal))
    if flt.state:
        query = query.where(Tipoff.state == flt.state)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = session.scalars(
        query.order_by(Tipoff.received_at.desc(), Tipoff.id.desc()).offset(request.offset).limit(request.size)
    ).all()
    return Page(list(items), total, request.page, request.size)


def unfinished(session: Session, principal: Principal, limit: int = 1000) -> Sequence[Tipoff]:
    """Tip-offs whose verification or feedback is still to do, oldest first."""
    return session.scalars(
        select(Tipoff)
        .where(tipoff_scope(principal), Tipoff.feedback_at.is_(None))
        .order_by(Tipoff.received_at, Tipoff.id)
        .limit(limit)
    ).all()
