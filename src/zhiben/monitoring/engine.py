"""The vectorised alarm engine (numpy): a batch of readings in, alarm events out, per-sensor state
carried from one batch to the next. It computes exactly what `reference.py` computes, reading by
reading (the rules are in `domain.py`); tests/test_monitoring_engine.py checks that for random
streams cut into random batches.

    table = SensorTable.build(sensors)                      # once per sensor configuration
    state = EngineState.initial(table)                      # or EngineState.from_states(table, stored)
    result = evaluate(table, state, sensor_index, ts_ms, value, until_ms)
    result.events.to_events(table)                          # list[AlarmEvent], in listing order
    result.state.sensor_state(i)                            # SensorState of sensor i, to persist

How it stays vectorised: readings are grouped by sensor with one stable sort (arrival order kept),
and every latch (limits, stuck, rate, out of range, offline) is turned into the few positions where
something can change. A limit changes only where a reading is not clearly on its "off" side, so the
dense work per reading is a handful of comparisons; runs, delays (a search on a sorted time key) and
transitions are computed on the sparse positions only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from zhiben.monitoring.domain import (
    CONDITION_ORDER,
    AlarmEvent,
    Condition,
    LimitState,
    Phase,
    Sensor,
    SensorState,
    from_ms,
)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]
NONE = np.iinfo(np.int64).min  # "no time" in a state array
NEVER = np.iinfo(np.int64).max  # a delay, window or date that is never reached
COND = {c: CONDITION_ORDER.index(c) for c in Condition}


def _opt_ms(value: int | None) -> int:
    return NONE if value is None else value


def _ms_or_none(value: Any) -> int | None:
    return None if int(value) == NONE else int(value)


@dataclass(frozen=True)
class SensorTable:
    """The sensors as arrays (index i is `sensors[i]`); limits in sensor order (CSR: `lim_ptr`).
    Limit thresholds are kept in a signed space x = sign * value where every limit is "high":
    on when x >= on_ge, off when x < off_lt (strict limits moved to the next float)."""

    sensors: tuple[Sensor, ...]
    valid_min: F64
    valid_max: F64
    offline_after: I64
    stuck_window: I64
    stuck_tolerance: F64
    rate: F64  # nan: not watched
    calibration_due: I64
    lim_ptr: I64
    lim_sensor: I64
    lim_slot: I64
    lim_condition: I64
    lim_sign: F64
    lim_on_ge: F64
    lim_off_lt: F64
    lim_on_delay: I64
    lim_off_delay: I64
    high_from: F64  # per sensor: a reading at or above this may change a high limit
    low_from: F64  # per sensor: a reading at or below this may change a low limit

    @classmethod
    def build(cls, sensors: Sequence[Sensor]) -> SensorTable:
        limits = [(i, slot, lim) for i, s in enumerate(sensors) for slot, lim in enumerate(s.limits)]
        sign = np.array([float(lim.direction) for _, _, lim in limits], dtype=np.float64)
        on = np.array([lim.on_at for _, _, lim in limits], dtype=np.float64) * sign
        off = np.array([lim.off_at for _, _, lim in limits], dtype=np.float64) * sign
        strict = np.array([lim.is_strict for _, _, lim in limits], dtype=bool)
        on_ge = np.where(strict, np.nextafter(on, np.inf), on)
        off_lt = np.where(strict, np.nextafter(off, np.inf), off)
        owner = np.array([i for i, _, _ in limits], dtype=np.int64)
        high_from = np.full(len(sensors), np.inf)
        low_from = np.full(len(sensors), -np.inf)
        is_high = sign > 0
        np.minimum.at(high_from, owner[is_high], off_lt[is_high])
        np.maximum.at(low_from, owner[~is_high], -off_lt[~is_high])
        return cls(
            sensors=tuple(sensors),
            valid_min=np.array([s.valid_min for s in sensors], dtype=np.float64),
            valid_max=np.array([s.valid_max for s in sensors], dtype=np.float64),
            offline_after=np.array([_never(s.offline_after_ms) for s in sensors], dtype=np.int64),
            stuck_window=np.array([_never(s.stuck_window_ms) for s in sensors], dtype=np.int64),
            stuck_tolerance=np.array([s.stuck_tolerance for s in sensors], dtype=np.float64),
            rate=np.array(
                [np.nan if s.rate_per_s is None else s.rate_per_s for s in sensors], dtype=np.float64
            ),
            calibration_due=np.array([_never(s.calibration_due_ms) for s in sensors], dtype=np.int64),
            lim_ptr=np.concatenate([[0], np.cumsum([len(s.limits) for s in sensors])]).astype(np.int64),
            lim_sensor=owner,
            lim_slot=np.array([slot for _, slot, _ in limits], dtype=np.int64),
            lim_condition=np.array([COND[lim.condition] for _, _, lim in limits], dtype=np.int64),
            lim_sign=sign,
            lim_on_ge=on_ge,
            lim_off_lt=off_lt,
            lim_on_delay=np.array([lim.on_delay_ms for _, _, lim in limits], dtype=np.int64),
            lim_off_delay=np.array([lim.off_delay_ms for _, _, lim in limits], dtype=np.int64),
            high_from=high_from,
            low_from=low_from,
        )

    def __len__(self) -> int:
        return len(self.sensors)


def _never(value: int | None) -> int:
    return NEVER if value is None else value


@dataclass(frozen=True)
class EngineState:
    """Every sensor's `SensorState`, as columns (NONE = no time, nan = no value)."""

    last_ts: I64
    is_offline: B
    is_out_of_range: B
    last_valid_ts: I64
    last_valid_value: F64
    flat_since: I64
    is_stuck: B
    is_rate: B
    is_calibration_due: B
    out_of_order: I64
    duplicates: I64
    lim_active: B
    lim_on_since: I64
    lim_off_since: I64

    @classmethod
    def initial(cls, table: SensorTable) -> EngineState:
        """Nothing seen yet (the same as `from_states` with a fresh `SensorState` per sensor)."""
        n, n_lim = len(table), len(table.lim_sensor)

        def times(k: int) -> I64:
            return np.full(k, NONE, dtype=np.int64)

        return cls(
            last_ts=times(n),
            is_offline=np.zeros(n, bool),
            is_out_of_range=np.zeros(n, bool),
            last_valid_ts=times(n),
            last_valid_value=np.full(n, np.nan),
            flat_since=times(n),
            is_stuck=np.zeros(n, bool),
            is_rate=np.zeros(n, bool),
            is_calibration_due=np.zeros(n, bool),
            out_of_order=np.zeros(n, np.int64),
            duplicates=np.zeros(n, np.int64),
            lim_active=np.zeros(n_lim, bool),
            lim_on_since=times(n_lim),
            lim_off_since=times(n_lim),
        )

    @classmethod
    def from_states(cls, table: SensorTable, states: Sequence[SensorState]) -> EngineState:
        fitted = [st.fit(s) for st, s in zip(states, table.sensors, strict=True)]
        limits = [ls for st in fitted for ls in st.limits]

        def col(name: str, dtype: Any) -> Any:
            values = [getattr(st, name) for st in fitted]
            if dtype is np.int64:
                values = [_opt_ms(v) for v in values]
            if dtype is np.float64:
                values = [np.nan if v is None else v for v in values]
            return np.array(values, dtype=dtype)

        return cls(
            last_ts=col("last_ts_ms", np.int64),
            is_offline=col("is_offline", bool),
            is_out_of_range=col("is_out_of_range", bool),
            last_valid_ts=col("last_valid_ts_ms", np.int64),
            last_valid_value=col("last_valid_value", np.float64),
            flat_since=col("flat_since_ms", np.int64),
            is_stuck=col("is_stuck", bool),
            is_rate=col("is_rate", bool),
            is_calibration_due=col("is_calibration_due", bool),
            out_of_order=col("out_of_order", np.int64),
            duplicates=col("duplicates", np.int64),
            lim_active=np.array([ls.is_active for ls in limits], dtype=bool),
            lim_on_since=np.array([_opt_ms(ls.on_since_ms) for ls in limits], dtype=np.int64),
            lim_off_since=np.array([_opt_ms(ls.off_since_ms) for ls in limits], dtype=np.int64),
        )

    def copy(self) -> EngineState:
        return replace(self, **{f.name: getattr(self, f.name).copy() for f in fields(self)})

    def sensor_state(self, table: SensorTable, i: int) -> SensorState:
        lo, hi = int(table.lim_ptr[i]), int(table.lim_ptr[i + 1])
        value = float(self.last_valid_value[i])
        return SensorState(
            last_ts_ms=_ms_or_none(self.last_ts[i]),
            is_offline=bool(self.is_offline[i]),
            is_out_of_range=bool(self.is_out_of_range[i]),
            last_valid_ts_ms=_ms_or_none(self.last_valid_ts[i]),
            last_valid_value=None if np.isnan(value) else value,
            flat_since_ms=_ms_or_none(self.flat_since[i]),
            is_stuck=bool(self.is_stuck[i]),
            is_rate=bool(self.is_rate[i]),
            is_calibration_due=bool(self.is_calibration_due[i]),
            limits=tuple(
                LimitState(
                    bool(self.lim_active[k]),
                    _ms_or_none(self.lim_on_since[k]),
                    _ms_or_none(self.lim_off_since[k]),
                )
                for k in range(lo, hi)
            ),
            out_of_order=int(self.out_of_order[i]),
            duplicates=int(self.duplicates[i]),
        )

    def states(self, table: SensorTable) -> list[SensorState]:
        return [self.sensor_state(table, i) for i in range(len(table))]


@dataclass(frozen=True)
class EventColumns:
    """Events as columns, in listing order (time, sensor, condition, limit slot, cleared first)."""

    sensor: I64
    ts: I64
    condition: I64  # index into CONDITION_ORDER
    slot: I64
    is_active: B
    value: F64  # nan: none

    def __len__(self) -> int:
        return len(self.ts)

    def to_events(self, table: SensorTable) -> list[AlarmEvent]:
        out = []
        for i, ts, c, slot, active, value in zip(
            self.sensor.tolist(),
            self.ts.tolist(),
            self.condition.tolist(),
            self.slot.tolist(),
            self.is_active.tolist(),
            self.value.tolist(),
            strict=True,
        ):
            sensor = table.sensors[i]
            condition = CONDITION_ORDER[c]
            level = sensor.limits[slot].level if condition in (Condition.alarm, Condition.power_off) else None
            phase = Phase.active if active else Phase.cleared
            out.append(
                AlarmEvent(
                    sensor.sensor_id, from_ms(ts), condition, level, phase, None if value != value else value
                )
            )
        return out


@dataclass(frozen=True)
class BatchResult:
    events: EventColumns
    state: EngineState
    out_of_order: int
    duplicates: int
    touched: I64  # sensors that had readings in the batch (their state changed)


class _Events:
    def __init__(self) -> None:
        self.parts: list[tuple[I64, I64, int | I64, int | I64, bool | B, F64]] = []

    def add(
        self,
        sensor: I64,
        ts: I64,
        condition: Condition | I64,
        slot: int | I64,
        active: bool | B,
        value: F64 | float,
    ) -> None:
        if len(ts) == 0:
            return
        n = len(ts)
        cond = np.full(n, COND[condition]) if isinstance(condition, Condition) else condition
        self.parts.append(
            (
                sensor.astype(np.int64),
                ts.astype(np.int64),
                np.broadcast_to(cond, n).astype(np.int64),
                np.broadcast_to(slot, n).astype(np.int64),
                np.broadcast_to(active, n).astype(bool),
                np.broadcast_to(np.asarray(value, dtype=np.float64), n).astype(np.float64),
            )
        )

    def columns(self) -> EventColumns:
        if not self.parts:
            empty = np.zeros(0, dtype=np.int64)
            return EventColumns(empty, empty, empty, empty, np.zeros(0, bool), np.zeros(0))
        sensor, ts, cond, slot, active, value = (np.concatenate(c) for c in zip(*self.parts, strict=True))
        order = np.lexsort((active, slot, cond, sensor, ts))
        return EventColumns(sensor[order], ts[order], cond[order], slot[order], active[order], value[order])


@dataclass(frozen=True)
class _Groups:
    """Contiguous runs of one sensor's readings: sensor id, [start, end) positions."""

    sensor: I64
    start: I64
    end: I64

    @classmethod
    def of_counts(cls, sensor: I64, counts: I64) -> _Groups:
        keep = counts > 0
        ends = np.cumsum(counts[keep])
        return cls(sensor[keep], ends - counts[keep], ends)

    @property
    def counts(self) -> I64:
        return self.end - self.start

    def rep(self, per_group: npt.NDArray[Any]) -> npt.NDArray[Any]:
        return np.repeat(per_group, self.counts)

    def of(self, positions: I64) -> I64:
        """The group index of each position."""
        return np.searchsorted(self.start, positions, side="right") - 1

    def interior_changes(self, flags: B) -> I64:
        """Positions where `flags` differs from the previous reading of the same sensor."""
        changed = np.flatnonzero(flags[1:] != flags[:-1]) + 1
        return changed[~np.isin(changed, self.start)] if len(changed) else changed

    def first_at_least(self, ts: I64, group: I64, at: I64) -> I64:
        """Per query: the first position in `group` whose time is >= `at` (its end if none)."""
        span = ts[self.end - 1] - ts[self.start] + 1
        offset = np.cumsum(span) - span - ts[self.start]
        key = ts + self.rep(offset)
        target = np.clip(at, ts[self.start[group]], ts[self.end[group] - 1] + 1) + offset[group]
        return np.asarray(np.searchsorted(key, target, side="left"), dtype=np.int64)


def evaluate(
    table: SensorTable,
    state: EngineState,
    sensor_index: npt.ArrayLike,
    ts_ms: npt.ArrayLike,
    value: npt.ArrayLike,
    until_ms: int,
) -> BatchResult:
    """Evaluate one batch (arrays of equal length, in arrival order). `until_ms` is the time the
    batch is evaluated at: offline deadlines and calibration dates up to it are reported."""
    idx = np.asarray(sensor_index, dtype=np.int64)
    ts = np.asarray(ts_ms, dtype=np.int64)
    val = np.asarray(value, dtype=np.float64)
    if not (len(idx) == len(ts) == len(val)):
        raise ValueError("sensor_index, ts_ms and value must have the same length")
    if len(idx) and (idx.min() < 0 or idx.max() >= len(table)):
        raise ValueError("a sensor index is outside the sensor table")
    new = state.copy()
    events = _Events()
    counts = np.bincount(idx, minlength=len(table)).astype(np.int64)
    if len(idx) > 1 and np.any(idx[1:] < idx[:-1]):
        order = np.argsort(idx.astype(np.uint16) if len(table) <= 65536 else idx, kind="stable")
        ts, val = ts[order], val[order]
    groups = _Groups.of_counts(np.arange(len(table), dtype=np.int64), counts)
    touched = groups.sensor
    ts, val, groups, dropped, dups = _accept(ts, val, groups, new)
    _offline_on_arrival(table, state, new, groups, ts, val, events)
    _calibration(table, state, new, groups, ts, until_ms, events)
    vts, vv, vgroups = _out_of_range(table, state, new, groups, ts, val, events)
    if len(vgroups.sensor):
        step = _steps(vgroups, vv, state.last_valid_value[vgroups.sensor])
        _flat_line(table, state, new, vgroups, vts, vv, events, step)
        _rate(table, state, new, vgroups, vts, vv, events, step)
        _limits(table, state, new, vgroups, vts, vv, events)
        new.last_valid_ts[vgroups.sensor] = vts[vgroups.end - 1]
        new.last_valid_value[vgroups.sensor] = vv[vgroups.end - 1]
    _offline_at_end(table, new, until_ms, events)
    return BatchResult(events.columns(), new, dropped, dups, touched)


def _accept(ts: I64, val: F64, groups: _Groups, new: EngineState) -> tuple[I64, F64, _Groups, int, int]:
    """Drop duplicates and out-of-order readings (not later than the sensor's latest so far)."""
    last = new.last_ts[groups.sensor]
    first_ok = ts[groups.start] > last
    steps_ok = ts[1:] > ts[:-1]
    steps_ok[groups.start[groups.start > 0] - 1] = True  # across sensors
    if first_ok.all() and steps_ok.all():
        new.last_ts[groups.sensor] = ts[groups.end - 1]
        return ts, val, groups, 0, 0
    gi = groups.rep(np.arange(len(groups.sensor), dtype=np.int64))
    latest_before = _running_max_before(ts, groups, last)
    accepted = ts > latest_before
    dup = ts == latest_before
    n_groups = len(groups.sensor)
    ooo_per = np.bincount(gi[~accepted & ~dup], minlength=n_groups)
    dup_per = np.bincount(gi[dup], minlength=n_groups)
    new.out_of_order[groups.sensor] += ooo_per
    new.duplicates[groups.sensor] += dup_per
    kept = np.bincount(gi[accepted], minlength=n_groups).astype(np.int64)
    ts, val = ts[accepted], val[accepted]
    groups = _Groups.of_counts(groups.sensor, kept)
    new.last_ts[groups.sensor] = ts[groups.end - 1]
    return ts, val, groups, int(ooo_per.sum()), int(dup_per.sum())


def _running_max_before(ts: I64, groups: _Groups, last: I64) -> I64:
    """For each reading, the latest time seen before it for its sensor (state included)."""
    base = int(ts.min()) - 1
    rel = ts - base  # >= 1
    start_rel = np.maximum(last, base) - base  # 0 for no previous reading
    span = int(rel.max()) + 1
    n_groups = len(groups.sensor)
    if n_groups * span < 2**62:
        offset = np.arange(n_groups, dtype=np.int64) * span
        key = rel + groups.rep(offset)
        running = np.maximum.accumulate(key)
        before = np.zeros_like(running)
        before[1:] = running[:-1]
        before = np.maximum(before, groups.rep(offset + start_rel))
        return np.asarray(before - groups.rep(offset) + base, dtype=np.int64)
    out = np.empty_like(ts)
    for g in range(n_groups):  # huge spans: one sensor at a time
        lo, hi = groups.start[g], groups.end[g]
        running = np.maximum.accumulate(ts[lo:hi])
        out[lo] = last[g]
        out[lo + 1 : hi] = np.maximum(running[:-1], last[g])
    return out


def _offline_on_arrival(
    table: SensorTable,
    old: EngineState,
    new: EngineState,
    groups: _Groups,
    ts: I64,
    val: F64,
    events: _Events,
) -> None:
    """A reading ends an offline spell; one that comes later than the deadline also starts one."""
    s, first = groups.sensor, groups.start
    after = table.offline_after[s]
    was_offline = old.is_offline[s]
    events.add(s[was_offline], ts[first[was_offline]], Condition.offline, 0, False, val[first[was_offline]])
    prev = old.last_ts[s]
    late = ~was_offline & (after != NEVER) & (prev != NONE)
    late[late] = ts[first[late]] - prev[late] > after[late]
    events.add(s[late], prev[late] + after[late], Condition.offline, 0, True, np.nan)
    events.add(s[late], ts[first[late]], Condition.offline, 0, False, val[first[late]])
    if len(ts) > 1 and (after != NEVER).any():
        limit = groups.rep(after)
        gaps = np.flatnonzero(ts[1:] - ts[:-1] > limit[1:]) + 1
        gaps = gaps[~np.isin(gaps, first)]
        owner = s[groups.of(gaps)]
        events.add(owner, ts[gaps - 1] + limit[gaps], Condition.offline, 0, True, np.nan)
        events.add(owner, ts[gaps], Condition.offline, 0, False, val[gaps])
    new.is_offline[s] = False


def _offline_at_end(table: SensorTable, new: EngineState, until: int, events: _Events) -> None:
    after = table.offline_after
    due = (after != NEVER) & (new.last_ts != NONE) & ~new.is_offline
    due[due] = until - new.last_ts[due] > after[due]
    sensors = np.flatnonzero(due)
    events.add(sensors, new.last_ts[sensors] + after[sensors], Condition.offline, 0, True, np.nan)
    new.is_offline[sensors] = True


def _calibration(
    table: SensorTable,
    old: EngineState,
    new: EngineState,
    groups: _Groups,
    ts: I64,
    until: int,
    events: _Events,
) -> None:
    """Evaluated at each accepted reading and at the end (the later of `until` and the last reading);
    the times only grow, so a batch can clear it once (at its first time) and raise it once (at the date)."""
    last = new.last_ts
    end_at = np.where(last == NONE, until, np.maximum(last, until))
    first_at = end_at.copy()
    first_at[groups.sensor] = ts[groups.start]
    due = table.calibration_due
    was = old.is_calibration_due
    clear = was & (first_at < due)
    raised = (end_at >= due) & (~was | clear)
    c = np.flatnonzero(clear)
    events.add(c, first_at[c], Condition.calibration_due, 0, False, np.nan)
    r = np.flatnonzero(raised)
    events.add(r, due[r], Condition.calibration_due, 0, True, np.nan)
    new.is_calibration_due[:] = end_at >= due


def _out_of_range(
    table: SensorTable,
    old: EngineState,
    new: EngineState,
    groups: _Groups,
    ts: I64,
    val: F64,
    events: _Events,
) -> tuple[I64, F64, _Groups]:
    """Raise / clear out_of_range on change; return the valid readings only."""
    s = groups.sensor
    lo, hi = table.valid_min[s], table.valid_max[s]
    if len(s) and lo.min() == lo.max() and hi.min() == hi.max():
        valid = (val >= lo[0]) & (val <= hi[0])
    else:
        valid = (val >= groups.rep(lo)) & (val <= groups.rep(hi))
    was = old.is_out_of_range[s]
    if valid.all() and not was.any():
        return ts, val, groups
    invalid = ~valid
    first = groups.start
    starts = first[invalid[first] != was]
    changes = np.sort(np.concatenate([starts, groups.interior_changes(invalid)]))
    events.add(s[groups.of(changes)], ts[changes], Condition.out_of_range, 0, invalid[changes], val[changes])
    new.is_out_of_range[s] = invalid[groups.end - 1]
    kept = np.add.reduceat(valid.astype(np.int64), first) if len(first) else np.zeros(0, np.int64)
    return ts[valid], val[valid], _Groups.of_counts(s, kept)


def _steps(groups: _Groups, vv: F64, previous: F64) -> F64:
    """|value - previous valid value| per reading (nan where there is no previous)."""
    step = np.empty_like(vv)
    step[1:] = np.abs(vv[1:] - vv[:-1])
    step[groups.start] = np.abs(vv[groups.start] - previous)
    return step


def _flat_line(
    table: SensorTable,
    old: EngineState,
    new: EngineState,
    g: _Groups,
    vts: I64,
    vv: F64,
    events: _Events,
    step: F64,
) -> None:
    s = g.sensor
    tol = table.stuck_tolerance[s]
    flat = step <= (tol[0] if tol.min() == tol.max() else g.rep(tol))  # nan (no previous) is not flat
    was = old.is_stuck[s]
    cleared_first = was & ~flat[g.start]
    events.add(
        s[cleared_first], vts[g.start[cleared_first]], Condition.stuck, 0, False, vv[g.start[cleared_first]]
    )
    new.flat_since[s] = vts[g.end - 1]
    new.is_stuck[s] = False
    pos = np.flatnonzero(flat)
    if not len(pos):
        return
    grp = g.of(pos)
    run_start = np.ones(len(pos), dtype=bool)
    run_start[1:] = (pos[1:] != pos[:-1] + 1) | (grp[1:] != grp[:-1])
    a_idx = np.flatnonzero(run_start)
    b_idx = np.append(a_idx[1:], len(pos)) - 1
    a, b, rg = pos[a_idx], pos[b_idx], grp[a_idx]
    carried = a == g.start[rg]
    since = np.where(carried, old.flat_since[s[rg]], vts[a - 1 + carried])
    window = table.stuck_window[s[rg]]
    already = carried & old.is_stuck[s[rg]]
    j = np.full(len(a), np.iinfo(np.int64).max)
    watch = (window != NEVER) & ~already
    if watch.any():
        j[watch] = np.maximum(g.first_at_least(vts, rg[watch], since[watch] + window[watch]), a[watch])
    raised = watch & (j <= b)
    events.add(s[rg[raised]], vts[j[raised]], Condition.stuck, 0, True, vv[j[raised]])
    active = already | raised
    ends_inside = active & (b + 1 < g.end[rg])
    events.add(s[rg[ends_inside]], vts[b[ends_inside] + 1], Condition.stuck, 0, False, vv[b[ends_inside] + 1])
    last_run = b == g.end[rg] - 1
    new.flat_since[s[rg[last_run]]] = since[last_run]
    new.is_stuck[s[rg[last_run]]] = active[last_run]


def _rate(
    table: SensorTable,
    old: EngineState,
    new: EngineState,
    g: _Groups,
    vts: I64,
    vv: F64,
    events: _Events,
    step: F64,
) -> None:
    s = g.sensor
    rate = table.rate[s]
    was = old.is_rate[s]
    if np.isnan(rate).all() and not was.any():
        return
    dt = np.empty(len(vts), dtype=np.float64)
    dt[1:] = vts[1:] - vts[:-1]
    prev_ts = old.last_valid_ts[s]
    has_prev = prev_ts != NONE
    dt[g.start] = np.where(has_prev, vts[g.start] - np.where(has_prev, prev_ts, 0), np.nan)
    fast = step >= g.rep(rate) * (dt / 1000.0)
    first = g.start
    fast[first[~has_prev]] = was[~has_prev]  # the first valid reading ever has no rate: hold
    starts = first[fast[first] != was]
    changes = np.sort(np.concatenate([starts, g.interior_changes(fast)]))
    events.add(s[g.of(changes)], vts[changes], Condition.rate, 0, fast[changes], vv[changes])
    new.is_rate[s] = fast[g.end - 1]


def _uniform_or_rep(g: _Groups, per_group: F64) -> F64 | float:
    return float(per_group[0]) if per_group.min() == per_group.max() else g.rep(per_group)


def _limits(
    table: SensorTable, old: EngineState, new: EngineState, g: _Groups, vts: I64, vv: F64, events: _Events
) -> None:
    """Every limit latch of every sensor at once, on the readings not clearly on the limit's off side."""
    s = g.sensor
    n_lim = table.lim_ptr[s + 1] - table.lim_ptr[s]
    if not n_lim.sum():
        return
    lat = _Latches(table, old, g, vts, n_lim)
    lo = table.low_from[s]
    candidate = vv >= _uniform_or_rep(g, table.high_from[s])
    if (lo > -np.inf).any():
        candidate |= vv <= _uniform_or_rep(g, lo)
    cq, cpos, is_on = lat.pairs(np.flatnonzero(candidate), vv)
    set_q, set_at = lat.on_runs(cq, cpos, is_on)
    reset_q, reset_at = lat.off_runs(cq, cpos)
    q = np.concatenate([set_q, reset_q])
    at = np.concatenate([set_at, reset_at])
    label = np.concatenate([np.ones(len(set_q), bool), np.zeros(len(reset_q), bool)])
    order = np.lexsort((at, q))
    q, at, label = q[order], at[order], label[order]
    before = old.lim_active[lat.rows[q]]
    before[1:] = np.where(q[1:] == q[:-1], label[:-1], before[1:])
    t = label != before
    rows = lat.rows[q[t]]
    sensors = s[lat.group[q[t]]]
    events.add(sensors, vts[at[t]], table.lim_condition[rows], table.lim_slot[rows], label[t], vv[at[t]])
    last = np.searchsorted(q, np.arange(lat.n), side="right") - 1
    has = (last >= 0) & (q[np.maximum(last, 0)] == np.arange(lat.n)) if len(q) else np.zeros(lat.n, bool)
    active = old.lim_active[lat.rows].copy()
    active[has] = label[last[has]]
    new.lim_active[lat.rows] = active
    new.lim_on_since[lat.rows] = lat.on_end
    new.lim_off_since[lat.rows] = lat.off_end


class _Latches:
    """The limits of the sensors in a batch, numbered q = 0..n-1 in sensor order (`rows` maps q to
    the table's limit rows, `group` to the batch group). Finds, per limit, the first reading of each
    run of readings on its "on" side (and of each run on its "off" side) that has lasted its delay."""

    def __init__(self, table: SensorTable, old: EngineState, g: _Groups, vts: I64, n_lim: I64) -> None:
        self.table, self.old, self.g, self.vts = table, old, g, vts
        self.n = int(n_lim.sum())
        self.n_lim = n_lim
        self.first_q = np.cumsum(n_lim) - n_lim
        self.group = np.repeat(np.arange(len(n_lim)), n_lim)
        self.rows = np.repeat(table.lim_ptr[g.sensor], n_lim) + (
            np.arange(self.n) - np.repeat(self.first_q, n_lim)
        )
        self.on_end = np.full(self.n, NONE, dtype=np.int64)
        self.off_end = np.full(self.n, NONE, dtype=np.int64)

    def pairs(self, positions: I64, vv: F64) -> tuple[I64, I64, B]:
        """(limit, position) for every reading not on the limit's off side, sorted by limit then
        position, and whether it is on the on side (else in the deadband)."""
        grp = self.g.of(positions)
        per = self.n_lim[grp]
        pos = np.repeat(positions, per)
        q = np.repeat(self.first_q[grp], per) + (
            np.arange(int(per.sum())) - np.repeat(np.cumsum(per) - per, per)
        )
        r = self.rows[q]
        x = vv[pos] * self.table.lim_sign[r]
        keep = x >= self.table.lim_off_lt[r]
        q, pos, x, r = q[keep], pos[keep], x[keep], r[keep]
        order = np.argsort(q, kind="stable")
        return q[order], pos[order], (x >= self.table.lim_on_ge[r])[order]

    def _first_lasting(self, q: I64, a: I64, b: I64, since: I64, delay: I64) -> tuple[I64, B]:
        j = a.copy()
        wait = delay > 0
        if wait.any():
            found = self.g.first_at_least(self.vts, self.group[q[wait]], since[wait] + delay[wait])
            j[wait] = np.maximum(found, a[wait])
        return j, j <= b

    def on_runs(self, cq: I64, cpos: I64, is_on: B) -> tuple[I64, I64]:
        k = np.flatnonzero(is_on)
        if not len(k):
            return k, k
        starts = np.ones(len(k), dtype=bool)
        starts[1:] = (cq[k[1:]] != cq[k[:-1]]) | (cpos[k[1:]] != cpos[k[:-1]] + 1)
        first = np.flatnonzero(starts)
        last = np.append(first[1:], len(k)) - 1
        q, a, b = cq[k[first]], cpos[k[first]], cpos[k[last]]
        since = self._since(q, a, self.old.lim_on_since)
        j, fires = self._first_lasting(q, a, b, since, self.table.lim_on_delay[self.rows[q]])
        ends = b == self.g.end[self.group[q]] - 1
        self.on_end[q[ends]] = since[ends]
        return q[fires], j[fires]

    def off_runs(self, cq: I64, cpos: I64) -> tuple[I64, I64]:
        n = len(cq)
        all_q = np.arange(self.n)
        g_start, g_end = self.g.start[self.group], self.g.end[self.group]
        fk = np.searchsorted(cq, all_q, side="left")
        has = fk < n
        has[has] = cq[fk[has]] == all_q[has]
        first_c = np.where(has, cpos[np.minimum(fk, max(n - 1, 0))] if n else 0, g_end)
        head = first_c > g_start  # the batch starts on the off side
        same_next = np.zeros(n, dtype=bool)
        same_next[:-1] = cq[1:] == cq[:-1]
        nxt = np.where(same_next, np.append(cpos[1:], 0), g_end[cq] if n else 0)
        gap = cpos + 1 < nxt
        q = np.concatenate([all_q[head], cq[gap]])
        a = np.concatenate([g_start[head], cpos[gap] + 1])
        b = np.concatenate([first_c[head], nxt[gap]]) - 1
        since = self._since(q, a, self.old.lim_off_since)
        j, fires = self._first_lasting(q, a, b, since, self.table.lim_off_delay[self.rows[q]])
        ends = b == self.g.end[self.group[q]] - 1
        self.off_end[q[ends]] = since[ends]
        return q[fires], j[fires]

    def _since(self, q: I64, a: I64, carried: I64) -> I64:
        """When each run started: its first reading, or the previous batch's run it continues."""
        before = carried[self.rows[q]]
        continues = (a == self.g.start[self.group[q]]) & (before != NONE)
        return np.where(continues, before, self.vts[a])
