"""Insurance endpoints: policies, the mandatory-cover check, prevention-service visits and the premium-
floating suggestion. An insurer's users reach only the enterprises it insures (404 for the others)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, Field

from zhiben.auth.api import ERROR_RESPONSES, MAX_ID, Ctx, IfMatch, ObjectId
from zhiben.insurance import service
from zhiben.insurance.domain import PolicyTerms, measures
from zhiben.insurance.models import InsurancePolicy
from zhiben.insurance.repository import PolicyFilter
from zhiben.insurance.schemas import (
    CoverCheck,
    CoverFindingRead,
    FloatingRead,
    FloatingStepRead,
    PolicyCancel,
    PolicyCreate,
    PolicyPage,
    PolicyRead,
    VisitCreate,
    VisitRead,
)
from zhiben.kit.pagination import PageRequest

router = APIRouter(prefix="/api/v1", tags=["insurance"], responses=ERROR_RESPONSES)

DivisionParam = Annotated[str, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$", description="2, 4 or 6 digits")]


class AccidentCounts(BaseModel):
    accidents: dict[str, Annotated[int, Field(ge=0, le=100_000)]] | None = Field(
        None,
        max_length=8,
        description="accidents in the look-back period by grade (ordinary, relatively_serious, serious, "
        "extraordinarily_serious); omitted: not counted",
    )
    on: date | None = Field(None, description="the day the look-back period ends; today by default")


def _policy(p: InsurancePolicy) -> PolicyRead:
    return PolicyRead.model_validate(p)


@router.post(
    "/enterprises/{enterprise_id}/insurance-policies",
    response_model=PolicyRead,
    status_code=status.HTTP_201_CREATED,
)
def create_policy(ctx: Ctx, enterprise_id: ObjectId, body: PolicyCreate) -> PolicyRead:
    """Record a liability insurance policy (administrator or the enterprise's regulator). While it is in force
    the insurer's users see the enterprise."""
    terms = PolicyTerms(
        body.insurer_org,
        body.policy_number,
        body.starts_on,
        body.ends_on,
        body.premium_yuan,
        body.cover_per_person_yuan,
        body.insured_headcount,
    )
    with ctx.write() as session:
        return _policy(service.record_policy(session, ctx.principal, enterprise_id, terms))


@router.get("/insurance-policies", response_model=PolicyPage)
def list_policies(
    ctx: Ctx,
    division: DivisionParam = "",
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    insurer_org: Annotated[str | None, Query(max_length=120)] = None,
    in_force_on: Annotated[date | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> PolicyPage:
    flt = PolicyFilter(division, enterprise_id, insurer_org, in_force_on)
    with ctx.read() as session:
        found = service.list_policies(session, ctx.principal, flt, PageRequest(page, size))
        return PolicyPage(
            items=[_policy(p) for p in found.items], total=found.total, page=found.page, size=found.size
        )


@router.get("/insurance-policies/cover-check", response_model=CoverCheck)
def cover_check(
    ctx: Ctx, division: DivisionParam = "", on: Annotated[date | None, Query()] = None
) -> CoverCheck:
    """Mandatory sectors (Art 2) without a policy in force, and policies below the least cover per person
    (Art 15), in the caller's area."""
    with ctx.read() as session:
        day = on or service.today(session)
        findings = service.check_cover(session, ctx.principal, day, division)
        return CoverCheck(
            on=day,
            document=measures().document,
            findings=[
                CoverFindingRead(
                    enterprise_id=f.enterprise_id,
                    problem=f.problem.value,
                    citation=f.citation,
                    category=f.category,
                    policy_id=f.policy_id,
                    cover_per_person_yuan=f.cover_per_person_yuan,
                    minimum_yuan=f.minimum_yuan,
                )
                for f in findings
            ],
        )


@router.get("/insurance-policies/{policy_id}", response_model=PolicyRead)
def get_policy(ctx: Ctx, policy_id: ObjectId) -> PolicyRead:
    with ctx.read() as session:
        return _policy(service.get_policy(session, ctx.principal, policy_id))


@router.post("/insurance-policies/{policy_id}/cancel", response_model=PolicyRead)
def cancel_policy(ctx: Ctx, policy_id: ObjectId, body: PolicyCancel, version: IfMatch) -> PolicyRead:
    with ctx.write() as session:
        return _policy(service.cancel_policy(session, ctx.principal, policy_id, body.cancelled_on, version))


@router.post(
    "/enterprises/{enterprise_id}/prevention-visits",
    response_model=VisitRead,
    status_code=status.HTTP_201_CREATED,
)
def create_visit(ctx: Ctx, enterprise_id: ObjectId, body: VisitCreate) -> VisitRead:
    """An insurer's prevention-service visit (事故预防服务); the hazards found are reported into the registry."""
    draft = service.VisitDraft(
        body.visited_at,
        body.summary,
        body.experts,
        tuple(service.FoundHazard(h.description, h.location) for h in body.hazards),
    )
    with ctx.write() as session:
        return VisitRead.model_validate(service.record_visit(session, ctx.principal, enterprise_id, draft))


@router.get("/enterprises/{enterprise_id}/prevention-visits", response_model=list[VisitRead])
def list_visits(ctx: Ctx, enterprise_id: ObjectId) -> list[VisitRead]:
    with ctx.read() as session:
        return [
            VisitRead.model_validate(v) for v in service.list_visits(session, ctx.principal, enterprise_id)
        ]


@router.post("/enterprises/{enterprise_id}/premium-floating", response_model=FloatingRead)
def premium_floating(ctx: Ctx, enterprise_id: ObjectId, body: AccidentCounts) -> FloatingRead:
    """A premium-floating suggestion (上浮/下浮) from the accident counts given and the major hazards in the
    registry; each step names its source (the national percentages are not in the measures)."""
    with ctx.read() as session:
        result = service.suggest_floating(session, ctx.principal, enterprise_id, body.accidents, body.on)
    return FloatingRead(
        enterprise_id=result.enterprise_id,
        since=result.since,
        until=result.until,
        accidents=dict(result.record.accidents),
        accidents_given=result.accidents_given,
        major_hazards_found=result.record.major_hazards_found,
        major_hazards_overdue=result.record.major_hazards_overdue,
        pct=result.suggestion.pct,
        is_capped=result.suggestion.is_capped,
        steps=[
            FloatingStepRead(reason=s.reason, pct=s.pct, source=s.source) for s in result.suggestion.steps
        ],
    )
