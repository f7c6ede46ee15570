"""The FastAPI application factory and the one error handler that renders every error the same way."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from zhiben import __version__
from zhiben.accident.api import router as accident_router
from zhiben.assessment.api import router as assessment_router
from zhiben.audit.api import router as audit_router
from zhiben.auth.api import negotiate_language
from zhiben.auth.api import router as auth_router
from zhiben.chain.api import router as chain_router
from zhiben.config import Settings
from zhiben.db.engine import make_engine, make_session_factory
from zhiben.division.api import router as division_router
from zhiben.dualprevention.api import router as dualprevention_router
from zhiben.enforcement.api import router as enforcement_router
from zhiben.enforcement.inspection_api import router as inspection_router
from zhiben.enforcement.staffing_api import router as staffing_router
from zhiben.enterprise.api import router as enterprise_router
from zhiben.errors import InvalidInputError, StaleVersionError, ZhibenError
from zhiben.hazard.api import router as hazard_router
from zhiben.insurance.api import router as insurance_router
from zhiben.kit.blobs import BlobStore
from zhiben.kit.clock import Clock, SystemClock
from zhiben.kit.ratelimit import RateLimiter
from zhiben.monitoring.api import router as monitoring_router
from zhiben.monitoring.coal_api import router as coal_router
from zhiben.monitoring.ingest import Ingestor
from zhiben.monitoring.ingest_api import router as readings_router
from zhiben.monitoring.risk_api import router as risk_router
from zhiben.standards.api import router as standards_router
from zhiben.tipoff.api import router as tipoff_router
from zhiben.training.api import router as training_router
from zhiben.web.i18n import translator
from zhiben.web.jobs import Jobs
from zhiben.web.messages import validation_message
from zhiben.web.pages import PAGE_ROUTERS
from zhiben.web.render import error_page, wants_html
from zhiben.web.session import LoginRequired
from zhiben.worker.scheduler import (
    every,
    notifier_for,
    run_governance_jobs,
    run_monitoring_jobs,
    run_overdue_job,
    run_risk_job,
)

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
    """The caller's language: as the request context settled it, else from Accept-Language."""
    settled = getattr(request.state, "language", None)
    fallback = request.app.state.zhiben.settings.default_language
    return str(settled) if settled else negotiate_language(request.headers.get("accept-language"), fallback)


def _error(request: Request, status: int, code: str, message: str, details: dict[str, Any]) -> Response:
    if wants_html(request):
        language = _language(request)
        return error_page(request, translator(language), language, status, code, message)
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
HTTP_MESSAGES = {
    401: {"zh-CN": "未登录或登录已失效", "en": "not logged in, or the login has expired"},
    404: {"zh-CN": "未找到该地址", "en": "no such address"},
    405: {"zh-CN": "该地址不支持此请求方法", "en": "this address does not take this method"},
    413: {"zh-CN": "请求内容过大", "en": "the request is too large"},
}


def _nul_in(value: Any, path: str) -> str | None:
    """The path of the first text in a JSON value that holds NUL (U+0000), if any."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        inner = f"{path}.{key}" if path else str(key)
        found = _nul_in(str(key), inner) or _nul_in(item, inner)
        if found is not None:
            return found
    return None


async def refuse_nul(request: Request) -> None:
    """No text the API takes may hold NUL (U+0000): PostgreSQL cannot store it, so it is refused
    on every database alike, naming the field, before any query runs."""
    params = [*request.path_params.items(), *request.query_params.multi_items()]
    found = next((str(key) for key, value in params if "\x00" in f"{key}{value}"), None)
    if found is None and request.headers.get("content-type", "").startswith("application/json"):
        body = await request.body()
        if b"\\u0000" in body:
            try:
                found = _nul_in(json.loads(body), "")
            except ValueError:
                return  # the body's own validation reports malformed JSON
    if found is not None:
        raise InvalidInputError(found or "body", "nul", "text may not contain the NUL character (U+0000)")


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ZhibenError)
    async def zhiben_error(request: Request, exc: ZhibenError) -> Response:
        return _error(request, exc.status, exc.code, exc.message(_language(request)), exc.details)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = f"/login?{urlencode({'next': exc.next_path})}"
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, exc: StaleDataError) -> Response:
        err = StaleVersionError(current="?", given="?")
        return _error(request, err.status, err.code, err.message(_language(request)), {})

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
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
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = HTTP_CODES.get(exc.status_code, "http_error")
        messages = HTTP_MESSAGES.get(exc.status_code)
        message = messages["en" if _language(request) == "en" else "zh-CN"] if messages else str(exc.detail)
        return _error(request, exc.status_code, code, message, {})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
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
            governance = partial(run_governance_jobs, state.session_factory, state.clock)
            jobs.append(asyncio.create_task(every(settings.overdue_job_minutes * 60, governance)))
        if settings.monitoring_job_seconds > 0:
            notifier = notifier_for(settings.alarm_webhook_url)
            watch = partial(run_monitoring_jobs, state.session_factory, state.clock, notifier, Ingestor())
            jobs.append(asyncio.create_task(every(settings.monitoring_job_seconds, watch)))
        if settings.risk_job_minutes > 0:
            risk_job = partial(run_risk_job, state.session_factory, state.clock)
            jobs.append(asyncio.create_task(every(settings.risk_job_minutes * 60, risk_job)))
        yield
        for task in jobs:
            task.cancel()

    app = FastAPI(
        lifespan=lifespan,
        dependencies=[Depends(refuse_nul)],
        title="zhiben",
        version=__version__,
        description="治本: major accident hazards, monitoring and "
        "enforcement. Errors are JSON: {error: {code, message, details, request_id}}.",
    )
    app.state.zhiben = state
    app.state.jobs = Jobs()

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        given = request.headers.get("x-request-id", "")
        request.state.request_id = given if 0 < len(given) <= 64 and given.isprintable() else uuid.uuid4().hex
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    install_error_handlers(app)
    for router in (
        auth_router,
        division_router,
        enterprise_router,
        hazard_router,
        enforcement_router,
        inspection_router,
        staffing_router,
        dualprevention_router,
        chain_router,
        training_router,
        insurance_router,
        standards_router,
        monitoring_router,
        readings_router,
        risk_router,
        audit_router,
        coal_router,
        accident_router,
        tipoff_router,
        assessment_router,
        *PAGE_ROUTERS,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")

    @app.get("/api/v1/health", tags=["health"])
    def health() -> dict[str, str]:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__, "database": state.engine.dialect.name}

    return app
