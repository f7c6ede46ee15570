"""Recurring check tasks (隐患排查任务) from control measures: the day's windows, missed checks, escalation.

Windows are calendar-aligned on the Shanghai wall clock and stored as UTC (ARCHITECTURE invariant 5):
- hourly: 24 windows of the day; per shift: the shifts that *start* on the day, by the enterprise's
  pattern (default three 8-hour shifts from 00:00; a shift runs to the next start, the last one into
  the next day); daily: the day;
- weekly: an ISO week, Monday 00:00 to the next Monday; monthly: the 1st to the 1st of the next month;
  quarterly: from 1 January / April / July / October; half-yearly: from 1 January / July; yearly: from
  1 January.
`tasks_due(measures, day)` lists the windows that open on `day`; a weekly task is therefore due on
Mondays only, a monthly one on the 1st. Anchoring cycles on the calendar (not on a measure's own start
date) is our choice: the national format carries only a cycle number and unit (小时/天/月/年,
dp_code_tables.csv `check_cycle_unit`) and is silent on alignment.

A window with no check record inside [start, end) by its end is missed. Consecutive misses of a measure
escalate by the table `data/escalation.csv` (our rule; the reference is silent, see data/README.md).
Asia/Shanghai has had no daylight saving since 1991, so every day has 24 hours; a UTC instant is
converted to its Shanghai date, and a naive datetime is refused.
"""

from __future__ import annotations

import bisect
import csv
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt

from zhiben.errors import InvalidInputError
from zhiben.kit.clock import SHANGHAI


class Cycle(StrEnum):
    hourly = "hourly"  # 每小时
    shift = "shift"  # 每班
    daily = "daily"  # 每天
    weekly = "weekly"  # 每周
    monthly = "monthly"  # 每月
    quarterly = "quarterly"  # 每季度
    half_yearly = "half_yearly"  # 每半年
    yearly = "yearly"  # 每年

    @property
    def code(self) -> int:
        """Position in the enum: the int8 code the vectorised generator takes."""
        return CYCLES.index(self)


CYCLES: tuple[Cycle, ...] = tuple(Cycle)


class Responsibility(StrEnum):
    """The 包保 levels, lowest first (work_type 3/2/1 in the exchange format, dp_code_tables.csv)."""

    operator = "operator"  # 操作负责人
    technical_lead = "technical_lead"  # 技术负责人
    main_responsible = "main_responsible"  # 主要负责人


REGULATOR = "regulator"  # 监管部门: the last step of escalation


@dataclass(frozen=True)
class ShiftPattern:
    """Start times of the shifts in a day, ascending; each shift ends where the next begins."""

    starts: tuple[time, ...] = (time(0), time(8), time(16))

    def __post_init__(self) -> None:
        if not self.starts or list(self.starts) != sorted(set(self.starts)):
            raise InvalidInputError(
                "shift_pattern", "not_ascending", "shift starts must be unique and ascending"
            )
        if any(s.tzinfo is not None for s in self.starts):
            raise InvalidInputError(
                "shift_pattern", "aware_time", "shift starts are Shanghai wall-clock times"
            )


DEFAULT_SHIFTS = ShiftPattern()


@dataclass(frozen=True)
class Measure:
    """A control measure as the task generator sees it (also a task template)."""

    id: str
    cycle: Cycle
    level: Responsibility
    enterprise_id: str = ""
    title_zh: str = ""
    title_en: str = ""


@dataclass(frozen=True)
class Task:
    measure_id: str
    cycle: Cycle
    level: Responsibility
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC, exclusive


def shanghai_day(day: date | datetime) -> date:
    """The Shanghai calendar date of a date, or of an aware instant (UTC or any zone)."""
    if isinstance(day, datetime):
        if day.tzinfo is None or day.utcoffset() is None:
            raise InvalidInputError(
                "day", "naive_datetime", "a datetime must carry its time zone (UTC in storage)"
            )
        return day.astimezone(SHANGHAI).date()
    return day


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _at(day: date, wall: time = time(0)) -> datetime:
    return datetime.combine(day, wall, SHANGHAI).astimezone(UTC)


_MONTHS_OPENING = {
    Cycle.monthly: (range(1, 13), 1),
    Cycle.quarterly: ((1, 4, 7, 10), 3),
    Cycle.half_yearly: ((1, 7), 6),
    Cycle.yearly: ((1,), 12),
}


def windows(
    cycle: Cycle, day: date, shifts: ShiftPattern = DEFAULT_SHIFTS
) -> list[tuple[datetime, datetime]]:
    """The [start, end) windows of a cycle that open on a Shanghai day, in UTC."""
    following = day + timedelta(days=1)
    if cycle is Cycle.hourly:
        edges = [_at(day, time(h)) for h in range(24)] + [_at(following)]
        return list(itertools.pairwise(edges))
    if cycle is Cycle.shift:
        edges = [_at(day, s) for s in shifts.starts] + [_at(following, shifts.starts[0])]
        return list(itertools.pairwise(edges))
    if cycle is Cycle.daily:
        return [(_at(day), _at(following))]
    if cycle is Cycle.weekly:
        return [(_at(day), _at(day + timedelta(days=7)))] if day.isoweekday() == 1 else []
    months, length = _MONTHS_OPENING[cycle]
    if day.day != 1 or day.month not in months:
        return []
    return [(_at(day), _at(_add_months(day, length)))]


def tasks_due(
    measures: Iterable[Measure], day: date | datetime, shifts: Mapping[str, ShiftPattern] | None = None
) -> list[Task]:
    """The check tasks whose window opens on the Shanghai day, measure by measure (the plain generator)."""
    local = shanghai_day(day)
    patterns = shifts or {}
    out = []
    for m in measures:
        for start, end in windows(m.cycle, local, patterns.get(m.enterprise_id, DEFAULT_SHIFTS)):
            out.append(Task(m.id, m.cycle, m.level, start, end))
    return out


# --- vectorised ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskArrays:
    """One row per task, in the plain generator's order: the measure's index and the window in epoch seconds."""

    measure: npt.NDArray[np.int64]
    starts_s: npt.NDArray[np.int64]
    ends_s: npt.NDArray[np.int64]


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


def tasks_due_arrays(
    cycles: npt.NDArray[np.integer],
    day: date | datetime,
    pattern: npt.NDArray[np.integer] | None = None,
    patterns: Sequence[ShiftPattern] = (DEFAULT_SHIFTS,),
) -> TaskArrays:
    """`tasks_due` over arrays: `cycles` holds `Cycle.code`s, `pattern` (optional) an index into `patterns`
    per measure for its enterprise's shift pattern. The windows of each (cycle, pattern) are computed once
    for the day, then gathered for every measure."""
    local = shanghai_day(day)
    rows = [windows(c, local) if c is not Cycle.shift else [] for c in CYCLES]
    rows += [windows(Cycle.shift, local, p) for p in patterns]
    width = max(len(r) for r in rows)
    starts = np.zeros((len(rows), width), dtype=np.int64)
    ends = np.zeros((len(rows), width), dtype=np.int64)
    counts = np.zeros(len(rows), dtype=np.int64)
    for i, row in enumerate(rows):
        counts[i] = len(row)
        starts[i, : len(row)] = [_epoch(s) for s, _ in row]
        ends[i, : len(row)] = [_epoch(e) for _, e in row]
    codes = np.asarray(cycles, dtype=np.int64)
    if codes.size and (codes.min() < 0 or codes.max() >= len(CYCLES)):
        raise InvalidInputError("cycles", "unknown_cycle", f"cycle codes run from 0 to {len(CYCLES) - 1}")
    row_of = codes.copy()
    shift_rows = codes == Cycle.shift.code
    chosen = np.zeros(codes.shape, dtype=np.int64) if pattern is None else np.asarray(pattern, dtype=np.int64)
    row_of[shift_rows] = len(CYCLES) + chosen[shift_rows]
    per_measure = counts[row_of]
    measure = np.repeat(np.arange(codes.size, dtype=np.int64), per_measure)
    first = np.cumsum(per_measure) - per_measure
    slot = np.arange(measure.size, dtype=np.int64) - np.repeat(first, per_measure)
    task_rows = row_of[measure]
    return TaskArrays(measure, starts[task_rows, slot], ends[task_rows, slot])


# --- missed checks and escalation ---------------------------------------------------------------


def missed(tasks: Iterable[Task], checked_at: Mapping[str, Sequence[datetime]], now: datetime) -> list[Task]:
    """Tasks whose window has ended by `now` with no check record of their measure inside it.

    `checked_at` holds each measure's record times, ascending and aware."""
    shanghai_day(now)  # refuses a naive instant
    out = []
    for task in tasks:
        if task.ends_at > now:
            continue
        times = checked_at.get(task.measure_id, ())
        i = bisect.bisect_left(times, task.starts_at)
        if i == len(times) or times[i] >= task.ends_at:
            out.append(task)
    return out


@dataclass(frozen=True)
class EscalationRule:
    level: Responsibility
    misses_in_a_row: int
    notify: str  # a Responsibility value or REGULATOR


def parse_escalation(text: str) -> tuple[EscalationRule, ...]:
    rules = []
    for row_no, row in enumerate(csv.DictReader(text.splitlines()), start=2):
        try:
            level = Responsibility(row["level"])
            count = int(row["misses_in_a_row"])
        except (ValueError, KeyError, TypeError):
            raise InvalidInputError(f"escalation row {row_no}", "invalid", f"bad row {row!r}") from None
        notify = row.get("notify") or ""
        if count < 1 or notify not in {*Responsibility, REGULATOR}:
            raise InvalidInputError(f"escalation row {row_no}", "invalid", f"bad row {row!r}")
        rules.append(EscalationRule(level, count, notify))
    return tuple(rules)


@lru_cache(maxsize=1)
def escalation_rules() -> tuple[EscalationRule, ...]:
    text = resources.files("zhiben.dualprevention").joinpath("data/escalation.csv").read_text("utf-8")
    return parse_escalation(text)


def trailing_misses(was_missed: Sequence[bool]) -> int:
    """How many windows in a row, counting back from the latest, were missed."""
    count = 0
    for flag in reversed(was_missed):
        if not flag:
            break
        count += 1
    return count


def escalate_to(
    level: Responsibility, misses_in_a_row: int, rules: Sequence[EscalationRule] | None = None
) -> str | None:
    """Who must be told after `misses_in_a_row` consecutive misses of a task owned at `level`."""
    reached = [
        r for r in rules or escalation_rules() if r.level is level and misses_in_a_row >= r.misses_in_a_row
    ]
    return max(reached, key=lambda r: r.misses_in_a_row).notify if reached else None


@dataclass(frozen=True)
class Escalation:
    measure_id: str
    level: Responsibility
    misses_in_a_row: int
    notify: str


def escalations(
    tasks: Iterable[Task],
    checked_at: Mapping[str, Sequence[datetime]],
    now: datetime,
    rules: Sequence[EscalationRule] | None = None,
) -> list[Escalation]:
    """For each measure, its run of misses over its ended windows and whom that run must reach now."""
    ended: dict[str, list[Task]] = defaultdict(list)
    for task in tasks:
        if task.ends_at <= now:
            ended[task.measure_id].append(task)
    missed_ids = {
        (t.measure_id, t.starts_at) for t in missed((t for ts in ended.values() for t in ts), checked_at, now)
    }
    out = []
    for measure_id in sorted(ended):
        ordered = sorted(ended[measure_id], key=lambda t: t.starts_at)
        run = trailing_misses([(measure_id, t.starts_at) in missed_ids for t in ordered])
        notify = escalate_to(ordered[-1].level, run, rules)
        if notify is not None:
            out.append(Escalation(measure_id, ordered[-1].level, run, notify))
    return out


# --- the quarterly major-hazard self-inspection (Action 3) ------------------------------------


@dataclass(frozen=True)
class ChecklistQuestion:
    fact: str
    question_zh: str
    question_en: str


def self_inspection_templates(
    pack_id: str,
    questions: Iterable[ChecklistQuestion | tuple[str, str, str]],
    enterprise_id: str = "",
    level: Responsibility = Responsibility.main_responsible,
) -> list[Measure]:
    """Quarterly task templates, one per question of the determination standard's checklist.

    Owned by the main responsible person by default: the action plan puts the quarterly self-inspection on
    the enterprise; which 包保 level does it is not stated in the reference, so it is a parameter."""
    out = []
    seen = set()
    for q in questions:
        item = q if isinstance(q, ChecklistQuestion) else ChecklistQuestion(*q)
        if not item.fact or item.fact in seen:
            raise InvalidInputError("fact", "duplicate_or_empty", f"fact {item.fact!r} is empty or repeated")
        seen.add(item.fact)
        out.append(
            Measure(
                f"self-inspection/{pack_id}/{item.fact}",
                Cycle.quarterly,
                level,
                enterprise_id,
                item.question_zh,
                item.question_en,
            )
        )
    return out


def window_containing(
    cycle: Cycle, at: datetime, shifts: ShiftPattern = DEFAULT_SHIFTS
) -> tuple[datetime, datetime]:
    """The [start, end) window of a cycle that holds the instant `at` (which must be aware)."""
    local = shanghai_day(at)
    monday = local - timedelta(days=local.isoweekday() - 1)
    first = local.replace(day=1)
    openings = (
        local,
        local - timedelta(days=1),
        monday,
        first,
        first.replace(month=(local.month - 1) // 3 * 3 + 1),
        first.replace(month=1 if local.month < 7 else 7),
        first.replace(month=1),
    )
    for day in openings:
        for start, end in windows(cycle, day, shifts):
            if start <= at < end:
                return start, end
    raise InvalidInputError("checked_at", "no_window", f"no {cycle.value} window holds {at.isoformat()}")
