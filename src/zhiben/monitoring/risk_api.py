"""Risk level endpoints (M6): one enterprise's level explained, the roll-up by division, the early-warning
list. Every query is scoped: an enterprise outside the caller's area is 404, and roll-ups and lists only
count what the caller may see."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from zhiben.auth.api import ERROR_RESPONSES, Ctx, ObjectId
from zhiben.kit.pagination import PageRequest
from zhiben.monitoring import risk
from zhiben.monitoring.risk_domain import RiskLevel, summarise

router = APIRouter(prefix="/api/v1", tags=["risk"], responses=ERROR_RESPONSES)

DivisionParam = Annotated[str, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$", description="2, 4 or 6 digits")]
LevelName = Literal["red", "orange", "yellow", "blue"]


class ComponentRead(BaseModel):
    name: str = Field(description="sector, major_hazard_grade, headcount, alarms, sensor_health, hazards_*")
    group: Literal["inherent", "dynamic"]
    value: Any = Field(description="the input the points were given for")
    points: int = Field(description="points deducted from the start score")
    why: str = Field(description="in the caller's language")


class FloorRead(BaseModel):
    fact: str
    at_least: int
    level: LevelName
    why: str


class RiskChangeRead(BaseModel):
    from_level: LevelName | None = Field(description="null for the first assessment")
    to_level: LevelName
    at: datetime
    from_score: int | None
    score: int
    scheme_version: str
    reason: str


class EnterpriseRiskRead(BaseModel):
    enterprise_id: int
    name: str
    level: LevelName
    level_name: str = Field(description="e.g. 橙色（较大风险）")
    score: int = Field(description="start (100) minus the points; lower is worse")
    points: int
    band_level: LevelName = Field(description="the level from the score alone, before floors")
    scheme_version: str
    is_stored: bool = Field(description="false: not assessed by the job yet; computed for this answer only")
    computed_at: datetime
    level_since: datetime | None
    summary: str
    components: list[ComponentRead]
    floors: list[FloorRead] = Field(description="the floors that raised the level above its band")
    history: list[RiskChangeRead] = Field(description="level changes, newest first")


class DivisionCounts(BaseModel):
    division_code: str
    name: str
    red: int
    orange: int
    yellow: int
    blue: int
    unassessed: int
    total: int


class RiskSummaryRead(BaseModel):
    division_code: str = Field(description="the division rolled up ('' for the nation)")
    rows: list[DivisionCounts] = Field(description="one per division one level down, within your scope")
    totals: DivisionCounts


class RiskWarningRead(BaseModel):
    enterprise_id: int
    name: str
    county_code: str
    sector: str
    level: LevelName
    score: int
    computed_at: datetime
    level_since: datetime
    summary: str


class RiskWarningPage(BaseModel):
    items: list[RiskWarningRead]
    total: int
    page: int
    size: int


def _why(item: dict[str, Any], language: str) -> str:
    return str(item["why_en"] if language == "en" else item["why_zh"])


def _level_name(level: str, language: str) -> str:
    value = RiskLevel(level)
    return value.en if language == "en" else value.zh


@router.get("/enterprises/{enterprise_id}/risk", response_model=EnterpriseRiskRead)
def get_enterprise_risk(ctx: Ctx, enterprise_id: ObjectId) -> EnterpriseRiskRead:
    lang = ctx.language
    with ctx.read() as session:
        view = risk.enterprise_risk(session, ctx.principal, enterprise_id)
        data = view.assessment
        return EnterpriseRiskRead(
            enterprise_id=view.enterprise.id,
            name=view.enterprise.name,
            level=data["level"],
            level_name=_level_name(data["level"], lang),
            score=data["score"],
            points=data["points"],
            band_level=data["band_level"],
            scheme_version=data["scheme_version"],
            is_stored=view.is_stored,
            computed_at=view.computed_at,
            level_since=view.level_since,
            summary=summarise(data, lang),
            components=[
                ComponentRead(
                    name=c["name"], group=c["group"], value=c["value"], points=c["points"], why=_why(c, lang)
                )
                for c in data["components"]
            ],
            floors=[
                FloorRead(fact=f["fact"], at_least=f["at_least"], level=f["level"], why=_why(f, lang))
                for f in data["floors"]
            ],
            history=[
                RiskChangeRead(
                    from_level=h.from_level,
                    to_level=h.to_level,
                    at=h.at,
                    from_score=h.from_score,
                    score=h.score,
                    scheme_version=h.scheme_version,
                    reason=h.reason_en if lang == "en" else h.reason,
                )
                for h in view.history
            ],
        )


def _counts(code: str, name: str, counts: dict[str, int]) -> DivisionCounts:
    return DivisionCounts(division_code=code, name=name, total=sum(counts.values()), **counts)


@router.get("/risk/summary", response_model=RiskSummaryRead)
def get_risk_summary(ctx: Ctx, division: DivisionParam = "") -> RiskSummaryRead:
    with ctx.read() as session:
        summary = risk.risk_summary(session, ctx.principal, division.ljust(6, "0") if division else "")
    return RiskSummaryRead(
        division_code=summary.division_code,
        rows=[_counts(r.division_code, r.name, r.counts) for r in summary.rows],
        totals=_counts(summary.division_code, "", summary.totals),
    )


@router.get("/risk/enterprises", response_model=RiskWarningPage)
def list_risk_enterprises(
    ctx: Ctx,
    level: Annotated[LevelName | None, Query()] = None,
    division: DivisionParam = "",
    sector: Annotated[str | None, Query(max_length=48)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> RiskWarningPage:
    """The early-warning list: assessed enterprises in your scope, worst level first, then lowest score."""
    flt = risk.WarningFilter(
        level=RiskLevel(level) if level else None,
        division=division.ljust(6, "0") if division else "",
        sector=sector,
    )
    with ctx.read() as session:
        result = risk.early_warnings(session, ctx.principal, flt, PageRequest(page, size))
        items = [
            RiskWarningRead(
                enterprise_id=row.enterprise_id,
                name=name,
                county_code=row.county_code,
                sector=row.sector,
                level=row.level,
                score=row.score,
                computed_at=row.computed_at,
                level_since=row.level_since,
                summary=summarise(row.components, ctx.language),
            )
            for row, name in result.items
        ]
    return RiskWarningPage(items=items, total=result.total, page=result.page, size=result.size)
