from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from zhiben.auth.api import ERROR_RESPONSES, Ctx, IfMatch, ObjectId
from zhiben.enterprise import ledger, repository, service
from zhiben.enterprise.domain import SECTORS, parse_sector
from zhiben.enterprise.schemas import (
    EnterpriseCreate,
    EnterprisePage,
    EnterpriseRead,
    EnterpriseUpdate,
    LedgerImportReport,
)
from zhiben.errors import InvalidInputError
from zhiben.kit.pagination import PageRequest

router = APIRouter(prefix="/api/v1", tags=["enterprises"], responses=ERROR_RESPONSES)


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


@router.post("/enterprises/import", response_model=LedgerImportReport)
def import_enterprises(
    ctx: Ctx,
    file: Annotated[UploadFile, File(description="the ledger (企业台账): .xlsx, or .csv in UTF-8 or GBK")],
    mode: Annotated[ledger.ImportMode, Form()] = ledger.ImportMode.all_or_nothing,
) -> LedgerImportReport:
    """Register the enterprises of a ledger file. The report names every rejected row (as the spreadsheet
    numbers it), its column and the reason. all-or-nothing imports nothing when any row is rejected;
    good-rows imports the rest. A file that cannot be read at all is a 422 naming the field "file"."""
    data = file.file.read(ledger.MAX_FILE_BYTES + 1)
    with ctx.write() as session:
        report = ledger.import_ledger(session, ctx.principal, data, mode, service.register_enterprises)
    return LedgerImportReport.model_validate(report.as_dict())


@router.get(
    "/enterprises/export",
    response_class=Response,
    responses={200: {"content": {ledger.XLSX_MEDIA_TYPE: {}, ledger.CSV_MEDIA_TYPE: {}}}},
)
def export_enterprises(
    ctx: Ctx,
    file_format: Annotated[Literal["xlsx", "csv"], Query(alias="format")] = "xlsx",
    division: Annotated[str, Query(pattern=r"^(\d{2}|\d{4}|\d{6})?$")] = "",
    sector: Annotated[
        str | None, Query(max_length=48, description="a code or a Chinese/English name")
    ] = None,
) -> Response:
    """The enterprises in the caller's scope as a ledger file, in the columns import reads."""
    flt = repository.EnterpriseFilter(
        division=division.ljust(6, "0") if division else "",
        sector=parse_sector(sector) if sector else None,
    )
    with ctx.read() as session:
        data, _count = ledger.export_ledger(session, ctx.principal, flt, file_format)
    filename = f"enterprise-ledger.{file_format}"
    return Response(
        content=data,
        media_type=ledger.MEDIA_TYPES[file_format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
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
