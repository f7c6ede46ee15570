"""Endpoints of the inspection on site: checklist, findings, on-the-spot measures, orders, re-inspections,
penalties, finishing, and the four enforcement documents as PDF."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from zhiben.auth.api import ERROR_RESPONSES, Ctx, ObjectId
from zhiben.enforcement import inspecting, paperwork

router = APIRouter(prefix="/api/v1/enforcement", tags=["enforcement"], responses=ERROR_RESPONSES)


class InspectionQuestionRead(BaseModel):
    pack: str
    version: str
    fact: str
    type: str
    question_zh: str
    question_en: str
    clauses: list[str]
    asked: bool
    answer: Any = None
    answered_by: str | None = None


class EmphasisRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    programme: str
    question: str
    answer: str | None
    answered_by: str | None


class InspectionChecklistRead(BaseModel):
    inspection_id: int
    enterprise_id: int
    packs: list[str] = Field(description="pack/version of every rule pack applying to the target")
    questions: list[InspectionQuestionRead]
    emphasis: list[EmphasisRead]


class InspectionAnswersWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, Any] = Field(default_factory=dict, description="rule-pack facts by name")
    emphasis: dict[int, str] = Field(default_factory=dict, description="emphasis answers by question id")


class EmphasisWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    programme: str = Field(min_length=1, max_length=64)
    questions: list[str] = Field(min_length=1, max_length=100)


class FindingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=2000)
    location: str = Field(default="", max_length=200)
    longitude: float | None = None
    latitude: float | None = None
    found_at: datetime | None = None
    major: bool = False
    pack: str | None = Field(default=None, max_length=64)
    clause: str | None = Field(default=None, max_length=32)
    basis: str = Field(default="", max_length=300, description="what a general finding breaks")


class FindingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    inspection_id: int
    description: str
    location: str
    longitude: float | None
    latitude: float | None
    found_at: datetime
    is_major: bool
    pack: str | None
    pack_version: str | None
    clause: str | None
    citation: str
    hazard_id: int | None
    evidence: list[dict[str, Any]]


class MeasureCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["correct_on_site", "evacuate", "suspend", "seal", "other"]
    description: str = Field(min_length=1, max_length=1000)


class MeasureRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    inspection_id: int
    kind: str
    description: str
    taken_at: datetime


class OrderItemWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    finding_id: int
    deadline: date


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[OrderItemWrite] = Field(min_length=1, max_length=100)
    legal_basis: str = Field(default=inspecting.ORDER_LEGAL_BASIS, max_length=300)
    reinspect_on: date | None = Field(default=None, description="default: the latest deadline")


class OrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    inspection_id: int
    number: str
    items: list[dict[str, Any]]
    legal_basis: str
    issued_at: datetime


class ItemResultWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item: int = Field(ge=1, description="the item's number on the order, from 1")
    is_rectified: bool
    note: str = Field(default="", max_length=500)


class ReinspectionWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    results: list[ItemResultWrite] = Field(min_length=1, max_length=100)


class ReinspectionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    order_id: int
    inspection_id: int
    scheduled_on: date
    done_at: datetime | None
    results: list[dict[str, Any]] | None
    number: str | None


class ReinspectionPage(BaseModel):
    items: list[ReinspectionRead]
    total: int
    page: int
    size: int


class PenaltyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provision_id: str = Field(
        min_length=1, max_length=40, description="a provision of the Work Safety Law table"
    )
    amount_yuan: Decimal = Field(max_digits=14, decimal_places=2)
    facts: str = Field(min_length=1, max_length=2000)
    violated: str = Field(default="", max_length=300)
    person_name: str = Field(default="", max_length=60)
    person_position: str = Field(default="", max_length=60)


class PenaltyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    inspection_id: int
    number: str
    provision_id: str
    article: int
    amount_yuan: Decimal
    party: str
    person_name: str
    decided_at: datetime


class FinishRead(BaseModel):
    id: int
    state: str
    started_at: datetime | None
    finished_at: datetime | None


@router.get("/inspections/{inspection_id}/checklist", response_model=InspectionChecklistRead)
def get_checklist(ctx: Ctx, inspection_id: ObjectId) -> InspectionChecklistRead:
    """The questions of the rule packs applying to the target, then any emphasis programme's questions."""
    with ctx.write() as session:  # a view of a confidential inspection is audited
        found = inspecting.inspection_checklist(session, ctx.principal, inspection_id)
        c = found.checklist
        return InspectionChecklistRead(
            inspection_id=found.inspection_id,
            enterprise_id=c.enterprise_id,
            packs=[f"{p.id}/{p.version}" for p in c.packs],
            questions=[
                InspectionQuestionRead(
                    pack=q.pack,
                    version=q.version,
                    fact=q.fact,
                    type=q.spec.type,
                    question_zh=q.spec.ask.zh if q.spec.ask else q.fact,
                    question_en=q.spec.ask.en if q.spec.ask else q.fact,
                    clauses=list(q.clauses),
                    asked=q.asked,
                    answer=q.answer.value if q.answer else None,
                    answered_by=q.answer.answered_by if q.answer else None,
                )
                for q in c.questions
            ],
            emphasis=[EmphasisRead.model_validate(e) for e in found.emphasis],
        )


@router.post("/inspections/{inspection_id}/checklist/answers", response_model=InspectionChecklistRead)
def answer_checklist(
    ctx: Ctx, inspection_id: ObjectId, body: InspectionAnswersWrite
) -> InspectionChecklistRead:
    """Answers become the enterprise's facts (source: enforcement); a met clause raises the major hazard."""
    with ctx.write() as session:
        inspecting.answer_checklist(session, ctx.principal, inspection_id, body.answers, body.emphasis)
    return get_checklist(ctx, inspection_id)


@router.post(
    "/inspections/{inspection_id}/emphasis",
    response_model=list[EmphasisRead],
    status_code=status.HTTP_201_CREATED,
)
def add_emphasis(ctx: Ctx, inspection_id: ObjectId, body: EmphasisWrite) -> list[EmphasisRead]:
    """The planning regulator adds an emphasis programme's (专项) questions to the inspection's checklist."""
    with ctx.write() as session:
        rows = inspecting.add_emphasis_questions(
            session, ctx.principal, inspection_id, body.programme, body.questions
        )
        return [EmphasisRead.model_validate(r) for r in rows]


@router.post(
    "/inspections/{inspection_id}/findings", response_model=FindingRead, status_code=status.HTTP_201_CREATED
)
def record_finding(ctx: Ctx, inspection_id: ObjectId, body: FindingCreate) -> FindingRead:
    """A finding; with `major: true` it cites `pack` and `clause` (in force for the target) and raises the
    major hazard, determined, citing the clause. Photos: POST .../findings/{id}/photos."""
    draft = inspecting.FindingDraft(
        body.description,
        body.location,
        body.longitude,
        body.latitude,
        body.found_at,
        body.major,
        body.pack,
        body.clause,
        body.basis,
    )
    with ctx.write() as session:
        return FindingRead.model_validate(
            inspecting.record_finding(session, ctx.principal, inspection_id, draft)
        )


@router.post("/findings/{finding_id}/photos", response_model=FindingRead, status_code=status.HTTP_201_CREATED)
def add_photo(ctx: Ctx, finding_id: ObjectId, file: Annotated[UploadFile, File()]) -> FindingRead:
    """A photo (JPEG, PNG or PDF) of a finding; a major finding's hazard gets it as evidence too."""
    data = file.file.read(ctx.state.settings.evidence_max_bytes + 1)
    photo = inspecting.Photo(file.filename or "photo", data)
    limit = ctx.state.settings.evidence_max_bytes
    with ctx.write() as session:
        finding = inspecting.add_finding_photo(
            session, ctx.principal, finding_id, photo, ctx.state.blobs, limit
        )
        return FindingRead.model_validate(finding)


@router.post(
    "/inspections/{inspection_id}/measures", response_model=MeasureRead, status_code=status.HTTP_201_CREATED
)
def take_measure(ctx: Ctx, inspection_id: ObjectId, body: MeasureCreate) -> MeasureRead:
    """现场处理措施 taken on the spot."""
    with ctx.write() as session:
        measure = inspecting.take_measure(session, ctx.principal, inspection_id, body.kind, body.description)
        return MeasureRead.model_validate(measure)


@router.post(
    "/inspections/{inspection_id}/orders", response_model=OrderRead, status_code=status.HTTP_201_CREATED
)
def issue_order(ctx: Ctx, inspection_id: ObjectId, body: OrderCreate) -> OrderRead:
    """责令限期整改指令书: findings of this inspection, each with a deadline after today; the re-inspection is
    scheduled on `reinspect_on` or the latest deadline."""
    items = [inspecting.OrderItemDraft(i.finding_id, i.deadline) for i in body.items]
    with ctx.write() as session:
        order = inspecting.issue_order(
            session, ctx.principal, inspection_id, items, body.legal_basis, body.reinspect_on
        )
        return OrderRead.model_validate(order)


@router.post("/orders/{order_id}/reinspection", response_model=ReinspectionRead)
def record_reinspection(ctx: Ctx, order_id: ObjectId, body: ReinspectionWrite) -> ReinspectionRead:
    """复查: each item of the order rectified or not."""
    results = [inspecting.ItemResult(r.item, r.is_rectified, r.note) for r in body.results]
    with ctx.write() as session:
        return ReinspectionRead.model_validate(
            inspecting.record_reinspection(session, ctx.principal, order_id, results)
        )


@router.get("/reinspections", response_model=ReinspectionPage)
def list_reinspections(
    ctx: Ctx,
    overdue: bool = False,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ReinspectionPage:
    """Re-inspections of the inspections the caller may see; `overdue=true`: not done and past their day."""
    with ctx.read() as session:
        rows, total = inspecting.list_reinspections(session, ctx.principal, overdue, (page - 1) * size, size)
        return ReinspectionPage(
            items=[ReinspectionRead.model_validate(r) for r in rows], total=total, page=page, size=size
        )


@router.post(
    "/inspections/{inspection_id}/penalties", response_model=PenaltyRead, status_code=status.HTTP_201_CREATED
)
def impose_penalty(ctx: Ctx, inspection_id: ObjectId, body: PenaltyCreate) -> PenaltyRead:
    """行政处罚: an amount outside the provision's range is refused, naming the article and the range."""
    draft = inspecting.PenaltyDraft(
        body.provision_id, body.amount_yuan, body.facts, body.violated, body.person_name, body.person_position
    )
    with ctx.write() as session:
        return PenaltyRead.model_validate(
            inspecting.impose_penalty(session, ctx.principal, inspection_id, draft)
        )


@router.post("/inspections/{inspection_id}/finish", response_model=FinishRead)
def finish_inspection(ctx: Ctx, inspection_id: ObjectId) -> FinishRead:
    """The inspection record is numbered; nothing more is recorded on the inspection (re-inspections aside)."""
    with ctx.write() as session:
        inspection = inspecting.finish_inspection(session, ctx.principal, inspection_id)
        return FinishRead(
            id=inspection.id,
            state=inspection.state,
            started_at=inspection.started_at,
            finished_at=inspection.finished_at,
        )


@router.get(
    "/inspections/{inspection_id}/documents/{kind}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the document as PDF"}},
)
def get_document(
    ctx: Ctx,
    inspection_id: ObjectId,
    kind: Literal["record", "order", "reinspection", "penalty"],
    object_id: Annotated[int | None, Query(ge=1, description="which order, re-inspection or penalty")] = None,
) -> Response:
    """现场检查记录 (record, once finished), 责令限期整改指令书 (order), 整改复查意见书 (reinspection) or
    行政处罚决定书 (penalty), built from the stored data; the latest of its kind unless `object_id` is given."""
    with ctx.write() as session:  # a view of a confidential inspection is audited
        number, pdf = paperwork.document(session, ctx.principal, inspection_id, kind, object_id)
    filename = quote(f"{number}.pdf")
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{filename}"},
    )
