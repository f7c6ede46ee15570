"""Alarm-system performance KPIs (ISA-18.2 §16.4, EEMUA 191) from annunciation records. Pure.

Input: the annunciations of one enterprise (one record per time an alarm was annunciated, see
`alarm_states.is_annunciation`) and the assessment period `[start, end)`. Output: each KPI's value
beside its target row in `data/alarm_management_kpis.csv` (copied verbatim from the reference;
secondary sources, the standards are paywalled) and a verdict.

Every number comes from that CSV, read by `reference_from_csv`; the tests pin what is read, so an
edit of the CSV shows up there. Definitions and boundaries (row of the CSV in brackets):

- Average rate per operating position, per 10 min and per hour ["Average annunciated alarm rate
  per operating position (10 min)" / "(hourly)"]: annunciations raised in the period / number of
  10-minute periods (hours) / operator positions. Target `~1` (`~6`), maximum manageable `~2`
  (`~12`); the approximations are read as inclusive bounds (≤). Per day: computed, no target (the
  reference says per-day targets were not confirmed).
- Flood periods ["Share of 10-minute periods containing more than 10 alarms"]: the period is cut
  into consecutive 10-minute periods from `start`; a period with more than 10 annunciations
  (11 or more; exactly 10 is not a flood) counts. Target `< ~1%`, strict.
- Peak ["Maximum number of alarms in any 10-minute period"]: the most annunciations in any sliding
  half-open window `[t, t + 10 min)`. Target `<= 10`.
- Time in flood ["Percentage of time the alarm system is in flood"]: a flood starts at the
  annunciation that brings the trailing 10-minute count (window `(t − 10 min, t]`) above 10 and ends
  when that count falls below 5 (the source's end rule, which the reference calls an implementation
  choice). Target `< ~1%`, strict.
- Top-10 share ["Share of total load from the top-10 most frequent alarms"]: annunciations of the
  10 most frequent alarms (sensor, condition) / all annunciations. Target `~1% to 5% (maximum)`,
  read as ≤ 5 %.
- Chattering and fleeting ["Chattering and fleeting alarms"], target 0, from the row's notes: an
  alarm chatters when more than 5 transitions (into alarm at `raised_at`, out at `cleared_at`) fall
  within 5 minutes of each other (inclusive); an annunciation is fleeting when it cleared less than
  10 s after it was raised (exactly 10 s is not fleeting). The value counts distinct alarms.
- Stale ["Stale alarms (... e.g. > 24 h)"]: an alarm is stale while it has been active
  (raised, not cleared) for more than 24 h (exactly 24 h is not stale); it counts on each 24-hour day
  from `start` during which it is stale for some time. The value is the highest count on any day;
  target `< 5 present on any day`, strict.
- Priority distribution ["Annunciated alarm priority distribution (3 priorities)"]: share of
  annunciations per priority. Verdict (our reading of the approximate split): highest (`emergency`)
  below the notes' 1 %, high ≤ 5 %, medium ≤ 15 %; low is shown against ~80 % without a verdict.

Flood rules apply to the enterprise's whole stream as one operator position (records carry no
position); `operator_positions` only divides the average rates.
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from zhiben.errors import InvalidInputError
from zhiben.monitoring.alarm_states import AlarmKey, Priority

TEN_MINUTES = timedelta(minutes=10)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Annunciation:
    """One annunciation of one alarm. `cleared_at` is None while the condition is still active."""

    enterprise_id: int
    sensor_id: str
    condition: str
    priority: Priority
    raised_at: datetime
    cleared_at: datetime | None = None
    acknowledged_at: datetime | None = None

    @property
    def key(self) -> AlarmKey:
        return AlarmKey(self.sensor_id, self.condition)


class Verdict(StrEnum):
    meets_target = "meets_target"
    within_upper_limit = "within_upper_limit"  # above the target, at or under the maximum manageable
    exceeds = "exceeds"


@dataclass(frozen=True)
class Bound:
    op: str  # "<" or "<="
    value: float

    def holds(self, x: float) -> bool:
        return x < self.value if self.op == "<" else x <= self.value


@dataclass(frozen=True)
class Target:
    """One row of the reference table, with the bounds read from its text."""

    metric: str
    text: str  # the target cell, verbatim
    target: Bound
    upper_limit: Bound | None
    unit: str
    basis: str
    source_id: str

    def judge(self, value: float) -> Verdict:
        if self.target.holds(value):
            return Verdict.meets_target
        if self.upper_limit is not None and self.upper_limit.holds(value):
            return Verdict.within_upper_limit
        return Verdict.exceeds


@dataclass(frozen=True)
class DetectionRules:
    flood_window: timedelta
    flood_more_than: int
    flood_ends_below: int
    chatter_window: timedelta
    chatter_more_than: int  # transitions
    fleeting_under: timedelta
    stale_over: timedelta


@dataclass(frozen=True)
class Reference:
    targets: Mapping[str, Target]  # by KPI id
    low_priority_text: str
    rules: DetectionRules


# KPI id → the reference row it is judged against, as a pattern over the `metric` column (the
# numbers in a row's name are data too, so they are matched, not spelled).
METRIC_ROWS: dict[str, str] = {
    "alarms_per_10_min": r"Average annunciated alarm rate per operating position \(10 min\)",
    "alarms_per_hour": r"Average annunciated alarm rate per operating position \(hourly\)",
    "flood_period_share_pct": r"Share of \d+-minute periods containing more than \d+ alarms",
    "max_alarms_in_10_min": r"Maximum number of alarms in any 10-minute period",
    "time_in_flood_pct": r"Percentage of time the alarm system is in flood",
    "top10_share_pct": r"Share of total load from the top-10 most frequent alarms",
    "chattering_and_fleeting": r"Chattering and fleeting alarms",
    "stale_max_per_day": r"Stale alarms \(continuously annunciated .*\)",
}
PRIORITY_ROW = r"Annunciated alarm priority distribution \(3 priorities\)"


# ---- reading the reference ------------------------------------------------------------------


def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    if match is None:
        raise ValueError(f"the reference text {text!r} no longer matches {pattern!r}")
    return float(match.group(1))


def parse_bound(text: str) -> Bound:
    """'~6' → ≤ 6; '< ~1%' → < 1; '<= 10' → ≤ 10; '~1% to 5% (maximum)' → ≤ 5; '< 5 present …' → < 5."""
    numbers = re.findall(r"\d+(?:\.\d+)?", text)
    if not numbers:
        raise ValueError(f"no number in reference bound {text!r}")
    op = "<" if re.match(r"\s*<(?!=)", text) else "<="
    return Bound(op, float(numbers[-1]))


def _target(row: Mapping[str, str], text: str | None = None) -> Target:
    upper = row["upper_limit"].strip()
    return Target(
        metric=row["metric"],
        text=row["target"] if text is None else text,
        target=parse_bound(row["target"] if text is None else text),
        upper_limit=parse_bound(upper) if upper else None,
        unit=row["unit"],
        basis=row["standard_basis"],
        source_id=row["source_id"],
    )


def _priority_targets(row: Mapping[str, str]) -> dict[str, Target]:
    split = {name: value for name, value in re.findall(r"(\w+) (~\d+%)", row["target"])}
    highest = re.search(r"'highest' priority if used (< \d+%)", row["notes"])
    if highest is None or not {"medium", "high", "low"} <= split.keys():
        raise ValueError(f"the priority row no longer reads as expected: {row}")
    bare = {**row, "upper_limit": ""}
    return {
        "priority_emergency_pct": _target(bare, highest.group(1)),
        "priority_high_pct": _target(bare, split["high"]),
        "priority_medium_pct": _target(bare, split["medium"]),
    }


def _row(rows: Sequence[Mapping[str, str]], pattern: str) -> Mapping[str, str]:
    found = [row for row in rows if re.fullmatch(pattern, row["metric"])]
    if len(found) != 1:
        raise ValueError(f"{len(found)} reference rows match {pattern!r}, expected one")
    return found[0]


def _rules(rows: Sequence[Mapping[str, str]]) -> DetectionRules:
    flood_row = _row(rows, METRIC_ROWS["flood_period_share_pct"])["metric"]
    chatter_notes = _row(rows, METRIC_ROWS["chattering_and_fleeting"])["notes"]
    stale_row = _row(rows, METRIC_ROWS["stale_max_per_day"])["metric"]
    flood_notes = _row(rows, METRIC_ROWS["time_in_flood_pct"])["notes"]
    return DetectionRules(
        flood_window=timedelta(minutes=_number(r"(\d+)-minute periods", flood_row)),
        flood_more_than=int(_number(r"more than (\d+) alarms", flood_row)),
        flood_ends_below=int(_number(r"end rule \(< (\d+)/", flood_notes)),
        chatter_window=timedelta(minutes=_number(r">\d+ transitions in (\d+) min", chatter_notes)),
        chatter_more_than=int(_number(r">(\d+) transitions", chatter_notes)),
        fleeting_under=timedelta(seconds=_number(r"<(\d+) s duration", chatter_notes)),
        stale_over=timedelta(hours=_number(r"> (\d+) h", stale_row)),
    )


def reference_from_csv(text: str) -> Reference:
    rows = list(csv.DictReader(text.splitlines()))
    targets = {kpi: _target(_row(rows, pattern)) for kpi, pattern in METRIC_ROWS.items()}
    priority_row = _row(rows, PRIORITY_ROW)
    targets.update(_priority_targets(priority_row))
    low = re.search(r"low (~\d+%)", priority_row["target"])
    return Reference(targets, low.group(1) if low else "", _rules(rows))


@lru_cache
def reference() -> Reference:
    """The packaged table (data/alarm_management_kpis.csv)."""
    path = resources.files("zhiben.monitoring").joinpath("data/alarm_management_kpis.csv")
    return reference_from_csv(path.read_text("utf-8"))


# ---- the measures ---------------------------------------------------------------------------


def flood_periods(times: Sequence[datetime], start: datetime, end: datetime, rules: DetectionRules) -> int:
    """How many consecutive fixed periods from `start` hold more than the flood count."""
    counts = Counter((t - start) // rules.flood_window for t in times if start <= t < end)
    return sum(1 for n in counts.values() if n > rules.flood_more_than)


def peak_in_window(times: Sequence[datetime], window: timedelta) -> int:
    """The most times in any half-open window [t, t + window)."""
    ordered, best, first = sorted(times), 0, 0
    for last, t in enumerate(ordered):
        while t - ordered[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


def time_in_flood(times: Sequence[datetime], end: datetime, rules: DetectionRules) -> timedelta:
    """Flood from the annunciation that brings the trailing count above the flood count until the
    trailing count falls below the end count (or `end`)."""
    changes: dict[datetime, int] = defaultdict(int)
    for t in times:
        changes[t] += 1
        changes[t + rules.flood_window] -= 1  # the window (t − w, t] no longer holds it
    count, began, total = 0, None, timedelta(0)
    for instant in sorted(changes):
        if instant >= end:
            break
        count += changes[instant]
        if began is None and count > rules.flood_more_than:
            began = instant
        elif began is not None and count < rules.flood_ends_below:
            total, began = total + (instant - began), None
    return total + (end - began if began is not None else timedelta(0))


def chattering_alarms(records: Iterable[Annunciation], rules: DetectionRules) -> set[AlarmKey]:
    """Alarms with more than the chatter count of transitions within the chatter window (inclusive)."""
    transitions: dict[AlarmKey, list[datetime]] = defaultdict(list)
    for record in records:
        transitions[record.key].append(record.raised_at)
        if record.cleared_at is not None:
            transitions[record.key].append(record.cleared_at)
    return {
        key
        for key, times in transitions.items()
        if peak_in_window(times, rules.chatter_window + _TICK) > rules.chatter_more_than
    }


_TICK = timedelta(microseconds=1)  # makes the half-open window [t, t + w + tick) inclusive of t + w


def fleeting_alarms(records: Iterable[Annunciation], rules: DetectionRules) -> set[AlarmKey]:
    return {
        r.key
        for r in records
        if r.cleared_at is not None and r.cleared_at - r.raised_at < rules.fleeting_under
    }


def stale_per_day(
    records: Iterable[Annunciation], start: datetime, end: datetime, rules: DetectionRules
) -> list[int]:
    """Distinct stale alarms present on each 24-hour day from `start` (the last day may be short)."""
    days = math.ceil((end - start) / DAY)
    present: list[set[AlarmKey]] = [set() for _ in range(days)]
    for r in records:
        stale_from, until = r.raised_at + rules.stale_over, r.cleared_at or end
        if stale_from >= until:
            continue  # never active for more than the stale duration
        # the days [d0, d1) that meet the open interval (stale_from, until)
        for day in range(max(0, (stale_from - start) // DAY), min(days, math.ceil((until - start) / DAY))):
            present[day].add(r.key)
    return [len(keys) for keys in present]


def top_share_pct(keys: Sequence[AlarmKey], top: int = 10) -> float:
    if not keys:
        return 0.0
    return 100 * sum(n for _, n in Counter(keys).most_common(top)) / len(keys)


def priority_shares_pct(priorities: Sequence[Priority]) -> dict[Priority, float]:
    counts = Counter(priorities)
    return {p: (100 * counts[p] / len(priorities) if priorities else 0.0) for p in Priority}


# ---- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiResult:
    kpi: str
    value: float
    target: Target | None
    verdict: Verdict | None  # None where the reference gives no target


@dataclass(frozen=True)
class KpiReport:
    enterprise_id: int | None
    start: datetime
    end: datetime
    annunciations: int
    results: Mapping[str, KpiResult]
    chattering: frozenset[AlarmKey]
    fleeting: frozenset[AlarmKey]
    stale_by_day: tuple[int, ...]
    top10: tuple[tuple[AlarmKey, int], ...]
    priority_shares_pct: Mapping[Priority, float]
    low_priority_target: str


def _check_period(start: datetime, end: datetime, operator_positions: int) -> None:
    if start.tzinfo is None or end.tzinfo is None:
        raise InvalidInputError("start", "naive_datetime", "the period must carry a timezone")
    if end <= start:
        raise InvalidInputError("end", "not_after_start", "the period must end after it starts")
    if operator_positions < 1:
        raise InvalidInputError("operator_positions", "not_positive", "at least one operator position")


def compute_kpis(
    records: Iterable[Annunciation],
    start: datetime,
    end: datetime,
    *,
    operator_positions: int = 1,
    ref: Reference | None = None,
) -> KpiReport:
    """The KPIs of one enterprise's annunciations over [start, end), each against its target."""
    _check_period(start, end, operator_positions)
    ref = ref or reference()
    rules, all_records = ref.rules, list(records)
    raised = [r for r in all_records if start <= r.raised_at < end]
    times = [r.raised_at for r in raised]
    span = end - start
    chattering, fleeting = chattering_alarms(raised, rules), fleeting_alarms(raised, rules)
    stale = stale_per_day([r for r in all_records if r.raised_at < end], start, end, rules)
    shares = priority_shares_pct([r.priority for r in raised])
    values: dict[str, float] = {
        "alarms_per_10_min": len(raised) / (span / TEN_MINUTES) / operator_positions,
        "alarms_per_hour": len(raised) / (span / HOUR) / operator_positions,
        "alarms_per_day": len(raised) / (span / DAY) / operator_positions,
        "flood_period_share_pct": 100
        * flood_periods(times, start, end, rules)
        / math.ceil(span / rules.flood_window),
        "max_alarms_in_10_min": peak_in_window(times, rules.flood_window),
        "time_in_flood_pct": 100 * (time_in_flood(times, end, rules) / span),
        "top10_share_pct": top_share_pct([r.key for r in raised]),
        "chattering_and_fleeting": len(chattering | fleeting),
        "stale_max_per_day": max(stale, default=0),
        "priority_emergency_pct": shares[Priority.emergency],
        "priority_high_pct": shares[Priority.high],
        "priority_medium_pct": shares[Priority.medium],
        "priority_low_pct": shares[Priority.low],
    }
    results = {kpi: _result(kpi, value, ref.targets.get(kpi)) for kpi, value in values.items()}
    enterprises = {r.enterprise_id for r in all_records}
    return KpiReport(
        enterprise_id=enterprises.pop() if len(enterprises) == 1 else None,
        start=start,
        end=end,
        annunciations=len(raised),
        results=results,
        chattering=frozenset(chattering),
        fleeting=frozenset(fleeting),
        stale_by_day=tuple(stale),
        top10=tuple(Counter(r.key for r in raised).most_common(10)),
        priority_shares_pct=shares,
        low_priority_target=ref.low_priority_text,
    )


def _result(kpi: str, value: float, target: Target | None) -> KpiResult:
    return KpiResult(kpi, value, target, target.judge(value) if target is not None else None)


def kpis_by_enterprise(
    records: Iterable[Annunciation],
    start: datetime,
    end: datetime,
    *,
    operator_positions: Mapping[int, int] | None = None,
    ref: Reference | None = None,
) -> dict[int, KpiReport]:
    """`compute_kpis` for each enterprise that has records."""
    grouped: dict[int, list[Annunciation]] = defaultdict(list)
    for record in records:
        grouped[record.enterprise_id].append(record)
    positions = operator_positions or {}
    return {
        enterprise: compute_kpis(rows, start, end, operator_positions=positions.get(enterprise, 1), ref=ref)
        for enterprise, rows in sorted(grouped.items())
    }
