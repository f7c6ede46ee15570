"""Safety liability insurance (M11): the policies in the caller's scope (an insurer: the enterprises it insures
and its own policies), an enterprise's policy page with the insurer's prevention-service visits, the form to
record one with the hazards found, and the premium-floating suggestion; the regulator's mandatory-cover check."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from zhiben.accident import repository as accidents
from zhiben.auth.api import MAX_ID
from zhiben.auth.domain import Principal, Role
from zhiben.errors import ZhibenError
from zhiben.insurance import service
from zhiben.insurance.domain import measures
from zhiben.insurance.repository import PolicyFilter
from zhiben.insurance.schemas import FoundHazardIn, VisitCreate
from zhiben.kit.clock import SHANGHAI
from zhiben.kit.pagination import PageRequest
from zhiben.web.pages.common import Web, form_errors, page, pager_of, see_other
from zhiben.web.pages.forms import form_values, parse_form

router = APIRouter(include_in_schema=False)
EnterpriseId = Annotated[int, Path(ge=1, le=MAX_ID)]
HAZARD_ROWS = 3  # hazard rows on the visit form; more can be reported on the hazard ledger


@router.get("/insurance", response_class=HTMLResponse)
def policies(
    ctx: Web,
    division: Annotated[str, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$")] = "",
    in_force: Annotated[bool, Query()] = False,
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> HTMLResponse:
    with ctx.read() as session:
        day = service.today(session)
        flt = PolicyFilter(division, None, None, day if in_force else None)
        result = service.list_policies(session, ctx.principal, flt, PageRequest(page_number, size))
        return page(
            ctx,
            "insurance/policies.html",
            policies=result.items,
            pager=pager_of(result, ctx.request),
            filters={"division": division, "in_force": in_force},
            today=day,
            is_government=ctx.principal.is_government,
        )


@router.get("/insurance/cover-check", response_class=HTMLResponse)
def cover_check(
    ctx: Web, division: Annotated[str, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$")] = ""
) -> HTMLResponse:
    """Mandatory sectors (Art 2) with no policy in force, and policies below the least cover (Art 15)."""
    with ctx.read() as session:
        day = service.today(session)
        findings = service.check_cover(session, ctx.principal, day, division)
        return page(
            ctx,
            "insurance/cover_check.html",
            findings=findings,
            today=day,
            document=measures().document,
            filters={"division": division},
        )


def _accident_counts(session: Session, actor: Principal, enterprise_id: int) -> dict[str, int]:
    """The enterprise's accidents by grade in the look-back period before today, from the accident records
    (in the caller's scope, which covers the enterprise once the insurance service has found it)."""
    until = service.today(session)
    since = until - timedelta(days=measures().floating.look_back_days)
    flt = accidents.AccidentFilter(
        enterprise_id=enterprise_id,
        occurred_from=datetime.combine(since, datetime.min.time(), SHANGHAI),
        occurred_to=datetime.combine(until, datetime.min.time(), SHANGHAI),
    )
    grades: Counter[str] = Counter()
    number = 1
    while True:
        found = accidents.page(session, actor, flt, PageRequest(number, 500))
        grades.update(a.grade for a in found.items)
        if number * found.size >= found.total:
            return dict(grades)
        number += 1


def _enterprise_page(
    ctx: Web,
    enterprise_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    with ctx.read() as session:
        found = service.list_policies(
            session, ctx.principal, PolicyFilter(enterprise_id=enterprise_id), PageRequest(1, 100)
        )
        visits = service.list_visits(session, ctx.principal, enterprise_id)
        counts = _accident_counts(session, ctx.principal, enterprise_id)
        floating = service.suggest_floating(session, ctx.principal, enterprise_id, counts)
        return page(
            ctx,
            "insurance/enterprise.html",
            status=status,
            enterprise_id=enterprise_id,
            policies=found.items,
            visits=visits,
            floating=floating,
            today=service.today(session),
            may_visit=ctx.principal.role == Role.service_provider,
            hazard_rows=range(1, HAZARD_ROWS + 1),
            values=values or {},
            errors=errors or {},
        )


@router.get("/insurance/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise(ctx: Web, enterprise_id: EnterpriseId) -> HTMLResponse:
    """404 for an insurer that does not insure the enterprise (the services' scope)."""
    return _enterprise_page(ctx, enterprise_id)


@router.post("/insurance/enterprises/{enterprise_id}/visits", response_class=HTMLResponse)
async def record_visit(ctx: Web, enterprise_id: EnterpriseId) -> Response:
    values = form_values(await ctx.request.form())
    body, errors = parse_form(VisitCreate, values, ctx.language, instants=("visited_at",))
    found: list[FoundHazardIn] = []
    for row in range(1, HAZARD_ROWS + 1):
        row_values = {
            "description": values.get(f"hazard_{row}", "").strip(),
            "location": values.get(f"location_{row}", ""),
        }
        if not row_values["description"]:
            continue
        hazard, row_errors = parse_form(FoundHazardIn, row_values, ctx.language)
        if hazard is None:
            errors.update(
                {
                    f"hazard_{row}" if k == "description" else f"location_{row}": v
                    for k, v in row_errors.items()
                }
            )
        else:
            found.append(hazard)
    if body is None or errors:
        return _enterprise_page(ctx, enterprise_id, values=values, errors=errors, status=422)
    draft = service.VisitDraft(
        body.visited_at,
        body.summary,
        body.experts,
        tuple(service.FoundHazard(h.description, h.location) for h in found),
    )
    try:
        with ctx.write() as session:
            service.record_visit(session, ctx.principal, enterprise_id, draft)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        errors = form_errors(exc, ctx.language)
        return _enterprise_page(ctx, enterprise_id, values=values, errors=errors, status=exc.status)
    return see_other(f"/insurance/enterprises/{enterprise_id}#visits")
