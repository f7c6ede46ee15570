"""Enterprise use cases: validate, check scope, audit, flush."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import session_clock
from zhiben.division.models import Division
from zhiben.enterprise import repository
from zhiben.enterprise.domain import EnterpriseDraft, check_draft
from zhiben.enterprise.models import Enterprise
from zhiben.errors import (
    DuplicateError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)

EDITABLE = (
    "name",
    "address",
    "longitude",
    "latitude",
    # not "sector": hazards carry their enterprise's sector for department scope, so a re-classification
    # must move them together (a use case of its own, not an edit)
    "gbt4754_code",
    "headcount",
    "main_responsible_person",
    "safety_manager",
    "licences",
)


def snapshot(enterprise: Enterprise) -> dict[str, Any]:
    return {
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "county_code": enterprise.county_code,
        "address": enterprise.address,
        "longitude": enterprise.longitude,
        "latitude": enterprise.latitude,
        "sector": enterprise.sector,
        "gbt4754_code": enterprise.gbt4754_code,
        "headcount": enterprise.headcount,
        "main_responsible_person": enterprise.main_responsible_person,
        "safety_manager": enterprise.safety_manager,
        "licences": enterprise.licences,
        "version": enterprise.version,
    }


def get_enterprise(session: Session, actor: Principal, enterprise_id: int) -> Enterprise:
    enterprise = repository.get(session, actor, enterprise_id)
    if enterprise is None:
        raise NotFoundError(kind="enterprise", key=enterprise_id)
    return enterprise


def _require_registrar(actor: Principal, county_code: str) -> None:
    if actor.role not in (Role.admin, Role.regulator) or not actor.has_jurisdiction_over(county_code):
        raise PermissionDeniedError(action="enterprise.register")


def check_new(session: Session, draft: EnterpriseDraft) -> EnterpriseDraft:
    """Every check of a new enterprise, database ones included, without writing."""
    clean = check_draft(draft)
    division = session.get(Division, clean.county_code)
    if division is None or division.level != 3:
        raise InvalidInputError(
            "county_code", "unknown", f"{clean.county_code} is not a county-level division"
        )
    if repository.uscc_exists(session, clean.uscc):
        raise DuplicateError(kind="enterprise", key=clean.uscc)
    return clean


def register_enterprise(session: Session, actor: Principal, draft: EnterpriseDraft) -> Enterprise:
    clean = check_new(session, draft)
    _require_registrar(actor, clean.county_code)
    now = session_clock(session).now()
    fields = asdict(clean)
    fields["licences"] = list(clean.licences)
    enterprise = Enterprise(
        **fields,
        province_code=clean.county_code[:2],
        city_code=clean.county_code[:4],
        created_at=now,
        updated_at=now,
    )
    session.add(enterprise)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "enterprise.register",
        "enterprise",
        str(enterprise.id),
        after=snapshot(enterprise),
    )
    return enterprise


def register_enterprises(
    session: Session, actor: Principal, drafts: Sequence[EnterpriseDraft]
) -> Sequence[Enterprise]:
    """register_enterprise for many at once (a ledger import): the same checks, one audit entry each,
    and a handful of statements in all. Raises on the first draft that fails, writing nothing."""
    clean = [check_draft(d) for d in drafts]
    counties = set(session.scalars(select(Division.code).where(Division.level == 3)))
    seen: set[str] = set()
    registered = repository.registered_usccs(session, (c.uscc for c in clean))
    for item in clean:
        if item.county_code not in counties:
            raise InvalidInputError(
                "county_code", "unknown", f"{item.county_code} is not a county-level division"
            )
        _require_registrar(actor, item.county_code)
        if item.uscc in registered or item.uscc in seen:
            raise DuplicateError(kind="enterprise", key=item.uscc)
        seen.add(item.uscc)
    if not clean:
        return []
    now = session_clock(session).now()
    rows = [
        dict(vars(c))
        | {
            "licences": list(c.licences),
            "province_code": c.county_code[:2],
            "city_code": c.county_code[:4],
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        for c in clean
    ]
    # Without sort_by_parameter_order, which would make SQLite insert one row at a time.
    inserted = {e.uscc: e for e in session.scalars(insert(Enterprise).returning(Enterprise), rows)}
    enterprises = [inserted[c.uscc] for c in clean]
    audit.record_many(
        session,
        actor.audit_name,
        "enterprise.register",
        "enterprise",
        [(str(e.id), None, snapshot(e)) for e in enterprises],
    )
    return enterprises


def update_enterprise(
    session: Session, actor: Principal, enterprise_id: int, changes: dict[str, Any], expected_version: int
) -> Enterprise:
    enterprise = get_enterprise(session, actor, enterprise_id)
    may_edit = actor.role in (Role.admin, Role.regulator) or (
        actor.role == Role.enterprise and actor.enterprise_id == enterprise.id
    )
    if not may_edit:
        raise PermissionDeniedError(action="enterprise.update")
    if enterprise.version != expected_version:
        raise StaleVersionError(current=enterprise.version, given=expected_version)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInputError(field, "not_editable", f"{field} cannot be changed here")
    before = snapshot(enterprise)
    current = EnterpriseDraft(
        uscc=enterprise.uscc,
        name=enterprise.name,
        county_code=enterprise.county_code,
        sector=enterprise.sector,
        address=enterprise.address,
        longitude=enterprise.longitude,
        latitude=enterprise.latitude,
        gbt4754_code=enterprise.gbt4754_code,
        headcount=enterprise.headcount,
        main_responsible_person=enterprise.main_responsible_person,
        safety_manager=enterprise.safety_manager,
        licences=tuple(enterprise.licences),
    )
    updates: dict[str, Any] = {k: (tuple(v) if k == "licences" else v) for k, v in changes.items()}
    clean = check_draft(replace(current, **updates))
    for key in changes:
        value = getattr(clean, key)
        setattr(enterprise, key, list(value) if key == "licences" else value)
    enterprise.updated_at = session_clock(session).now()
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "enterprise.update",
        "enterprise",
        str(enterprise.id),
        before=before,
        after=snapshot(enterprise),
    )
    return enterprise


EnterpriseFilter = repository.EnterpriseFilter


def scoped_query(actor: Principal, flt: EnterpriseFilter) -> Select[Enterprise]:
    """The enterprises in the caller's scope matching the filter, as a query other features can join to."""
    return repository.filtered(actor, flt)


def ids_by_uscc(session: Session, actor: Principal, codes: set[str]) -> dict[str, int]:
    """USCC → id for the enterprises among `codes` in the caller's scope (others are simply absent)."""
    found: dict[str, int] = {}
    pending = sorted(codes)
    for start in range(0, len(pending), 500):
        query = repository.filtered(actor, EnterpriseFilter()).where(Enterprise.uscc.in_(pending[start : start + 500]))
        found.update((e.uscc, e.id) for e in session.scalars(query))
    return found


def names_of(session: Session, actor: Principal, ids: set[int]) -> dict[int, str]:
    """Id → name for the enterprises among `ids` in the caller's scope (for lists that show names)."""
    query = repository.filtered(actor, EnterpriseFilter()).where(Enterprise.id.in_(sorted(ids)[:1000]))
    return {e.id: e.name for e in session.scalars(query)}
