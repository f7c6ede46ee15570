from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import func, select

from zhiben.auth.api import ERROR_RESPONSES, Ctx, ObjectId
from zhiben.enterprise import repository as enterprise_repository
from zhiben.enterprise.domain import SECTOR_BY_CODE
from zhiben.enterprise.models import Enterprise
from zhiben.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from zhiben.standards import checklist, gb18218, installations
from zhiben.standards.engine import determine
from zhiben.standards.models import Redetermination, RedeterminationChange
from zhiben.standards.redetermine import find_pack
from zhiben.standards.schemas import (
    AnswersWrite,
    ChangePage,
    ChangeRead,
    ChecklistRead,
    DeterminationRead,
    Determined,
    DetermineRequest,
    DetermineResponse,
    FacilityRead,
    Gb18218Result,
    Inventory,
    PackSummary,
    QuestionRead,
    RedeterminationRead,
)

router = APIRouter(prefix="/api/v1", tags=["standards"], responses=ERROR_RESPONSES)


@router.get("/rulepacks", response_model=list[PackSummary])
def list_rulepacks(ctx: Ctx) -> list[PackSummary]:
    """Every installed determination standard version (判定标准), released and draft."""
    return [PackSummary.of(p) for p in checklist.installed_packs()]


@router.get("/rulepacks/{pack}/{version}")
def get_rulepack(ctx: Ctx, pack: str, version: str) -> dict[str, object]:
    """One pack version as its YAML defines it (facts, clauses, citations, examples), with its checksum."""
    found = find_pack(checklist.installed_packs(), pack, version)
    return {"checksum": found.checksum, **found.spec.model_dump(mode="json", by_alias=True)}


@router.post("/rules/determine", response_model=DetermineResponse)
def determine_facts(ctx: Ctx, body: DetermineRequest) -> DetermineResponse:
    """Which clauses the given facts meet, as `zhiben rules determine --json` prints it. Stores nothing."""
    if body.sector not in SECTOR_BY_CODE:
        raise InvalidInputError("sector", "unknown", f"unknown sector {body.sector!r}")
    with ctx.read() as session:
        on = body.at or checklist.today(session)
    result = determine(checklist.installed_packs(), body.sector, body.facts, on, drafts=body.drafts)
    return DetermineResponse(
        determinations=[
            Determined(
                pack=m.pack,
                version=m.version,
                clause=m.clause,
                major=True,
                facts=m.facts,
                citation=m.citation,
                verification=m.verification,
                checksum=m.checksum,
            )
            for m in result.met
        ],
        missing=list(result.missing),
        packs=[{"pack": p, "version": v} for p, v in result.packs],
    )


@router.get("/enterprises/{enterprise_id}/checklist", response_model=ChecklistRead)
def get_checklist(ctx: Ctx, enterprise_id: ObjectId) -> ChecklistRead:
    """The questions of every pack that applies to the enterprise today, with the current answers."""
    with ctx.read() as session:
        found = checklist.checklist(session, ctx.principal, enterprise_id, checklist.installed_packs())
        return ChecklistRead(
            enterprise_id=found.enterprise_id,
            sector=found.sector,
            on=found.on,
            packs=[PackSummary.of(p) for p in found.packs],
            questions=[QuestionRead.of(q) for q in found.questions],
        )


@router.post("/enterprises/{enterprise_id}/checklist/answers", response_model=DeterminationRead)
def answer_checklist(ctx: Ctx, enterprise_id: ObjectId, body: AnswersWrite) -> DeterminationRead:
    """Store answers (null clears one) and determine the enterprise again. A clause of a released pack
    that the facts now meet raises a major hazard (or restates the open one it raised before); every
    wrong answer is named in `details.fields` and none is stored."""
    with ctx.write() as session:
        outcome = checklist.answer(
            session, ctx.principal, enterprise_id, body.answers, checklist.installed_packs()
        )
        return DeterminationRead.of(outcome)


@router.post("/gb18218", response_model=Gb18218Result)
def identify_installations(ctx: Ctx, body: Inventory) -> Gb18218Result:
    """GB 18218-2018 identification and grading of an inventory, unit by unit. Stores nothing."""
    return Gb18218Result.model_validate(
        {"units": [gb18218.as_json(r) for r in gb18218.identify(body.as_lines())]}
    )


@router.get("/enterprises/{enterprise_id}/facilities", response_model=list[FacilityRead])
def list_facilities(ctx: Ctx, enterprise_id: ObjectId) -> list[FacilityRead]:
    with ctx.read() as session:
        return [
            FacilityRead.model_validate(f)
            for f in installations.facilities(session, ctx.principal, enterprise_id)
        ]


@router.post("/enterprises/{enterprise_id}/facilities/assessment", response_model=list[FacilityRead])
def assess_facilities(ctx: Ctx, enterprise_id: ObjectId, body: Inventory) -> list[FacilityRead]:
    """Identify and grade the inventory (GB 18218) and store each unit on the facility of that name."""
    with ctx.write() as session:
        stored = installations.assess(session, ctx.principal, enterprise_id, body.as_lines())
        return [FacilityRead.model_validate(f) for f, _ in stored]


@router.get("/redeterminations", response_model=list[RedeterminationRead])
def list_redeterminations(ctx: Ctx) -> list[RedeterminationRead]:
    """Runs of `zhiben rules redetermine`, newest first (national counts; government roles only)."""
    if not ctx.principal.is_government:
        raise PermissionDeniedError(action="redeterminations.list")
    with ctx.read() as session:
        runs = session.scalars(select(Redetermination).order_by(Redetermination.id.desc()).limit(200))
        return [RedeterminationRead.model_validate(r) for r in runs]


@router.get("/redeterminations/{run_id}", response_model=ChangePage)
def get_redetermination(
    ctx: Ctx,
    run_id: ObjectId,
    change: Annotated[str | None, Query(pattern="^(newly_major|no_longer_major|clauses_changed)$")] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ChangePage:
    """One run and the enterprises it changed, limited to those within the caller's jurisdiction."""
    if not ctx.principal.is_government:
        raise PermissionDeniedError(action="redeterminations.read")
    with ctx.read() as session:
        run = session.get(Redetermination, run_id)
        if run is None:
            raise NotFoundError(kind="redetermination", key=run_id)
        query = (
            select(RedeterminationChange)
            .join(Enterprise, Enterprise.id == RedeterminationChange.enterprise_id)
            .where(RedeterminationChange.run_id == run.id, enterprise_repository.scoped(ctx.principal))
        )
        if change:
            query = query.where(RedeterminationChange.change == change)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        items = session.scalars(
            query.order_by(RedeterminationChange.id).offset((page - 1) * size).limit(size)
        )
        return ChangePage(
            run=RedeterminationRead.model_validate(run),
            items=[ChangeRead.model_validate(c) for c in items],
            total=total,
            page=page,
            size=size,
        )
