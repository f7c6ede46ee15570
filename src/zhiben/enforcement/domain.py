"""Who may see an inspection (pure). Unannounced inspections (四不两直: 不发通知、不打招呼、不听汇报、
不用陪同接待，直奔基层、直插现场) stay confidential until they start: until then only the planning regulator
(a regulator of the planning division) and the assigned team see the target and the date. Everyone else,
the enterprise and the officials of the target's own county included, is told it does not exist (404).
After the start the usual jurisdiction rules apply, and the team keeps seeing its own inspections."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from zhiben.auth.domain import Principal, Role

MIN_TEAM = (
    2  # 执法人员不少于两人: Administrative Penalty Law 2021 Art. 42 (reference cn-standards §7, R; S7.5 V)
)


@dataclass(frozen=True)
class InspectionFacts:
    is_unannounced: bool
    started_at: datetime | None
    planning_division: str
    team: Collection[int]  # user ids


def is_confidential(inspection: InspectionFacts, now: datetime) -> bool:
    return inspection.is_unannounced and (inspection.started_at is None or inspection.started_at > now)


def is_planning_regulator(actor: Principal, planning_division: str) -> bool:
    return actor.role == Role.admin or (
        actor.role == Role.regulator and actor.division_code == planning_division
    )


def may_see_confidential(actor: Principal, inspection: InspectionFacts) -> bool:
    return is_planning_regulator(actor, inspection.planning_division) or actor.user_id in inspection.team
