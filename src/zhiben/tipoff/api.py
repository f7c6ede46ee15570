"""Tip-off endpoints. Two are public (no account): submit, and follow by receipt code; both are rate-limited
per client like the login. The rest are the handling regulators'."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response, status

from zhiben.auth.api import ERROR_RESPONSES, Ctx, IfMatch, ObjectId
from zhiben.db.uow import UnitOfWork, session_clock
from zhiben.errors import RateLimitedError
from zhiben.kit.pagination import PageRequest
from zhiben.kit.ratelimit import RateLimiter
from zhiben.tipoff import repository, service
from zhiben.tipoff.domain import Submission, display_receipt_code
from zhiben.tipoff.models import Tipoff
from zhiben.tipoff.schemas import (
    DismissIn,
    FineIn,
    OutcomeIn,
    PublicStatusRead,
    ReceiptRead,
    ReporterRead,
    SubstantiateIn,
    TipoffEntered,
    TipoffPage,
    TipoffRead,
    TipoffSubmit,
)

router = APIRouter(prefix="/api/v1", tags=["tipoffs"], responses=ERROR_RESPONSES)

SUBMISSIONS_PER_HOUR = 5  # per client address: a person reports a few things, a script many
LOOKUPS_PER_MINUTE = 20


def _limited(request: Request, name: str, capacity: int, per_seconds: float) -> None:
    """The per-client token bucket of the app (kept on its state, like the login's), driven by its clock."""
    state = request.app.state
    limiter = getattr(state, name, None)
    if limiter is None:
        limiter = RateLimiter(capacity, per_seconds)
        setattr(state, name, limiter)
    client = request.client.host if request.client else "?"
    if not limiter.allow(client, state.zhiben.clock.now()):
        raise RateLimitedError()


def _public_uow(request: Request, write: bool) -> UnitOfWork:
    state = request.app.state.zhiben
    return UnitOfWork(state.session_factory, state.clock, request_id=request.state.request_id, write=write)


def _submission(body: TipoffSubmit) -> Submission:
    return Submission(
        county_code=body.county_code,
        content=body.content,
        enterprise_uscc=body.enterprise_uscc,
        enterprise_name=body.enterprise_name,
        place=body.place,
        reporter_name=body.reporter_name,
        reporter_contact=body.reporter_contact,
    )


def _receipt(tipoff: Tipoff, code: str) -> ReceiptRead:
    shown = display_receipt_code(code)
    return ReceiptRead(
        receipt_code=shown, received_at=tipoff.received_at, status_url=f"/api/v1/public/tipoffs/{shown}"
    )


@router.post("/public/tipoffs", response_model=ReceiptRead, status_code=status.HTTP_201_CREATED)
def submit_public(body: TipoffSubmit, request: Request) -> ReceiptRead:
    """Report a hazard or an illegal act without an account (匿名举报). Keep the receipt code."""
    _limited(request, "tipoff_submit_limiter", SUBMISSIONS_PER_HOUR, 3600.0)
    with _public_uow(request, write=True) as uow:
        tipoff, code = service.submit_tipoff(uow.session, None, _submission(body))
        return _receipt(tipoff, code)


@router.get("/public/tipoffs/{receipt_code}", response_model=PublicStatusRead)
def follow_public(
    receipt_code: Annotated[str, Path(min_length=16, max_length=24)], request: Request
) -> PublicStatusRead:
    """The state of a tip-off and the outcome published for it, by its receipt code."""
    _limited(request, "tipoff_lookup_limiter", LOOKUPS_PER_MINUTE, 60.0)
    with _public_uow(request, write=False) as uow:
        found = service.status_by_receipt(uow.session, receipt_code)
    return PublicStatusRead(
        state=found.state.value,
        received_at=found.received_at,
        concluded_at=found.concluded_at,
        public_outcome=found.public_outcome,
    )


def _read(tipoff: Tipoff, session: Any) -> TipoffRead:
    due = service.deadlines_of(tipoff, session_clock(session).now())
    return TipoffRead.model_validate(tipoff).model_copy(
        update={
            "verification_due_at": due.verification_due_at,
            "feedback_due_at": due.feedback_due_at,
            "is_verification_overdue": due.is_verification_overdue,
            "is_feedback_overdue": due.is_feedback_overdue,
        }
    )


def _done(response: Response, tipoff: Tipoff, session: Any) -> TipoffRead:
    response.headers["ETag"] = f'"{tipoff.version}"'
    return _read(tipoff, session)


@router.post("/tipoffs", response_model=ReceiptRead, status_code=status.HTTP_201_CREATED)
def enter_tipoff(ctx: Ctx, body: TipoffEntered) -> ReceiptRead:
    """A tip-off received by hotline, letter or visit, entered by a regulator of the county."""
    with ctx.write() as session:
        tipoff, code = service.submit_tipoff(session, ctx.principal, _submission(body), channel=body.channel)
        return _receipt(tipoff, code)


@router.get("/tipoffs", response_model=TipoffPage)
def list_tipoffs(
    ctx: Ctx,
    state: Annotated[
        str | None, Query(pattern=r"^(received|verifying|substantiated|unsubstantiated)$")
    ] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> TipoffPage:
    with ctx.read() as session:
        result = repository.page(
            session, ctx.principal, repository.TipoffFilter(state), PageRequest(page, size)
        )
        return TipoffPage(
            items=[_read(t, session) for t in result.items],
            total=result.total,
            page=result.page,
            size=result.size,
        )


@router.get("/tipoffs/overdue", response_model=list[TipoffRead])
def overdue(ctx: Ctx) -> list[TipoffRead]:
    """Tip-offs past their verification or feedback deadline."""
    with ctx.read() as session:
        return [_read(t, session) for t, _ in service.overdue_tipoffs(session, ctx.principal)]


@router.get("/tipoffs/{tipoff_id}", response_model=TipoffRead)
def get_tipoff(ctx: Ctx, tipoff_id: ObjectId, response: Response) -> TipoffRead:
    with ctx.read() as session:
        return _done(response, service.get_tipoff(session, ctx.principal, tipoff_id), session)


@router.get("/tipoffs/{tipoff_id}/reporter", response_model=ReporterRead)
def get_reporter(ctx: Ctx, tipoff_id: ObjectId) -> ReporterRead:
    """The reporter's name and contact: the handling regulator only (every look is audited)."""
    with ctx.write() as session:
        return ReporterRead.model_validate(service.reporter_of(session, ctx.principal, tipoff_id))


@router.post("/tipoffs/{tipoff_id}/start", response_model=TipoffRead)
def start(ctx: Ctx, tipoff_id: ObjectId, version: IfMatch, response: Response) -> TipoffRead:
    with ctx.write() as session:
        return _done(
            response, service.start_verification(session, ctx.principal, tipoff_id, version), session
        )


@router.post("/tipoffs/{tipoff_id}/substantiate", response_model=TipoffRead)
def substantiate(
    ctx: Ctx, tipoff_id: ObjectId, body: SubstantiateIn, version: IfMatch, response: Response
) -> TipoffRead:
    """The tip-off is true: a hazard goes into the registry with source `tipoff`."""
    result = service.Substantiation(
        enterprise_id=body.enterprise_id,
        hazard_description=body.hazard_description,
        finding=body.finding,
        level=body.level,
        citation=body.citation.model_dump() if body.citation else None,
        location=body.location,
        public_outcome=body.public_outcome,
    )
    with ctx.write() as session:
        tipoff = service.substantiate_tipoff(session, ctx.principal, tipoff_id, result, version)
        return _done(response, tipoff, session)


@router.post("/tipoffs/{tipoff_id}/dismiss", response_model=TipoffRead)
def dismiss(
    ctx: Ctx, tipoff_id: ObjectId, body: DismissIn, version: IfMatch, response: Response
) -> TipoffRead:
    with ctx.write() as session:
        tipoff = service.dismiss_tipoff(
            session, ctx.principal, tipoff_id, body.finding, body.public_outcome, version
        )
        return _done(response, tipoff, session)


@router.post("/tipoffs/{tipoff_id}/outcome", response_model=TipoffRead)
def outcome(ctx: Ctx, tipoff_id: ObjectId, body: OutcomeIn, response: Response) -> TipoffRead:
    """Publish the outcome the receipt code shows (the feedback to the reporter)."""
    with ctx.write() as session:
        return _done(
            response, service.publish_outcome(session, ctx.principal, tipoff_id, body.public_outcome), session
        )


@router.post("/tipoffs/{tipoff_id}/fine", response_model=TipoffRead)
def fine(ctx: Ctx, tipoff_id: ObjectId, body: FineIn, response: Response) -> TipoffRead:
    """Record the fine; the reward is 15 % of it within 3,000-300,000 yuan."""
    with ctx.write() as session:
        return _done(
            response, service.record_fine(session, ctx.principal, tipoff_id, body.fine_yuan), session
        )


@router.post("/tipoffs/{tipoff_id}/reward-paid", response_model=TipoffRead)
def reward_paid(ctx: Ctx, tipoff_id: ObjectId, response: Response) -> TipoffRead:
    with ctx.write() as session:
        return _done(response, service.mark_reward_paid(session, ctx.principal, tipoff_id), session)
