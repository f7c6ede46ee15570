from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel

from zhiben.auth.api import ERROR_RESPONSES, Ctx
from zhiben.division import service

router = APIRouter(prefix="/api/v1/divisions", tags=["divisions"], responses=ERROR_RESPONSES)


class DivisionRead(BaseModel):
    code: str
    name: str
    level: int
    parent_code: str


@router.get("", response_model=list[DivisionRead])
def list_divisions(
    ctx: Ctx,
    parent: str = Query("", max_length=6, pattern=r"^(\d{6})?$"),
    q: str | None = Query(None, min_length=1, max_length=40),
) -> list[DivisionRead]:
    """Children of a division ('' for the provinces), or a name search with `q`."""
    with ctx.read() as session:
        rows = service.search(session, q) if q else service.children(session, parent)
        return [
            DivisionRead(code=d.code, name=d.name, level=d.level, parent_code=d.parent_code) for d in rows
        ]


@router.get("/{code}/path", response_model=list[DivisionRead])
def division_path(ctx: Ctx, code: str) -> list[DivisionRead]:
    with ctx.read() as session:
        service.get_division(session, code)
        return [
            DivisionRead(code=d.code, name=d.name, level=d.level, parent_code=d.parent_code)
            for d in service.ancestors(session, code)
        ]
