"""Assessment of jurisdictions (考核): KPIs per division, points by a scheme kept as data, ranking. Pure.

The registry is aggregated in SQL (repository.py) into `Counts` per county; this module turns counts into
KPI values, values into points by the scheme (`data/scheme.yaml`, the platform's example: the reference gives
no national weights), and the lower-level divisions' scores into a ranking. No I/O beyond reading the packaged
scheme, no clock: the period and "now" come in as arguments.

Each KPI has a kind that says how its value comes from its counts, so a traced list of records (one per
counted record, with a flag for the numerator and a value where the KPI is a mean or sum) gives the same
number again:

    count  value = n                      (overdue major hazards, accidents)
    rate   value = numerator ÷ n          (clearance rate, close-outs on time, coverage, ...)
    sum    value = Σ value                (deaths)
    mean   value = Σ value ÷ #valued      (alarm response minutes, tip-off response hours)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import Enum, StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from zhiben.errors import InvalidInputError
from zhiben.kit.clock import SHANGHAI


class Kind(Enum):
    count = "count"
    rate = "rate"
    sum = "sum"
    mean = "mean"


class Direction(Enum):
    higher = "higher"
    lower = "lower"


class Record(StrEnum):
    """What a KPI counts, and so what its trace lists."""

    hazard = "hazard"
    enterprise = "enterprise"
    alarm = "alarm"
    accident = "accident"
    tipoff = "tipoff"


@dataclass(frozen=True)
class Kpi:
    code: str
    kind: Kind
    record: Record
    name_zh: str
    name_en: str
    unit: str = ""  # shown beside the value: %, min, h, or a count word


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "clearance_rate",
        Kind.rate,
        Record.hazard,
        "重大隐患整改率（动态清零）",
        "Major hazards rectified (clearance)",
        "%",
    ),
    Kpi("overdue_major", Kind.count, Record.hazard, "逾期未整改重大隐患", "Overdue major hazards", "项"),
    Kpi(
        "closed_on_time_rate",
        Kind.rate,
        Record.hazard,
        "重大隐患按期销号率",
        "Major hazards closed on time",
        "%",
    ),
    Kpi("listed_handled_rate", Kind.rate, Record.hazard, "挂牌督办隐患办结率", "Listed hazards handled", "%"),
    Kpi(
        "red_orange_coverage",
        Kind.rate,
        Record.enterprise,
        "红橙企业执法覆盖率",
        "Red/orange enterprises inspected",
        "%",
    ),
    Kpi(
        "alarm_ack_on_time_rate",
        Kind.rate,
        Record.alarm,
        "报警按时确认率",
        "Alarms acknowledged in time",
        "%",
    ),
    Kpi("alarm_response_min", Kind.mean, Record.alarm, "报警平均响应时间", "Mean alarm response", "min"),
    Kpi("accidents", Kind.count, Record.accident, "生产安全事故起数", "Accidents", "起"),
    Kpi("deaths", Kind.sum, Record.accident, "事故死亡人数", "Deaths in accidents", "人"),
    Kpi("tipoff_response_h", Kind.mean, Record.tipoff, "举报平均响应时间", "Mean tip-off response", "h"),
)
KPI_BY_CODE = {k.code: k for k in KPIS}


def kpi_of(code: str) -> Kpi:
    try:
        return KPI_BY_CODE[code]
    except KeyError:
        raise InvalidInputError("kpi", "unknown", f"one of {', '.join(KPI_BY_CODE)}") from None


# ------------------------------------------------------------------------------------------- counts


@dataclass(frozen=True)
class Counts:
    """One KPI's aggregate over some records: how many, how many in the numerator, and the sum and number of
    the per-record values (a mean's or a sum's)."""

    n: int = 0
    numerator: int = 0
    total: float = 0.0
    valued: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.n + other.n,
            self.numerator + other.numerator,
            self.total + other.total,
            self.valued + other.valued,
        )


def value_of(kind: Kind, counts: Counts) -> float | None:
    """The KPI's value; None when there is nothing to take a rate or mean of."""
    match kind:
        case Kind.count:
            return float(counts.n)
        case Kind.rate:
            return round(counts.numerator / counts.n, 4) if counts.n else None
        case Kind.sum:
            return float(counts.total)
        case Kind.mean:
            return round(counts.total / counts.valued, 2) if counts.valued else None
    return None  # pragma: no cover


def child_for(county_code: str, prefix: str, children: Iterable[str]) -> str | None:
    """The direct child (as the division table has it) of the division `prefix` that holds the county: a
    province's cities and the counties it administers directly (Beijing's districts, Hubei's 仙桃市), a
    city's counties, the nation's provinces. None when the county lies under none of them."""
    known = set(children)
    for candidate in (county_code, county_code[:4] + "00", county_code[:2] + "0000"):
        if candidate in known and candidate.startswith(prefix):
            return candidate
    return None


def roll_up(
    per_county: Mapping[str, Counts], prefix: str, children: Iterable[str]
) -> tuple[Counts, dict[str, Counts]]:
    """The division's total and each child's, from counts per county."""
    kids = list(children)
    by_child: dict[str, Counts] = {}
    total = Counts()
    for county, counts in per_county.items():
        total = total + counts
        child = child_for(county, prefix, kids)
        if child is not None:
            by_child[child] = by_child.get(child, Counts()) + counts
    return total, by_child


# ------------------------------------------------------------------------------------------- period


@dataclass(frozen=True)
class Period:
    """Whole days in Beijing time, both included; `bounds` is the half-open UTC interval they make."""

    start: date
    end: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        low = datetime.combine(self.start, time(), tzinfo=SHANGHAI)
        high = datetime.combine(self.end + timedelta(days=1), time(), tzinfo=SHANGHAI)
        return low, high


def check_period(start: date, end: date) -> Period:
    if end < start:
        raise InvalidInputError("end", "before_start", "the period ends before it starts")
    if (end - start).days > 3 * 366:
        raise InvalidInputError("end", "too_long", "a period of at most three years")
    return Period(start, end)


# ------------------------------------------------------------------------------------------- scheme


@dataclass(frozen=True)
class Rule:
    """How one KPI earns points: linear from `zero_at` (0) to `full_at` (all the weight), clamped."""

    weight: float
    direction: Direction
    full_at: float
    zero_at: float

    def points(self, value: float) -> float:
        share = (value - self.zero_at) / (self.full_at - self.zero_at)
        return round(self.weight * min(1.0, max(0.0, share)), 2)


@dataclass(frozen=True)
class Scheme:
    version: str
    basis: str
    rules: Mapping[str, Rule]


def scheme_from_mapping(data: Mapping[str, Any]) -> Scheme:
    problems: list[tuple[str, str, str]] = []
    rules: dict[str, Rule] = {}
    for code, raw in dict(data.get("kpis") or {}).items():
        where = f"kpis.{code}"
        if code not in KPI_BY_CODE:
            problems.append((where, "unknown", "not a KPI the platform computes"))
            continue
        try:
            rule = Rule(
                float(raw["weight"]),
                Direction(raw["direction"]),
                float(raw["full_at"]),
                float(raw["zero_at"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            problems.append((where, "malformed", f"weight, direction, full_at, zero_at: {exc}"))
            continue
        rising = rule.full_at > rule.zero_at
        if rule.weight <= 0 or rule.full_at == rule.zero_at or rising != (rule.direction == Direction.higher):
            problems.append(
                (where, "inconsistent", "weight > 0, and full_at beyond zero_at in the direction")
            )
            continue
        rules[code] = rule
    if not rules and not problems:
        problems.append(("kpis", "required", "at least one KPI"))
    if problems:
        raise InvalidInputError.of(problems)
    return Scheme(str(data.get("version", "")), str(data.get("basis", "")), rules)


@lru_cache
def packaged_scheme() -> Scheme:
    text = resources.files("zhiben.assessment").joinpath("data/scheme.yaml").read_text("utf-8")
    return scheme_from_mapping(yaml.safe_load(text))


@dataclass(frozen=True)
class Score:
    points: Mapping[str, float]  # per KPI that had a value
    earned: float
    possible: float

    @property
    def total(self) -> float | None:
        """Out of 100, over the KPIs that had a value; None if none had."""
        return round(100 * self.earned / self.possible, 1) if self.possible else None


def score(values: Mapping[str, float | None], scheme: Scheme) -> Score:
    points = {
        code: rule.points(v) for code, rule in scheme.rules.items() if (v := values.get(code)) is not None
    }
    possible = sum(scheme.rules[code].weight for code in points)
    return Score(points, round(sum(points.values()), 2), possible)


# ------------------------------------------------------------------------------------------- ranking


@dataclass(frozen=True)
class Ranked:
    code: str
    score: float | None
    rank: int | None  # 1 is best; equal scores share a rank (1, 2, 2, 4); None: nothing to score


def rank(scores: Mapping[str, float | None]) -> list[Ranked]:
    """Best first; ties by division code for the order, with the same rank; unscored last, unranked."""
    scored = sorted(((s, c) for c, s in scores.items() if s is not None), key=lambda sc: (-sc[0], sc[1]))
    out: list[Ranked] = []
    for i, (value, code) in enumerate(scored):
        same = out and out[-1].score == value
        out.append(Ranked(code, value, out[-1].rank if same else i + 1))
    out.extend(Ranked(c, None, None) for c in sorted(c for c, s in scores.items() if s is None))
    return out


# ------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Row:
    """One division's KPIs, points and score (and rank among its siblings, for a child)."""

    code: str
    name: str
    values: Mapping[str, float | None]
    counts: Mapping[str, Counts]
    points: Mapping[str, float]
    score: float | None
    rank: int | None = None
    by_grade: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # grade → (accidents, deaths)
    enterprises: int = 0  # registered enterprises in the caller's scope


@dataclass(frozen=True)
class Assessment:
    division: Row
    children: Sequence[Row]  # in rank order
    period: Period
    computed_at: datetime
    scheme: Scheme


def assess(
    code: str,
    name: str,
    counts: Mapping[str, Counts],
    scheme: Scheme,
    by_grade: Mapping[str, tuple[int, int]] | None = None,
    enterprises: int = 0,
) -> Row:
    """The row's values and points. A division with no registered enterprise is not scored (and so not ranked):
    having no records is no evidence of good work, and its zero overdue hazards and accidents would earn full
    points."""
    values = {k.code: value_of(k.kind, counts.get(k.code, Counts())) for k in KPIS}
    found = score(values, scheme) if enterprises else Score({}, 0.0, 0.0)
    return Row(
        code, name, values, dict(counts), found.points, found.total, None, dict(by_grade or {}), enterprises
    )


def ranked_rows(rows: Sequence[Row]) -> list[Row]:
    """The rows in rank order, each with its rank among them."""
    by_code = {row.code: row for row in rows}
    return [replace(by_code[r.code], rank=r.rank) for r in rank({row.code: row.score for row in rows})]


@dataclass(frozen=True)
class TraceRecord:
    """One record behind a KPI: its id and readable label (a hazard's number), the child division it counts
    for, whether it is in the rate's numerator, its value for a mean or sum, related ids (the inspections that
    cover an enterprise)."""

    record: Record
    id: int
    label: str
    county_code: str
    in_numerator: bool = False
    value: float | None = None
    related: tuple[int, ...] = ()


def counts_of(records: Iterable[TraceRecord]) -> Counts:
    """The counts a list of traced records makes: the KPI's value from them equals the aggregate's."""
    items = list(records)
    valued = [r.value for r in items if r.value is not None]
    return Counts(len(items), sum(1 for r in items if r.in_numerator), float(sum(valued)), len(valued))
