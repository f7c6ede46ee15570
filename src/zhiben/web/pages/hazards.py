"""The hazard ledger (台账): the list with filters and paging, reporting, a hazard's page with its
timeline, plan and evidence, and exactly the actions this user may take in its state."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.api import MAX_ID
from zhiben.auth.domain import Principal, Role
from zhiben.errors import InvalidInputError, NotFoundError, ZhibenError
from zhiben.hazard import repository, service
from zhiben.hazard.domain import HazardLevel, HazardState, Source
from zhiben.hazard.models import Hazard
from zhiben.hazard.schemas import AcceptanceIn, HazardCreate, Instant, OpinionIn, PlanIn, ReasonIn
from zhiben.kit.pagination import PageRequest
from zhiben.standards import checklist
from zhiben.web.pages.common import PAGE_SIZES, Web, form_errors, page, pager_of, see_other
from zhiben.web.pages.forms import EmptyForm, form_values, parse_form

router = APIRouter(include_in_schema=False)
HazardId = Annotated[int, Path(ge=1, le=MAX_ID)]
Sort = Literal["reported_at", "-reported_at", "deadline_at", "-deadline_at", "number", "-number"]
STATES = ("open", "overdue", *(s.value for s in HazardState))


class DetermineForm(BaseModel):
    """Determination as the form sends it: the level and, for a major hazard, the clause it meets."""

    level: HazardLevel
    pack: str = Field("", max_length=120)  # "pack@version" from the installed rule packs
    clause: str = Field("", max_length=40)
    text: str = Field("", max_length=2000)

    def citation(self) -> dict[str, str] | None:
        if not self.clause.strip():
            return None
        pack, _, version = self.pack.partition("@")
        return {"pack": pack, "version": version, "clause": self.clause.strip(), "text": self.text.strip()}


Act = Callable[[Session, Principal, int, Any, int | None], Hazard]
ACTIONS: dict[str, tuple[type[BaseModel], Act]] = {
    "determine": (
        DetermineForm,
        lambda s, a, h, b, v: service.determine_hazard(s, a, h, b.level, b.citation(), v),
    ),
    "reject": (ReasonIn, lambda s, a, h, b, v: service.reject_hazard(s, a, h, b.reason, v)),
    "plan": (PlanIn, lambda s, a, h, b, v: service.plan_rectification(s, a, h, b.plan(), v)),
    "start": (EmptyForm, lambda s, a, h, b, v: service.start_rectification(s, a, h, v)),
    "complete": (
        AcceptanceIn,
        lambda s, a, h, b, v: service.complete_rectification(s, a, h, b.acceptance_note, v),
    ),
    "verify": (OpinionIn, lambda s, a, h, b, v: service.verify_hazard(s, a, h, b.opinion, v)),
    "fail_verification": (ReasonIn, lambda s, a, h, b, v: service.fail_verification(s, a, h, b.reason, v)),
    "close": (EmptyForm, lambda s, a, h, b, v: service.close_out_hazard(s, a, h, v)),
}


@router.get("/hazards", response_class=HTMLResponse)
def ledger_page(
    ctx: Web,
    division: Annotated[str, Query(pattern=r"^(\d{6})?$")] = "",
    level: Annotated[Literal["major", "general", ""], Query()] = "",
    state: Annotated[str, Query(max_length=20)] = "",
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    listed: Annotated[Literal["yes", "no", ""], Query()] = "",
    sort: Annotated[Sort, Query()] = "-reported_at",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> HTMLResponse:
    if state and state not in STATES:
        raise InvalidInputError("state", "enum", f"state is one of {', '.join(STATES)}")
    flt = repository.HazardFilter(
        division=division,
        level=level or None,
        state=state or None,
        enterprise_id=enterprise_id,
        is_listed={"yes": True, "no": False}.get(listed),
        sort=sort,
    )
    filters = {
        "division": division,
        "level": level,
        "state": state,
        "listed": listed,
        "sort": sort,
        "enterprise_id": str(enterprise_id or ""),
    }
    with ctx.read() as session:
        result = repository.page(session, ctx.principal, flt, PageRequest(page_number, size))
        return page(
            ctx,
            "hazards.html",
            hazards=result.items,
            pager=pager_of(result, ctx.request),
            filters=filters,
            states=STATES,
            sizes=PAGE_SIZES,
            can_report=ctx.principal.role != Role.department,
        )


def _report_page(ctx: Web, values: dict[str, str], errors: dict[str, str], status: int = 200) -> HTMLResponse:
    return page(
        ctx,
        "hazard_new.html",
        status=status,
        values=values,
        errors=errors,
        sources=[s.value for s in Source],
        levels=[lv.value for lv in HazardLevel],
    )


@router.get("/hazards/new", response_class=HTMLResponse)
def report_form(
    ctx: Web, enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> HTMLResponse:
    own = ctx.principal.enterprise_id
    values = {
        "enterprise_id": str(own or enterprise_id or ""),
        "source": "self_inspection" if own else "enforcement",
    }
    return _report_page(ctx, values, {})


@router.post("/hazards/new", response_class=HTMLResponse)
async def report(ctx: Web) -> Response:
    form = await ctx.request.form()
    values = form_values(form)
    if ctx.principal.enterprise_id:
        values["enterprise_id"] = str(ctx.principal.enterprise_id)
    body, errors = parse_form(HazardCreate, values, ctx.language, instants=("found_at",))
    if body is None:
        return _report_page(ctx, values, errors, status=422)
    report = service.HazardReport(
        enterprise_id=body.enterprise_id,
        description=body.description,
        source=body.source,
        found_at=body.found_at,
        location=body.location,
        level=body.level,
        citation=None,
    )
    try:
        with ctx.write() as session:
            hazard = service.report_hazard(session, ctx.principal, report)
            hazard_id = hazard.id
    except ZhibenError as exc:
        return _report_page(ctx, values, form_errors(exc, ctx.language), status=exc.status)
    return see_other(f"/hazards/{hazard_id}")


def _detail(
    ctx: Web,
    hazard_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    failed: str = "",
    status: int = 200,
) -> HTMLResponse:
    with ctx.read() as session:
        hazard = service.get_hazard(session, ctx.principal, hazard_id)
        plan = repository.current_plan(session, hazard.id)
        supervision = repository.active_supervision(session, hazard.id)
        evidence = repository.evidence(session, hazard.id)
        timeline = audit.history(session, "hazard", str(hazard.id))
        actions = service.actions_for(ctx.principal, hazard)
        oversight = service.oversight_for(session, ctx.principal, hazard)
        extensions = repository.extensions(session, hazard.id)
        may_attach = ctx.principal.role != Role.department and hazard.is_open
        return page(
            ctx,
            "hazard.html",
            status=status,
            hazard=hazard,
            plan=plan,
            supervision=supervision,
            evidence=evidence,
            timeline=timeline,
            actions=actions,
            may_attach=may_attach,
            oversight=oversight,
            extensions=extensions,
            errors=errors or {},
            values=values or {},
            failed=failed,
            levels=[lv.value for lv in HazardLevel],
            packs=[p for p in checklist.installed_packs() if p.spec.status == "released"],
        )


@router.get("/hazards/{hazard_id}", response_class=HTMLResponse)
def detail(ctx: Web, hazard_id: HazardId) -> HTMLResponse:
    return _detail(ctx, hazard_id)


@router.post("/hazards/{hazard_id}/act/{action}", response_class=HTMLResponse)
async def act(ctx: Web, hazard_id: HazardId, action: str) -> Response:
    if action not in ACTIONS:
        raise NotFoundError(kind="action", key=action)
    form = await ctx.request.form()
    values = form_values(form)
    schema, run = ACTIONS[action]
    body, errors = parse_form(schema, values, ctx.language, instants=("deadline_at",))
    version = int(values["version"]) if values.get("version", "").isdigit() else None
    if body is None:
        return _detail(ctx, hazard_id, errors=errors, values=values, failed=action, status=422)
    try:
        with ctx.write() as session:
            run(session, ctx.principal, hazard_id, body, version)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        return _detail(
            ctx,
            hazard_id,
            errors=form_errors(exc, ctx.language),
            values=values,
            failed=action,
            status=exc.status,
        )
    return see_other(f"/hazards/{hazard_id}")


@router.post("/hazards/{hazard_id}/evidence", response_class=HTMLResponse)
async def attach(ctx: Web, hazard_id: HazardId) -> Response:
    form = await ctx.request.form()
    upload = form.get("file")
    phase = str(form.get("phase", "other"))
    limit = ctx.state.settings.evidence_max_bytes
    try:
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise InvalidInputError("file", "missing", ctx.t("evidence.missing"))
        if phase not in ("before", "after", "other"):
            raise InvalidInputError("phase", "enum", "phase is one of before, after, other")
        data = await upload.read(limit + 1)
        filename = "".join(ch for ch in upload.filename if ch.isprintable())
        with ctx.write() as session:
            service.attach_evidence(
                session, ctx.principal, hazard_id, data, phase, filename, ctx.state.blobs, limit
            )
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        return _detail(
            ctx, hazard_id, errors=form_errors(exc, ctx.language), failed="evidence", status=exc.status
        )
    return see_other(f"/hazards/{hazard_id}#evidence")


@router.get("/hazards/{hazard_id}/evidence/{evidence_id}")
def evidence_file(ctx: Web, hazard_id: HazardId, evidence_id: HazardId) -> Response:
    with ctx.read() as session:
        service.get_hazard(session, ctx.principal, hazard_id)
        item = next((e for e in repository.evidence(session, hazard_id) if e.id == evidence_id), None)
        if item is None:
            raise NotFoundError(kind="evidence", key=evidence_id)
        return Response(
            ctx.state.blobs.read(item.sha256),
            media_type=item.media_type,
            headers={"Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"},
        )


class SupervisionForm(BaseModel):
    deadline_at: Instant
    document_number: str = Field("", max_length=80)


class ExtensionForm(BaseModel):
    new_deadline_at: Instant
    reason: str = Field(min_length=1, max_length=2000)


async def _oversee(
    ctx: Web, hazard_id: int, name: str, schema: type[BaseModel], run: Callable[[Session, Any], object]
) -> Response:
    values = form_values(await ctx.request.form())
    body, errors = parse_form(schema, values, ctx.language, instants=("deadline_at", "new_deadline_at"))
    if body is None:
        return _detail(ctx, hazard_id, errors=errors, values=values, failed=name, status=422)
    try:
        with ctx.write() as session:
            run(session, body)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        return _detail(
            ctx,
            hazard_id,
            errors=form_errors(exc, ctx.language),
            values=values,
            failed=name,
            status=exc.status,
        )
    return see_other(f"/hazards/{hazard_id}#oversight")


@router.post("/hazards/{hazard_id}/supervision", response_class=HTMLResponse)
async def list_for_supervision(ctx: Web, hazard_id: HazardId) -> Response:
    return await _oversee(
        ctx,
        hazard_id,
        "list",
        SupervisionForm,
        lambda s, b: service.list_for_supervision(
            s, ctx.principal, hazard_id, b.deadline_at, b.document_number
        ),
    )


@router.post("/hazards/{hazard_id}/extensions", response_class=HTMLResponse)
async def request_extension(ctx: Web, hazard_id: HazardId) -> Response:
    return await _oversee(
        ctx,
        hazard_id,
        "request_extension",
        ExtensionForm,
        lambda s, b: service.request_extension(s, ctx.principal, hazard_id, b.new_deadline_at, b.reason),
    )


class DecisionForm(BaseModel):
    approve: bool


@router.post("/hazards/{hazard_id}/extensions/{extension_id}/decision", response_class=HTMLResponse)
async def decide_extension(ctx: Web, hazard_id: HazardId, extension_id: HazardId) -> Response:
    return await _oversee(
        ctx,
        hazard_id,
        "decide_extension",
        DecisionForm,
        lambda s, b: service.decide_extension(s, ctx.principal, hazard_id, extension_id, b.approve),
    )
