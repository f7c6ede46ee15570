"""Demo policies: `seed_insurance_demo(session, actor, enterprise_ids)` for the demo loader.

Each enterprise gets a one-year policy with the demo insurer (the demo's 江苏安责险共保体, so its users see
them), at the least cover per person of the 2025 measures; the second enterprise's cover is below it (the
cover check flags it); the last enterprise gets no policy (flagged when its sector is mandatory). The
insurer's prevention visit to the first enterprise records one hazard into the registry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import session_clock
from zhiben.insurance import service
from zhiben.insurance.domain import PolicyTerms, measures
from zhiben.insurance.models import InsurancePolicy

DEMO_INSURER = "江苏安责险共保体"


def seed_insurance_demo(
    session: Session, actor: Principal, enterprise_ids: Sequence[int], insurer_org: str = DEMO_INSURER
) -> list[InsurancePolicy]:
    today = service.today(session)
    minimum = measures().minimum_cover_yuan
    made = []
    for index, enterprise_id in enumerate(enterprise_ids[:-1] if len(enterprise_ids) > 1 else enterprise_ids):
        cover = minimum - Decimal(100_000) if index == 1 else minimum
        starts = today - timedelta(days=100 + index)
        terms = PolicyTerms(
            insurer_org,
            f"AZX{today.year}{enterprise_id:08d}",
            starts,
            starts + timedelta(days=364),
            Decimal(12_000 + 500 * index),
            cover,
            40 + index,
        )
        made.append(service.record_policy(session, actor, enterprise_id, terms))
    if made:
        insurer = Principal(
            user_id=0,
            username="demo-insurer",
            role=Role.service_provider,
            provider_org=insurer_org,
            as_of=today,
        )
        draft = service.VisitDraft(
            session_clock(session).now() - timedelta(hours=2),
            "事故预防服务：安全管理制度与现场检查",
            "注册安全工程师 周明",
            (service.FoundHazard("动火作业票未经审批即开始作业", "二车间"),),
        )
        service.record_visit(session, insurer, made[0].enterprise_id, draft)
    return made
