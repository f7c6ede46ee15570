"""The province roll-up of the dual-prevention register (双重预防 汇总), vectorised with numpy, and the plain
per-record reference it is tested against.

Per enterprise: risk events by colour (red / orange / yellow / blue = major / high / moderate / low), the
number of risk units, and the day's check tasks due, done and missed; per risk unit: its events by colour
(the "risk map"). A task is done when a check record of its measure falls in its window, missed when its
window has ended by `now` with none (the rule of tasks.missed). Windows use the default shift pattern:
per-enterprise shift patterns are not stored.

Pure: arrays and rows in, arrays out; no database, no clock (`now` is an argument).
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from zhiben.dualprevention.assessment import RiskLevel
from zhiben.dualprevention.tasks import CYCLES, Cycle, Measure, Responsibility, tasks_due, tasks_due_arrays

LEVELS: tuple[RiskLevel, ...] = tuple(RiskLevel)  # code 0 major (red) … 3 low (blue)
COLOURS = tuple(level.colour for level in LEVELS)
_SHIFT = np.int64(1) << np.int64(34)  # seconds fit below 2**34 until the year 2514
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Columns:
    """The province's rows as columns. Events: enterprise, unit, level code (LEVELS index). Measures in
    force: enterprise, cycle code (Cycle.code). Records: index of their measure, check time in epoch s."""

    event_enterprise: Ints
    event_unit: Ints
    event_level: Ints
    measure_enterprise: Ints
    measure_cycle: Ints
    record_measure: Ints
    record_at_s: Ints


@dataclass(frozen=True)
class Rollup:
    enterprises: Ints  # ids, ascending
    colours: Ints  # (enterprise, 4): events per colour
    unit_count: Ints
    tasks_due: Ints
    tasks_done: Ints
    tasks_missed: Ints
    units: Ints  # unit ids, ascending
    unit_enterprise: Ints
    unit_colours: Ints  # (unit, 4)

    def rows(self) -> dict[int, dict[str, Any]]:
        """Per enterprise, plain Python: what the reference returns."""
        return {
            int(e): {
                "colours": dict(zip(COLOURS, (int(v) for v in self.colours[i]), strict=True)),
                "units": int(self.unit_count[i]),
                "due": int(self.tasks_due[i]),
                "done": int(self.tasks_done[i]),
                "missed": int(self.tasks_missed[i]),
            }
            for i, e in enumerate(self.enterprises)
        }

    def unit_rows(self) -> dict[int, dict[str, int]]:
        return {
            int(u): dict(zip(COLOURS, (int(v) for v in self.unit_colours[i]), strict=True))
            for i, u in enumerate(self.units)
        }

    def totals(self) -> dict[str, int]:
        out = dict(zip(COLOURS, (int(v) for v in self.colours.sum(axis=0)), strict=True))
        out |= {"enterprises": int(self.enterprises.size), "units": int(self.units.size)}
        due, done = int(self.tasks_due.sum()), int(self.tasks_done.sum())
        return out | {"due": due, "done": done, "missed": int(self.tasks_missed.sum())}


def _count(index: Ints, size: int, weights: npt.NDArray[np.bool_] | None = None) -> Ints:
    return np.bincount(index, weights=weights, minlength=size).astype(np.int64)


def rollup(cols: Columns, day: date, now: datetime) -> Rollup:
    """The vectorised roll-up (one pass of bincounts and one sorted search)."""
    enterprises = np.unique(np.concatenate([cols.event_enterprise, cols.measure_enterprise]))
    n = enterprises.size
    e_of_event = np.searchsorted(enterprises, cols.event_enterprise)
    colours = _count(e_of_event * 4 + cols.event_level, n * 4).reshape(n, 4)
    units, unit_index = np.unique(cols.event_unit, return_inverse=True)
    unit_colours = _count(unit_index * 4 + cols.event_level, units.size * 4).reshape(units.size, 4)
    unit_enterprise = np.zeros(units.size, dtype=np.int64)
    unit_enterprise[unit_index] = cols.event_enterprise
    unit_count = _count(np.searchsorted(enterprises, unit_enterprise), n)

    tasks = tasks_due_arrays(cols.measure_cycle, day)
    keys = np.sort(cols.record_measure * _SHIFT + cols.record_at_s)
    first = np.searchsorted(keys, tasks.measure * _SHIFT + tasks.starts_s)
    inside = np.zeros(tasks.measure.size, dtype=bool)
    has = first < keys.size
    inside[has] = keys[first[has]] < tasks.measure[has] * _SHIFT + tasks.ends_s[has]
    missed = ~inside & (tasks.ends_s <= int(now.timestamp()))
    e_of_task = np.searchsorted(enterprises, cols.measure_enterprise[tasks.measure])
    return Rollup(
        enterprises,
        colours,
        unit_count,
        _count(e_of_task, n),
        _count(e_of_task, n, inside),
        _count(e_of_task, n, missed),
        units,
        unit_enterprise,
        unit_colours,
    )


def rollup_plain(
    events: Iterable[tuple[int, int, str]],
    measures: Sequence[tuple[int, str]],
    records: Iterable[tuple[int, datetime]],
    day: date,
    now: datetime,
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, int]]]:
    """The reference, record by record: events (enterprise, unit, level word), measures in force
    (enterprise, cycle word) and records (index of the measure, checked at). Returns what
    `Rollup.rows()` and `Rollup.unit_rows()` return."""
    rows: dict[int, dict[str, Any]] = {}

    def row(enterprise: int) -> dict[str, Any]:
        if enterprise not in rows:
            rows[enterprise] = {
                "colours": dict.fromkeys(COLOURS, 0),
                "units": 0,
                "due": 0,
                "done": 0,
                "missed": 0,
            }
        return rows[enterprise]

    units: dict[int, dict[str, int]] = {}
    for enterprise, unit, level in events:
        colour = RiskLevel(level).colour
        row(enterprise)["colours"][colour] += 1
        if unit not in units:
            units[unit] = dict.fromkeys(COLOURS, 0)
            row(enterprise)["units"] += 1
        units[unit][colour] += 1
    times: dict[str, list[datetime]] = defaultdict(list)
    for index, at in records:
        times[str(index)].append(at)
    for found in times.values():
        found.sort()
    plain = [Measure(str(i), Cycle(c), Responsibility.operator, str(e)) for i, (e, c) in enumerate(measures)]
    for task in tasks_due(plain, day):
        target = row(measures[int(task.measure_id)][0])
        found = times.get(task.measure_id, [])
        i = bisect.bisect_left(found, task.starts_at)
        done = i < len(found) and found[i] < task.ends_at
        target["due"] += 1
        target["done"] += done
        target["missed"] += not done and task.ends_at <= now
    for enterprise, _ in measures:
        row(enterprise)
    return dict(sorted(rows.items())), dict(sorted(units.items()))


def level_code(level: str) -> int:
    return LEVELS.index(RiskLevel(level))


def cycle_code(cycle: str) -> int:
    return CYCLES.index(Cycle(cycle))
