"""The hazard ledger as a spreadsheet: export what the list's filter selects, and import reported hazards
from Excel or CSV as a background job whose progress the page polls (all rows or none are stored)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from zhiben.auth.api import MAX_ID
from zhiben.db.uow import UnitOfWork
from zhiben.enterprise.ledger import MAX_FILE_BYTES
from zhiben.errors import InvalidInputError, NotFoundError, ZhibenError
from zhiben.hazard import repository, spreadsheet
from zhiben.kit.clock import SHANGHAI
from zhiben.kit.sheets import XLSX_MEDIA_TYPE, write_xlsx
from zhiben.web.jobs import Job
from zhiben.web.pages.common import Web, page, see_other
from zhiben.web.pages.hazards import STATES, Sort

router = APIRouter(include_in_schema=False)


@router.get("/hazards/export.xlsx")
def export(
    ctx: Web,
    division: Annotated[str, Query(pattern=r"^(\d{6})?$")] = "",
    level: Annotated[Literal["major", "general", ""], Query()] = "",
    state: Annotated[str, Query(max_length=20)] = "",
    enterprise_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    listed: Annotated[Literal["yes", "no", ""], Query()] = "",
    sort: Annotated[Sort, Query()] = "-reported_at",
) -> Response:
    if state and state not in STATES:
        raise InvalidInputError("state", "enum", f"state is one of {', '.join(STATES)}")
    flt = repository.HazardFilter(
        division=division,
        level=level or None,
        state=state or None,
        enterprise_id=enterprise_id,
        is_listed={"yes": True, "no": False}.get(listed),
        sort=sort,
    )
    with ctx.read() as session:
        data, _ = spreadsheet.export_hazards(session, ctx.principal, flt)
    stamp = ctx.state.clock.now().astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="hazards-{stamp}.xlsx"'},
    )


@router.get("/hazards/import-template.xlsx")
def import_template(ctx: Web) -> Response:
    example = [
        "91320506MA1XXXXXXX",
        "液氨储罐区未设置紧急切断装置",
        "企业自查",
        "2026-03-02 10:30",
        "罐区",
        "",
        "",
        "",
    ]
    data = write_xlsx(
        "隐患导入", [c.zh + ("*" if c.required else "") for c in spreadsheet.IMPORT_COLUMNS], [example]
    )
    return Response(
        data,
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": 'attachment; filename="hazard-import-template.xlsx"'},
    )


@router.get("/hazards/import", response_class=HTMLResponse)
def import_form(ctx: Web) -> HTMLResponse:
    return page(ctx, "hazard_import.html", job=None, errors={})


class _Refused(Exception):
    def __init__(self, result: spreadsheet.ImportResult) -> None:
        super().__init__("rows refused")
        self.result = result


@router.post("/hazards/import", response_class=HTMLResponse)
async def start_import(ctx: Web) -> Response:
    form = await ctx.request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        return page(
            ctx, "hazard_import.html", status=422, job=None, errors={"file": ctx.t("evidence.missing")}
        )
    data = await upload.read(MAX_FILE_BYTES + 1)
    principal, state, language = ctx.principal, ctx.state, ctx.language

    def work(job: Job) -> spreadsheet.ImportResult:
        try:
            with UnitOfWork(state.session_factory, state.clock, write=True) as uow:
                result = spreadsheet.import_hazards(uow.session, principal, data, job.progress)
                if result.problems:
                    raise _Refused(result)  # leaving the unit of work by an error rolls every row back
                return result
        except _Refused as refused:
            return refused.result

    def describe(error: Exception) -> str:
        return error.message(language) if isinstance(error, ZhibenError) else ctx.t("import.failed")

    job = ctx.request.app.state.jobs.start(principal.user_id, "hazard-import", work, describe)
    return see_other(f"/hazards/import/{job.id}")


@router.get("/hazards/import/{job_id}", response_class=HTMLResponse)
def import_progress(ctx: Web, job_id: Annotated[str, Path(max_length=40)]) -> HTMLResponse:
    job = ctx.request.app.state.jobs.get(ctx.principal.user_id, job_id)
    if job is None:
        raise NotFoundError(kind="import", key=job_id)
    template = (
        "partials/import_progress.html" if ctx.request.headers.get("hx-request") else "hazard_import.html"
    )
    return page(ctx, template, job=job, errors={})
