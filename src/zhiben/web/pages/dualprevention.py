"""Dual prevention (双重预防机制) pages: the enterprise's risk four-colour distribution, its risk map of units
(a unit's page with its events, control measures, hierarchy flag and re-assessment due), the day's check
tasks per 包保 level and person with a form to record a check (an abnormal one raises a hazard), missed
checks and escalations, and the quarter's self-inspection; for regulators, the division's enterprises with
their share of major risks, check completion, missed checks and hazards found by self-inspection vs by
enforcement, beside the division roll-up. Thin adapters over zhiben.dualprevention (scope is the services')."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from zhiben.auth.api import MAX_ID
from zhiben.auth.domain import Role
from zhiben.dualprevention import repository, self_inspection, service
from zhiben.dualprevention.assessment import RiskLevel
from zhiben.dualprevention.controls import ControlLevel
from zhiben.dualprevention.tasks import Responsibility
from zhiben.enterprise import service as enterprises
from zhiben.errors import InvalidInputError, NotFoundError, ZhibenError
from zhiben.hazard.domain import Source
from zhiben.kit.blobs import sniff_media_type
from zhiben.kit.clock import SHANGHAI
from zhiben.kit.pagination import PageRequest
from zhiben.standards import checklist
from zhiben.web.pages.common import PAGE_SIZES, Pager, Web, form_errors, page, see_other
from zhiben.web.pages.forms import form_values, parse_form

router = APIRouter(include_in_schema=False)
EnterpriseId = Annotated[int, Path(ge=1, le=MAX_ID)]
UnitId = Annotated[int, Path(ge=1, le=MAX_ID)]
DayText = Annotated[str, Query(pattern=r"^(\d{4}-\d{2}-\d{2})?$")]
COLOURS = tuple(level.colour for level in RiskLevel)  # red, orange, yellow, blue
PHOTO_TYPES = ("image/jpeg", "image/png")


class CheckForm(BaseModel):
    """A check as the form sends it: the task chosen (`<measure id>@<window start>`) and what was found."""

    task: str = Field(min_length=3, max_length=80)
    checked_at: datetime
    result: Literal["normal", "abnormal"]
    note: str = Field(default="", max_length=1000)
    place: str = Field(default="", max_length=200)


def _today(ctx: Web) -> date:
    today: date = ctx.state.clock.now().astimezone(SHANGHAI).date()
    return today


def _day(ctx: Web, text: str) -> date:
    try:
        return date.fromisoformat(text) if text else _today(ctx)
    except ValueError:
        raise InvalidInputError("day", "not_a_date", "YYYY-MM-DD") from None


def _may_write(ctx: Web, enterprise_id: int) -> bool:
    """Who the services let write the register and its checks: the enterprise's own users and admins."""
    own = ctx.principal.role == Role.enterprise and ctx.principal.enterprise_id == enterprise_id
    return own or ctx.principal.role == Role.admin


def _task_key(measure_id: int, starts_at: datetime) -> str:
    return f"{measure_id}@{starts_at.isoformat()}"


def _pie(ctx: Web, colours: dict[str, int]) -> dict[str, Any]:
    """The four-colour distribution for the chart (app.js `riskpie`), every colour present."""
    return {
        "pie": {
            "items": [
                {"colour": c, "label": ctx.t(f"risk.{c}"), "value": int(colours.get(c, 0))} for c in COLOURS
            ],
            "empty": ctx.t("dp.chart_empty"),
        }
    }


def _tile(unit: Any, events: list[service.EventControls]) -> dict[str, Any]:
    """A unit of the risk map: coloured by its highest graded level, with what needs attention."""
    levels = [RiskLevel(c.event.inherent_level) for c in events]
    top = max(levels, key=lambda level: level.rank) if levels else None
    return {
        "unit": unit,
        "colour": top.colour if top else "unassessed",
        "events": len(events),
        "flags": sum(1 for c in events if c.flag),
        "reassess": unit.reassessment_due_since is not None or any(c.reassessment_due for c in events),
    }


def _groups(tasks: list[service.TaskStatus]) -> list[tuple[str, str, list[service.TaskStatus]]]:
    """The day's tasks per 包保 level (highest first) and person."""
    by: dict[tuple[str, str], list[service.TaskStatus]] = defaultdict(list)
    for status in tasks:
        by[(status.task.level.value, status.measure.assignee)].append(status)
    order = {level.value: n for n, level in enumerate(reversed(Responsibility))}
    keys = sorted(by, key=lambda k: (order[k[0]], k[1]))
    return [
        (level, person, sorted(by[(level, person)], key=lambda s: s.task.starts_at)) for level, person in keys
    ]


def _enterprise_page(
    ctx: Web,
    enterprise_id: int,
    day: date,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    si_values: dict[str, str] | None = None,
    si_errors: dict[str, str] | None = None,
    checked: int | None = None,
    status: int = 200,
) -> HTMLResponse:
    now = ctx.state.clock.now()
    with ctx.read() as session:
        enterprise = enterprises.get_enterprise(session, ctx.principal, enterprise_id)  # 404 outside scope
        register = service.risk_register(session, ctx.principal, enterprise.id)
        tiles = [_tile(u, list(register.events_of_unit.get(u.id, ()))) for u in register.units]
        flagged = [(u, c) for u in register.units for c in register.events_of_unit.get(u.id, ()) if c.flag]
        tasks = service.check_tasks(session, ctx.principal, enterprise.id, day)
        records = _records_of(session, ctx, tasks)
        open_tasks = [s for s in tasks.tasks if not s.is_done and s.task.starts_at <= now]
        inspection = self_inspection.self_inspection(session, ctx.principal, enterprise.id, day)
        specs = _specs(session, ctx, enterprise.id, day)
        hazard_ids = [r.hazard_id for r in records.values() if r.hazard_id]
        hazards = repository.hazards_by_id(session, ctx.principal, hazard_ids)
        just = records.get(checked) if checked else None
        default_task = next((s for s in open_tasks if s.task.ends_at > now), None)
        form = {
            "task": _task_key(default_task.measure.id, default_task.task.starts_at) if default_task else "",
            "checked_at": now.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M"),
            "result": "normal",
        }
        if ctx.request.query_params.get("task"):
            form["task"] = ctx.request.query_params["task"]
        measures_of = {
            m.id: m for u in register.units for c in register.events_of_unit.get(u.id, ()) for m in c.measures
        }
        return page(
            ctx,
            "dualprevention/enterprise.html",
            status=status,
            enterprise=enterprise,
            register=register,
            tiles=tiles,
            flagged=flagged,
            chart=_pie(ctx, dict(register.colours)),
            tasks=tasks,
            groups=_groups(list(tasks.tasks)),
            records=records,
            hazards=hazards,
            open_tasks=open_tasks,
            missed=[s for s in tasks.tasks if s.is_missed],
            escalations=tasks.escalations,
            measures_of=measures_of,
            inspection=inspection,
            specs=specs,
            day=day.isoformat(),
            is_today=day == _today(ctx),
            now=now,
            may_write=_may_write(ctx, enterprise.id),
            values=values if values is not None else form,
            errors=errors or {},
            si_values=si_values or {},
            si_errors=si_errors or {},
            just=just,
        )


def _records_of(session: Session, ctx: Web, tasks: service.DayTasks) -> dict[int, Any]:
    """The check records inside the day's task windows, by id (scoped by the repository as the API's are)."""
    if not tasks.tasks:
        return {}
    start = min(s.task.starts_at for s in tasks.tasks)
    end = max(s.task.ends_at for s in tasks.tasks)
    ids = sorted({s.measure.id for s in tasks.tasks})
    return {r.id: r for r in repository.records_between(session, ctx.principal, ids, start, end)}


def _specs(session: Session, ctx: Web, enterprise_id: int, day: date) -> dict[str, Any]:
    """The checklist's fact specs (type, values, unit), so the self-inspection form asks each in its kind."""
    listed = checklist.checklist(session, ctx.principal, enterprise_id, checklist.installed_packs(), day)
    return {q.fact: q.spec for q in listed.questions if q.asked}


# --- the regulator's and the enterprise user's entry --------------------------------------------


@router.get("/dualprevention", response_class=HTMLResponse)
def division_page(
    ctx: Web,
    division: Annotated[str, Query(pattern=r"^(\d{6})?$")] = "",
    day: DayText = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    if ctx.principal.role == Role.enterprise:
        if ctx.principal.enterprise_id is None:
            raise NotFoundError(kind="enterprise", key=ctx.principal.username)
        return RedirectResponse(f"/dualprevention/enterprises/{ctx.principal.enterprise_id}", status_code=303)
    on = _day(ctx, day)
    code = division or ctx.principal.division_code or "000000"
    with ctx.read() as session:
        # Only this page's enterprises are summarised; the division's totals come from the vectorised
        # roll-up (tasks, colours) and one grouped count (hazards by source). 403/404 as the service says.
        shown_page = service.summary_page(session, ctx.principal, code, on, PageRequest(page_number, size))
        found = service.province_rollup(session, ctx.principal, code, on)
        by_source = service.hazard_totals(session, ctx.principal, code)
    missed = {e: r["missed"] for e, r in found.rows().items()}
    totals = found.totals()
    shown = shown_page.items
    query = {"division": code, "day": on.isoformat()}
    due, done = totals["due"], totals["done"]
    own = by_source.get(Source.self_inspection.value, 0)
    enforced = by_source.get(Source.enforcement.value, 0)
    return page(
        ctx,
        "dualprevention/division.html",
        rows=shown,
        missed=missed,
        totals=totals,
        completion=done / due if due else None,
        self_share=own / (own + enforced) if own + enforced else None,
        hazards_self=own,
        hazards_enforcement=enforced,
        chart=_pie(ctx, {c: totals.get(c, 0) for c in COLOURS}),
        pager=Pager(page_number, size, shown_page.total, query),
        sizes=PAGE_SIZES,
        division=code,
        day=on.isoformat(),
    )


# --- the enterprise -----------------------------------------------------------------------------


@router.get("/dualprevention/enterprises/{enterprise_id}", response_class=HTMLResponse)
def enterprise_page(
    ctx: Web,
    enterprise_id: EnterpriseId,
    day: DayText = "",
    checked: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> HTMLResponse:
    return _enterprise_page(ctx, enterprise_id, _day(ctx, day), checked=checked)


@router.get("/dualprevention/units/{unit_id}", response_class=HTMLResponse)
def unit_page(ctx: Web, unit_id: UnitId) -> HTMLResponse:
    with ctx.read() as session:
        unit = service.get_unit(session, ctx.principal, unit_id)  # 404 outside scope
        enterprise = enterprises.get_enterprise(session, ctx.principal, unit.enterprise_id)
        register = service.risk_register(session, ctx.principal, enterprise.id)
        events = list(register.events_of_unit.get(unit.id, ()))
        return page(
            ctx,
            "dualprevention/unit.html",
            unit=unit,
            enterprise=enterprise,
            events=events,
            tile=_tile(unit, events),
            weak={level.value for level in (ControlLevel.administrative, ControlLevel.ppe)},
        )


def _parse_task(text: str) -> tuple[int, datetime]:
    measure, _, start = text.partition("@")
    try:
        moment = datetime.fromisoformat(start)
        if not measure.isdigit() or moment.tzinfo is None:
            raise ValueError(text)
    except ValueError:
        raise InvalidInputError("task", "not_a_task", "choose a check task from the list") from None
    return int(measure), moment


def _check_errors(error: ZhibenError, language: str) -> dict[str, str]:
    """The service names the window and the measure; on the form both are the task chosen."""
    out: dict[str, str] = {}
    for name, message in form_errors(error, language).items():
        out.setdefault("task" if name in ("window_start_at", "measure_id") else name, message)
    return out


@router.post("/dualprevention/enterprises/{enterprise_id}/checks", response_class=HTMLResponse)
async def record_check(ctx: Web, enterprise_id: EnterpriseId) -> Response:
    form = await ctx.request.form()
    values = form_values(form)
    day = _today(ctx)
    body, errors = parse_form(CheckForm, values, ctx.language, instants=("checked_at",))
    if body is None:
        return _enterprise_page(ctx, enterprise_id, day, values=values, errors=errors, status=422)
    upload = form.get("photo")
    photos: tuple[str, ...] = ()
    try:
        measure_id, window_start = _parse_task(body.task)
        if upload is not None and not isinstance(upload, str) and upload.filename:
            limit = ctx.state.settings.evidence_max_bytes
            data = await upload.read(limit + 1)
            if len(data) > limit:
                raise InvalidInputError("photo", "too_large", ctx.t("dp.photo_too_large"))
            if sniff_media_type(data) not in PHOTO_TYPES:
                raise InvalidInputError("photo", "not_a_photo", ctx.t("dp.photo_kind"))
            photos = (ctx.state.blobs.put(data),)
        draft = service.CheckDraft(window_start, body.checked_at, body.result, body.note, body.place, photos)
        with ctx.write() as session:
            enterprises.get_enterprise(session, ctx.principal, enterprise_id)  # outside scope: 404, no form
            measure = repository.get_measure(session, ctx.principal, measure_id)
            if measure is None or measure.enterprise_id != enterprise_id:
                raise InvalidInputError("task", "not_a_task", "choose a check task from the list")
            record_id = service.record_check(session, ctx.principal, measure_id, draft).id
    except ZhibenError as exc:
        if isinstance(exc, NotFoundError):
            raise
        errors = _check_errors(exc, ctx.language)
        return _enterprise_page(ctx, enterprise_id, day, values=values, errors=errors, status=exc.status)
    return see_other(f"/dualprevention/enterprises/{enterprise_id}?checked={record_id}#checks")


@router.post("/dualprevention/enterprises/{enterprise_id}/self-inspection", response_class=HTMLResponse)
async def answer_self_inspection(ctx: Web, enterprise_id: EnterpriseId) -> Response:
    form = await ctx.request.form()
    values = form_values(form)
    answers: dict[str, object] = {
        name.removeprefix("fact."): value
        for name, value in values.items()
        if name.startswith("fact.") and value != ""
    }
    try:
        with ctx.write() as session:
            self_inspection.answer_self_inspection(session, ctx.principal, enterprise_id, answers)
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        errors = {
            f"fact.{k.removeprefix('answers.')}" if k.startswith("answers.") else k: v
            for k, v in form_errors(exc, ctx.language).items()
        }
        return _enterprise_page(
            ctx, enterprise_id, _today(ctx), si_values=values, si_errors=errors, status=exc.status
        )
    return see_other(f"/dualprevention/enterprises/{enterprise_id}?answered=1#self-inspection")
