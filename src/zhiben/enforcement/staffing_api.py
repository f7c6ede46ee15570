"""Endpoints for officer profiles, team assignment of a drawn plan and enforcement quality metrics."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from zhiben.auth.api import ERROR_RESPONSES, Ctx, ObjectId
from zhiben.enforcement import metrics, officers, staffing, teams

router = APIRouter(prefix="/api/v1/enforcement", tags=["enforcement"], responses=ERROR_RESPONSES)


class ProfileWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    certificate_no: str = Field(min_length=1, max_length=40, description="执法证号")
    certificate_valid_until: date
    sectors: list[str] = Field(
        default=[], max_length=50, description="sector codes the officer is qualified for"
    )
    home_longitude: float | None = Field(default=None, ge=-180, le=180)
    home_latitude: float | None = Field(default=None, ge=-90, le=90)
    cap_per_week: int = Field(default=2, ge=0, le=20)


class ProfileRead(BaseModel):
    user_id: int
    certificate_no: str
    certificate_valid_until: date
    sectors: list[str]
    home_longitude: float | None
    home_latitude: float | None
    cap_per_week: int


class TeamsWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_team: int = Field(default=2, ge=2, le=10)
    max_team: int = Field(default=3, ge=2, le=10)
    exclude_same_city: bool = False
    every_member_qualified: bool = False
    history_n: int = Field(default=5, ge=0, le=100)
    time_limit_s: float = Field(default=10.0, gt=0, le=120)


class TeamsRead(BaseModel):
    plan_id: int
    status: str = Field(description="OPTIMAL or FEASIBLE (CP-SAT)")
    teams: dict[str, list[int]] = Field(description="inspection id -> officer user ids")
    scheduled: dict[str, date] = Field(description="days given to inspections that had none")
    travel_km: float
    objective: int = Field(description="total travel in hectometres")
    best_bound: float = Field(description="CP-SAT's bound on the objective")
    gap: float
    notes: list[str] = Field(description="what was assumed: officers without profiles, missing coordinates")


@router.put("/officers/{user_id}/profile", response_model=ProfileRead)
def set_officer_profile(ctx: Ctx, user_id: ObjectId, body: ProfileWrite) -> ProfileRead:
    """Record an officer's certificate, qualified sectors, home and weekly cap (regulators of a division
    covering the officer's; audited). Without a profile an officer is not assigned to teams."""
    draft = officers.ProfileDraft(
        body.certificate_no,
        body.certificate_valid_until,
        tuple(body.sectors),
        body.home_longitude,
        body.home_latitude,
        body.cap_per_week,
    )
    with ctx.write() as session:
        return ProfileRead.model_validate(
            officers.document(officers.set_profile(session, ctx.principal, user_id, draft))
        )


@router.get("/officers/{user_id}/profile", response_model=ProfileRead)
def get_officer_profile(ctx: Ctx, user_id: ObjectId) -> ProfileRead:
    with ctx.read() as session:
        return ProfileRead.model_validate(
            officers.document(officers.get_profile(session, ctx.principal, user_id))
        )


@router.post("/plans/{plan_id}/teams", response_model=TeamsRead)
def assign_teams(ctx: Ctx, plan_id: ObjectId, body: TeamsWrite | None = None) -> TeamsRead:
    """Staff every planned inspection of a drawn plan with the drawn officers (CP-SAT: two or more
    certified officers, none from the target's county, a sector-qualified lead, caps, least travel).
    When no plan exists: 409, with `details.blockers` naming which rule blocks which inspection."""
    body = body or TeamsWrite()
    options = teams.TeamOptions(
        min_team=body.min_team,
        max_team=body.max_team,
        exclude_same_city=body.exclude_same_city,
        every_member_qualified=body.every_member_qualified,
        history_n=body.history_n,
        time_limit_s=body.time_limit_s,
    )
    with ctx.write() as session:
        return TeamsRead.model_validate(
            staffing.document(staffing.assign_teams(session, ctx.principal, plan_id, options))
        )


@router.get("/metrics")
def quality_metrics(
    ctx: Ctx,
    period_start: date,
    period_end: date,
    division: Annotated[
        str | None, Query(pattern=r"^(\d{6})?$", description="a 6-digit GB/T 2260 code")
    ] = None,
) -> dict[str, Any]:
    """Inspections by risk colour and selection kind, started and done, the share of red and orange
    enterprises inspected, major hazards found per inspection by selection kind (random draws against
    targeted ones, as OSHA measured its targeting), re-inspections on time and penalties. Unannounced
    inspections that have not started count only for the planning regulator and its team."""
    with ctx.read() as session:
        return metrics.quality(session, ctx.principal, division, period_start, period_end)
