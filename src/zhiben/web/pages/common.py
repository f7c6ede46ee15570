"""What every page module shares: the context dependency, rendering in the user's language, paging."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from zhiben.errors import ZhibenError
from zhiben.kit.pagination import Page
from zhiben.web.render import render
from zhiben.web.session import WebContext, web_context

Web = Annotated[WebContext, Depends(web_context)]
PAGE_SIZES = (20, 50, 100)


def page(ctx: WebContext, template: str, *, status: int = 200, **values: Any) -> HTMLResponse:
    return render(
        ctx.request,
        template,
        ctx.t,
        ctx.language,
        principal=ctx.principal,
        csrf=ctx.csrf,
        status=status,
        **values,
    )


def see_other(url: str) -> RedirectResponse:
    """After a successful form: go to the result (POST/redirect/GET, so a reload does not repeat it)."""
    return RedirectResponse(url, status_code=303)


@dataclass(frozen=True)
class Pager:
    """Links for a server-side paged list, keeping the list's filters."""

    page: int
    size: int
    total: int
    query: dict[str, str]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    def link(self, number: int) -> str:
        return "?" + urlencode({**self.query, "page": number, "size": self.size})

    @property
    def previous(self) -> str | None:
        return self.link(self.page - 1) if self.page > 1 else None

    @property
    def next(self) -> str | None:
        return self.link(self.page + 1) if self.page < self.pages else None


def pager_of(result: Page[Any], request: Request) -> Pager:
    query = {k: v for k, v in request.query_params.items() if k not in ("page", "size") and v}
    return Pager(result.page, result.size, result.total, query)


def form_errors(error: ZhibenError, language: str) -> dict[str, str]:
    """Field → message for a refused form; '' holds a message that names no field."""
    fields = error.details.get("fields")
    if isinstance(fields, list) and fields:
        return {str(f.get("field", "")): str(f.get("message", "")) for f in fields}
    field = error.details.get("field")
    return {str(field) if field else "": error.message(language)}
