"""Training endpoints: certificates of competence (record, review, revoke, withdraw), the scoped list,
expiry warnings, and the validity rules with their citations."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status

from zhiben.auth.api import ERROR_RESPONSES, MAX_ID, Ctx, IfMatch, ObjectId
from zhiben.kit.pagination import PageRequest
from zhiben.training import service
from zhiben.training.domain import CertificateKind, rules
from zhiben.training.models import Certificate
from zhiben.training.repository import CertificateFilter
from zhiben.training.schemas import (
    CertificateCreate,
    CertificatePage,
    CertificateRead,
    CertificateReview,
    CertificateWarning,
    CertificateWarnings,
    KindRuleRead,
)

router = APIRouter(prefix="/api/v1", tags=["training"], responses=ERROR_RESPONSES)

DivisionParam = Annotated[str, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$", description="2, 4 or 6 digits")]


def _read(cert: Certificate) -> CertificateRead:
    return CertificateRead.model_validate(cert)


@router.post(
    "/enterprises/{enterprise_id}/certificates",
    response_model=CertificateRead,
    status_code=status.HTTP_201_CREATED,
)
def create_certificate(ctx: Ctx, enterprise_id: ObjectId, body: CertificateCreate) -> CertificateRead:
    """Record a certificate; the enterprise's certificate facts are set again at once (a lapsed one can
    raise a major hazard under the chemicals or fireworks pack)."""
    draft = service.CertificateDraft(
        body.person_name,
        body.id_number,
        body.kind,
        body.number,
        body.issuer,
        body.issued_on,
        body.valid_until,
        body.operation_type,
        body.reviewed_on,
    )
    with ctx.write() as session:
        key = ctx.state.secret.encode("utf-8")
        return _read(service.record_certificate(session, ctx.principal, enterprise_id, draft, key))


@router.get("/certificates", response_model=CertificatePage)
def list_certificates(
    ctx: Ctx,
    division: DivisionParam = "",
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    kind: Annotated[CertificateKind | None, Query()] = None,
    status_: Annotated[str | None, Query(alias="status", pattern="^(active|revoked|withdrawn)$")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CertificatePage:
    """Certificates in the caller's scope, soonest to expire first."""
    flt = CertificateFilter(division, enterprise_id, kind.value if kind else None, status_)
    with ctx.read() as session:
        found = service.list_certificates(session, ctx.principal, flt, PageRequest(page, size))
        return CertificatePage(
            items=[_read(c) for c in found.items], total=found.total, page=found.page, size=found.size
        )


@router.get("/certificates/warnings", response_model=CertificateWarnings)
def certificate_warnings(
    ctx: Ctx,
    division: DivisionParam = "",
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    kind: Annotated[CertificateKind | None, Query()] = None,
    within_days: Annotated[int | None, Query(ge=0, le=3660, description="the warning window N")] = None,
    on: Annotated[date | None, Query(description="the day to judge; today by default")] = None,
) -> CertificateWarnings:
    """Expired certificates, those expiring within N days, and reviews (复审) due within N days."""
    flt = CertificateFilter(division, enterprise_id, kind.value if kind else None)
    days = rules().default_warning_days if within_days is None else within_days
    with ctx.read() as session:
        day = on or service.today(session)
        warned = service.certificate_warnings(session, ctx.principal, flt, day, days)
        return CertificateWarnings(
            on=day,
            within_days=days,
            warnings=[
                CertificateWarning(
                    kind=w.warning.kind,
                    due_on=w.warning.due_on,
                    days_left=w.warning.days_left,
                    certificate=_read(w.certificate),
                )
                for w in warned
            ],
        )


@router.get("/certificates/rules", response_model=list[KindRuleRead])
def certificate_rules(ctx: Ctx) -> list[KindRuleRead]:
    """The certificate kinds, the duty's legal basis, and the recalled validity and review figures."""
    return [
        KindRuleRead(
            kind=r.kind.value,
            zh=r.zh,
            en=r.en,
            basis=r.basis,
            validity_years=r.validity_years,
            review_interval_years=r.review_interval_years,
        )
        for r in rules().kinds.values()
    ]


@router.get("/certificates/{certificate_id}", response_model=CertificateRead)
def get_certificate(ctx: Ctx, certificate_id: ObjectId) -> CertificateRead:
    with ctx.read() as session:
        return _read(service.get_certificate(session, ctx.principal, certificate_id))


@router.post("/certificates/{certificate_id}/review", response_model=CertificateRead)
def review_certificate(
    ctx: Ctx, certificate_id: ObjectId, body: CertificateReview, version: IfMatch
) -> CertificateRead:
    with ctx.write() as session:
        return _read(
            service.review_certificate(
                session, ctx.principal, certificate_id, body.reviewed_on, body.valid_until, version
            )
        )


@router.post("/certificates/{certificate_id}/revoke", response_model=CertificateRead)
def revoke_certificate(ctx: Ctx, certificate_id: ObjectId, version: IfMatch) -> CertificateRead:
    """The issuer revoked it: the person holds no valid certificate of that kind any more."""
    with ctx.write() as session:
        return _read(service.revoke_certificate(session, ctx.principal, certificate_id, version))


@router.post("/certificates/{certificate_id}/withdraw", response_model=CertificateRead)
def withdraw_certificate(ctx: Ctx, certificate_id: ObjectId, version: IfMatch) -> CertificateRead:
    """The person left the enterprise: the certificate no longer counts for it."""
    with ctx.write() as session:
        return _read(service.withdraw_certificate(session, ctx.principal, certificate_id, version))
