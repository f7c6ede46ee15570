"""Log in, log out, and the language switch (remembered on the user, and before login in a cookie)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhiben.auth import service
from zhiben.db.uow import UnitOfWork
from zhiben.errors import AuthenticationError, RateLimitedError
from zhiben.web.i18n import LANGUAGES, translator
from zhiben.web.pages.common import Web, see_other
from zhiben.web.render import home_of, render
from zhiben.web.session import (
    LANGUAGE_COOKIE,
    SESSION_COOKIE,
    LoginRequired,
    anonymous_language,
    check_form_token,
    end_session,
    start_session,
    web_context,
)

router = APIRouter(include_in_schema=False)


def _safe_next(value: str) -> str:
    """Only a path on this site: never an absolute or protocol-relative address (no open redirect)."""
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else ""


def _login_page(
    request: Request, *, status: int = 200, username: str = "", error: str = "", next_path: str = ""
) -> HTMLResponse:
    language = anonymous_language(request)
    return render(
        request,
        "login.html",
        translator(language),
        language,
        status=status,
        username=username,
        error=error,
        next_path=_safe_next(next_path),
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "") -> HTMLResponse:
    return _login_page(request, next_path=next)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    state = request.app.state.zhiben
    t = translator(anonymous_language(request))
    now = state.clock.now()
    client = request.client.host if request.client else "?"
    if not state.login_limiter.allow(f"{client}|{username}", now):
        error = RateLimitedError().message(anonymous_language(request))
        return _login_page(request, status=429, username=username, error=error, next_path=next)
    if not username or not password:
        return _login_page(request, status=422, username=username, error=t("login.missing"), next_path=next)
    try:
        with UnitOfWork(state.session_factory, state.clock, write=False) as uow:
            user = service.authenticate(uow.session, username, password)
            ttl = timedelta(minutes=state.settings.token_ttl_minutes)
            token = service.issue_token(user, state.secret, now, ttl)
            home = home_of(service.principal_of(user))
    except AuthenticationError:
        return _login_page(request, status=401, username=username, error=t("login.failed"), next_path=next)
    response = see_other(_safe_next(next) or home)
    start_session(response, request, token, ttl)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    if request.cookies.get(SESSION_COOKIE):
        await check_form_token(request)  # the user asked for it, not another site
    response = see_other("/login")
    end_session(response)
    return response


@router.post("/language")
async def switch_language(request: Request) -> Response:
    form = await request.form()
    language = str(form.get("language", ""))
    back = _safe_next(str(form.get("next", ""))) or "/"
    response: Response = see_other(back)
    if language not in LANGUAGES:
        return response
    if request.cookies.get(SESSION_COOKIE):
        try:
            ctx = await web_context(request)
        except LoginRequired:  # an expired session: the choice is kept in the cookie, as before login
            ctx = None
        if ctx is not None:
            with ctx.write() as session:
                service.set_language(session, ctx.principal, language)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", path="/")
    return response


@router.get("/")
def home(ctx: Web) -> RedirectResponse:
    return RedirectResponse(home_of(ctx.principal), status_code=303)
