"""Accidents as data: grading and re-grading windows, reporting deadlines, hazards open at the time. Pure.

The grade is Decree 493 Art. 3's, computed by `zhiben.standards.accident` (never re-encoded here). The
reporting rules (Art. 9, 10, 11, 13) are the packaged table `data/reporting_decree493.yaml`; every
function takes them as an argument, and time comes in as an argument too.

    occurred ─≤1 h─► unit reports to county ─≤2 h─► county → city ─≤2 h─► city → province ─≤2 h─► national
                                                     (一般 stops at city, 较大 at province, 重大/特别重大 national)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from zhiben.auth.domain import LEVEL_ORDER, Level
from zhiben.errors import InvalidInputError
from zhiben.hazard.domain import HazardLevel, HazardState
from zhiben.standards.accident import AccidentGrade, Grading, grade_accident


class AccidentKind(StrEnum):
    """Only what the reporting rules distinguish: Art. 13 gives road traffic and fire a shorter window."""

    road_traffic = "road_traffic"  # 道路交通事故
    fire = "fire"  # 火灾事故
    other = "other"  # every other production safety accident


@dataclass(frozen=True)
class ReportingRules:
    document: str
    version: str
    unit_report: timedelta
    unit_report_citation: str
    upward_per_level: timedelta
    upward_citation: str
    destination: Mapping[AccidentGrade, Level]
    destination_citation: str
    default_window: timedelta
    window_by_kind: Mapping[str, timedelta]
    window_citation: str

    def window(self, kind: AccidentKind) -> timedelta:
        return self.window_by_kind.get(kind.value, self.default_window)


def rules_from_mapping(data: Mapping[str, Any]) -> ReportingRules:
    window = data["casualty_window"]
    return ReportingRules(
        document=str(data["document"]),
        version=str(data["version"]),
        unit_report=timedelta(hours=data["unit_report"]["hours"]),
        unit_report_citation=data["unit_report"]["citation"],
        upward_per_level=timedelta(hours=data["upward_report"]["hours_per_level"]),
        upward_citation=data["upward_report"]["citation"],
        destination={AccidentGrade(g): Level(lv) for g, lv in data["destination_by_grade"].items()},
        destination_citation=data["destination_citation"],
        default_window=timedelta(days=window["default_days"]),
        window_by_kind={k: timedelta(days=d) for k, d in window["days_by_kind"].items()},
        window_citation=window["citation"],
    )


@lru_cache
def decree_493_rules() -> ReportingRules:
    text = resources.files("zhiben.accident").joinpath("data/reporting_decree493.yaml").read_text("utf-8")
    return rules_from_mapping(yaml.safe_load(text))


# ---- figures, grading and re-grading -------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """The three Decree 493 criteria: deaths, serious injuries (incl. acute industrial poisoning), loss."""

    deaths: int
    serious_injuries: int
    direct_loss_yuan: Decimal

    def grading(self) -> Grading:
        return grade_accident(self.deaths, self.serious_injuries, self.direct_loss_yuan)


def check_figures(figures: Figures) -> Figures:
    if figures.deaths < 0:
        raise InvalidInputError("deaths", "range", "deaths cannot be negative")
    if figures.serious_injuries < 0:
        raise InvalidInputError("serious_injuries", "range", "serious injuries cannot be negative")
    if not figures.direct_loss_yuan.is_finite() or figures.direct_loss_yuan < 0:
        raise InvalidInputError("direct_loss_yuan", "range", "the direct loss is a non-negative sum of yuan")
    return figures


def window_closes_at(occurred_at: datetime, kind: AccidentKind, rules: ReportingRules) -> datetime:
    """The end (inclusive) of Art. 13's window for casualty changes."""
    return occurred_at + rules.window(kind)


@dataclass(frozen=True)
class Regrading:
    counted: Figures  # the figures the accident carries after the update
    grading: Grading
    is_within_window: bool
    casualties_counted: bool  # False: a casualty change after the window, recorded but not counted


def regrade(
    current: Figures,
    reported: Figures,
    occurred_at: datetime,
    kind: AccidentKind,
    at: datetime,
    rules: ReportingRules,
) -> Regrading:
    """Apply a casualty update reported at `at`. Within the window (Art. 13) the new casualty figures count
    and the grade follows them; after it the reference is silent, so the casualty change is kept in the
    history only and the grade does not move. The direct loss has no such window in the reference (it is
    usually assessed by the investigation): a corrected loss always counts."""
    check_figures(reported)
    within = at <= window_closes_at(occurred_at, kind, rules)
    changed = (reported.deaths, reported.serious_injuries) != (current.deaths, current.serious_injuries)
    if within:
        counted = reported
    else:
        counted = Figures(current.deaths, current.serious_injuries, reported.direct_loss_yuan)
    return Regrading(counted, counted.grading(), within, within or not changed)


# ---- reporting deadlines -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportingStep:
    """One report in the chain: the unit to the county, then each level to the next one up."""

    from_level: str  # "enterprise", or a Level
    to_level: Level
    due_at: datetime
    done_at: datetime | None
    citation: str

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_late(self) -> bool:
        return self.done_at is not None and self.done_at > self.due_at

    def is_overdue(self, now: datetime) -> bool:
        return self.done_at is None and now > self.due_at


def destination(grade: AccidentGrade, rules: ReportingRules) -> Level:
    return rules.destination[grade]


def reporting_steps(
    occurred_at: datetime,
    unit_reported_at: datetime | None,
    known_at: datetime,
    grade: AccidentGrade,
    upward: Mapping[Level, datetime],
    rules: ReportingRules,
) -> list[ReportingStep]:
    """Every report the accident needs, with its due time. `known_at` is when the county department learned
    of it (the unit's report, or otherwise when it was recorded); each level's 2 hours run from when it
    received the report, or, while a lower level is still late, from when it should have."""
    steps = [
        ReportingStep(
            "enterprise",
            Level.county,
            occurred_at + rules.unit_report,
            unit_reported_at,
            rules.unit_report_citation,
        )
    ]
    received = unit_reported_at or known_at
    top = LEVEL_ORDER.index(destination(grade, rules))
    for index in range(1, top + 1):
        level, below = LEVEL_ORDER[index], LEVEL_ORDER[index - 1]
        due = received + rules.upward_per_level
        done = upward.get(level)
        steps.append(ReportingStep(below.value, level, due, done, rules.upward_citation))
        received = done or due
    return steps


def next_upward_step(steps: Iterable[ReportingStep]) -> ReportingStep | None:
    """The first report up the chain not yet made (the unit's own report is not the department's to make)."""
    return next((s for s in steps if s.from_level != "enterprise" and not s.is_done), None)


# ---- hazards open when the accident happened ------------------------------------------------------


@dataclass(frozen=True)
class HazardAtTime:
    hazard_id: int
    number: str
    level: HazardLevel | None
    state: HazardState
    found_at: datetime
    determined_at: datetime | None
    closed_at: datetime | None


@dataclass(frozen=True)
class OpenHazards:
    hazards: tuple[HazardAtTime, ...] = field(default_factory=tuple)

    @property
    def major(self) -> tuple[HazardAtTime, ...]:
        return tuple(h for h in self.hazards if h.level == HazardLevel.major)

    @property
    def had_open_major_hazard(self) -> bool:
        return bool(self.major)


def open_at(hazard: HazardAtTime, occurred_at: datetime) -> bool:
    """Known before the accident (found before it) and not yet closed out when it happened. A rejected
    hazard was found not to be one, so it never counts."""
    if hazard.state == HazardState.rejected or hazard.found_at >= occurred_at:
        return False
    return hazard.closed_at is None or hazard.closed_at > occurred_at


def hazards_open_at(hazards: Iterable[HazardAtTime], occurred_at: datetime) -> OpenHazards:
    found = sorted((h for h in hazards if open_at(h, occurred_at)), key=lambda h: (h.found_at, h.hazard_id))
    return OpenHazards(tuple(found))


def check_times(occurred_at: datetime, unit_reported_at: datetime | None, now: datetime) -> None:
    if occurred_at > now:
        raise InvalidInputError("occurred_at", "future", "an accident cannot happen in the future")
    if unit_reported_at is not None:
        if unit_reported_at < occurred_at:
            raise InvalidInputError(
                "unit_reported_at", "order", "the unit cannot report before the accident happened"
            )
        if unit_reported_at > now:
            raise InvalidInputError("unit_reported_at", "future", "the report time is in the future")
