"""Training certificates (M10): an enterprise's certificates with their expiry warnings and the forms to add
and revoke one, and the regulator's list of expired and expiring certificates in its area."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhiben.auth.api import MAX_ID
from zhiben.errors import ZhibenError
from zhiben.kit.pagination import Page
from zhiben.training import service
from zhiben.training.domain import CertificateKind, rules
from zhiben.training.repository import CertificateFilter
from zhiben.training.schemas import CertificateCreate
from zhiben.web.pages.common import Web, form_errors, page, pager_of, see_other
from zhiben.web.pages.forms import form_values, parse_form

router = APIRouter(include_in_schema=False)
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
KINDS = tuple(k.value for k in CertificateKind)


@router.get("/training")
def home(ctx: Web) -> RedirectResponse:
    """An enterprise user lands on its own certificates; everyone else on the warnings of its area."""
    own = ctx.principal.enterprise_id
    return RedirectResponse(f"/training/enterprises/{own}" if own else "/training/warnings", status_code=303)


def _enterprise_page(
    ctx: Web,
    enterprise_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    failed: str = "",
    status: int = 200,
) -> HTMLResponse:
    with ctx.read() as session:
        certificates = service.enterprise_certificates(session, ctx.principal, enterprise_id)
        day = service.today(session)
        warned = service.certificate_warnings(
            session, ctx.principal, CertificateFilter(enterprise_id=enterprise_id), day
        )
        return page(
            ctx,
            "training/enterprise.html",
            status=status,
            enterprise_id=enterprise_id,
            certificates=certificates,
            warnings={w.certificate.id: w.warning for w in warned},
            today=day,
            within_days=rules().default_warning_days,
            may_record=ctx.principal.role in service.RECORDERS,
            kinds=KINDS,
            values=values or {},
            errors=errors or {},
            failed=failed,
        )


@router.get("/training/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise(ctx: Web, enterprise_id: ObjectId) -> HTMLResponse:
    return _enterprise_page(ctx, enterprise_id)


@router.post("/training/enterprises/{enterprise_id}/certificates", response_class=HTMLResponse)
async def add(ctx: Web, enterprise_id: ObjectId) -> Response:
    values = form_values(await ctx.request.form())
    body, errors = parse_form(CertificateCreate, values, ctx.language)
    values.pop("id_number", None)  # never echoed back into the page
    if body is None:
        return _enterprise_page(ctx, enterprise_id, values=values, errors=errors, failed="add", status=422)
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
    try:
        with ctx.write() as session:
            key = ctx.state.secret.encode("utf-8")
            service.record_certificate(session, ctx.principal, enterprise_id, draft, key)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        errors = form_errors(exc, ctx.language)
        return _enterprise_page(
            ctx, enterprise_id, values=values, errors=errors, failed="add", status=exc.status
        )
    return see_other(f"/training/enterprises/{enterprise_id}")


@router.post("/training/certificates/{certificate_id}/revoke", response_class=HTMLResponse)
async def revoke(ctx: Web, certificate_id: ObjectId) -> Response:
    values = form_values(await ctx.request.form())
    version = int(values["version"]) if values.get("version", "").isdigit() else None
    with ctx.read() as session:
        enterprise_id = service.get_certificate(session, ctx.principal, certificate_id).enterprise_id
    try:
        with ctx.write() as session:
            service.revoke_certificate(session, ctx.principal, certificate_id, version)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        errors = form_errors(exc, ctx.language)
        return _enterprise_page(ctx, enterprise_id, errors=errors, failed="revoke", status=exc.status)
    return see_other(f"/training/enterprises/{enterprise_id}")


@router.get("/training/warnings", response_class=HTMLResponse)
def warnings(
    ctx: Web,
    division: Annotated[str, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$")] = "",
    kind: Annotated[Literal["principal", "safety_manager", "special_operation", ""], Query()] = "",
    within_days: Annotated[int | None, Query(ge=0, le=3660)] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 50,
) -> HTMLResponse:
    """Expired certificates, those expiring within N days and reviews due, soonest first. The service
    judges the whole area at once; the page shows it a page at a time."""
    days = rules().default_warning_days if within_days is None else within_days
    with ctx.read() as session:
        day = service.today(session)
        found = service.certificate_warnings(
            session, ctx.principal, CertificateFilter(division, None, kind or None), day, days
        )
        start = (page_number - 1) * size
        result = Page(items=found[start : start + size], total=len(found), page=page_number, size=size)
        counts = {
            k: sum(1 for w in found if w.warning.kind.value == k)
            for k in ("expired", "expiring", "review_due")
        }
        return page(
            ctx,
            "training/warnings.html",
            warned=result.items,
            pager=pager_of(result, ctx.request),
            counts=counts,
            today=day,
            filters={"division": division, "kind": kind, "within_days": str(days)},
            kinds=KINDS,
        )
