"""The governance index (issue 7): one page linking the governance pages this user's role reaches, so the
main navigation stays short."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from zhiben.web.pages.common import Web, page

router = APIRouter(include_in_schema=False)


@router.get("/governance", response_class=HTMLResponse)
def index(ctx: Web) -> HTMLResponse:
    return page(ctx, "governance/index.html")
