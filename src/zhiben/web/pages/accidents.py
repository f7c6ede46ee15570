"""Accident records: the list with filters and paging, an accident's page (grade, casualty history, the
reporting deadlines with overdue flags, and whether a major hazard was open when it happened, with the
hazards), the form to record one, and the forms to update the casualties and to report it up."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from zhiben.accident import repository, service
from zhiben.accident.domain import AccidentKind, Figures, next_upward_step
from zhiben.accident.schemas import AccidentCreate, CasualtiesIn, UpwardIn
from zhiben.auth.api import MAX_ID
from zhiben.auth.domain import Role
from zhiben.db.uow import session_clock
from zhiben.errors import ZhibenError
from zhiben.kit.pagination import PageRequest
from zhiben.web.pages.common import PAGE_SIZES, Web, form_errors, page, pager_of, see_other
from zhiben.web.pages.forms import form_values, parse_form

router = APIRouter(include_in_schema=False)
AccidentId = Annotated[int, Path(ge=1, le=MAX_ID)]
GRADES = ("extraordinarily_serious", "serious", "relatively_serious", "ordinary")
RECORDERS = (Role.enterprise, Role.regulator, Role.admin)


@router.get("/accidents", response_class=HTMLResponse)
def listing(
    ctx: Web,
    division: Annotated[str, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$")] = "",
    grade: Annotated[
        Literal["extraordinarily_serious", "serious", "relatively_serious", "ordinary", ""], Query()
    ] = "",
    major_open: Annotated[Literal["yes", "no", ""], Query()] = "",
    reporting: Annotated[Literal["incomplete", "complete", ""], Query()] = "",
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> HTMLResponse:
    flt = repository.AccidentFilter(
        division=division.ljust(6, "0") if division else "",
        enterprise_id=enterprise_id,
        grade=grade or None,
        had_open_major_hazard={"yes": True, "no": False}.get(major_open),
        reporting_incomplete={"incomplete": True, "complete": False}.get(reporting),
    )
    filters = {
        "division": division,
        "grade": grade,
        "major_open": major_open,
        "reporting": reporting,
        "enterprise_id": str(enterprise_id or ""),
    }
    with ctx.read() as session:
        result = repository.page(session, ctx.principal, flt, PageRequest(page_number, size))
        return page(
            ctx,
            "accidents/list.html",
            accidents=result.items,
            pager=pager_of(result, ctx.request),
            filters=filters,
            grades=GRADES,
            sizes=PAGE_SIZES,
            can_record=ctx.principal.role in RECORDERS,
        )


def _new_page(ctx: Web, values: dict[str, str], errors: dict[str, str], status: int = 200) -> HTMLResponse:
    return page(
        ctx,
        "accidents/new.html",
        status=status,
        values=values,
        errors=errors,
        kinds=[k.value for k in AccidentKind],
    )


@router.get("/accidents/new", response_class=HTMLResponse)
def record_form(
    ctx: Web, enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> HTMLResponse:
    own = ctx.principal.enterprise_id
    return _new_page(ctx, {"enterprise_id": str(own or enterprise_id or ""), "kind": "other"}, {})


@router.post("/accidents/new", response_class=HTMLResponse)
async def record(ctx: Web) -> Response:
    values = form_values(await ctx.request.form())
    if ctx.principal.enterprise_id:
        values["enterprise_id"] = str(ctx.principal.enterprise_id)
    body, errors = parse_form(
        AccidentCreate, values, ctx.language, instants=("occurred_at", "unit_reported_at")
    )
    if body is None:
        return _new_page(ctx, values, errors, status=422)
    try:
        with ctx.write() as session:
            accident = service.record_accident(
                session, ctx.principal, service.AccidentDraft(**body.model_dump())
            )
            accident_id = accident.id
    except ZhibenError as exc:
        return _new_page(ctx, values, form_errors(exc, ctx.language), status=exc.status)
    return see_other(f"/accidents/{accident_id}")


def _detail(
    ctx: Web,
    accident_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    failed: str = "",
    status: int = 200,
) -> HTMLResponse:
    with ctx.read() as session:
        accident = service.get_accident(session, ctx.principal, accident_id)
        now = session_clock(session).now()
        steps = service.reporting_status(session, accident)
        upward = next_upward_step(steps)
        actor = ctx.principal
        may_update = (
            actor.enterprise_id == accident.enterprise_id
            if actor.role == Role.enterprise
            else actor.role in (Role.regulator, Role.admin)
            and actor.has_jurisdiction_over(accident.county_code)
        )
        may_report = (
            upward is not None
            and actor.role in (Role.regulator, Role.admin)
            and actor.has_jurisdiction_over(accident.county_code)
            and (actor.role == Role.admin or actor.level.value == upward.from_level)
        )
        links = repository.links(session, accident.id)
        return page(
            ctx,
            "accidents/detail.html",
            status=status,
            accident=accident,
            steps=[(s, s.is_overdue(now)) for s in steps],
            upward=upward if may_report else None,
            history=repository.history(session, accident.id),
            links=links,
            major_links=[link for link in links if link.is_major],
            may_update=may_update,
            errors=errors or {},
            values=values or {},
            failed=failed,
        )


@router.get("/accidents/{accident_id}", response_class=HTMLResponse)
def detail(ctx: Web, accident_id: AccidentId) -> HTMLResponse:
    return _detail(ctx, accident_id)


@router.post("/accidents/{accident_id}/casualties", response_class=HTMLResponse)
async def casualties(ctx: Web, accident_id: AccidentId) -> Response:
    values = form_values(await ctx.request.form())
    body, errors = parse_form(CasualtiesIn, values, ctx.language)
    version = int(values["version"]) if values.get("version", "").isdigit() else None
    if body is None:
        return _detail(ctx, accident_id, errors=errors, values=values, failed="casualties", status=422)
    figures = Figures(body.deaths, body.serious_injuries, body.direct_loss_yuan)
    try:
        with ctx.write() as session:
            service.update_casualties(session, ctx.principal, accident_id, figures, body.note, version)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        errors = form_errors(exc, ctx.language)
        return _detail(ctx, accident_id, errors=errors, values=values, failed="casualties", status=exc.status)
    return see_other(f"/accidents/{accident_id}")


@router.post("/accidents/{accident_id}/report-upward", response_class=HTMLResponse)
async def report_upward(ctx: Web, accident_id: AccidentId) -> Response:
    values = form_values(await ctx.request.form())
    body, errors = parse_form(UpwardIn, values, ctx.language, instants=("reported_at",))
    if body is None:
        return _detail(ctx, accident_id, errors=errors, values=values, failed="upward", status=422)
    try:
        with ctx.write() as session:
            service.report_upward(session, ctx.principal, accident_id, body.reported_at)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        errors = form_errors(exc, ctx.language)
        return _detail(ctx, accident_id, errors=errors, values=values, failed="upward", status=exc.status)
    return see_other(f"/accidents/{accident_id}")
