"""Safety production liability insurance (安全生产责任保险), pure: the 2025 measures' mandatory sectors and
least cover per person, the check of enterprises and policies against them, and the premium-floating
suggestion (上浮/下浮) from an enterprise's accident and hazard record. Figures are data:
data/liability_insurance.yaml, with their citations and verification.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from zhiben.errors import InvalidInputError


@dataclass(frozen=True)
class HazardRule:
    when: str  # major_hazards_found | major_hazards_overdue
    at_least: int
    pct: int


@dataclass(frozen=True)
class FloatingRules:
    look_back_days: int
    accident_free_pct: int
    accident_pct: Mapping[str, int]  # by accident grade (standards.accident.AccidentGrade values)
    hazard_rules: tuple[HazardRule, ...]
    cap_low_pct: int
    cap_high_pct: int


@dataclass(frozen=True)
class Measures:
    document: str
    mandatory_citation: str
    mandatory: Mapping[str, str]  # sector code → the Art 2 category it falls under
    cover_citation: str
    minimum_cover_yuan: Decimal
    minimum_by_province: Mapping[str, Decimal]
    floating: FloatingRules

    def category_of(self, sector: str) -> str | None:
        return self.mandatory.get(sector)

    def minimum_cover(self, province_code: str) -> Decimal:
        return self.minimum_by_province.get(province_code, self.minimum_cover_yuan)


def measures_from_mapping(data: Mapping[str, Any]) -> Measures:
    floating = data["floating"]
    return Measures(
        document=data["measures"]["document"],
        mandatory_citation=data["mandatory"]["citation"],
        mandatory={
            sector: category
            for category, sectors in data["mandatory"]["sectors"].items()
            for sector in sectors or ()
        },
        cover_citation=data["minimum_cover"]["citation"],
        minimum_cover_yuan=Decimal(str(data["minimum_cover"]["per_person_yuan"])),
        minimum_by_province={
            str(code): Decimal(str(value))
            for code, value in (data["minimum_cover"]["by_province"] or {}).items()
        },
        floating=FloatingRules(
            look_back_days=int(floating["look_back_days"]),
            accident_free_pct=int(floating["accident_free_pct"]),
            accident_pct={str(k): int(v) for k, v in floating["accident_pct"].items()},
            hazard_rules=tuple(
                HazardRule(r["when"], int(r["at_least"]), int(r["pct"])) for r in floating["hazard_rules"]
            ),
            cap_low_pct=int(floating["cap_pct"]["low"]),
            cap_high_pct=int(floating["cap_pct"]["high"]),
        ),
    )


@lru_cache(maxsize=1)
def measures() -> Measures:
    text = resources.files("zhiben.insurance").joinpath("data/liability_insurance.yaml").read_text("utf-8")
    return measures_from_mapping(yaml.safe_load(text))


# --- policies ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PolicyTerms:
    insurer_org: str
    policy_number: str
    starts_on: date
    ends_on: date  # the last day of cover
    premium_yuan: Decimal
    cover_per_person_yuan: Decimal  # death or disability limit per person (Art 15)
    insured_headcount: int | None = None


EARLIEST, LATEST = (
    date(1900, 1, 1),
    date(2199, 12, 31),
)  # plausible days; beyond them date arithmetic overflows


def check_day(name: str, day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise InvalidInputError(name, "out_of_range", f"{name} lies between {EARLIEST} and {LATEST}")


def check_terms(terms: PolicyTerms) -> None:
    problems = [
        (name, "out_of_range", f"{name} lies between {EARLIEST} and {LATEST}")
        for name, day in (("starts_on", terms.starts_on), ("ends_on", terms.ends_on))
        if not EARLIEST <= day <= LATEST
    ]
    if not terms.insurer_org.strip():
        problems.append(("insurer_org", "required", "name the insurer"))
    if not terms.policy_number.strip():
        problems.append(("policy_number", "required", "give the policy number"))
    if terms.ends_on < terms.starts_on:
        problems.append(("ends_on", "before_start", "a policy cannot end before it starts"))
    if terms.premium_yuan < 0:
        problems.append(("premium_yuan", "negative", "the premium is zero or more"))
    if terms.cover_per_person_yuan <= 0:
        problems.append(("cover_per_person_yuan", "not_positive", "the cover per person is more than zero"))
    if terms.insured_headcount is not None and terms.insured_headcount < 0:
        problems.append(("insured_headcount", "negative", "the headcount is zero or more"))
    if problems:
        raise InvalidInputError.of(problems)


def in_force(starts_on: date, ends_on: date, cancelled_on: date | None, on: date) -> bool:
    """Whether a policy covers a day: within its period and before the day it was cancelled."""
    return starts_on <= on <= ends_on and (cancelled_on is None or on < cancelled_on)


class CoverProblem(StrEnum):
    no_policy = "no_policy"  # a mandatory sector without a policy in force
    cover_below_minimum = "cover_below_minimum"  # a policy in force below the least cover per person


@dataclass(frozen=True)
class InsuredEnterprise:
    enterprise_id: int
    sector: str
    province_code: str


@dataclass(frozen=True)
class PolicyCover:
    policy_id: int
    enterprise_id: int
    cover_per_person_yuan: Decimal


@dataclass(frozen=True)
class CoverFinding:
    enterprise_id: int
    problem: CoverProblem
    citation: str
    category: str | None  # the Art 2 category of a mandatory sector
    policy_id: int | None = None
    cover_per_person_yuan: Decimal | None = None
    minimum_yuan: Decimal | None = None


def cover_findings(
    enterprises: Iterable[InsuredEnterprise], in_force_policies: Sequence[PolicyCover], rules: Measures
) -> list[CoverFinding]:
    """Enterprises in a mandatory sector with no policy in force, and policies in force whose cover per
    person is below the least cover (for any sector: Art 15 applies to every policy under the measures)."""
    by_enterprise: dict[int, list[PolicyCover]] = {}
    for policy in in_force_policies:
        by_enterprise.setdefault(policy.enterprise_id, []).append(policy)
    findings = []
    for enterprise in enterprises:
        category = rules.category_of(enterprise.sector)
        policies = by_enterprise.get(enterprise.enterprise_id, [])
        if category is not None and not policies:
            findings.append(
                CoverFinding(
                    enterprise.enterprise_id, CoverProblem.no_policy, rules.mandatory_citation, category
                )
            )
        minimum = rules.minimum_cover(enterprise.province_code)
        for policy in sorted(policies, key=lambda p: p.policy_id):
            if policy.cover_per_person_yuan < minimum:
                findings.append(
                    CoverFinding(
                        enterprise.enterprise_id,
                        CoverProblem.cover_below_minimum,
                        rules.cover_citation,
                        category,
                        policy.policy_id,
                        policy.cover_per_person_yuan,
                        minimum,
                    )
                )
    return findings


# --- premium floating -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SafetyRecord:
    """An enterprise's record over the look-back period. Accidents come in as counts by grade (the accident
    feature or the caller supplies them); hazards are counted from the registry."""

    accidents: Mapping[str, int]  # accident grade → count
    major_hazards_found: int
    major_hazards_overdue: int


@dataclass(frozen=True)
class FloatingStep:
    reason: str
    pct: int
    source: str


@dataclass(frozen=True)
class FloatingSuggestion:
    pct: int  # positive: 上浮 (raise the rate); negative: 下浮
    steps: tuple[FloatingStep, ...]
    is_capped: bool


ACCIDENT_SOURCE = "阜阳市（地方）安责险费率浮动示例 [cn-standards.md S8.5, local]; national figures NF"
EXAMPLE_SOURCE = "configurable example, no source (cn-standards.md §8: national percentages NF)"


def floating_suggestion(record: SafetyRecord, rules: FloatingRules) -> FloatingSuggestion:
    """The worst accident grade's step (or the accident-free step), plus each hazard rule met, clamped."""
    unknown = sorted(set(record.accidents) - set(rules.accident_pct))
    if unknown:
        raise InvalidInputError("accidents", "unknown_grade", f"unknown accident grade: {', '.join(unknown)}")
    if (
        any(n < 0 for n in record.accidents.values())
        or min(record.major_hazards_found, record.major_hazards_overdue) < 0
    ):
        raise InvalidInputError("accidents", "negative", "counts are zero or more")
    steps = []
    graded = [(rules.accident_pct[g], g) for g, n in record.accidents.items() if n > 0]
    if graded:
        pct, grade = max(graded)
        steps.append(FloatingStep(f"accident:{grade}", pct, ACCIDENT_SOURCE))
    else:
        steps.append(FloatingStep("accident_free", rules.accident_free_pct, ACCIDENT_SOURCE))
    counts = {
        "major_hazards_found": record.major_hazards_found,
        "major_hazards_overdue": record.major_hazards_overdue,
    }
    for rule in rules.hazard_rules:
        if counts.get(rule.when, 0) >= rule.at_least:
            steps.append(FloatingStep(f"{rule.when}>={rule.at_least}", rule.pct, EXAMPLE_SOURCE))
    total = sum(s.pct for s in steps)
    clamped = min(max(total, rules.cap_low_pct), rules.cap_high_pct)
    return FloatingSuggestion(clamped, tuple(steps), clamped != total)
