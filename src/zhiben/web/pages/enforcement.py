"""Enforcement (执法): the officer's and regulator's start page, a plan with its verifiable draw and its
teams, and the inspection on site, a form that works on a phone, with its documents to download.

Every page calls the enforcement services the API calls; what the caller may not see is a 404 from them
(an unannounced plan's inspections stay hidden from those they target until they start, repository.visible).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.api import MAX_ID
from zhiben.auth.domain import Principal, Role
from zhiben.enforcement import inspecting, paperwork, programmes, repository, service, staffing, teams
from zhiben.enforcement.api import PlanCreate
from zhiben.enforcement.domain import MIN_TEAM, is_planning_regulator
from zhiben.enforcement.inspection_api import (
    FindingCreate,
    MeasureCreate,
    OrderCreate,
    PenaltyCreate,
    ReinspectionWrite,
)
from zhiben.enforcement.models import Inspection
from zhiben.enforcement.penalties import penalty_provisions
from zhiben.enforcement.staffing_api import TeamsWrite
from zhiben.enterprise.domain import SECTORS
from zhiben.errors import InvalidInputError, NotFoundError, PermissionDeniedError, ZhibenError
from zhiben.web.messages import validation_message
from zhiben.web.pages.common import Pager, Web, form_errors, page, see_other
from zhiben.web.pages.forms import form_values, parse_form

router = APIRouter(include_in_schema=False)
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000)]
SIZE = 20


@dataclass(frozen=True)
class NamedPager(Pager):
    """A pager whose page number travels in its own parameter, for two paged lists on one page."""

    param: str = "page"

    def link(self, number: int) -> str:
        return "?" + urlencode({**self.query, self.param: number})


def _pager(ctx: Web, total: int, number: int, param: str) -> NamedPager:
    query = {k: v for k, v in ctx.request.query_params.items() if k != param and v}
    return NamedPager(number, SIZE, total, query, param)


def _validate(model: type[BaseModel], data: Mapping[str, Any], language: str) -> tuple[Any, dict[str, str]]:
    """A model built from data a form gave in several fields (lists), with the errors by field."""
    try:
        return model.model_validate(data), {}
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"])
            errors.setdefault(where, validation_message(dict(error), language))
        return None, errors


def _sector_names(ctx: Web) -> dict[str, str]:
    return {s.code: s.en if ctx.language == "en" else s.zh for s in SECTORS}


def _planner(actor: Principal) -> bool:
    return actor.role in (Role.regulator, Role.admin)


def _rows(session: Session, inspections: list[Inspection]) -> list[dict[str, Any]]:
    """What a list shows of each inspection: the enterprise's name and the team's names."""
    return [
        {
            "inspection": i,
            "enterprise": inspecting.enterprise_of(session, i).name,
            "team": paperwork.officers_of(session, i.id),
        }
        for i in inspections
    ]


# ------------------------------------------------------------------------------------- start page


@router.get("/enforcement", response_class=HTMLResponse)
def start(
    ctx: Web,
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    plans_page: PageNumber = 1,
) -> HTMLResponse:
    actor = ctx.principal
    assigned = actor.role == Role.officer
    with ctx.write() as session:  # a view of a confidential inspection is audited
        plans, plan_total = service.list_plans(session, actor, (plans_page - 1) * SIZE, SIZE)
        rows, total = service.list_inspections(
            session, actor, None, (page_number - 1) * SIZE, SIZE, assigned_only=assigned
        )
        return page(
            ctx,
            "enforcement/start.html",
            plans=plans,
            plan_pager=_pager(ctx, plan_total, plans_page, "plans_page"),
            inspections=_rows(session, rows),
            pager=_pager(ctx, total, page_number, "page"),
            assigned=assigned,
            may_plan=_planner(actor),
        )


# ---------------------------------------------------------------------------------------- plans


def _plan_form(ctx: Web, values: dict[str, Any], errors: dict[str, str], status: int = 200) -> HTMLResponse:
    return page(
        ctx,
        "enforcement/plan_new.html",
        status=status,
        values=values,
        errors=errors,
        sectors=SECTORS,
        programmes=programmes.load_catalogue().programmes,
    )


@router.get("/enforcement/plans/new", response_class=HTMLResponse)
def plan_form(ctx: Web) -> HTMLResponse:
    if not _planner(ctx.principal):
        raise PermissionDeniedError(action="enforcement.plan")
    values = {"is_unannounced": "on", "mode": "overt", "officer_count": "4", "sectors": [], "emphasis": []}
    return _plan_form(ctx, values, {})


@router.post("/enforcement/plans/new", response_class=HTMLResponse)
async def create_plan(ctx: Web) -> Response:
    form = await ctx.request.form()
    values: dict[str, Any] = {
        **form_values(form),
        "sectors": [str(s) for s in form.getlist("sectors")],
        "emphasis": [str(c) for c in form.getlist("emphasis")],
    }
    data = {k: v for k, v in values.items() if k in PlanCreate.model_fields and v != ""}
    data["is_unannounced"] = values.get("is_unannounced") == "on"
    body, errors = _validate(PlanCreate, data, ctx.language)
    if body is None:
        return _plan_form(ctx, values, errors, status=422)
    draft = service.PlanDraft(
        body.title,
        body.period_start,
        body.period_end,
        tuple(body.sectors),
        body.quota,
        body.officer_count,
        body.is_unannounced,
        body.mode,
        tuple(body.emphasis),
    )
    try:
        with ctx.write() as session:
            plan_id = service.create_plan(session, ctx.principal, draft).id
    except ZhibenError as exc:
        return _plan_form(ctx, values, form_errors(exc, ctx.language), status=exc.status)
    return see_other(f"/enforcement/plans/{plan_id}")


def _staffing(session: Session, plan_id: int) -> dict[str, Any] | None:
    """The last team assignment of the plan, as its audit entry recorded it."""
    entries = audit.history(session, "enforcement_plan", str(plan_id))
    done = [e for e in entries if e.action == "enforcement.plan.assign_teams"]
    return done[-1].after if done else None


def _plan_page(
    ctx: Web,
    plan_id: int,
    page_number: int = 1,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    failed: str = "",
    status: int = 200,
) -> HTMLResponse:
    actor = ctx.principal
    with ctx.write() as session:  # listing its confidential inspections is audited
        plan = service.get_plan(session, actor, plan_id)
        rows, total = service.list_inspections(session, actor, plan.id, (page_number - 1) * SIZE, SIZE)
        verification = service.verify_plan(session, plan.id) if plan.record is not None else None
        return page(
            ctx,
            "enforcement/plan.html",
            status=status,
            plan=plan,
            public=service.public(plan),
            record=plan.record,
            verification=verification,
            inspections=_rows(session, rows),
            pager=_pager(ctx, total, page_number, "page"),
            staffing=_staffing(session, plan.id),
            sector_names=_sector_names(ctx),
            may_plan=is_planning_regulator(actor, plan.division_code),
            options=values or TeamsWrite().model_dump(),
            errors=errors or {},
            failed=failed,
        )


@router.get("/enforcement/plans/{plan_id}", response_class=HTMLResponse)
def plan_detail(
    ctx: Web, plan_id: ObjectId, page_number: Annotated[int, Query(alias="page", ge=1)] = 1
) -> HTMLResponse:
    return _plan_page(ctx, plan_id, page_number)


@router.post("/enforcement/plans/{plan_id}/draw", response_class=HTMLResponse)
def draw(ctx: Web, plan_id: ObjectId) -> Response:
    try:
        with ctx.write() as session:
            service.run_plan_draw(session, ctx.principal, plan_id)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        return _plan_page(
            ctx, plan_id, errors=form_errors(exc, ctx.language), failed="draw", status=exc.status
        )
    return see_other(f"/enforcement/plans/{plan_id}#draw")


def _from_htmx(ctx: Web) -> bool:
    """A form sent by htmx gets its refusal as a 200 fragment to swap in (the error is in the content); the
    same form sent without script gets the page with the refusal's own status."""
    return ctx.request.headers.get("hx-request") == "true"


@router.post("/enforcement/plans/{plan_id}/teams", response_class=HTMLResponse)
async def assign_teams(ctx: Web, plan_id: ObjectId) -> Response:
    """CP-SAT staffing of the drawn plan; it may take seconds (the page shows progress meanwhile)."""
    form = await ctx.request.form()
    values = form_values(form)
    data: dict[str, Any] = {k: v for k, v in values.items() if k in TeamsWrite.model_fields and v != ""}
    for flag in ("exclude_same_city", "every_member_qualified"):
        data[flag] = values.get(flag) == "on"
    body, errors = _validate(TeamsWrite, data, ctx.language)
    if body is None:
        status = 422 if not _from_htmx(ctx) else 200
        return _plan_page(ctx, plan_id, errors=errors, values=values, failed="teams", status=status)
    options = teams.TeamOptions(**body.model_dump())
    try:
        with ctx.write() as session:
            staffing.assign_teams(session, ctx.principal, plan_id, options)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        refused = form_errors(exc, ctx.language)
        if exc.details.get("blockers"):
            refused["blockers"] = str(exc.details["blockers"])
        status = exc.status if not _from_htmx(ctx) else 200
        return _plan_page(ctx, plan_id, errors=refused, values=values, failed="teams", status=status)
    return see_other(f"/enforcement/plans/{plan_id}#teams")


@router.get("/enforcement/plans/{plan_id}/record.json")
def plan_record(ctx: Web, plan_id: ObjectId) -> JSONResponse:
    """The draw record, for `zhiben enforcement verify-draw --record FILE` or anyone's own check."""
    with ctx.read() as session:
        record = service.plan_record(session, ctx.principal, plan_id)
    return JSONResponse(
        record, headers={"Content-Disposition": f'attachment; filename="draw-plan-{plan_id}.json"'}
    )


# ----------------------------------------------------------------------------------- inspections


def _documents(
    inspection: Inspection, orders: list[Any], reinspections: list[Any], penalties: list[Any]
) -> list[tuple[str, str, str]]:
    """(kind, label's number, link) of every document the inspection has so far."""
    base = f"/enforcement/inspections/{inspection.id}/documents"
    found = [("record", "", f"{base}/record")] if inspection.state == "done" else []
    found += [("order", o.number, f"{base}/order?object_id={o.id}") for o in orders]
    found += [
        ("reinspection", r.number or "", f"{base}/reinspection?object_id={r.id}")
        for r in reinspections
        if r.done_at is not None
    ]
    found += [("penalty", p.number, f"{base}/penalty?object_id={p.id}") for p in penalties]
    return found


def _inspection_page(
    ctx: Web,
    inspection_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    failed: str = "",
    status: int = 200,
) -> HTMLResponse:
    actor = ctx.principal
    with ctx.write() as session:  # a view of a confidential inspection is audited
        inspection = service.view_inspection(session, actor, inspection_id)
        team = repository.team_of(session, inspection.id)
        may_act = actor.user_id in team or is_planning_regulator(actor, inspection.planning_division)
        checklist = inspecting.inspection_checklist(session, actor, inspection.id) if may_act else None
        orders = inspecting.orders_of(session, inspection.id)
        reinspections = inspecting.reinspections_of(session, inspection.id)
        penalties = inspecting.penalties_of(session, inspection.id)
        return page(
            ctx,
            "enforcement/inspection.html",
            status=status,
            inspection=inspection,
            enterprise=inspecting.enterprise_of(session, inspection),
            officers=paperwork.officers_of(session, inspection.id),
            team_size=len(team),
            min_team=MIN_TEAM,
            may_act=may_act,
            may_plan=is_planning_regulator(actor, inspection.planning_division),
            checklist=checklist,
            findings=inspecting.findings_of(session, inspection.id),
            measures=inspecting.measures_of(session, inspection.id),
            measure_kinds=inspecting.MEASURE_KINDS,
            sector_names=_sector_names(ctx),
            orders=orders,
            reinspections={r.order_id: r for r in reinspections},
            penalties=penalties,
            provisions=list(penalty_provisions().values()),
            order_basis=inspecting.ORDER_LEGAL_BASIS,
            documents=_documents(inspection, orders, reinspections, penalties),
            errors=errors or {},
            values=values or {},
            failed=failed,
        )


@router.get("/enforcement/inspections/{inspection_id}", response_class=HTMLResponse)
def inspection_detail(ctx: Web, inspection_id: ObjectId) -> HTMLResponse:
    return _inspection_page(ctx, inspection_id)


Run = Callable[[Session], object]
Parsed = tuple[Run | None, dict[str, str]]


def _start(ctx: Web, iid: int, form: Any, values: dict[str, str], photo: Any) -> Parsed:
    return (lambda s: service.start_inspection(s, ctx.principal, iid)), {}


def _finish(ctx: Web, iid: int, form: Any, values: dict[str, str], photo: Any) -> Parsed:
    return (lambda s: inspecting.finish_inspection(s, ctx.principal, iid)), {}


def _answer(ctx: Web, iid: int, form: Any, values: dict[str, str], photo: Any) -> Parsed:
    answers: dict[str, object] = {
        k.removeprefix("fact."): v for k, v in values.items() if k.startswith("fact.") and v != ""
    }
    emphasis: dict[int, str] = {}
    for k, v in values.items():
        if k.startswith("emphasis.") and v.strip():
            key = k.removeprefix("emphasis.")
            if not key.isdigit():
                return None, {
                    k: validation_message({"type": "int_parsing", "msg": "not a number"}, ctx.language)
                }
            emphasis[int(key)] = v
    return (lambda s: inspecting.answer_checklist(s, ctx.principal, iid, answers, emphasis)), {}


def _finding(ctx: Web, iid: int, form: Any, values: dict[str, str], photo: Any) -> Parsed:
    data = {**values, "major": "true" if values.get("major") == "on" else "false"}
    body, errors = parse_form(FindingCreate, data, ctx.language, instants=("found_at",))
    if body is None:
        return None, errors
    draft = inspecting.FindingDraft(
        body.description,
        body.location,
        body.longitude,
        body.latitude,
        body.found_at,
        body.major,
        body.pack if body.major else None,
        body.clause if body.major else None,
        body.basis,
    )
    photos = [photo] if photo is not None else []
    store, limit = ctx.state.blobs, ctx.state.settings.evidence_max_bytes
    return (lambda s: inspecting.record_finding(s, ctx.principal, iid, draft, photos, store, limit)), {}


def _measure(ctx: Web, iid: int, form: Any, values: dict[str, str], photo: Any) -> Parsed:
    body, errors = parse_form(MeasureCreate, values, ctx.language)
    if body is None:
        return None, errors
    return (lambda s: inspecting.take_measure(s, ctx.principal, iid, body.kind, body.description)), {}


def _order(ctx: Web, iid: int, form: Any, values: dict[str, str], photo: Any) -> Parsed:
    chosen = [str(f) for f in form.getlist("finding")]
    items = [{"finding_id": f, "deadline": values.get(f"deadline.{f}", "")} for f in chosen]
    data: dict[str, Any] = {"items": items}
    if "legal_basis" in values:  # the form fills in the default basis; absent, the model's default holds
        data["legal_basis"] = values["legal_basis"]
    if values.get("reinspect_on"):
        data["reinspect_on"] = values["reinspect_on"]
    body, errors = _validate(OrderCreate, data, ctx.language)
    if body is None:
        return None, _item_fields(errors, chosen)
    drafts = [inspecting.OrderItemDraft(i.finding_id, i.deadline) for i in body.items]
    return (
        lambda s: inspecting.issue_order(s, ctx.principal, iid, drafts, body.legal_basis, body.reinspect_on)
    ), {}


def _item_fields(errors: dict[str, str], chosen: list[str]) -> dict[str, str]:
    """`items.0.deadline` (pydantic) or `items[0].deadline` (service) → the form's `deadline.<finding>`."""
    out: dict[str, str] = {}
    for where, message in errors.items():
        name = where.replace("[", ".").replace("]", "")
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit() and int(parts[1]) < len(chosen):
            out[f"deadline.{chosen[int(parts[1])]}" if parts[2] == "deadline" else "finding"] = message
        else:
            out["finding" if where == "items" else where] = message
    return out


def _penalty(ctx: Web, iid: int, form: Any, values: dict[str, str], photo: Any) -> Parsed:
    body, errors = parse_form(PenaltyCreate, values, ctx.language)
    if body is None:
        return None, errors
    draft = inspecting.PenaltyDraft(
        body.provision_id, body.amount_yuan, body.facts, body.violated, body.person_name, body.person_position
    )
    return (lambda s: inspecting.impose_penalty(s, ctx.principal, iid, draft)), {}


def _reinspect(ctx: Web, iid: int, form: Any, values: dict[str, str], photo: Any) -> Parsed:
    order_id = values.get("order_id", "")
    count = int(values.get("items", "0") or 0) if values.get("items", "").isdigit() else 0
    results = [
        {"item": n, "is_rectified": values.get(f"rectified.{n}", ""), "note": values.get(f"note.{n}", "")}
        for n in range(1, count + 1)
    ]
    body, errors = _validate(ReinspectionWrite, {"results": results}, ctx.language)
    if body is None or not order_id.isdigit():
        return None, errors or {"order_id": "?"}
    items = [inspecting.ItemResult(r.item, r.is_rectified, r.note) for r in body.results]

    def run(session: Session) -> object:
        service.view_inspection(session, ctx.principal, iid)
        if int(order_id) not in {o.id for o in inspecting.orders_of(session, iid)}:
            raise NotFoundError(kind="rectification order", key=order_id)
        return inspecting.record_reinspection(session, ctx.principal, int(order_id), items)

    return run, {}


ACTIONS: dict[str, Callable[[Web, int, Any, dict[str, str], Any], Parsed]] = {
    "start": _start,
    "answer": _answer,
    "finding": _finding,
    "measure": _measure,
    "order": _order,
    "penalty": _penalty,
    "finish": _finish,
    "reinspect": _reinspect,
}


async def _photo(ctx: Web, form: Any) -> inspecting.Photo | None:
    upload = form.get("photo")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return None
    data = await upload.read(ctx.state.settings.evidence_max_bytes + 1)
    return inspecting.Photo("".join(ch for ch in upload.filename if ch.isprintable()), data)


@router.post("/enforcement/inspections/{inspection_id}/act/{action}", response_class=HTMLResponse)
async def act(ctx: Web, inspection_id: ObjectId, action: str) -> Response:
    if action not in ACTIONS:
        raise NotFoundError(kind="action", key=action)
    form = await ctx.request.form()
    values = form_values(form)
    photo = await _photo(ctx, form) if action == "finding" else None
    run, errors = ACTIONS[action](ctx, inspection_id, form, values, photo)
    if run is None:
        return _inspection_page(ctx, inspection_id, errors=errors, values=values, failed=action, status=422)
    try:
        with ctx.write() as session:
            run(session)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        refused = form_errors(exc, ctx.language)
        if action == "order":
            refused = _item_fields(refused, [str(f) for f in form.getlist("finding")])
        return _inspection_page(
            ctx, inspection_id, errors=refused, values=values, failed=action, status=exc.status
        )
    return see_other(f"/enforcement/inspections/{inspection_id}#{action}")


@router.get("/enforcement/inspections/{inspection_id}/documents/{kind}")
def document(
    ctx: Web,
    inspection_id: ObjectId,
    kind: str,
    object_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """The PDF of 现场检查记录, 责令限期整改指令书, 整改复查意见书 or 行政处罚决定书, as the API gives it."""
    if kind not in paperwork.KINDS:
        raise InvalidInputError("kind", "unknown", f"one of {', '.join(paperwork.KINDS)}")
    with ctx.write() as session:  # a view of a confidential inspection is audited
        number, pdf = paperwork.document(session, ctx.principal, inspection_id, kind, object_id)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(number + '.pdf')}"},
    )


@router.get("/enforcement/inspections/{inspection_id}/findings/{finding_id}/photos/{index}")
def photo(
    ctx: Web, inspection_id: ObjectId, finding_id: ObjectId, index: Annotated[int, Path(ge=0, le=100)]
) -> Response:
    with ctx.write() as session:
        service.view_inspection(session, ctx.principal, inspection_id)
        finding = next(
            (f for f in inspecting.findings_of(session, inspection_id) if f.id == finding_id), None
        )
        if finding is None or index >= len(finding.evidence):
            raise NotFoundError(kind="photo", key=f"{finding_id}/{index}")
        item = finding.evidence[index]
    return Response(
        ctx.state.blobs.read(item["sha256"]),
        media_type=item["media_type"],
        headers={"Content-Disposition": "inline", "X-Content-Type-Options": "nosniff"},
    )
