"""The hazard lifecycle as data: states, actions, who may act, and the five implementations. Pure.

reported ─determine─► determined ─plan─► planned ─start─► rectifying ─complete─► rectified
    │                    │                                    ▲                   │    │
    └──reject──► rejected◄┘                                   │          fail_verification │
                                                  reopened ◄──┴───────────────────┘   verify
                                                      │ plan / start                     ▼
                                                                           verified ─close─► closed (销号)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from zhiben.auth.domain import LEVEL_ORDER, Level, Principal, Role, covers, division_prefix
from zhiben.errors import IllegalTransitionError, InvalidInputError, PermissionDeniedError


class HazardLevel(StrEnum):
    major = "major"  # 重大事故隐患
    general = "general"  # 一般事故隐患


class HazardState(StrEnum):
    reported = "reported"
    determined = "determined"
    planned = "planned"
    rectifying = "rectifying"
    rectified = "rectified"
    verified = "verified"
    closed = "closed"
    rejected = "rejected"
    reopened = "reopened"


class Source(StrEnum):
    self_inspection = "self_inspection"  # 企业自查
    enforcement = "enforcement"  # 执法检查
    service = "service"  # insurer, technical service agency or expert
    tipoff = "tipoff"  # 举报
    monitoring = "monitoring"  # 监测预警


class Action(StrEnum):
    determine = "determine"
    reject = "reject"
    plan = "plan"
    start = "start"
    complete = "complete"
    verify = "verify"
    fail_verification = "fail_verification"
    close = "close"


TRANSITIONS: dict[Action, tuple[frozenset[HazardState], HazardState]] = {
    Action.determine: (frozenset({HazardState.reported}), HazardState.determined),
    Action.reject: (frozenset({HazardState.reported, HazardState.determined}), HazardState.rejected),
    Action.plan: (frozenset({HazardState.determined, HazardState.reopened}), HazardState.planned),
    Action.start: (frozenset({HazardState.planned, HazardState.reopened}), HazardState.rectifying),
    Action.complete: (frozenset({HazardState.rectifying}), HazardState.rectified),
    Action.verify: (frozenset({HazardState.rectified}), HazardState.verified),
    Action.fail_verification: (frozenset({HazardState.rectified}), HazardState.reopened),
    Action.close: (frozenset({HazardState.verified}), HazardState.closed),
}

OPEN_STATES = frozenset(HazardState) - {HazardState.closed, HazardState.rejected}
# States in which the rectification deadline runs (the work is not yet done).
RECTIFICATION_STATES = frozenset(
    {HazardState.determined, HazardState.planned, HazardState.rectifying, HazardState.reopened}
)


@dataclass(frozen=True)
class HazardFacts:
    """What the permission rules need to know about one hazard."""

    state: HazardState
    level: HazardLevel | None
    county_code: str
    enterprise_id: int
    listing_division: str | None = None  # the listing authority's division, when listed (挂牌督办)
    # Found by the enterprise's own inspection; a finding by anyone else it may not determine itself.
    self_reported: bool = True


def _is_own(actor: Principal, hazard: HazardFacts) -> bool:
    return actor.role == Role.enterprise and actor.enterprise_id == hazard.enterprise_id


def _is_regulator(actor: Principal, hazard: HazardFacts) -> bool:
    """A regulator (or administrator) whose jurisdiction contains the hazard."""
    return actor.role in (Role.regulator, Role.admin) and actor.has_jurisdiction_over(hazard.county_code)


def _may_close_listed(actor: Principal, hazard: HazardFacts) -> bool:
    """Only the listing authority or a level above it closes out a listed hazard."""
    if hazard.listing_division is None:
        return True
    return actor.role == Role.admin or covers(actor.division_code, hazard.listing_division)


def role_may(action: Action, actor: Principal, hazard: HazardFacts) -> bool:
    """Who may take each action, whatever the state."""
    own, regulator = _is_own(actor, hazard), _is_regulator(actor, hazard)
    government = actor.role in (Role.regulator, Role.officer, Role.admin) and actor.has_jurisdiction_over(
        hazard.county_code
    )
    major = hazard.level == HazardLevel.major
    match action:
        case Action.determine:
            return government or (own and hazard.self_reported)
        case Action.reject:
            return government
        case Action.plan | Action.start | Action.complete:
            return own or regulator
        case Action.verify | Action.fail_verification:
            return regulator if major else (own or regulator)
        case Action.close:
            return (regulator and _may_close_listed(actor, hazard)) if major else (own or regulator)
    return False


def allowed_actions(actor: Principal, hazard: HazardFacts) -> list[Action]:
    return [
        action
        for action, (sources, _) in TRANSITIONS.items()
        if hazard.state in sources and role_may(action, actor, hazard)
    ]


def next_state(action: Action, actor: Principal, hazard: HazardFacts) -> HazardState:
    """The state after the action, or the error that says why it cannot happen now."""
    sources, target = TRANSITIONS[action]
    if hazard.state not in sources:
        allowed = [a.value for a in allowed_actions(actor, hazard)]
        raise IllegalTransitionError(state=hazard.state.value, action=action.value, allowed=allowed)
    if not role_may(action, actor, hazard):
        raise PermissionDeniedError(action=f"hazard.{action.value}")
    return target


@dataclass(frozen=True)
class Plan:
    """A rectification plan. For a major hazard all five implementations (五落实) are required:
    responsibility, measures, funds, deadline and contingency (interim) measures."""

    responsible_person: str
    measures: str
    deadline_at: datetime
    funds_yuan: Decimal | None = None
    contingency: str = ""


def check_plan(plan: Plan, level: HazardLevel, now: datetime) -> None:
    if not plan.responsible_person.strip():
        raise InvalidInputError(
            "responsible_person", "required", "the responsible person is required (落实责任)"
        )
    if not plan.measures.strip():
        raise InvalidInputError("measures", "required", "the rectification measures are required (落实措施)")
    if plan.deadline_at <= now:
        raise InvalidInputError("deadline_at", "past", "the deadline must be in the future (落实时限)")
    if plan.funds_yuan is not None and plan.funds_yuan < 0:
        raise InvalidInputError("funds_yuan", "range", "funds cannot be negative")
    if level == HazardLevel.major:
        if plan.funds_yuan is None or plan.funds_yuan <= 0:
            raise InvalidInputError(
                "funds_yuan", "required", "a major hazard needs its funds in yuan (落实资金)"
            )
        if not plan.contingency.strip():
            raise InvalidInputError(
                "contingency", "required", "a major hazard needs contingency and interim measures (落实预案)"
            )


def check_citation(level: HazardLevel, citation: dict[str, str] | None) -> None:
    if level == HazardLevel.major and not (citation and citation.get("clause", "").strip()):
        raise InvalidInputError(
            "citation", "required", "a major hazard cites the clause of the determination standard it meets"
        )


def listing_level(actor: Principal) -> Level:
    """A listed supervision is at the level of the regulator who lists it."""
    return actor.level


def escalated(division_code: str, levels: int) -> str:
    """The division `levels` steps up from a county (the nation is '')."""
    prefix = division_prefix(division_code)
    for _ in range(levels):
        prefix = prefix[:-2] if len(prefix) > 2 else ""
    return prefix.ljust(6, "0") if prefix else ""


def level_rank(level: Level) -> int:
    return LEVEL_ORDER.index(level)
