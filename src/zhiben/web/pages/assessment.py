"""The assessment page (考核): a division's lower-level divisions with their KPIs, score and rank, and the
report as PDF and Excel. A thin adapter over zhiben.assessment.service (scope and roles are the service's)."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from zhiben.assessment import report, service
from zhiben.assessment.domain import KPIS, check_period
from zhiben.errors import InvalidInputError
from zhiben.kit.clock import SHANGHAI
from zhiben.web.pages.common import Web, page

router = APIRouter(include_in_schema=False)
DIVISION_CODE = r"^(\d{6})?$"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _arguments(ctx: Web, division: str, start: str, end: str) -> tuple[str, date, date]:
    """The division (the user's own by default) and the period (this year to today by default)."""
    today = ctx.state.clock.now().astimezone(SHANGHAI).date()
    try:
        first = date.fromisoformat(start) if start else date(today.year, 1, 1)
        last = date.fromisoformat(end) if end else today
    except ValueError:
        raise InvalidInputError("start", "not_a_date", "YYYY-MM-DD") from None
    code = division or ctx.principal.division_code or "000000"
    return code, first, last


@router.get("/assessment", response_class=HTMLResponse)
def assessment_page(
    ctx: Web,
    division: Annotated[str, Query(pattern=DIVISION_CODE)] = "",
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
) -> HTMLResponse:
    code, first, last = _arguments(ctx, division, start, end)
    period = check_period(first, last)
    with ctx.read() as session:
        found = service.assess_division(session, ctx.principal, code, period)
        query = urlencode({"division": found.division.code or "000000", "start": first, "end": last})
        return page(
            ctx,
            "assessment/index.html",
            assessment=found,
            kpis=KPIS,
            shown=report.shown,
            query=query,
            start=first.isoformat(),
            end=last.isoformat(),
        )


@router.get("/assessment/report.pdf")
def assessment_pdf(
    ctx: Web,
    division: Annotated[str, Query(pattern=DIVISION_CODE)] = "",
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    code, first, last = _arguments(ctx, division, start, end)
    with ctx.read() as session:
        found = service.assess_division(session, ctx.principal, code, check_period(first, last))
    name = quote(f"{report.title_of(found)}-{first}-{last}.pdf")
    return Response(
        report.render_pdf(found),
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


@router.get("/assessment/report.xlsx")
def assessment_xlsx(
    ctx: Web,
    division: Annotated[str, Query(pattern=DIVISION_CODE)] = "",
    start: Annotated[str, Query(max_length=10)] = "",
    end: Annotated[str, Query(max_length=10)] = "",
) -> Response:
    code, first, last = _arguments(ctx, division, start, end)
    with ctx.read() as session:
        found = service.assess_division(session, ctx.principal, code, check_period(first, last))
        traces = service.traces_of(session, ctx.principal, found)
    name = quote(f"{report.title_of(found)}-{first}-{last}.xlsx")
    return Response(
        report.render_xlsx(found, traces),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )
