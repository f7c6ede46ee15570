"""Anonymous tip-offs (匿名举报). Two public pages work without an account: the submission form, which shows
the receipt code once, and the follow-up, where the code is typed into a form and POSTed so that it never
stands in an address or a log. Both draw on the same per-client budgets as the public API. The handling
regulators' pages: the list, and a tip-off with the steps of its verification; the reporter's name and
contact only on request (every look is audited by the service, which shows them to nobody else)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from zhiben.auth.api import MAX_ID
from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import UnitOfWork, session_clock
from zhiben.errors import NotFoundError, RateLimitedError, ZhibenError
from zhiben.hazard.domain import HazardLevel
from zhiben.kit.pagination import PageRequest
from zhiben.kit.ratelimit import RateLimiter
from zhiben.tipoff import repository, service
from zhiben.tipoff.api import LOOKUPS_PER_MINUTE, SUBMISSIONS_PER_HOUR
from zhiben.tipoff.domain import CONCLUDED, Submission, TipoffState, display_receipt_code
from zhiben.tipoff.models import Tipoff
from zhiben.tipoff.schemas import DismissIn, FineIn, OutcomeIn, TipoffSubmit
from zhiben.web.i18n import translator
from zhiben.web.pages.common import PAGE_SIZES, Web, form_errors, page, pager_of, see_other
from zhiben.web.pages.forms import EmptyForm, form_values, parse_form
from zhiben.web.render import render
from zhiben.web.session import anonymous_language

router = APIRouter(include_in_schema=False)
TipoffId = Annotated[int, Path(ge=1, le=MAX_ID)]
STATES = tuple(s.value for s in TipoffState)

# ---- public: no session -------------------------------------------------------------------------------


def _allowed(request: Request, name: str, capacity: int, per_seconds: float) -> bool:
    """The public API's per-client token bucket (the same one, by its name on the app's state), so the
    page and the API share one budget per client."""
    state = request.app.state
    limiter = getattr(state, name, None)
    if limiter is None:
        limiter = RateLimiter(capacity, per_seconds)
        setattr(state, name, limiter)
    client = request.client.host if request.client else "?"
    return bool(limiter.allow(client, state.zhiben.clock.now()))


def _public_uow(request: Request, write: bool) -> UnitOfWork:
    state = request.app.state.zhiben
    return UnitOfWork(state.session_factory, state.clock, request_id=request.state.request_id, write=write)


def _public(request: Request, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    language = anonymous_language(request)
    return render(request, template, translator(language), language, status=status, **values)


def _submit_page(
    request: Request, values: dict[str, str], errors: dict[str, str], status: int = 200
) -> HTMLResponse:
    return _public(request, "tipoffs/public_form.html", status=status, values=values, errors=errors)


@router.get("/tipoff", response_class=HTMLResponse)
def submission_form(request: Request) -> HTMLResponse:
    return _submit_page(request, {}, {})


@router.post("/tipoff", response_class=HTMLResponse)
async def submit(request: Request) -> HTMLResponse:
    values = form_values(await request.form())
    language = anonymous_language(request)
    if not _allowed(request, "tipoff_submit_limiter", SUBMISSIONS_PER_HOUR, 3600.0):
        return _submit_page(request, values, {"": RateLimitedError().message(language)}, status=429)
    body, errors = parse_form(TipoffSubmit, values, language)
    if body is None:
        return _submit_page(request, values, errors, status=422)
    submission = Submission(
        county_code=body.county_code,
        content=body.content,
        enterprise_uscc=body.enterprise_uscc,
        enterprise_name=body.enterprise_name,
        place=body.place,
        reporter_name=body.reporter_name,
        reporter_contact=body.reporter_contact,
    )
    try:
        with _public_uow(request, write=True) as uow:
            tipoff, code = service.submit_tipoff(uow.session, None, submission)
            received_at = tipoff.received_at
    except ZhibenError as exc:
        return _submit_page(request, values, form_errors(exc, language), status=exc.status)
    # Shown once, in this answer only: no redirect, so the code is in no address.
    response = _public(
        request,
        "tipoffs/public_receipt.html",
        receipt_code=display_receipt_code(code),
        received_at=received_at,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _status_page(request: Request, *, status: int = 200, **values: Any) -> HTMLResponse:
    response = _public(request, "tipoffs/public_status.html", status=status, **values)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/tipoff/status", response_class=HTMLResponse)
def status_form(request: Request) -> HTMLResponse:
    return _status_page(request, error="", found=None)


@router.post("/tipoff/status", response_class=HTMLResponse)
async def follow(request: Request) -> HTMLResponse:
    form = await request.form()
    code = str(form.get("receipt_code", ""))[:40]
    language = anonymous_language(request)
    if not _allowed(request, "tipoff_lookup_limiter", LOOKUPS_PER_MINUTE, 60.0):
        return _status_page(request, status=429, error=RateLimitedError().message(language), found=None)
    try:
        with _public_uow(request, write=False) as uow:
            found = service.status_by_receipt(uow.session, code)
    except NotFoundError:
        error = translator(language)("tipoff.public.not_found")
        return _status_page(request, status=404, error=error, found=None)
    return _status_page(request, error="", found=found)


# ---- the handling regulators ----------------------------------------------------------------------------


@router.get("/tipoffs", response_class=HTMLResponse)
def listing(
    ctx: Web,
    state: Annotated[Literal["received", "verifying", "substantiated", "unsubstantiated", ""], Query()] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> HTMLResponse:
    with ctx.read() as session:
        result = repository.page(
            session, ctx.principal, repository.TipoffFilter(state or None), PageRequest(page_number, size)
        )
        now = session_clock(session).now()
        return page(
            ctx,
            "tipoffs/list.html",
            rows=[(t, service.deadlines_of(t, now)) for t in result.items],
            pager=pager_of(result, ctx.request),
            filters={"state": state},
            states=STATES,
            sizes=PAGE_SIZES,
        )


class SubstantiateForm(BaseModel):
    """The API's SubstantiateIn as the form sends it, less the citation: the hazard's level is left
    undetermined or general here (a major hazard is determined on the hazard's page, with its clause)."""

    enterprise_id: int = Field(ge=1, le=MAX_ID)
    hazard_description: str = Field(min_length=1, max_length=4000)
    finding: str = Field(min_length=1, max_length=4000)
    level: Literal["general"] | None = None
    location: str = Field("", max_length=300)
    public_outcome: str = Field("", max_length=2000)


Act = Callable[[Session, Principal, int, Any, int | None], Tipoff]
ACTIONS: dict[str, tuple[type[BaseModel], Act]] = {
    "start": (EmptyForm, lambda s, a, i, b, v: service.start_verification(s, a, i, v)),
    "substantiate": (
        SubstantiateForm,
        lambda s, a, i, b, v: service.substantiate_tipoff(
            s,
            a,
            i,
            service.Substantiation(
                enterprise_id=b.enterprise_id,
                hazard_description=b.hazard_description,
                finding=b.finding,
                level=HazardLevel(b.level) if b.level else None,
                location=b.location,
                public_outcome=b.public_outcome,
            ),
            v,
        ),
    ),
    "dismiss": (
        DismissIn,
        lambda s, a, i, b, v: service.dismiss_tipoff(s, a, i, b.finding, b.public_outcome, v),
    ),
    "outcome": (OutcomeIn, lambda s, a, i, b, v: service.publish_outcome(s, a, i, b.public_outcome)),
    "fine": (FineIn, lambda s, a, i, b, v: service.record_fine(s, a, i, b.fine_yuan)),
    "reward_paid": (EmptyForm, lambda s, a, i, b, v: service.mark_reward_paid(s, a, i)),
}


def actions_for(actor: Principal, tipoff: Tipoff) -> list[str]:
    """The steps this user may take now (the service checks them again)."""
    if actor.role not in (Role.regulator, Role.admin) or not actor.has_jurisdiction_over(tipoff.county_code):
        return []
    state = TipoffState(tipoff.state)
    found = {
        TipoffState.received: ["start"],
        TipoffState.verifying: ["substantiate", "dismiss"],
    }.get(state, [])
    if state in CONCLUDED:
        found.append("outcome")
    if state == TipoffState.substantiated and tipoff.reward_paid_at is None:
        found.append("fine")
        if tipoff.reward_yuan is not None:
            found.append("reward_paid")
    return found


def _detail(
    ctx: Web,
    tipoff_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    failed: str = "",
    status: int = 200,
    reporter: Any = None,
    reporter_asked: bool = False,
) -> HTMLResponse:
    with ctx.read() as session:
        tipoff = service.get_tipoff(session, ctx.principal, tipoff_id)
        due = service.deadlines_of(tipoff, session_clock(session).now())
        return page(
            ctx,
            "tipoffs/detail.html",
            status=status,
            tipoff=tipoff,
            due=due,
            actions=actions_for(ctx.principal, tipoff),
            may_ask_reporter=ctx.principal.role == Role.regulator,
            reporter=reporter,
            reporter_asked=reporter_asked,
            errors=errors or {},
            values=values or {},
            failed=failed,
        )


@router.get("/tipoffs/{tipoff_id}", response_class=HTMLResponse)
def detail(ctx: Web, tipoff_id: TipoffId) -> HTMLResponse:
    return _detail(ctx, tipoff_id)


@router.post("/tipoffs/{tipoff_id}/reporter", response_class=HTMLResponse)
def reporter(ctx: Web, tipoff_id: TipoffId) -> HTMLResponse:
    """The reporter's name and contact, in this answer only (POST: never cached, never in an address).
    The service decides who may see them (the handling regulator) and audits the look."""
    try:
        with ctx.write() as session:
            found = service.reporter_of(session, ctx.principal, tipoff_id)
            who = {"name": found.name, "contact": found.contact}
    except NotFoundError:
        who = None
    response = _detail(ctx, tipoff_id, reporter=who, reporter_asked=True)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/tipoffs/{tipoff_id}/act/{action}", response_class=HTMLResponse)
async def act(ctx: Web, tipoff_id: TipoffId, action: str) -> Response:
    if action not in ACTIONS:
        raise NotFoundError(kind="action", key=action)
    values = form_values(await ctx.request.form())
    schema, run = ACTIONS[action]
    body, errors = parse_form(schema, values, ctx.language)
    version = int(values["version"]) if values.get("version", "").isdigit() else None
    if body is None:
        return _detail(ctx, tipoff_id, errors=errors, values=values, failed=action, status=422)
    try:
        with ctx.write() as session:
            run(session, ctx.principal, tipoff_id, body, version)
    except ZhibenError as exc:
        if exc.status == 404 and exc.details.get("kind") == "tipoff":
            raise
        errors = form_errors(exc, ctx.language)  # e.g. an enterprise outside the caller's area
        return _detail(ctx, tipoff_id, errors=errors, values=values, failed=action, status=exc.status)
    return see_other(f"/tipoffs/{tipoff_id}")
