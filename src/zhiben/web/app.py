"""The FastAPI application factory and the one error handler that renders every error the same way."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from zhiben import __version__
from zhiben.audit.api import router as audit_router
from zhiben.auth.api import negotiate_language
from zhiben.auth.api import router as auth_router
from zhiben.config import Settings
from zhiben.db.engine import make_engine, make_session_factory
from zhiben.division.api import router as division_router
from zhiben.enterprise.api import router as enterprise_router
from zhiben.errors import StaleVersionError, ZhibenError
from zhiben.hazard.api import router as hazard_router
from zhiben.kit.blobs import BlobStore
from zhiben.kit.clock import Clock, SystemClock
from zhiben.kit.ratelimit import RateLimiter
from zhiben.web.messages import validation_message
from zhiben.worker.scheduler import every, run_overdue_job

log = logging.getLogger(__name__)


@dataclass
class AppState:
    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Clock
    secret: str
    blobs: BlobStore
    login_limiter: RateLimiter


def _language(request: Request) -> str:
    return negotiate_language(request.headers.get("accept-language"), "zh-CN")


def _error(request: Request, status: int, code: str, message: str, details: dict[str, Any]) -> JSONResponse:
    body = {
        "error": {
            "code": code,
            "message": message,
            "details": details,
            "request_id": getattr(request.state, "request_id", ""),
        }
    }
    return JSONResponse(body, status_code=status)


VALIDATION_MESSAGE = {"zh-CN": "输入有误：{summary}", "en": "invalid input: {summary}"}
HTTP_CODES = {401: "not_authenticated", 404: "not_found", 405: "method_not_allowed", 413: "too_large"}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ZhibenError)
    async def zhiben_error(request: Request, exc: ZhibenError) -> JSONResponse:
        return _error(request, exc.status, exc.code, exc.message(_language(request)), exc.details)

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, exc: StaleDataError) -> JSONResponse:
        err = StaleVersionError(current="?", given="?")
        return _error(request, err.status, err.code, err.message(_language(request)), {})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        language = _language(request)
        fields = [
            {
                "field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
                "reason": e["type"],
                "message": validation_message(e, language),
            }
            for e in exc.errors()
        ]
        summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:3])
        message = VALIDATION_MESSAGE["en" if language == "en" else "zh-CN"].format(summary=summary)
        return _error(request, 422, "invalid_input", message, {"fields": fields})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        return _error(request, exc.status_code, code, str(exc.detail), {})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"request_id": getattr(request.state, "request_id", "")})
        message = "internal error" if _language(request) == "en" else "内部错误"
        return _error(request, 500, "internal", message, {})


def create_app(settings: Settings, *, clock: Clock | None = None, engine: Engine | None = None) -> FastAPI:
    engine = engine or make_engine(settings.resolved_database_url())
    state = AppState(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        clock=clock or SystemClock(),
        secret=settings.resolved_secret_key(),
        blobs=BlobStore(settings.evidence_dir()),
        login_limiter=RateLimiter(settings.login_attempts_per_minute, 60.0),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        jobs = []
        if settings.overdue_job_minutes > 0:
            levels = 1 if settings.escalate_overdue_major else 0
            job = partial(run_overdue_job, state.session_factory, state.clock, levels)
            jobs.append(asyncio.create_task(every(settings.overdue_job_minutes * 60, job)))
        yield
        for task in jobs:
            task.cancel()

    app = FastAPI(
        lifespan=lifespan,
        title="zhiben",
        version=__version__,
        description="治本: major accident hazards, monitoring and "
        "enforcement. Errors are JSON: {error: {code, message, details, request_id}}.",
    )
    app.state.zhiben = state

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        given = request.headers.get("x-request-id", "")
        request.state.request_id = given if 0 < len(given) <= 64 and given.isprintable() else uuid.uuid4().hex
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    install_error_handlers(app)
    for router in (auth_router, division_router, enterprise_router, hazard_router, audit_router):
        app.include_router(router)

    @app.get("/api/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": state.engine.dialect.name}

    return app
