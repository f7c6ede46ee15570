"""The determination standards as installed rule packs, and re-determination (重新判定) of every enterprise
under a pack version: an administrator starts it, the page shows its progress, then the stored run."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse, Response

from zhiben.auth.domain import Role
from zhiben.db.uow import UnitOfWork
from zhiben.errors import NotFoundError, PermissionDeniedError, ZhibenError
from zhiben.standards import checklist
from zhiben.standards.redetermine import redetermine
from zhiben.web.jobs import Job
from zhiben.web.pages.common import Web, page, see_other
from zhiben.web.pages.forms import form_values

router = APIRouter(include_in_schema=False)


@router.get("/standards", response_class=HTMLResponse)
def standards(ctx: Web) -> HTMLResponse:
    packs = sorted(checklist.installed_packs(), key=lambda p: (p.id, p.spec.effective.from_))
    return page(ctx, "standards.html", packs=packs, may_redetermine=ctx.principal.role == Role.admin, job=None)


@router.post("/standards/redetermine", response_class=HTMLResponse)
async def start(ctx: Web) -> Response:
    if ctx.principal.role != Role.admin:
        raise PermissionDeniedError(action="rules.redetermine")
    values = form_values(await ctx.request.form())
    pack, version, apply = values.get("pack", ""), values.get("version", ""), values.get("apply") == "yes"
    principal, state, language = ctx.principal, ctx.state, ctx.language

    def work(job: Job) -> dict[str, object]:
        with UnitOfWork(state.session_factory, state.clock, write=True) as uow:
            run, changes = redetermine(
                uow.session, principal, checklist.installed_packs(), pack, version, apply=apply, progress=job.progress
            )
            return {"id": run.id, "pack": run.pack, "version": run.version, "against": run.against,
                    "enterprises": run.enterprises, "newly_major": run.newly_major,
                    "no_longer_major": run.no_longer_major, "still_major": run.still_major,
                    "applied": run.applied, "changes": len(changes)}

    def describe(error: Exception) -> str:
        return error.message(language) if isinstance(error, ZhibenError) else ctx.t("import.failed")

    job = ctx.request.app.state.jobs.start(principal.user_id, "redetermine", work, describe)
    return see_other(f"/standards/redetermine/{job.id}")


@router.get("/standards/redetermine/{job_id}", response_class=HTMLResponse)
def progress(ctx: Web, job_id: Annotated[str, Path(max_length=40)]) -> HTMLResponse:
    job = ctx.request.app.state.jobs.get(ctx.principal.user_id, job_id)
    if job is None:
        raise NotFoundError(kind="redetermination", key=job_id)
    template = "partials/redetermine_progress.html" if ctx.request.headers.get("hx-request") else "standards.html"
    return page(ctx, template, job=job, packs=[], may_redetermine=False)
