"""Certificate use cases: record, renew (a new certificate), review, revoke or withdraw; list and warn; and
keep the enterprise's rule-pack facts in step with its certificates.

Facts go through the standards checklist (`checklist.answer`), the same path a checklist answer takes:
the answer is audited as one, the enterprise is determined again, and a met clause of a released pack
raises (or restates) a major hazard through the hazard service.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import session_clock
from zhiben.enterprise import service as enterprises
from zhiben.errors import (
    DuplicateError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from zhiben.kit.pagination import Page, PageRequest
from zhiben.standards import checklist
from zhiben.training import repository
from zhiben.training.domain import (
    CertificateFacts,
    CertificateKind,
    CertificateStatus,
    ExpiryWarning,
    certificate_facts,
    check_dates,
    check_day,
    expiry_warnings,
    person_id,
    rules,
)
from zhiben.training.models import Certificate
from zhiben.training.repository import CertificateFilter

RECORDERS = {Role.enterprise, Role.regulator, Role.officer, Role.admin}
READERS = {Role.enterprise, Role.regulator, Role.officer, Role.department, Role.admin}


@dataclass(frozen=True)
class CertificateDraft:
    person_name: str
    id_number: str  # used for the masked id and the keyed digest, never stored
    kind: CertificateKind
    number: str
    issuer: str
    issued_on: date
    valid_until: date
    operation_type: str = ""  # 作业类别 of a special-operation certificate
    reviewed_on: date | None = None


def snapshot(cert: Certificate) -> dict[str, Any]:
    return {
        "enterprise_id": cert.enterprise_id,
        "person_name": cert.person_name,
        "person_id_masked": cert.person_id_masked,
        "kind": cert.kind,
        "operation_type": cert.operation_type,
        "number": cert.number,
        "issuer": cert.issuer,
        "issued_on": cert.issued_on.isoformat(),
        "valid_until": cert.valid_until.isoformat(),
        "reviewed_on": cert.reviewed_on.isoformat() if cert.reviewed_on else None,
        "status": cert.status,
        "version": cert.version,
    }


def facts_of(cert: Certificate) -> CertificateFacts:
    return CertificateFacts(
        cert.id,
        cert.person_digest,
        CertificateKind(cert.kind),
        cert.issued_on,
        cert.valid_until,
        CertificateStatus(cert.status),
        cert.reviewed_on,
    )


def today(session: Session) -> date:
    """Today in Asia/Shanghai, by the unit of work's clock."""
    return checklist.today(session)


def _require(actor: Principal, allowed: set[Role], action: str) -> None:
    if actor.role not in allowed:
        raise PermissionDeniedError(action=action)


def _check_division(division: str) -> None:
    if division and not (len(division) in (2, 4, 6) and division.isdigit()):
        raise InvalidInputError("division", "format", "a division is 2, 4 or 6 digits")


def get_certificate(session: Session, actor: Principal, certificate_id: int) -> Certificate:
    _require(actor, READERS, "certificate.read")
    cert = repository.get(session, actor, certificate_id)
    if cert is None:
        raise NotFoundError(kind="certificate", key=certificate_id)
    return cert


def _check_draft(draft: CertificateDraft) -> None:
    problems = [
        (name, "required", f"{name} is required")
        for name, value in (
            ("person_name", draft.person_name),
            ("number", draft.number),
            ("issuer", draft.issuer),
        )
        if not value.strip()
    ]
    if problems:
        raise InvalidInputError.of(problems)
    check_dates(draft.issued_on, draft.valid_until, draft.reviewed_on)


def record_certificate(
    session: Session, actor: Principal, enterprise_id: int, draft: CertificateDraft, id_key: bytes
) -> Certificate:
    """Record a certificate (a renewal is a new certificate); the enterprise's facts follow at once."""
    _require(actor, RECORDERS, "certificate.record")
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    _check_draft(draft)
    person = person_id(draft.id_number, id_key)
    if repository.number_taken(session, enterprise.id, draft.kind.value, draft.number.strip()):
        raise DuplicateError(kind="certificate", key=draft.number.strip())
    now = session_clock(session).now()
    cert = Certificate(
        enterprise_id=enterprise.id,
        county_code=enterprise.county_code,
        city_code=enterprise.city_code,
        province_code=enterprise.province_code,
        sector=enterprise.sector,
        person_name=draft.person_name.strip(),
        person_id_masked=person.masked,
        person_digest=person.digest,
        kind=draft.kind.value,
        operation_type=draft.operation_type.strip(),
        number=draft.number.strip(),
        issuer=draft.issuer.strip(),
        issued_on=draft.issued_on,
        valid_until=draft.valid_until,
        reviewed_on=draft.reviewed_on,
        status=CertificateStatus.active.value,
        recorded_by=actor.audit_name,
        recorded_at=now,
        updated_at=now,
    )
    session.add(cert)
    session.flush()
    audit.record(
        session, actor.audit_name, "certificate.record", "certificate", str(cert.id), after=snapshot(cert)
    )
    sync_certificate_facts(session, actor, enterprise.id)
    return cert


def _change(
    session: Session,
    actor: Principal,
    certificate_id: int,
    expected_version: int | None,
    action: str,
    **changes: Any,
) -> Certificate:
    _require(actor, RECORDERS, f"certificate.{action}")
    cert = get_certificate(session, actor, certificate_id)
    if expected_version is not None and cert.version != expected_version:
        raise StaleVersionError(current=cert.version, given=expected_version)
    if cert.status != CertificateStatus.active.value:
        raise InvalidInputError("status", "not_active", f"the certificate is {cert.status}")
    before = snapshot(cert)
    for name, value in changes.items():
        setattr(cert, name, value)
    cert.updated_at = session_clock(session).now()
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        f"certificate.{action}",
        "certificate",
        str(cert.id),
        before=before,
        after=snapshot(cert),
    )
    sync_certificate_facts(session, actor, cert.enterprise_id)
    return cert


def review_certificate(
    session: Session,
    actor: Principal,
    certificate_id: int,
    reviewed_on: date,
    valid_until: date | None = None,
    expected_version: int | None = None,
) -> Certificate:
    """A review (复审) passed: its day, and the new last valid day if the review extended it."""
    cert = get_certificate(session, actor, certificate_id)
    until = valid_until or cert.valid_until
    check_dates(cert.issued_on, until, reviewed_on)
    return _change(
        session, actor, certificate_id, expected_version, "review", reviewed_on=reviewed_on, valid_until=until
    )


def revoke_certificate(
    session: Session, actor: Principal, certificate_id: int, expected_version: int | None = None
) -> Certificate:
    """The issuer revoked it (吊销/撤销): the person holds no valid certificate of that kind any more."""
    return _change(
        session, actor, certificate_id, expected_version, "revoke", status=CertificateStatus.revoked.value
    )


def withdraw_certificate(
    session: Session, actor: Principal, certificate_id: int, expected_version: int | None = None
) -> Certificate:
    """The person left the enterprise: the certificate no longer counts for it."""
    return _change(
        session, actor, certificate_id, expected_version, "withdraw", status=CertificateStatus.withdrawn.value
    )


def list_certificates(
    session: Session, actor: Principal, flt: CertificateFilter, request: PageRequest
) -> Page[Certificate]:
    _require(actor, READERS, "certificate.list")
    _check_division(flt.division)
    if flt.enterprise_id is not None:
        enterprises.get_enterprise(session, actor, flt.enterprise_id)  # 404 outside the scope
    return repository.page(session, actor, flt, request)


@dataclass(frozen=True)
class Warned:
    warning: ExpiryWarning
    certificate: Certificate


def certificate_warnings(
    session: Session,
    actor: Principal,
    flt: CertificateFilter,
    on: date | None = None,
    within_days: int | None = None,
) -> list[Warned]:
    """Expired and expiring certificates (and reviews due) in the caller's scope, soonest first."""
    _require(actor, READERS, "certificate.warnings")
    _check_division(flt.division)
    if flt.enterprise_id is not None:
        enterprises.get_enterprise(session, actor, flt.enterprise_id)
    on = on or checklist.today(session)
    days = rules().default_warning_days if within_days is None else within_days
    active = CertificateFilter(flt.division, flt.enterprise_id, flt.kind, CertificateStatus.active.value)
    certs = {c.id: c for c in repository.all_matching(session, actor, active)}
    warnings = expiry_warnings((facts_of(c) for c in certs.values()), on, days, rules().kinds)
    return [Warned(w, certs[w.certificate_id]) for w in warnings]


# --- facts for the rule packs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FactSync:
    enterprise_id: int
    facts: dict[str, bool | None]  # what the certificates say, for the facts the enterprise's packs ask
    outcome: checklist.Outcome | None  # None when there was nothing to answer


def sync_certificate_facts(
    session: Session, actor: Principal, enterprise_id: int, on: date | None = None
) -> FactSync:
    """Set the enterprise's certificate facts from its certificates through the checklist: a changed fact is
    audited as an answer and the enterprise is determined again (a met clause raises or restates a hazard).
    Only the facts that a pack applying to the enterprise asks are written."""
    on = on or checklist.today(session)
    check_day("on", on)
    packs = checklist.installed_packs()
    asked = {q.fact for q in checklist.checklist(session, actor, enterprise_id, packs, on).questions}
    certs = [facts_of(c) for c in repository.of_enterprise(session, enterprise_id)]
    facts = {
        name: value for name, value in certificate_facts(certs, on, rules().facts).items() if name in asked
    }
    if not facts:
        return FactSync(enterprise_id, {}, None)
    return FactSync(enterprise_id, facts, checklist.answer(session, actor, enterprise_id, facts, packs, on))


def refresh_certificate_facts(
    session: Session, actor: Principal, on: date, since: date | None = None
) -> list[FactSync]:
    """The daily job: enterprises (in the actor's scope) where a certificate lapsed or began between `since`
    (default: a week before, so a missed run catches up) and `on` get their facts set again for `on`."""
    check_day("on", on)
    first = since or on - timedelta(days=7)
    check_day("since", first)
    if first > on:
        raise InvalidInputError("since", "after_on", "since is on or before the day refreshed")
    return [
        sync_certificate_facts(session, actor, enterprise_id, on)
        for enterprise_id in repository.enterprises_with_boundary(session, actor, first, on)
    ]


def enterprise_certificates(session: Session, actor: Principal, enterprise_id: int) -> Sequence[Certificate]:
    _require(actor, READERS, "certificate.list")
    enterprises.get_enterprise(session, actor, enterprise_id)
    return repository.of_enterprise(session, enterprise_id)
