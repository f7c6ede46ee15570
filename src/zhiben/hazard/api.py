from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.api import ERROR_RESPONSES, MAX_ID, Ctx, IfMatch, ObjectId
from zhiben.auth.domain import division_prefix
from zhiben.division import service as divisions
from zhiben.errors import InvalidInputError, NotFoundError
from zhiben.hazard import repository, service
from zhiben.hazard.clearance import clearance
from zhiben.hazard.models import Hazard
from zhiben.hazard.schemas import (
    AcceptanceIn,
    ClearanceRead,
    DecisionIn,
    DetermineIn,
    EvidenceRead,
    ExtensionIn,
    ExtensionRead,
    HazardCreate,
    HazardDetail,
    HazardPage,
    HazardRead,
    HazardUpdate,
    HistoryEntry,
    Instant,
    OpinionIn,
    PlanIn,
    PlanRead,
    ReasonIn,
    SupervisionIn,
    SupervisionRead,
)
from zhiben.kit.pagination import PageRequest

router = APIRouter(prefix="/api/v1", tags=["hazards"], responses=ERROR_RESPONSES)

DivisionParam = Annotated[str, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$", description="2, 4 or 6 digits")]
StateParam = Literal[
    "reported",
    "determined",
    "planned",
    "rectifying",
    "rectified",
    "verified",
    "closed",
    "rejected",
    "reopened",
    "open",
    "overdue",
]


def _read(ctx: Ctx, hazard: Hazard) -> HazardRead:
    return HazardRead.model_validate(hazard).model_copy(
        update={"actions": service.actions_for(ctx.principal, hazard)}
    )


def _detail(ctx: Ctx, session: Session, hazard: Hazard, response: Response) -> HazardDetail:
    response.headers["ETag"] = f'"{hazard.version}"'
    plan = repository.current_plan(session, hazard.id)
    supervision = repository.active_supervision(session, hazard.id)
    return HazardDetail(
        **_read(ctx, hazard).model_dump(),
        plan=PlanRead.model_validate(plan) if plan else None,
        supervision=SupervisionRead.model_validate(supervision) if supervision else None,
        extensions=[ExtensionRead.model_validate(e) for e in repository.extensions(session, hazard.id)],
        evidence=[EvidenceRead.model_validate(e) for e in repository.evidence(session, hazard.id)],
    )


@router.get("/hazards", response_model=HazardPage)
def list_hazards(
    ctx: Ctx,
    division: DivisionParam = "",
    sector: Annotated[str | None, Query(max_length=48)] = None,
    level: Annotated[Literal["major", "general"] | None, Query()] = None,
    state: Annotated[StateParam | None, Query()] = None,
    listed: Annotated[bool | None, Query()] = None,
    listed_level: Annotated[Literal["county", "city", "province", "national"] | None, Query()] = None,
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    escalated_to: Annotated[
        str | None, Query(pattern=r"^\d{6}$", description="overdue major hazards escalated to this division")
    ] = None,
    reported_from: Annotated[Instant | None, Query()] = None,
    reported_to: Annotated[Instant | None, Query()] = None,
    sort: Annotated[
        Literal["reported_at", "-reported_at", "deadline_at", "-deadline_at", "number", "-number"], Query()
    ] = "-reported_at",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> HazardPage:
    flt = repository.HazardFilter(
        division=division.ljust(6, "0") if division else "",
        sector=sector,
        level=level,
        state=state,
        is_listed=listed,
        listed_level=listed_level,
        enterprise_id=enterprise_id,
        escalated_to=escalated_to,
        reported_from=reported_from,
        reported_to=reported_to,
        sort=sort,
    )
    with ctx.read() as session:
        result = repository.page(session, ctx.principal, flt, PageRequest(page, size))
        return HazardPage(
            items=[_read(ctx, h) for h in result.items],
            total=result.total,
            page=result.page,
            size=result.size,
        )


@router.post("/hazards", response_model=HazardDetail, status_code=status.HTTP_201_CREATED)
def report_hazard(ctx: Ctx, body: HazardCreate, response: Response) -> HazardDetail:
    report = service.HazardReport(
        enterprise_id=body.enterprise_id,
        description=body.description,
        source=body.source,
        found_at=body.found_at,
        location=body.location,
        level=body.level,
        citation=body.citation.model_dump() if body.citation else None,
    )
    with ctx.write() as session:
        hazard = service.report_hazard(session, ctx.principal, report)
        return _detail(ctx, session, hazard, response)


@router.get("/hazards/{hazard_id}", response_model=HazardDetail)
def get_hazard(ctx: Ctx, hazard_id: ObjectId, response: Response) -> HazardDetail:
    with ctx.read() as session:
        return _detail(ctx, session, service.get_hazard(session, ctx.principal, hazard_id), response)


@router.patch("/hazards/{hazard_id}", response_model=HazardDetail)
def update_hazard(
    ctx: Ctx, hazard_id: ObjectId, body: HazardUpdate, version: IfMatch, response: Response
) -> HazardDetail:
    if version is None:
        raise InvalidInputError("If-Match", "required", "send If-Match with the version you last read")
    with ctx.write() as session:
        hazard = service.update_hazard(session, ctx.principal, hazard_id, body.changes(), version)
        return _detail(ctx, session, hazard, response)


@router.get("/hazards/{hazard_id}/history", response_model=list[HistoryEntry])
def hazard_history(ctx: Ctx, hazard_id: ObjectId) -> list[HistoryEntry]:
    with ctx.read() as session:
        service.get_hazard(session, ctx.principal, hazard_id)
        return [
            HistoryEntry(seq=e.seq, at=e.at, actor=e.actor, action=e.action, before=e.before, after=e.after)
            for e in audit.history(session, "hazard", str(hazard_id))
        ]


@router.post("/hazards/{hazard_id}/determine", response_model=HazardDetail)
def determine(
    ctx: Ctx, hazard_id: ObjectId, body: DetermineIn, version: IfMatch, response: Response
) -> HazardDetail:
    citation = body.citation.model_dump() if body.citation else None
    with ctx.write() as session:
        hazard = service.determine_hazard(session, ctx.principal, hazard_id, body.level, citation, version)
        return _detail(ctx, session, hazard, response)


@router.post("/hazards/{hazard_id}/reject", response_model=HazardDetail)
def reject(
    ctx: Ctx, hazard_id: ObjectId, body: ReasonIn, version: IfMatch, response: Response
) -> HazardDetail:
    with ctx.write() as session:
        hazard = service.reject_hazard(session, ctx.principal, hazard_id, body.reason, version)
        return _detail(ctx, session, hazard, response)


@router.post("/hazards/{hazard_id}/plan", response_model=HazardDetail)
def plan(ctx: Ctx, hazard_id: ObjectId, body: PlanIn, version: IfMatch, response: Response) -> HazardDetail:
    with ctx.write() as session:
        hazard = service.plan_rectification(session, ctx.principal, hazard_id, body.plan(), version)
        return _detail(ctx, session, hazard, response)


@router.post("/hazards/{hazard_id}/start", response_model=HazardDetail)
def start(ctx: Ctx, hazard_id: ObjectId, version: IfMatch, response: Response) -> HazardDetail:
    with ctx.write() as session:
        hazard = service.start_rectification(session, ctx.principal, hazard_id, version)
        return _detail(ctx, session, hazard, response)


@router.post("/hazards/{hazard_id}/complete", response_model=HazardDetail)
def complete(
    ctx: Ctx, hazard_id: ObjectId, body: AcceptanceIn, version: IfMatch, response: Response
) -> HazardDetail:
    with ctx.write() as session:
        hazard = service.complete_rectification(
            session, ctx.principal, hazard_id, body.acceptance_note, version
        )
        return _detail(ctx, session, hazard, response)


@router.post("/hazards/{hazard_id}/verify", response_model=HazardDetail)
def verify(
    ctx: Ctx, hazard_id: ObjectId, body: OpinionIn, version: IfMatch, response: Response
) -> HazardDetail:
    with ctx.write() as session:
        hazard = service.verify_hazard(session, ctx.principal, hazard_id, body.opinion, version)
        return _detail(ctx, session, hazard, response)


@router.post("/hazards/{hazard_id}/fail-verification", response_model=HazardDetail)
def fail_verification(
    ctx: Ctx, hazard_id: ObjectId, body: ReasonIn, version: IfMatch, response: Response
) -> HazardDetail:
    with ctx.write() as session:
        hazard = service.fail_verification(session, ctx.principal, hazard_id, body.reason, version)
        return _detail(ctx, session, hazard, response)


@router.post("/hazards/{hazard_id}/close", response_model=HazardDetail)
def close_out(ctx: Ctx, hazard_id: ObjectId, version: IfMatch, response: Response) -> HazardDetail:
    """Close-out (销号)."""
    with ctx.write() as session:
        hazard = service.close_out_hazard(session, ctx.principal, hazard_id, version)
        return _detail(ctx, session, hazard, response)


@router.post("/hazards/{hazard_id}/supervision", response_model=SupervisionRead, status_code=201)
def list_for_supervision(ctx: Ctx, hazard_id: ObjectId, body: SupervisionIn) -> SupervisionRead:
    """Listed supervision (挂牌督办) at the caller's level."""
    with ctx.write() as session:
        supervision = service.list_for_supervision(
            session, ctx.principal, hazard_id, body.deadline_at, body.document_number
        )
        return SupervisionRead.model_validate(supervision)


@router.post("/hazards/{hazard_id}/extensions", response_model=ExtensionRead, status_code=201)
def request_extension(ctx: Ctx, hazard_id: ObjectId, body: ExtensionIn) -> ExtensionRead:
    with ctx.write() as session:
        extension = service.request_extension(
            session, ctx.principal, hazard_id, body.new_deadline_at, body.reason
        )
        return ExtensionRead.model_validate(extension)


@router.post("/hazards/{hazard_id}/extensions/{extension_id}/decision", response_model=ExtensionRead)
def decide_extension(
    ctx: Ctx, hazard_id: ObjectId, extension_id: ObjectId, body: DecisionIn
) -> ExtensionRead:
    with ctx.write() as session:
        extension = service.decide_extension(session, ctx.principal, hazard_id, extension_id, body.approve)
        return ExtensionRead.model_validate(extension)


@router.post("/hazards/{hazard_id}/evidence", response_model=EvidenceRead, status_code=201)
async def attach_evidence(
    ctx: Ctx,
    hazard_id: ObjectId,
    file: Annotated[UploadFile, File()],
    phase: Annotated[Literal["before", "after", "other"], Form()] = "other",
) -> EvidenceRead:
    limit = ctx.state.settings.evidence_max_bytes
    data = await file.read(limit + 1)
    filename = "".join(ch for ch in file.filename or "" if ch.isprintable())  # no NUL or control characters
    with ctx.write() as session:
        evidence = service.attach_evidence(
            session, ctx.principal, hazard_id, data, phase, filename, ctx.state.blobs, limit
        )
        return EvidenceRead.model_validate(evidence)


@router.get("/hazards/{hazard_id}/evidence/{evidence_id}")
def download_evidence(ctx: Ctx, hazard_id: ObjectId, evidence_id: ObjectId) -> Response:
    with ctx.read() as session:
        service.get_hazard(session, ctx.principal, hazard_id)
        item = next((e for e in repository.evidence(session, hazard_id) if e.id == evidence_id), None)
        if item is None:
            raise NotFoundError(kind="evidence", key=evidence_id)
        return Response(
            ctx.state.blobs.read(item.sha256),
            media_type=item.media_type,
            headers={"ETag": f'"{item.sha256}"'},
        )


@router.get("/clearance", response_model=ClearanceRead)
def get_clearance(
    ctx: Ctx, division: DivisionParam = "", sector: Annotated[str | None, Query(max_length=48)] = None
) -> ClearanceRead:
    """Dynamic clearance (动态清零) for a division and its direct children."""
    code = division.ljust(6, "0") if division else (ctx.principal.division_code or "")
    with ctx.read() as session:
        if division_prefix(code):
            divisions.get_division(session, code)  # a code that names no division is not found
        result = clearance(session, ctx.principal, code, ctx.state.clock.now(), sector)
        return ClearanceRead.model_validate(asdict(result))
