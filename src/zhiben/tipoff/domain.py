"""Tip-offs as data: states, receipt codes, the reward and the feedback deadlines. Pure.

received ─start─► verifying ─substantiate─► substantiated (a hazard is reported, source = tipoff)
                        └─────dismiss─────► unsubstantiated

The reporter's identity is not part of the tip-off: it lives in its own table, read only by the handling
regulator. The receipt code is shown once, to the reporter; only its SHA-256 is stored.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from zhiben.errors import InvalidInputError, TipoffTransitionError
from zhiben.kit.hashing import sha256_hex


class TipoffState(StrEnum):
    received = "received"  # 已受理
    verifying = "verifying"  # 核查中
    substantiated = "substantiated"  # 属实
    unsubstantiated = "unsubstantiated"  # 不属实


class TipoffAction(StrEnum):
    start = "start"
    substantiate = "substantiate"
    dismiss = "dismiss"


TRANSITIONS: dict[TipoffAction, tuple[TipoffState, TipoffState]] = {
    TipoffAction.start: (TipoffState.received, TipoffState.verifying),
    TipoffAction.substantiate: (TipoffState.verifying, TipoffState.substantiated),
    TipoffAction.dismiss: (TipoffState.verifying, TipoffState.unsubstantiated),
}
CONCLUDED = frozenset({TipoffState.substantiated, TipoffState.unsubstantiated})


def next_state(state: TipoffState, action: TipoffAction) -> TipoffState:
    source, target = TRANSITIONS[action]
    if state != source:
        allowed = [a.value for a, (s, _) in TRANSITIONS.items() if s == state]
        raise TipoffTransitionError(state=state.value, action=action.value, allowed=allowed)
    return target


# ---- receipt codes --------------------------------------------------------------------------------

# Crockford's base 32: no I, L, O or U, so a code read aloud or copied by hand survives; 16 characters
# carry 80 random bits.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_receipt_code(randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    return "".join(ALPHABET[randbelow(len(ALPHABET))] for _ in range(CODE_LENGTH))


def normalise_receipt_code(text: str) -> str | None:
    """The code as stored (upper case, no separators, O read as 0 and I/L as 1), or None if it cannot be one."""
    code = "".join(ch for ch in text.upper() if ch not in " -").translate(_READ_AS)
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def display_receipt_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def receipt_hash(code: str) -> str:
    return sha256_hex(f"zhiben-tipoff-receipt:{code}")


# ---- the reward and the deadlines -----------------------------------------------------------------


@dataclass(frozen=True)
class TipoffRules:
    version: str
    reward_share: Decimal
    reward_minimum_yuan: Decimal
    reward_maximum_yuan: Decimal
    reward_citation: str
    feedback_after_conclusion: timedelta
    feedback_citation: str
    verification_period: timedelta | None  # None: no deadline known
    verification_citation: str


def rules_from_mapping(data: Mapping[str, Any]) -> TipoffRules:
    reward, feedback = data["reward"], data["feedback"]
    verification_days = feedback.get("verification_days")
    return TipoffRules(
        version=str(data["version"]),
        reward_share=Decimal(str(reward["share_of_fine"])),
        reward_minimum_yuan=Decimal(str(reward["minimum_yuan"])),
        reward_maximum_yuan=Decimal(str(reward["maximum_yuan"])),
        reward_citation=reward["citation"],
        feedback_after_conclusion=timedelta(days=feedback["days_after_conclusion"]),
        feedback_citation=feedback["citation"],
        verification_period=None if verification_days is None else timedelta(days=verification_days),
        verification_citation=feedback["verification_citation"],
    )


@lru_cache
def tipoff_rules() -> TipoffRules:
    text = resources.files("zhiben.tipoff").joinpath("data/tipoff_rules.yaml").read_text("utf-8")
    return rules_from_mapping(yaml.safe_load(text))


def reward_for(fine_yuan: Decimal, rules: TipoffRules) -> Decimal:
    """15 % of the fine, clamped to [3,000, 300,000] yuan (the figures are the rules', not this code's)."""
    if not fine_yuan.is_finite() or fine_yuan <= 0:
        raise InvalidInputError("fine_yuan", "range", "a reward is a share of a fine: give the fine in yuan")
    share = (fine_yuan * rules.reward_share).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return min(max(share, rules.reward_minimum_yuan), rules.reward_maximum_yuan)


@dataclass(frozen=True)
class Deadlines:
    verification_due_at: datetime | None
    feedback_due_at: datetime | None  # known once the verification is concluded
    is_verification_overdue: bool
    is_feedback_overdue: bool


def deadlines(
    received_at: datetime,
    concluded_at: datetime | None,
    feedback_at: datetime | None,
    now: datetime,
    rules: TipoffRules,
) -> Deadlines:
    verification_due = received_at + rules.verification_period if rules.verification_period else None
    feedback_due = concluded_at + rules.feedback_after_conclusion if concluded_at else None
    verification_overdue = verification_due is not None and (concluded_at or now) > verification_due
    feedback_overdue = feedback_due is not None and (feedback_at or now) > feedback_due
    return Deadlines(verification_due, feedback_due, verification_overdue, feedback_overdue)


# ---- what the public submits ---------------------------------------------------------------------


@dataclass(frozen=True)
class Submission:
    county_code: str  # the county the tip-off concerns: its regulators handle it
    content: str
    enterprise_uscc: str = ""
    enterprise_name: str = ""
    place: str = ""
    reporter_name: str = ""  # optional, kept apart from the tip-off
    reporter_contact: str = ""

    @property
    def has_reporter(self) -> bool:
        return bool(self.reporter_name.strip() or self.reporter_contact.strip())


def check_submission(submission: Submission) -> None:
    problems = []
    if not submission.content.strip():
        problems.append(("content", "required", "say what the hazard or the illegal act is"))
    if not (
        submission.enterprise_uscc.strip() or submission.enterprise_name.strip() or submission.place.strip()
    ):
        problems.append(("place", "required", "name the enterprise (its code or name) or the place"))
    if problems:
        raise InvalidInputError.of(problems)
