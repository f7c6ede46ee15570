"""Enforcement endpoints: plans with a verifiable double-random draw, and inspections that stay
confidential until they start when they are unannounced (四不两直)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from zhiben.auth.api import ERROR_RESPONSES, MAX_ID, Ctx, ObjectId
from zhiben.enforcement import programmes, repository, service
from zhiben.enforcement.models import Inspection

router = APIRouter(prefix="/api/v1/enforcement", tags=["enforcement"], responses=ERROR_RESPONSES)


class PlanCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=200)
    period_start: date
    period_end: date
    sectors: list[str] = Field(min_length=1, max_length=20)
    quota: int = Field(ge=1, le=100_000)
    officer_count: int = Field(ge=0, le=10_000)
    is_unannounced: bool = True
    mode: Literal["overt", "covert"] = "overt"
    emphasis: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="codes of emphasis programmes (专项, GET /api/v1/enforcement/emphasis-programmes): the "
        "enterprises each selects get its trigger in the draw and its questions on their inspections",
    )


class PlanRead(BaseModel):
    id: int
    division_code: str
    title: str
    period_start: date
    period_end: date
    sectors: list[str]
    quota: int
    officer_count: int
    is_unannounced: bool
    mode: str
    state: str
    pool_size: int
    emphasis: list[str] = Field(description="the emphasis programmes the plan named, sealed with its inputs")
    inputs_sha256: str = Field(description="SHA-256 of the frozen draw inputs, published before the draw")
    commitment: str = Field(description="SHA-256 commitment to the secret seed, published before the draw")


class LocalText(BaseModel):
    zh: str
    en: str


class ProgrammeQuestion(BaseModel):
    text: LocalText
    cites: str = Field(description="the clause the question restates")
    verification: str = Field(description="how well the reference verified the fact: V, V2 or R")


class ProgrammeRead(BaseModel):
    code: str
    status: Literal["example", "official"] = Field(
        description="example: the platform's own example, not a campaign an authority issued"
    )
    document: str = Field(description="the issuing document of an official programme")
    title: LocalText
    basis: LocalText
    sectors: list[str]
    selects: str = Field(description="`all` enterprises of its sectors, or `open_hazards`")
    open_hazards: list[dict[str, Any]] = Field(
        description="with `open_hazards`: [{pack, clauses}] an open hazard's citation must be in (clauses "
        "null: any clause of the pack)"
    )
    questions: list[ProgrammeQuestion]


class ProgrammeList(BaseModel):
    version: str
    items: list[ProgrammeRead]


class InspectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    plan_id: int | None
    enterprise_id: int
    county_code: str
    sector: str
    is_unannounced: bool
    mode: str
    selection: dict[str, Any] = Field(
        description="why the enterprise was selected: trigger, random or control"
    )
    scheduled_on: date | None
    state: str
    started_at: datetime | None
    advance_notice: dict[str, Any] | None
    team: list[int] = []


class InspectionPage(BaseModel):
    items: list[InspectionRead]
    total: int
    page: int
    size: int


class TeamWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    officer_ids: list[int] = Field(min_length=1, max_length=20)


class NoticeWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


def _plan(plan: Any) -> PlanRead:
    return PlanRead.model_validate(service.public(plan))


def _inspection(session: Any, inspection: Inspection) -> InspectionRead:
    read = InspectionRead.model_validate(inspection)
    read.team = repository.team_of(session, inspection.id)
    return read


@router.post("/plans", response_model=PlanRead, status_code=status.HTTP_201_CREATED)
def create_plan(ctx: Ctx, body: PlanCreate) -> PlanRead:
    """Freeze the pool (the division's enterprises of these sectors, with their risk colours) and the
    officer roster, and publish the commitment to the draw's secret seed with the inputs' hash."""
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
    with ctx.write() as session:
        return _plan(service.create_plan(session, ctx.principal, draft))


@router.get("/emphasis-programmes", response_model=ProgrammeList)
def list_programmes(ctx: Ctx) -> ProgrammeList:
    """The emphasis programmes (专项检查) a plan may name: sectors, selection rule and question set; public
    data, the same for every signed-in caller."""
    catalogue = programmes.load_catalogue()
    return ProgrammeList(
        version=catalogue.version,
        items=[ProgrammeRead.model_validate(programmes.document(p)) for p in catalogue.programmes],
    )


@router.get("/plans/{plan_id}", response_model=PlanRead)
def get_plan(ctx: Ctx, plan_id: ObjectId) -> PlanRead:
    with ctx.read() as session:
        return _plan(service.get_plan(session, ctx.principal, plan_id))


@router.post("/plans/{plan_id}/draw", response_model=PlanRead)
def draw_plan(ctx: Ctx, plan_id: ObjectId) -> PlanRead:
    """Run the draw with the committed seed (revealing it) and create one inspection per target."""
    with ctx.write() as session:
        return _plan(service.run_plan_draw(session, ctx.principal, plan_id))


@router.get("/plans/{plan_id}/record")
def plan_record(ctx: Ctx, plan_id: ObjectId) -> dict[str, Any]:
    """The full draw record (inputs, seed, selections with their reasons), for verification by anyone
    the planning office gives it to; `zhiben enforcement verify-draw` recomputes it."""
    with ctx.read() as session:
        return service.plan_record(session, ctx.principal, plan_id)


@router.get("/inspections", response_model=InspectionPage)
def list_inspections(
    ctx: Ctx,
    plan_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> InspectionPage:
    """Inspections the caller may see: an unannounced one only by the planning regulator and its team
    until it starts (each such view is audited)."""
    with ctx.write() as session:
        rows, total = service.list_inspections(session, ctx.principal, plan_id, (page - 1) * size, size)
        return InspectionPage(
            items=[_inspection(session, r) for r in rows], total=total, page=page, size=size
        )


@router.get("/inspections/{inspection_id}", response_model=InspectionRead)
def get_inspection(ctx: Ctx, inspection_id: ObjectId) -> InspectionRead:
    with ctx.write() as session:  # a view of a confidential inspection is audited
        return _inspection(session, service.view_inspection(session, ctx.principal, inspection_id))


@router.put("/inspections/{inspection_id}/team", response_model=InspectionRead)
def assign_team(ctx: Ctx, inspection_id: ObjectId, body: TeamWrite) -> InspectionRead:
    """At least two officers, none from the target's county (异地交叉执法)."""
    with ctx.write() as session:
        inspection = service.assign_team(session, ctx.principal, inspection_id, body.officer_ids)
        return _inspection(session, inspection)


@router.post("/inspections/{inspection_id}/start", response_model=InspectionRead)
def start_inspection(ctx: Ctx, inspection_id: ObjectId) -> InspectionRead:
    with ctx.write() as session:
        return _inspection(session, service.start_inspection(session, ctx.principal, inspection_id))


@router.post("/inspections/{inspection_id}/advance-notice", response_model=InspectionRead)
def advance_notice(ctx: Ctx, inspection_id: ObjectId, body: NoticeWrite) -> InspectionRead:
    with ctx.write() as session:
        inspection = service.give_advance_notice(session, ctx.principal, inspection_id, body.reason)
        return _inspection(session, inspection)
