"""One thing, whole chain (一件事全链条): the gap and overlap report of the caller's division (things by
lifecycle stage with their lead and supporting departments), referrals (移送) of hazards with the receiving
department's acknowledge and outcome, and the referral form for a hazard."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from zhiben.auth.api import MAX_ID
from zhiben.chain import service
from zhiben.chain.domain import ReferralAction, ReferralState, referral_actions
from zhiben.chain.schemas import OutcomeIn, ReferralCreate
from zhiben.errors import ZhibenError
from zhiben.hazard import service as hazards
from zhiben.kit.pagination import PageRequest
from zhiben.web.pages.common import Web, form_errors, page, pager_of, see_other
from zhiben.web.pages.forms import form_values, parse_form

router = APIRouter(include_in_schema=False)
ReferralId = Annotated[int, Path(ge=1, le=MAX_ID)]
STATES = tuple(s.value for s in ReferralState)


def _names(language: str) -> dict[str, Any]:
    ref = service.reference()
    return {
        "stage_names": {s.code: s.name(language) for s in ref.stages},
        "thing_names": {code: t.name(language) for code, t in ref.things.items()},
        "department_names": {code: d.name(language) for code, d in ref.departments.items()},
    }


@router.get("/chain", response_class=HTMLResponse)
def report(
    ctx: Web, division: Annotated[str | None, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$")] = None
) -> HTMLResponse:
    """The effective matrix of the division (the caller's own by default): a row per thing, a column per
    stage; a stage nobody leads is a gap, one with two leads an overlap."""
    ref = service.reference()
    with ctx.read() as session:
        found = service.report_for(session, ctx.principal, division)
        cells = {(c.thing, c.stage.value): c for c in found.cells}
        rows = [(code, [cells.get((code, s.code)) for s in ref.stages]) for code in ref.things]
        return page(
            ctx,
            "chain/report.html",
            report=found,
            rows=rows,
            stages=ref.stages,
            division=found.division_code,
            **_names(ctx.language),
        )


@router.get("/chain/referrals", response_class=HTMLResponse)
def referrals(
    ctx: Web,
    state: Annotated[Literal["referred", "acknowledged", "handled", "overdue", ""], Query()] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> HTMLResponse:
    """Referrals in the caller's scope, paged in SQL: a department user sees those addressed to it."""
    with ctx.read() as session:
        result = service.page_referrals(
            session, ctx.principal, PageRequest(page_number, size), state=state or None
        )
        return page(
            ctx,
            "chain/referrals.html",
            referrals=result.items,
            pager=pager_of(result, ctx.request),
            filters={"state": state},
            states=STATES,
            **_names(ctx.language),
        )


def _new_page(
    ctx: Web, hazard_id: int | None, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    ref = service.reference()
    with ctx.read() as session:
        hazard = hazards.get_hazard(session, ctx.principal, hazard_id) if hazard_id else None
        return page(
            ctx,
            "chain/referral_new.html",
            status=status,
            hazard=hazard,
            values=values,
            errors=errors,
            departments=list(ref.departments),
            things=list(ref.things),
            stages=[s.code for s in ref.stages],
            **_names(ctx.language),
        )


@router.get("/chain/referrals/new", response_class=HTMLResponse)
def referral_form(ctx: Web, hazard_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None) -> HTMLResponse:
    return _new_page(ctx, hazard_id, {"hazard_id": str(hazard_id or "")}, {})


@router.post("/chain/referrals/new", response_class=HTMLResponse)
async def refer(ctx: Web) -> Response:
    form = await ctx.request.form()
    values = form_values(form)
    hazard_id = int(values["hazard_id"]) if values.get("hazard_id", "").isdigit() else None
    body, errors = parse_form(ReferralCreate, values, ctx.language)
    if body is None:
        return _new_page(ctx, hazard_id if hazard_id and hazard_id <= MAX_ID else None, values, errors, 422)
    try:
        with ctx.write() as session:
            referral = service.refer_hazard(
                session,
                ctx.principal,
                body.hazard_id,
                body.reason,
                department=body.department,
                thing=body.thing,
                stage=body.stage,
            )
            referral_id = referral.id
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        return _new_page(ctx, body.hazard_id, values, form_errors(exc, ctx.language), exc.status)
    return see_other(f"/chain/referrals/{referral_id}")


def _detail(
    ctx: Web,
    referral_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    failed: str = "",
    status: int = 200,
) -> HTMLResponse:
    with ctx.read() as session:
        referral = service.get_referral(session, ctx.principal, referral_id)
        receiving = ctx.principal.role in service.RECEIVING_ROLES
        actions = (
            [
                a.value
                for a in referral_actions(ReferralState(referral.state))
                if a != ReferralAction.mark_overdue
            ]
            if receiving
            else []
        )
        return page(
            ctx,
            "chain/referral.html",
            status=status,
            referral=referral,
            actions=actions,
            errors=errors or {},
            values=values or {},
            failed=failed,
            **_names(ctx.language),
        )


@router.get("/chain/referrals/{referral_id}", response_class=HTMLResponse)
def referral(ctx: Web, referral_id: ReferralId) -> HTMLResponse:
    return _detail(ctx, referral_id)


@router.post("/chain/referrals/{referral_id}/acknowledge", response_class=HTMLResponse)
def acknowledge(ctx: Web, referral_id: ReferralId) -> Response:
    try:
        with ctx.write() as session:
            service.acknowledge_referral(session, ctx.principal, referral_id)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        errors = form_errors(exc, ctx.language)
        return _detail(ctx, referral_id, errors=errors, failed="acknowledge", status=exc.status)
    return see_other(f"/chain/referrals/{referral_id}")


@router.post("/chain/referrals/{referral_id}/outcome", response_class=HTMLResponse)
async def outcome(ctx: Web, referral_id: ReferralId) -> Response:
    values = form_values(await ctx.request.form())
    body, errors = parse_form(OutcomeIn, values, ctx.language)
    if body is None:
        return _detail(ctx, referral_id, errors=errors, values=values, failed="record_outcome", status=422)
    try:
        with ctx.write() as session:
            service.record_referral_outcome(session, ctx.principal, referral_id, body.outcome)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        errors = form_errors(exc, ctx.language)
        return _detail(
            ctx, referral_id, errors=errors, values=values, failed="record_outcome", status=exc.status
        )
    return see_other(f"/chain/referrals/{referral_id}")
