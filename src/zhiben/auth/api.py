"""Login, the current user, and the request context every endpoint uses (principal, language, unit of work)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from zhiben.auth import service
from zhiben.auth.domain import Principal
from zhiben.db.uow import UnitOfWork
from zhiben.errors import AuthenticationError, InvalidInputError, RateLimitedError

_bearer = HTTPBearer(auto_error=False)


def negotiate_language(accept_language: str | None, fallback: str = "zh-CN") -> str:
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("zh"):
            return "zh-CN"
    return fallback


@dataclass
class Context:
    """What an endpoint needs: who calls, in which language, and units of work to read or write."""

    request: Request
    principal: Principal
    language: str

    @property
    def state(self) -> Any:
        return self.request.app.state.zhiben

    def _uow(self, write: bool) -> UnitOfWork:
        return UnitOfWork(
            self.state.session_factory,
            self.state.clock,
            request_id=self.request.state.request_id,
            write=write,
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._uow(False) as uow:
            yield uow.session

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self._uow(True) as uow:
            yield uow.session


def current_context(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Context:
    state = request.app.state.zhiben
    if credentials is None:
        raise AuthenticationError()
    with UnitOfWork(state.session_factory, state.clock, write=False) as uow:
        principal = service.principal_from_token(
            uow.session, credentials.credentials, state.secret, state.clock.now()
        )
    header = request.headers.get("accept-language")
    language = negotiate_language(header, principal.language) if header else principal.language
    request.state.language = language  # errors, too, answer in the caller's language
    return Context(request, principal, language)


Ctx = Annotated[Context, Depends(current_context)]


def if_match(
    if_match: Annotated[str | None, Header(description="the version from the ETag")] = None,
) -> int | None:
    """Optimistic concurrency: If-Match carries the version the client last read."""
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInputError("If-Match", "format", "If-Match must be the version number from the ETag")
    return int(text)


IfMatch = Annotated[int | None, Depends(if_match)]

MAX_ID = 2**31 - 1
"""Ids are INTEGER primary keys: a larger number names nothing, and must not reach the database."""
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]


class ErrorInfo(BaseModel):
    code: str = Field(description="stable machine code, e.g. illegal_transition, invalid_uscc, not_found")
    message: str = Field(description="for people, in the caller's language (zh-CN default, en)")
    details: dict[str, Any] = Field(description="e.g. fields: [{field, reason, message}], state, allowed")
    request_id: str


class ErrorBody(BaseModel):
    """Every error the API returns has this shape."""

    error: ErrorInfo


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (401, "not logged in, or the token expired"),
        (403, "in scope, but this role may not do it"),
        (404, "not found, or outside the caller's scope"),
        (409, "illegal transition, stale version (If-Match) or duplicate"),
        (422, "invalid input: details.fields names each field and why"),
        (429, "too many attempts"),
    )
}

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=ERROR_RESPONSES)


class TokenRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenResponse(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int


class Me(BaseModel):
    id: int
    username: str
    role: str
    division_code: str
    enterprise_id: int | None
    provider_org: str | None
    language: str


@router.post("/token", response_model=TokenResponse)
def login(body: TokenRequest, request: Request) -> TokenResponse:
    state = request.app.state.zhiben
    now = state.clock.now()
    client = request.client.host if request.client else "?"
    if not state.login_limiter.allow(f"{client}|{body.username}", now):
        raise RateLimitedError()
    with UnitOfWork(state.session_factory, state.clock, write=False) as uow:
        user = service.authenticate(uow.session, body.username, body.password)
        ttl = timedelta(minutes=state.settings.token_ttl_minutes)
        token = service.issue_token(user, state.secret, now, ttl)
    return TokenResponse(access_token=token, expires_in=int(ttl.total_seconds()))


@router.get("/me", response_model=Me)
def me(ctx: Ctx) -> Me:
    p = ctx.principal
    return Me(
        id=p.user_id,
        username=p.username,
        role=p.role.value,
        division_code=p.division_code,
        enterprise_id=p.enterprise_id,
        provider_org=p.provider_org,
        language=p.language,
    )
