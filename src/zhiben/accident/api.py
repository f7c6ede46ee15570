"""Accident endpoints: record, casualty updates, upward reports, hazards open at the time."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from zhiben.accident import repository, service
from zhiben.accident.domain import Figures
from zhiben.accident.models import Accident
from zhiben.accident.schemas import (
    AccidentCreate,
    AccidentDetail,
    AccidentPage,
    AccidentRead,
    CasualtiesIn,
    CasualtyUpdateRead,
    LinkRead,
    OverdueRead,
    StepRead,
    UpwardIn,
)
from zhiben.auth.api import ERROR_RESPONSES, MAX_ID, Ctx, IfMatch, ObjectId
from zhiben.db.uow import session_clock
from zhiben.hazard.schemas import Instant
from zhiben.kit.pagination import PageRequest

router = APIRouter(prefix="/api/v1", tags=["accidents"], responses=ERROR_RESPONSES)

DivisionParam = Annotated[str, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$", description="2, 4 or 6 digits")]


def _detail(session: Session, accident: Accident, response: Response) -> AccidentDetail:
    response.headers["ETag"] = f'"{accident.version}"'
    now = session_clock(session).now()
    return AccidentDetail(
        **AccidentRead.model_validate(accident).model_dump(),
        description=accident.description,
        reporting=[StepRead.of(s, now) for s in service.reporting_status(session, accident)],
        history=[CasualtyUpdateRead.model_validate(u) for u in repository.history(session, accident.id)],
        hazards=[LinkRead.model_validate(link) for link in repository.links(session, accident.id)],
    )


@router.get("/accidents", response_model=AccidentPage)
def list_accidents(
    ctx: Ctx,
    division: DivisionParam = "",
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    grade: Annotated[
        Literal["extraordinarily_serious", "serious", "relatively_serious", "ordinary"] | None, Query()
    ] = None,
    had_open_major_hazard: Annotated[bool | None, Query()] = None,
    reporting_incomplete: Annotated[bool | None, Query()] = None,
    occurred_from: Annotated[Instant | None, Query()] = None,
    occurred_to: Annotated[Instant | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AccidentPage:
    flt = repository.AccidentFilter(
        division=division.ljust(6, "0") if division else "",
        enterprise_id=enterprise_id,
        grade=grade,
        had_open_major_hazard=had_open_major_hazard,
        reporting_incomplete=reporting_incomplete,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
    with ctx.read() as session:
        result = repository.page(session, ctx.principal, flt, PageRequest(page, size))
        return AccidentPage(
            items=[AccidentRead.model_validate(a) for a in result.items],
            total=result.total,
            page=result.page,
            size=result.size,
        )


@router.post("/accidents", response_model=AccidentDetail, status_code=status.HTTP_201_CREATED)
def record_accident(ctx: Ctx, body: AccidentCreate, response: Response) -> AccidentDetail:
    draft = service.AccidentDraft(**body.model_dump())
    with ctx.write() as session:
        return _detail(session, service.record_accident(session, ctx.principal, draft), response)


@router.get("/accidents/overdue-reports", response_model=list[OverdueRead])
def overdue_reports(ctx: Ctx) -> list[OverdueRead]:
    """Reports (the unit's, and each level's upward) not made by their due time."""
    with ctx.read() as session:
        now = session_clock(session).now()
        return [
            OverdueRead(
                accident_id=o.accident.id,
                title=o.accident.title,
                county_code=o.accident.county_code,
                step=StepRead.of(o.step, now),
            )
            for o in service.overdue_reports(session, ctx.principal)
        ]


@router.get("/accidents/{accident_id}", response_model=AccidentDetail)
def get_accident(ctx: Ctx, accident_id: ObjectId, response: Response) -> AccidentDetail:
    with ctx.read() as session:
        return _detail(session, service.get_accident(session, ctx.principal, accident_id), response)


@router.post("/accidents/{accident_id}/casualties", response_model=AccidentDetail)
def update_casualties(
    ctx: Ctx, accident_id: ObjectId, body: CasualtiesIn, version: IfMatch, response: Response
) -> AccidentDetail:
    figures = Figures(body.deaths, body.serious_injuries, body.direct_loss_yuan)
    with ctx.write() as session:
        service.update_casualties(session, ctx.principal, accident_id, figures, body.note, version)
        return _detail(session, service.get_accident(session, ctx.principal, accident_id), response)


@router.post("/accidents/{accident_id}/report-upward", response_model=AccidentDetail)
def report_upward(ctx: Ctx, accident_id: ObjectId, body: UpwardIn, response: Response) -> AccidentDetail:
    with ctx.write() as session:
        service.report_upward(session, ctx.principal, accident_id, body.reported_at)
        return _detail(session, service.get_accident(session, ctx.principal, accident_id), response)


@router.post("/accidents/{accident_id}/link-hazards", response_model=list[LinkRead])
def link_hazards(ctx: Ctx, accident_id: ObjectId) -> list[LinkRead]:
    """Recompute the hazards open when the accident happened, from the registry as it stands."""
    with ctx.write() as session:
        service.relink_hazards(session, ctx.principal, accident_id)
        return [LinkRead.model_validate(link) for link in repository.links(session, accident_id)]
