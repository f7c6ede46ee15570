from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from zhiben.auth.api import Ctx, IfMatch, ObjectId
from zhiben.enterprise import repository, service
from zhiben.enterprise.domain import SECTORS
from zhiben.enterprise.schemas import EnterpriseCreate, EnterprisePage, EnterpriseRead, EnterpriseUpdate
from zhiben.errors import InvalidInputError
from zhiben.kit.pagination import PageRequest

router = APIRouter(prefix="/api/v1", tags=["enterprises"])


@router.get("/sectors")
def list_sectors(ctx: Ctx) -> list[dict[str, str | None]]:
    return [{"code": s.code, "zh": s.zh, "en": s.en, "parent": s.parent} for s in SECTORS]


@router.get("/enterprises", response_model=EnterprisePage)
def list_enterprises(
    ctx: Ctx,
    division: Annotated[str, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$")] = "",
    sector: Annotated[str | None, Query(max_length=48)] = None,
    name: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> EnterprisePage:
    flt = repository.EnterpriseFilter(
        division=division.ljust(6, "0") if division else "", sector=sector, name=name
    )
    with ctx.read() as session:
        result = repository.page(session, ctx.principal, flt, PageRequest(page, size))
        return EnterprisePage(
            items=[EnterpriseRead.model_validate(e) for e in result.items],
            total=result.total,
            page=result.page,
            size=result.size,
        )


@router.post("/enterprises", response_model=EnterpriseRead, status_code=status.HTTP_201_CREATED)
def register_enterprise(ctx: Ctx, body: EnterpriseCreate) -> EnterpriseRead:
    with ctx.write() as session:
        return EnterpriseRead.model_validate(
            service.register_enterprise(session, ctx.principal, body.draft())
        )


@router.get("/enterprises/{enterprise_id}", response_model=EnterpriseRead)
def get_enterprise(ctx: Ctx, enterprise_id: ObjectId, response: Response) -> EnterpriseRead:
    with ctx.read() as session:
        enterprise = service.get_enterprise(session, ctx.principal, enterprise_id)
        response.headers["ETag"] = f'"{enterprise.version}"'
        return EnterpriseRead.model_validate(enterprise)


@router.patch("/enterprises/{enterprise_id}", response_model=EnterpriseRead)
def update_enterprise(
    ctx: Ctx, enterprise_id: ObjectId, body: EnterpriseUpdate, version: IfMatch, response: Response
) -> EnterpriseRead:
    if version is None:
        raise InvalidInputError("If-Match", "required", "send If-Match with the version you last read")
    with ctx.write() as session:
        enterprise = service.update_enterprise(session, ctx.principal, enterprise_id, body.changes(), version)
        response.headers["ETag"] = f'"{enterprise.version}"'
        return EnterpriseRead.model_validate(enterprise)
