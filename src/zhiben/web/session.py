"""Web sessions: the login cookie, the anti-forgery token, and the page context every page uses.

The cookie carries the same signed token the API issues (HttpOnly, SameSite=Lax), so a page reaches the
services through the same principal and scope as the API. Every unsafe request must also carry the
session's anti-forgery token, derived from the session token, in a form field or the X-CSRF-Token header.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from fastapi import Request
from fastapi.responses import Response

from zhiben.auth import service
from zhiben.auth.api import Context, negotiate_language
from zhiben.db.uow import UnitOfWork
from zhiben.errors import AuthenticationError, FormExpiredError
from zhiben.web.i18n import LANGUAGES, Translate, translator

SESSION_COOKIE = "zhiben_session"
LANGUAGE_COOKIE = "zhiben_lang"  # before login: the language chosen on the login page
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(Exception):
    """No valid session: a page answers with the login page, then comes back to `next_path`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def csrf_token(secret: str, session_token: str) -> str:
    return hmac.new(secret.encode(), b"csrf|" + session_token.encode(), hashlib.sha256).hexdigest()[:40]


def anonymous_language(request: Request) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE, "")
    if chosen in LANGUAGES:
        return chosen
    return negotiate_language(
        request.headers.get("accept-language"), request.app.state.zhiben.settings.default_language
    )


@dataclass
class WebContext(Context):
    """The API's context plus what a page needs: the words in the user's language and the form token."""

    t: Translate
    csrf: str


async def web_context(request: Request) -> WebContext:
    state = request.app.state.zhiben
    token = request.cookies.get(SESSION_COOKIE)
    next_path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if not token:
        raise LoginRequired(next_path)
    try:
        with UnitOfWork(state.session_factory, state.clock, write=False) as uow:
            principal = service.principal_from_token(uow.session, token, state.secret, state.clock.now())
    except AuthenticationError as exc:
        raise LoginRequired(next_path) from exc
    expected = csrf_token(state.secret, token)
    if request.method not in SAFE_METHODS:
        given = request.headers.get(CSRF_HEADER) or str((await request.form()).get(CSRF_FIELD, ""))
        if not hmac.compare_digest(given, expected):
            raise FormExpiredError()
    request.state.language = principal.language
    return WebContext(request, principal, principal.language, translator(principal.language), expected)


async def check_form_token(request: Request) -> None:
    """The form token of the session the cookie names, whether or not that session is still valid (a user
    may always end an expired session, but no other site may end it for them)."""
    token = request.cookies.get(SESSION_COOKIE, "")
    expected = csrf_token(request.app.state.zhiben.secret, token)
    given = request.headers.get(CSRF_HEADER) or str((await request.form()).get(CSRF_FIELD, ""))
    if not token or not hmac.compare_digest(given, expected):
        raise FormExpiredError()


def start_session(response: Response, request: Request, token: str, ttl: timedelta) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(ttl.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")
