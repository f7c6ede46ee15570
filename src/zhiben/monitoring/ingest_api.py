"""The HTTP batch endpoint: a gateway without MQTT posts the same JSON batches here."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from zhiben.auth.api import ERROR_RESPONSES, Context, Ctx, ObjectId
from zhiben.auth.domain import Role
from zhiben.enterprise import service as enterprises
from zhiben.errors import InvalidInputError, PermissionDeniedError
from zhiben.monitoring.ingest import MAX_PAYLOAD_BYTES, Ingestor, IngestReport, Message, PayloadError, parse

router = APIRouter(prefix="/api/v1", tags=["monitoring"], responses=ERROR_RESPONSES)
INGESTOR = Ingestor()  # one per process: it caches the engine's view of the sensors
FEEDERS = {Role.enterprise, Role.admin}  # a gateway signs in as a user of its enterprise

PAYLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["readings"],
    "properties": {
        "readings": {
            "description": "a list of {sensor, ts, value}, or columns {sensor: [...], ts: [...], value: [...]}",
            "oneOf": [
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["sensor", "ts", "value"],
                        "properties": {
                            "sensor": {"type": "string"},
                            "ts": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
                            "value": {"type": "number"},
                        },
                    },
                },
                {"type": "object"},
            ],
        }
    },
}


class IngestResult(BaseModel):
    readings: int
    stored: int
    evaluated: int
    late: int
    duplicates: int
    unknown: int
    dead_letters: int
    events: int
    alarms_opened: int
    alarms_closed: int

    @classmethod
    def of(cls, report: IngestReport) -> IngestResult:
        return cls.model_validate({name: getattr(report, name) for name in cls.model_fields})


def _ingest(ctx: Context, enterprise_id: int, body: bytes) -> IngestReport:
    with ctx.read() as session:
        enterprises.get_enterprise(session, ctx.principal, enterprise_id)  # 404 outside the caller's scope
    if ctx.principal.role not in FEEDERS:
        raise PermissionDeniedError(action="readings.post")
    message = Message(enterprise_id, "http", f"POST /api/v1/enterprises/{enterprise_id}/readings", body)
    try:
        parsed = parse(body)
    except PayloadError as exc:
        with ctx.write() as session:  # kept with its reason, then refused
            INGESTOR.ingest(session, [message])
        raise InvalidInputError("body", "payload", str(exc)) from exc
    with ctx.write() as session:
        return INGESTOR.ingest(session, [Message(enterprise_id, "http", message.origin, body, parsed)])


@router.post(
    "/enterprises/{enterprise_id}/readings",
    response_model=IngestResult,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": PAYLOAD_SCHEMA}}}
    },
)
async def post_readings(ctx: Ctx, enterprise_id: ObjectId, request: Request) -> IngestResult:
    """Ingest a batch of readings of the enterprise's sensors (idempotent on sensor and time). An
    unreadable body is refused (422) and kept as a dead letter; readings of unknown sensors are dead-lettered
    and the rest ingested. The report counts what was stored, late, duplicated and raised."""
    body = await request.body()
    if len(body) > MAX_PAYLOAD_BYTES:
        raise InvalidInputError("body", "too_large", f"a batch is at most {MAX_PAYLOAD_BYTES} bytes")
    report = await run_in_threadpool(_ingest, ctx, enterprise_id, body)
    return IngestResult.of(report)
