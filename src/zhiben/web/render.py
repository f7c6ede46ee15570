"""Rendering pages: the Jinja2 environment, the navigation each role sees, and formatting helpers."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from zhiben import __version__
from zhiben.auth.domain import Principal, Role
from zhiben.kit.clock import SHANGHAI
from zhiben.web.i18n import Translate

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"
)
"""Pages load nothing but their own files: no CDN, no inline script (charts read their data from JSON)."""

NAVIGATION: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.regulator: (
        ("/dashboard", "nav.dashboard"),
        ("/hazards", "nav.hazards"),
        ("/enterprises", "nav.enterprises"),
        ("/monitoring", "nav.monitoring"),
        ("/enforcement", "nav.enforcement"),
        ("/dualprevention", "nav.dualprevention"),
        ("/governance", "nav.governance"),  # chain, accidents, tip-offs, certificates, insurance
        ("/assessment", "nav.assessment"),
    ),
    Role.officer: (
        ("/enforcement", "nav.enforcement"),
        ("/hazards", "nav.hazards"),
        ("/enterprises", "nav.enterprises"),
        ("/governance", "nav.governance"),
    ),
    Role.enterprise: (
        ("/workspace", "nav.workspace"),
        ("/hazards", "nav.hazards"),
        ("/monitoring", "nav.monitoring"),
        ("/training", "nav.certificates"),
        ("/dualprevention", "nav.dualprevention"),
    ),
    Role.service_provider: (
        ("/enterprises", "nav.enterprises"),
        ("/hazards", "nav.hazards"),
        ("/insurance", "nav.insurance"),
    ),
    Role.department: (("/hazards", "nav.hazards"), ("/chain/referrals", "nav.referrals")),
    Role.admin: (
        ("/dashboard", "nav.dashboard"),
        ("/hazards", "nav.hazards"),
        ("/enterprises", "nav.enterprises"),
        ("/monitoring", "nav.monitoring"),
        ("/enforcement", "nav.enforcement"),
        ("/governance", "nav.governance"),
        ("/standards", "nav.standards"),
        ("/assessment", "nav.assessment"),
        ("/dualprevention", "nav.dualprevention"),
    ),
}


def home_of(principal: Principal) -> str:
    return NAVIGATION[principal.role][0][0]


def local_time(value: datetime | None, with_seconds: bool = False) -> str:
    if value is None:
        return "—"
    moment = value.astimezone(SHANGHAI) if value.tzinfo else value
    return moment.strftime("%Y-%m-%d %H:%M:%S" if with_seconds else "%Y-%m-%d %H:%M")


def local_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(SHANGHAI).date() if value.tzinfo else value.date()
    return value.isoformat()


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def as_json(value: Any) -> Markup:
    """Data for a chart, in a <script type="application/json"> block: safe inside HTML."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    escaped = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(escaped)  # noqa: S704 - no <, > or & is left, so it cannot close the script block


templates.env.filters.update(local_time=local_time, local_date=local_date, percent=percent, as_json=as_json)
templates.env.globals.update(version=__version__)


def render(
    request: Request,
    template: str,
    t: Translate,
    language: str,
    *,
    principal: Principal | None = None,
    csrf: str = "",
    status: int = 200,
    **values: Any,
) -> HTMLResponse:
    context = {
        "t": t,
        "lang": language,
        "principal": principal,
        "csrf": csrf,
        "nav": NAVIGATION[principal.role] if principal else (),
        "path": request.url.path,
        **values,
    }
    response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


ERROR_TITLES = {
    401: "error.title.401",
    403: "error.title.403",
    404: "error.title.404",
    409: "error.title.409",
    422: "error.title.422",
    429: "error.title.429",
}


def wants_html(request: Request) -> bool:
    """Pages answer errors with a page; the API (and anything asking for JSON) with the JSON error body."""
    return not request.url.path.startswith(("/api/", "/docs", "/openapi", "/static/"))


def error_page(
    request: Request, t: Translate, language: str, status: int, code: str, message: str
) -> HTMLResponse:
    """The same code and message as the API's error body, as a page."""
    return render(
        request,
        "error.html",
        t,
        language,
        status=status,
        error_status=status,
        code=code,
        message=message,
        title=t(ERROR_TITLES.get(status, "error.title")),
        request_id=getattr(request.state, "request_id", ""),
    )
