"""The demo's governance and dual-prevention records, made through each feature's own demo seed so that
every row is audited and scoped as in real use: a chain gap and a referral in Suzhou, an accident linked to
an earlier open major hazard, a tip-off followed to its end, certificates (one lapsed), insurance policies
(one below the minimum cover) with a prevention visit, and a dual-prevention register with checks."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiben.accident.service import seed_accident_demo
from zhiben.auth.domain import Principal
from zhiben.chain.service import seed_chain_demo
from zhiben.dualprevention.service import seed_dualprevention_demo
from zhiben.enterprise.models import Enterprise
from zhiben.insurance.seed import seed_insurance_demo
from zhiben.tipoff.domain import display_receipt_code
from zhiben.tipoff.service import seed_tipoff_demo
from zhiben.training.seed import seed_training_demo

DEMO_COUNTY = "320506"  # 吴中区, where the demo's enterprise user works


@dataclass(frozen=True)
class GovernanceDemo:
    counts: dict[str, Any]
    receipt_code: str  # the demo tip-off's receipt code, as the public types it
    accident_id: int


def seed_governance(session: Session, actor: Principal) -> GovernanceDemo:
    firms = list(
        session.scalars(
            select(Enterprise.id).where(Enterprise.county_code == DEMO_COUNTY).order_by(Enterprise.id).limit(8)
        )
    )
    if len(firms) < 6:
        raise ValueError(f"the demo's governance records need six enterprises in {DEMO_COUNTY}")
    chain = seed_chain_demo(session, actor)
    accident = seed_accident_demo(session, actor, enterprise_id=firms[0])
    tipoff = seed_tipoff_demo(session, actor, firms[1])
    certificates = seed_training_demo(session, actor, firms[:3])
    policies = seed_insurance_demo(session, actor, firms[1:6])
    register = seed_dualprevention_demo(session, actor, firms[:3])
    counts = {
        "chain": chain,
        "accident_hazards": len(accident.hazard_numbers),
        "certificates": len(certificates),
        "policies": len(policies),
        "dual_prevention": asdict(register),
    }
    return GovernanceDemo(counts, display_receipt_code(tipoff.receipt_code), accident.accident_id)
