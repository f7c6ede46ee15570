"""Major hazard installations (重大危险源) stored on an enterprise's facilities.

An inventory is identified and graded with GB 18218 (`gb18218.identify`); each unit becomes, or updates,
the facility of the same name, with S, R, the grade and every term, so the grade can feed the
enterprise's risk level. Units of the enterprise that the inventory does not name are left as they are:
an inventory may cover part of a site.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import session_clock
from zhiben.enterprise import service as enterprises
from zhiben.enterprise.models import Facility
from zhiben.errors import PermissionDeniedError
from zhiben.standards import gb18218

# Who may record an assessment: the enterprise itself, government in its area, a contracted service provider.
ASSESSING_ROLES = {Role.enterprise, Role.regulator, Role.officer, Role.service_provider, Role.admin}


def _exact(value: Fraction | None) -> str | None:
    """A non-negative fraction as decimal text, cut at 9 places (the grade was decided on the exact value)."""
    if value is None:
        return None
    digits = str(value.numerator * 10**9 // value.denominator).rjust(10, "0")
    whole, part = digits[:-9], digits[-9:].rstrip("0")
    return whole + (f".{part}" if part else "")


def facilities(session: Session, actor: Principal, enterprise_id: int) -> list[Facility]:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    return list(
        session.scalars(
            select(Facility).where(Facility.enterprise_id == enterprise.id).order_by(Facility.name)
        )
    )


def assess(
    session: Session, actor: Principal, enterprise_id: int, lines: Sequence[gb18218.Line]
) -> list[tuple[Facility, gb18218.UnitResult]]:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    if actor.role not in ASSESSING_ROLES:
        raise PermissionDeniedError(action="installations.assess")
    results = gb18218.identify(lines)
    now = session_clock(session).now()
    existing = {f.name: f for f in facilities(session, actor, enterprise.id)}
    stored = []
    for result in results:
        facility = existing.get(result.unit)
        before = _snapshot(facility) if facility else None
        if facility is None:
            facility = Facility(enterprise_id=enterprise.id, name=result.unit)
            session.add(facility)
        facility.kind = result.unit_type
        facility.is_major_hazard = result.is_major_hazard
        facility.grade = result.grade
        facility.s, facility.r = _exact(result.s) or "0", _exact(result.r)
        facility.assessment = gb18218.as_json(result)
        facility.assessed_by, facility.assessed_at = actor.audit_name, now
        session.flush()
        audit.record(
            session,
            actor.audit_name,
            "facility.assess",
            "facility",
            str(facility.id),
            before=before,
            after=_snapshot(facility),
        )
        stored.append((facility, result))
    return stored


def _snapshot(facility: Facility) -> dict[str, object]:
    return {
        "enterprise_id": facility.enterprise_id,
        "name": facility.name,
        "kind": facility.kind,
        "is_major_hazard": facility.is_major_hazard,
        "grade": facility.grade,
        "s": facility.s,
        "r": facility.r,
    }
