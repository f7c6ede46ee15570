"""The monitoring console: live alarms (refreshed by htmx polling), ISA-18.2 operator actions, and an
enterprise's alarm KPIs against the reference targets."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from zhiben.auth.api import MAX_ID
from zhiben.enterprise.service import names_of
from zhiben.errors import InvalidInputError, ZhibenError
from zhiben.kit.pagination import PageRequest
from zhiben.monitoring import handling
from zhiben.monitoring import repository as monitoring
from zhiben.web.pages.common import Web, form_errors, page, pager_of, see_other
from zhiben.web.pages.forms import form_values

router = APIRouter(include_in_schema=False)
AlarmId = Annotated[int, Path(ge=1, le=MAX_ID)]
POLL_SECONDS = 5


def _alarm_page(
    ctx: Web, template: str, priority: str, page_number: int, enterprise_id: int | None, **extra: Any
) -> HTMLResponse:
    flt = monitoring.AlarmFilter(is_open=True, priority=priority or None, enterprise_id=enterprise_id)
    with ctx.read() as session:
        result = monitoring.page_alarms(session, ctx.principal, flt, PageRequest(page_number, 20))
        actions = {row.id: handling.actions_for(ctx.principal, row) for row in result.items}
        return page(
            ctx, template, rows=result.items, pager=pager_of(result, ctx.request), actions=actions, **extra
        )


@router.get("/monitoring", response_class=HTMLResponse)
def console(
    ctx: Web,
    priority: Annotated[Literal["emergency", "high", "medium", "low", ""], Query()] = "",
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    kpis = None
    if enterprise_id is not None:
        end = ctx.state.clock.now()
        with ctx.read() as session:
            kpis = handling.alarm_kpis(session, ctx.principal, enterprise_id, end - timedelta(days=30), end)
    filters = {"priority": priority, "enterprise_id": str(enterprise_id or "")}
    return _alarm_page(
        ctx,
        "monitoring.html",
        priority,
        page_number,
        enterprise_id,
        poll=POLL_SECONDS,
        filters=filters,
        kpis=kpis,
    )


@router.get("/monitoring/alarms", response_class=HTMLResponse)
def live_rows(
    ctx: Web,
    priority: Annotated[Literal["emergency", "high", "medium", "low", ""], Query()] = "",
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    """The alarm table alone, for htmx to swap in every few seconds."""
    return _alarm_page(ctx, "partials/alarm_rows.html", priority, page_number, enterprise_id)


async def _act(ctx: Web, alarm_id: int, action: str) -> Response:
    form = await ctx.request.form()
    values = form_values(form)
    version = int(values["version"]) if values.get("version", "").isdigit() else None
    try:
        with ctx.write() as session:
            if action == "acknowledge":
                row = handling.acknowledge_alarm(session, ctx.principal, alarm_id, version)
            else:
                hours = values.get("hours", "")
                if not hours.isdigit() or not 1 <= int(hours) <= 72:
                    raise InvalidInputError("hours", "range", ctx.t("alarm_action.hours_range"))
                until = ctx.state.clock.now() + timedelta(hours=int(hours))
                row = handling.shelve_alarm(
                    session, ctx.principal, alarm_id, until, values.get("reason", ""), version
                )
            if ctx.request.headers.get("hx-request"):
                actions = {row.id: handling.actions_for(ctx.principal, row)}
                names = names_of(session, ctx.principal, {row.enterprise_id})
                return page(ctx, "partials/alarm_rows.html", rows=[row], actions=actions, names=names)
    except ZhibenError as exc:
        if exc.status == 404 or not ctx.request.headers.get("hx-request"):
            raise
        message = "; ".join(form_errors(exc, ctx.language).values())
        return HTMLResponse(
            f'<tr><td colspan="6" class="error" role="alert">{_escape(message)}</td></tr>', status_code=200
        )
    return see_other("/monitoring")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@router.post("/alarms/{alarm_id}/acknowledge", response_class=HTMLResponse)
async def acknowledge(ctx: Web, alarm_id: AlarmId) -> Response:
    return await _act(ctx, alarm_id, "acknowledge")


@router.post("/alarms/{alarm_id}/shelve", response_class=HTMLResponse)
async def shelve(ctx: Web, alarm_id: AlarmId) -> Response:
    return await _act(ctx, alarm_id, "shelve")
