from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from zhiben.audit import service
from zhiben.auth.api import ERROR_RESPONSES, Ctx
from zhiben.auth.domain import Role
from zhiben.errors import PermissionDeniedError

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=ERROR_RESPONSES)


class VerifyResult(BaseModel):
    entries: int
    intact: bool
    first_bad_seq: int | None
    head_seq: int
    head_hash: str
    reason: str | None


@router.get("/verify", response_model=VerifyResult)
def verify(ctx: Ctx) -> VerifyResult:
    if ctx.principal.role != Role.admin:
        raise PermissionDeniedError(action="audit.verify")
    with ctx.read() as session:
        count, found = service.verify_chain(session)
        head_seq, head_hash = service.head_of(session)  # same snapshot as the walk
    return VerifyResult(
        head_seq=head_seq,
        head_hash=head_hash,
        entries=count,
        intact=found is None,
        first_bad_seq=found.seq if found else None,
        reason=found.reason if found else None,
    )
