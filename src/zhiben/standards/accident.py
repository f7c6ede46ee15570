"""Accident grading under State Council Decree No. 493 (生产安全事故报告和调查处理条例), Art. 3.

An accident takes the highest grade that any of its three criteria reaches: deaths, serious injuries
(including acute industrial poisoning) and direct economic loss. The Decree defines its own boundary
words: 以上 includes the number, 以下 excludes it, so exactly 3 deaths is 较大 and exactly 10 is 重大.
The cut-offs come from the packaged table, not from this code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from zhiben.errors import InvalidInputError


class AccidentGrade(StrEnum):
    extraordinarily_serious = "extraordinarily_serious"  # 特别重大事故
    serious = "serious"  # 重大事故
    relatively_serious = "relatively_serious"  # 较大事故
    ordinary = "ordinary"  # 一般事故


SEVERITY = (
    AccidentGrade.ordinary,
    AccidentGrade.relatively_serious,
    AccidentGrade.serious,
    AccidentGrade.extraordinarily_serious,
)
CRITERIA = ("deaths", "serious_injuries", "direct_loss_yuan")
_COLUMNS = {"deaths": "deaths", "serious_injuries": "serious_injuries", "direct_loss_yuan": "direct_loss_cny"}


@dataclass(frozen=True)
class Band:
    """One grade's range for one criterion: minimum inclusive (以上), maximum exclusive (以下), None = no cap."""

    grade: AccidentGrade
    name_zh: str
    criterion: str
    minimum: Decimal
    maximum: Decimal | None

    def holds(self, value: Decimal) -> bool:
        return value >= self.minimum and (self.maximum is None or value < self.maximum)


@dataclass(frozen=True)
class Decision:
    criterion: str
    value: Decimal
    grade: AccidentGrade


@dataclass(frozen=True)
class Grading:
    grade: AccidentGrade
    name_zh: str
    decided_by: tuple[Decision, ...]  # every criterion that reaches the final grade


@lru_cache
def decree_493_bands() -> tuple[Band, ...]:
    text = (
        resources.files("zhiben.standards").joinpath("data/accident_grades_decree493.csv").read_text("utf-8")
    )
    bands = []
    for row in csv.DictReader(text.splitlines()):
        for criterion, column in _COLUMNS.items():
            cap = row[f"{column}_max_exclusive"]
            bands.append(
                Band(
                    AccidentGrade(row["grade_en"]),
                    row["grade_cn"],
                    criterion,
                    Decimal(row[f"{column}_min"]),
                    Decimal(cap) if cap else None,
                )
            )
    return tuple(bands)


def grade_accident(
    deaths: int, serious_injuries: int, direct_loss_yuan: Decimal | int, bands: tuple[Band, ...] | None = None
) -> Grading:
    """The Decree 493 grade and the criteria that decided it."""
    values = {
        "deaths": Decimal(deaths),
        "serious_injuries": Decimal(serious_injuries),
        "direct_loss_yuan": Decimal(direct_loss_yuan),
    }
    for criterion, value in values.items():
        if value < 0:
            raise InvalidInputError(criterion, "range", f"{criterion} cannot be negative")
        if criterion != "direct_loss_yuan" and value != value.to_integral_value():
            raise InvalidInputError(criterion, "integer", f"{criterion} is a whole number of people")
    table = bands or decree_493_bands()
    reached = [Decision(c, v, _band_for(table, c, v).grade) for c, v in values.items()]
    top = max((d.grade for d in reached), key=SEVERITY.index)
    name = next(b.name_zh for b in table if b.grade == top)
    return Grading(top, name, tuple(d for d in reached if d.grade == top))


def _band_for(bands: tuple[Band, ...], criterion: str, value: Decimal) -> Band:
    for band in bands:
        if band.criterion == criterion and band.holds(value):
            return band
    raise InvalidInputError(criterion, "range", f"no grade covers {criterion} = {value}")
