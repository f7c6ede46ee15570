"""Risk assessment of a risk event (风险事件): LEC and the likelihood × severity matrix, as data.

Every number comes from a packaged table (`data/README.md` cites each file):
- LEC (作业条件危险性评价法), D = L × E × C: the factor values of `lec_method.csv` are the only values
  accepted; the danger band of D comes from `lec_d_bands.csv`, whose header reads the boundary words
  exactly: each band is `d_min_exclusive < D ≤ d_max_inclusive`, so D = 320 is in the 160–320 band
  (高度危险), and only D > 320 is 极其危险 (row 2 of that file, counting the header as row 1).
- The step from D to a risk level (重大/较大/一般/低 = red/orange/yellow/blue) is NOT fixed nationally
  (cn-standards.md §5): it is a mapping table, `lec_levels_default.csv` by default, a province's own
  table through `parse_lec_mapping`. A mapping row `d_min_exclusive, level` means "D > d_min_exclusive".
- The matrix (R = likelihood × severity, each 1–5) is a table of its 25 cells, `risk_matrix_default.csv`
  by default, a province's own through `parse_risk_matrix`. No national standard for the cut-offs was
  found; the default cells apply one public scheme (≥ 15 / ≥ 9 / ≥ 4 / < 4, cn-standards.md §5 [S5.7]).
  The words of the 1–5 likelihood and severity scales were not found either (the reference is silent).

Residual risk (剩余风险) is our definition, the reference is silent: the same method applied again with
the likelihood re-assessed after the control measures (L for LEC, likelihood for the matrix); exposure
and consequence / severity carry over unchanged, since controls that do not remove the hazard change
how likely the event is, not how bad it is. A residual likelihood above the inherent one is refused.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from zhiben.errors import InvalidInputError


class RiskLevel(StrEnum):
    """The four levels and their colours, fixed nationally (cn-standards.md §5 [S5.1, S5.2])."""

    major = "major"  # 重大风险, red
    high = "high"  # 较大风险, orange
    moderate = "moderate"  # 一般风险, yellow
    low = "low"  # 低风险, blue

    @property
    def colour(self) -> str:
        return _COLOURS[self][0]

    @property
    def name_zh(self) -> str:
        return _COLOURS[self][1]

    @property
    def rank(self) -> int:
        """4 for major down to 1 for low, so levels compare."""
        return 4 - list(RiskLevel).index(self)


_COLOURS = {
    RiskLevel.major: ("red", "重大风险"),
    RiskLevel.high: ("orange", "较大风险"),
    RiskLevel.moderate: ("yellow", "一般风险"),
    RiskLevel.low: ("blue", "低风险"),
}


def _text(name: str) -> str:
    return resources.files("zhiben.dualprevention").joinpath(f"data/{name}").read_text("utf-8")


def _number(value: object, field: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInputError(field, "not_a_number", f"{value!r} is not a number") from None
    if not number.is_finite():
        raise InvalidInputError(field, "not_a_number", f"{value!r} is not a finite number")
    return number


def _level(value: str, field: str) -> RiskLevel:
    try:
        return RiskLevel(value.strip())
    except ValueError:
        allowed = ", ".join(RiskLevel)
        raise InvalidInputError(field, "unknown_level", f"{value!r} is not one of {allowed}") from None


# --- LEC ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LecBand:
    d_min_exclusive: Decimal
    d_max_inclusive: Decimal | None  # None: no upper bound
    danger_zh: str
    row: int  # row in lec_d_bands.csv, header = 1

    def contains(self, d: Decimal) -> bool:
        return d > self.d_min_exclusive and (self.d_max_inclusive is None or d <= self.d_max_inclusive)


@dataclass(frozen=True)
class LecMapping:
    """D > threshold → level, highest threshold first; the last threshold is 0."""

    name: str
    rows: tuple[tuple[Decimal, RiskLevel], ...]

    def level(self, d: Decimal) -> RiskLevel:
        for threshold, level in self.rows:
            if d > threshold:
                return level
        raise InvalidInputError("D", "out_of_range", f"D = {d} is not above 0")


@lru_cache(maxsize=1)
def lec_factors() -> Mapping[str, Mapping[Decimal, str]]:
    """Allowed values of L, E and C with their meaning in Chinese, from `lec_method.csv`."""
    out: dict[str, dict[Decimal, str]] = {"L": {}, "E": {}, "C": {}}
    for row in csv.DictReader(_text("lec_method.csv").splitlines()):
        out[row["factor"]][Decimal(row["value"])] = row["meaning_cn"]
    return out


@lru_cache(maxsize=1)
def lec_bands() -> tuple[LecBand, ...]:
    bands = []
    for row_no, row in enumerate(csv.DictReader(_text("lec_d_bands.csv").splitlines()), start=2):
        upper = row["d_max_inclusive"].strip()
        bands.append(
            LecBand(
                Decimal(row["d_min_exclusive"]), Decimal(upper) if upper else None, row["danger_cn"], row_no
            )
        )
    return tuple(bands)


def lec_band(d: Decimal) -> LecBand:
    for band in lec_bands():
        if band.contains(d):
            return band
    raise InvalidInputError("D", "out_of_range", f"D = {d} is in no band of lec_d_bands.csv")


def parse_lec_mapping(text: str, name: str) -> LecMapping:
    """A D → level table as CSV text (`d_min_exclusive,level[,source]`), e.g. a province's own."""
    rows: list[tuple[Decimal, RiskLevel]] = []
    for row_no, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        threshold = _number(row.get("d_min_exclusive"), f"{name} row {row_no} d_min_exclusive")
        rows.append((threshold, _level(row.get("level") or "", f"{name} row {row_no} level")))
    rows.sort(key=lambda r: r[0], reverse=True)
    _check_monotone(name, rows)
    return LecMapping(name, tuple(rows))


def _check_monotone(name: str, rows: list[tuple[Decimal, RiskLevel]]) -> None:
    if not rows or rows[-1][0] != 0:
        raise InvalidInputError(name, "incomplete", "the lowest threshold must be 0 so every D has a level")
    thresholds = [t for t, _ in rows]
    if len(set(thresholds)) != len(thresholds):
        raise InvalidInputError(name, "duplicate", "a threshold appears twice")
    for (_, higher), (_, lower) in itertools.pairwise(rows):
        if higher.rank < lower.rank:
            raise InvalidInputError(name, "not_monotone", "a higher D must never give a lower level")


@lru_cache(maxsize=4)
def lec_mapping(name: str = "default") -> LecMapping:
    """A packaged mapping: `default` (the common one) or `s5_5` (> 160 = 重大, cn-standards.md [S5.5])."""
    return parse_lec_mapping(_text(f"lec_levels_{name}.csv"), name)


@dataclass(frozen=True)
class LecAssessment:
    likelihood: Decimal  # L
    exposure: Decimal  # E
    consequence: Decimal  # C
    d: Decimal
    band: LecBand
    level: RiskLevel
    mapping: str


def _factor(name: str, value: object) -> Decimal:
    number = _number(value, name)
    allowed = lec_factors()[name]
    if number not in allowed:
        values = ", ".join(str(v) for v in sorted(allowed, reverse=True))
        raise InvalidInputError(
            name, "not_in_table", f"{name} = {value} is not a value of the table ({values})"
        )
    return number


def assess_lec(
    likelihood: object, exposure: object, consequence: object, mapping: LecMapping | None = None
) -> LecAssessment:
    """D = L × E × C, exactly (decimal arithmetic, so D = 70 is 70 and falls in the 20–70 band)."""
    problems: list[tuple[str, str, str]] = []
    factors = []
    for name, value in (("L", likelihood), ("E", exposure), ("C", consequence)):
        try:
            factors.append(_factor(name, value))
        except InvalidInputError as error:
            problems.extend((f["field"], f["reason"], f["message"]) for f in error.details["fields"])
    if problems:
        raise InvalidInputError.of(problems)
    table = mapping or lec_mapping()
    lv, ev, cv = factors
    d = lv * ev * cv
    return LecAssessment(lv, ev, cv, d, lec_band(d), table.level(d), table.name)


def residual_lec(
    inherent: LecAssessment, likelihood_after: object, mapping: LecMapping | None = None
) -> LecAssessment:
    """The LEC risk left after controls: L re-assessed, E and C carried over."""
    after = _factor("L", likelihood_after)
    if after > inherent.likelihood:
        raise InvalidInputError("L", "above_inherent", "residual L cannot exceed the inherent L")
    return assess_lec(after, inherent.exposure, inherent.consequence, mapping)


# --- risk matrix -------------------------------------------------------------------------------

SCALE = range(1, 6)


@dataclass(frozen=True)
class RiskMatrix:
    name: str
    cells: Mapping[tuple[int, int], RiskLevel]  # (likelihood, severity) → level


def parse_risk_matrix(text: str, name: str) -> RiskMatrix:
    """A matrix as CSV text `likelihood,severity,level`: all 25 cells, once each, never lower as L or S rise."""
    cells: dict[tuple[int, int], RiskLevel] = {}
    for row_no, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        key = (
            _scale(row.get("likelihood"), f"{name} row {row_no} likelihood"),
            _scale(row.get("severity"), f"{name} row {row_no} severity"),
        )
        if key in cells:
            raise InvalidInputError(f"{name} row {row_no}", "duplicate", f"cell {key} appears twice")
        cells[key] = _level(row.get("level") or "", f"{name} row {row_no} level")
    missing = [(li, s) for li in SCALE for s in SCALE if (li, s) not in cells]
    if missing:
        raise InvalidInputError(name, "incomplete", f"cells missing: {missing}")
    for (li, s), level in cells.items():
        for neighbour in ((li + 1, s), (li, s + 1)):
            if neighbour in cells and cells[neighbour].rank < level.rank:
                raise InvalidInputError(name, "not_monotone", f"cell {neighbour} is lower than {(li, s)}")
    return RiskMatrix(name, cells)


def _scale(value: object, field: str) -> int:
    if isinstance(value, bool) or str(value).strip() not in {str(i) for i in SCALE}:
        raise InvalidInputError(field, "not_in_scale", f"{value!r} is not one of 1, 2, 3, 4, 5")
    return int(str(value).strip())


@lru_cache(maxsize=4)
def risk_matrix(name: str = "default") -> RiskMatrix:
    return parse_risk_matrix(_text(f"risk_matrix_{name}.csv"), name)


@dataclass(frozen=True)
class MatrixAssessment:
    likelihood: int
    severity: int
    r: int  # likelihood × severity, for display; the level comes from the cell, not from r
    level: RiskLevel
    matrix: str


def assess_matrix(likelihood: object, severity: object, matrix: RiskMatrix | None = None) -> MatrixAssessment:
    problems: list[tuple[str, str, str]] = []
    values = []
    for field, value in (("likelihood", likelihood), ("severity", severity)):
        try:
            values.append(_scale(value, field))
        except InvalidInputError as error:
            problems.extend((f["field"], f["reason"], f["message"]) for f in error.details["fields"])
    if problems:
        raise InvalidInputError.of(problems)
    table = matrix or risk_matrix()
    li, s = values
    return MatrixAssessment(li, s, li * s, table.cells[(li, s)], table.name)


def residual_matrix(
    inherent: MatrixAssessment, likelihood_after: object, matrix: RiskMatrix | None = None
) -> MatrixAssessment:
    after = _scale(likelihood_after, "likelihood")
    if after > inherent.likelihood:
        raise InvalidInputError(
            "likelihood", "above_inherent", "residual likelihood cannot exceed the inherent one"
        )
    return assess_matrix(after, inherent.severity, matrix)


# --- re-assessment triggers --------------------------------------------------------------------


class Trigger(StrEnum):
    control_changed = "control_changed"  # a measure of the event was added, changed or removed
    hazard_closed = "hazard_closed"  # a hazard found on one of the event's measures was closed


@dataclass(frozen=True)
class Change:
    trigger: Trigger
    measure_id: str  # the measure changed, or the measure the closed hazard is linked to
    ref: str = ""  # the hazard id for hazard_closed


def events_to_reassess(
    changes: Iterable[Change], event_of_measure: Mapping[str, str]
) -> dict[str, tuple[Change, ...]]:
    """Risk event id → the changes that require its re-assessment, events in sorted order.

    A change on a measure the register does not know is refused: it would otherwise be lost silently.
    """
    out: dict[str, list[Change]] = {}
    unknown = []
    for change in changes:
        event = event_of_measure.get(change.measure_id)
        if event is None:
            unknown.append(
                ("measure_id", "unknown_measure", f"no risk event has measure {change.measure_id!r}")
            )
            continue
        out.setdefault(event, []).append(change)
    if unknown:
        raise InvalidInputError.of(unknown)
    return {event: tuple(out[event]) for event in sorted(out)}
