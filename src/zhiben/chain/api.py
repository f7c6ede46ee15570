"""One thing, whole chain (一件事全链条) endpoints: the gap and overlap report, local assignments, referrals
(移送) of hazards to departments, and new business types placed by the similar-business principle."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from zhiben.auth.api import ERROR_RESPONSES, MAX_ID, Ctx, ObjectId
from zhiben.chain import service
from zhiben.chain.domain import AssignmentRole
from zhiben.chain.schemas import (
    AssignmentRead,
    BusinessTypeCreate,
    BusinessTypeDecision,
    BusinessTypeRead,
    CellAssignIn,
    ChainReportRead,
    OutcomeIn,
    ReferralCreate,
    ReferralRead,
    report_read,
)

router = APIRouter(prefix="/api/v1/chain", tags=["chain"], responses=ERROR_RESPONSES)


@router.get("/report", response_model=ChainReportRead)
def chain_report(
    ctx: Ctx,
    division: Annotated[
        str | None,
        Query(
            pattern=r"^(\d{2}|\d{4}|\d{6})?$", description="2, 4 or 6 digits; empty = nation; omitted = yours"
        ),
    ] = None,
) -> ChainReportRead:
    """Every stage of every thing with its lead and supporting departments in the division's effective
    matrix; gaps (nobody leads) and overlaps (two or more lead)."""
    with ctx.read() as session:
        report = service.report_for(session, ctx.principal, division)
    return report_read(report, service.reference(), ctx.language)


@router.put("/assignments", response_model=list[AssignmentRead])
def assign_cell(ctx: Ctx, body: CellAssignIn) -> list[AssignmentRead]:
    """Set a division's own lead and supporting departments for one stage of a thing (audited)."""
    cells = [service.CellAssignment(a.department, a.role) for a in body.assignments]
    with ctx.write() as session:
        rows = service.assign_cell(
            session, ctx.principal, body.division, body.thing, body.stage, cells, body.basis
        )
        departments = service.reference().departments
        return [
            AssignmentRead(
                department=r.department,
                department_name=departments[r.department].name(ctx.language),
                role=AssignmentRole(r.role),
                basis=r.basis,
                division_code=r.division_code,
            )
            for r in rows
        ]


@router.post("/referrals", response_model=ReferralRead, status_code=status.HTTP_201_CREATED)
def refer_hazard(ctx: Ctx, body: ReferralCreate) -> ReferralRead:
    """Refer a hazard to a department (named, or the lead of the thing's stage where the hazard is)."""
    with ctx.write() as session:
        referral = service.refer_hazard(
            session,
            ctx.principal,
            body.hazard_id,
            body.reason,
            department=body.department,
            thing=body.thing,
            stage=body.stage,
        )
        return ReferralRead.model_validate(referral)


@router.get("/referrals", response_model=list[ReferralRead])
def list_referrals(
    ctx: Ctx,
    state: Annotated[Literal["referred", "acknowledged", "handled", "overdue"] | None, Query()] = None,
    hazard_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[ReferralRead]:
    """Referrals in the caller's scope; a department user sees only those addressed to its department."""
    with ctx.read() as session:
        rows = service.list_referrals(session, ctx.principal, state=state, hazard_id=hazard_id)
        return [ReferralRead.model_validate(r) for r in rows]


@router.get("/referrals/{referral_id}", response_model=ReferralRead)
def get_referral(ctx: Ctx, referral_id: ObjectId) -> ReferralRead:
    with ctx.read() as session:
        return ReferralRead.model_validate(service.get_referral(session, ctx.principal, referral_id))


@router.post("/referrals/{referral_id}/acknowledge", response_model=ReferralRead)
def acknowledge_referral(ctx: Ctx, referral_id: ObjectId) -> ReferralRead:
    """The department signs for the referral (签收); late if after the deadline."""
    with ctx.write() as session:
        return ReferralRead.model_validate(service.acknowledge_referral(session, ctx.principal, referral_id))


@router.post("/referrals/{referral_id}/outcome", response_model=ReferralRead)
def record_outcome(ctx: Ctx, referral_id: ObjectId, body: OutcomeIn) -> ReferralRead:
    """The department records what it did (办结)."""
    with ctx.write() as session:
        referral = service.record_referral_outcome(session, ctx.principal, referral_id, body.outcome)
        return ReferralRead.model_validate(referral)


@router.post("/business-types", response_model=BusinessTypeRead, status_code=status.HTTP_201_CREATED)
def propose_business_type(ctx: Ctx, body: BusinessTypeCreate) -> BusinessTypeRead:
    """A new business type gets the lead department of its nearest known type, with the reason."""
    with ctx.write() as session:
        business = service.propose_business_type(
            session,
            ctx.principal,
            body.name,
            body.industry_code,
            frozenset(body.attributes),
            body.description,
        )
        return BusinessTypeRead.model_validate(business)


@router.get("/business-types", response_model=list[BusinessTypeRead])
def list_business_types(
    ctx: Ctx, state: Annotated[Literal["proposed", "confirmed", "overridden"] | None, Query()] = None
) -> list[BusinessTypeRead]:
    with ctx.read() as session:
        return [
            BusinessTypeRead.model_validate(t)
            for t in service.list_business_types(session, ctx.principal, state)
        ]


@router.post("/business-types/{type_id}/decision", response_model=BusinessTypeRead)
def decide_business_type(ctx: Ctx, type_id: ObjectId, body: BusinessTypeDecision) -> BusinessTypeRead:
    """An administrator confirms the proposed department or overrides it (with a note)."""
    with ctx.write() as session:
        business = service.decide_business_type(session, ctx.principal, type_id, body.department, body.note)
        return BusinessTypeRead.model_validate(business)
