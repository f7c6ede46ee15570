"""The simulator (模拟数据): realistic sensor streams for the demo, the tests and the benchmarks.

The generator is pure (no I/O, no clock: time windows come in as epoch milliseconds) and vectorised:
`Simulator(points, seed).window(start_ms, end_ms)` returns every reading due in that window for every
point as numpy arrays, a few million readings a second. The same seed and the same windows give the
same readings. What a stream looks like is declared per sensor kind in `PROFILES`:

- coal-mine methane follows the three 8-hour shifts (三八制): lower on the maintenance shift (检修班),
  with the cutting cycles of the production shifts on top; CO, O2, wind speed, temperature, pressure,
  %LEL and toxic gas sit near a typical value with noise; every analog stream drifts slowly;
- tank levels (液位) go through fill / hold / drain / hold cycles between their operating levels;
- excursions: now and then a value rises (or, for O2 and tank levels, falls) past the sensor's own
  setpoints: methane past its alarm and often its power-off level, a tank past hi and hihi or below
  lo and lolo; the target is drawn between the first setpoint and a quarter beyond the last;
- the coal mine's power-on (馈电) point follows the methane of its mine: it drops to 0 when any
  methane point reaches its power-off value and returns to 1 below the restore value;
- faults (`Faults`): dropouts (gaps: no readings, so the sensor goes offline), flat lines (the value
  stuck at one reading) and spikes (single readings outside the physical range), each a share of
  the readings; and points that fail for good (`dead`), silent from some time on.

The thin runner below it turns stored sensors into points, feeds batches into the database through
the `Ingestor` (the embedded default: no broker) or publishes them to an MQTT broker, QoS 1, on
`zhiben/v1/readings/{enterprise_id % 16}/{enterprise_id}` in the columnar payload of ingest.py.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import zlib
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from zhiben.db.uow import UnitOfWork
from zhiben.kit.clock import Clock
from zhiben.monitoring import domain
from zhiben.monitoring.ingest import Ingestor, IngestReport, Message, sweep
from zhiben.monitoring.models import Sensor, SensorState

log = logging.getLogger(__name__)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

PARTITIONS = 16  # the topic scheme the ingestion worker subscribes to (worker/mqtt_ingest.py)
TOPIC_PREFIX = "zhiben/v1/readings"
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
SHIFT_HOURS = 8
MAINTENANCE_SHIFT = 0  # 0:00-8:00 local time is the maintenance shift (检修班); two shifts produce
MAINTENANCE_FACTOR = 0.55  # methane on the maintenance shift, as a share of the production shifts'
LOCAL_OFFSET_MS = 8 * HOUR_MS  # shifts follow Beijing time (UTC+8, no daylight saving)
FILL_KNOTS = (0.0, 0.35, 0.5, 0.85, 1.0)  # a tank's cycle: fill, hold full, drain, hold empty
FILL_LEVELS = (0.0, 1.0, 1.0, 0.0, 0.0)


@dataclass(frozen=True)
class Profile:
    """How one kind of stream behaves. `noise` and `drift` are in the sensor's unit, or shares of its
    typical value when `relative` (then the typical value is a share of its lowest high setpoint)."""

    base: tuple[float, float]  # typical value, drawn per point in this interval
    noise: float  # standard deviation of one reading
    drift: float  # amplitude of the slow drift (periods of hours)
    decimals: int  # the sensor's resolution
    shape: str = "steady"  # steady | shift | cycle | binary
    excursion: int | None = 1  # +1 up, -1 down, 0 either way, None never
    floor: float | None = 0.0  # nothing reads below this (gas concentrations)
    relative: bool = False


PROFILES: dict[tuple[str, str], Profile] = {
    ("methane", "T0"): Profile((0.30, 0.50), 0.02, 0.04, 2, "shift"),  # 上隅角: the highest
    ("methane", "T1"): Profile((0.20, 0.40), 0.02, 0.04, 2, "shift"),
    ("methane", "T2"): Profile((0.25, 0.45), 0.02, 0.04, 2, "shift"),
    ("methane", ""): Profile((0.10, 0.30), 0.02, 0.03, 2, "shift"),
    ("co", ""): Profile((1.0, 6.0), 0.4, 0.8, 1),
    ("o2", ""): Profile((20.6, 20.9), 0.03, 0.05, 2, excursion=-1),
    ("wind_speed", ""): Profile((0.8, 3.0), 0.06, 0.15, 2, excursion=None),
    ("power_on", ""): Profile((1.0, 1.0), 0.0, 0.0, 0, "binary", excursion=None),
    ("fan_running", ""): Profile((1.0, 1.0), 0.0, 0.0, 0, "binary", excursion=None),
    ("liquid_level", ""): Profile((50.0, 50.0), 0.05, 0.0, 2, "cycle", excursion=0),
    ("combustible_gas", ""): Profile((0.0, 2.0), 0.3, 0.3, 1),
    ("toxic_gas", ""): Profile((0.0, 3.0), 0.5, 0.5, 1),
    ("temperature", ""): Profile((0.55, 0.75), 0.004, 0.03, 1, relative=True, floor=None),
    ("pressure", ""): Profile((0.55, 0.75), 0.004, 0.03, 3, relative=True),
    ("flow", ""): Profile((5.0, 50.0), 0.5, 2.0, 1, excursion=None),
}


def profile_for(kind: str, location_code: str = "") -> Profile:
    found = PROFILES.get((kind, location_code)) or PROFILES.get((kind, ""))
    if found is None:
        raise ValueError(f"the simulator has no profile for kind {kind!r}")
    return found


@dataclass(frozen=True)
class Point:
    """A sensor as the simulator sees it: whose, its point code, kind, period and setpoints (the `on_at`
    of its high and low limits, nearest to normal first), and the power-off latch for methane."""

    enterprise_id: int
    code: str
    kind: str
    period_s: float
    location_code: str = ""
    range_min: float | None = None
    range_max: float | None = None
    highs: tuple[float, ...] = ()
    lows: tuple[float, ...] = ()
    power_off: float | None = None
    restore: float | None = None
    is_silent: bool = False  # reports nothing (a sensor already broken)

    @classmethod
    def of_limits(cls, enterprise_id: int, code: str, kind: str, period_s: float, **kw: Any) -> Point:
        limits: Sequence[domain.Limit] = kw.pop("limits", ())
        alarms = [lim for lim in limits if lim.condition is domain.Condition.alarm]
        power = next((lim for lim in limits if lim.condition is domain.Condition.power_off), None)
        highs = sorted({lim.on_at for lim in alarms if lim.direction is domain.Direction.high})
        highs += [power.on_at] if power and power.on_at not in highs else []
        lows = sorted({lim.on_at for lim in alarms if lim.direction is domain.Direction.low}, reverse=True)
        return cls(
            enterprise_id,
            code,
            kind,
            period_s,
            highs=tuple(sorted(highs)),
            lows=tuple(lows),
            power_off=power.on_at if power else None,
            restore=power.off_at if power else None,
            **kw,
        )


@dataclass(frozen=True)
class Faults:
    """Shares of the readings affected by each fault, and the mean length of an episode."""

    dropout: float = 0.003  # readings lost in gaps
    stuck: float = 0.002  # readings held at one value
    spike: float = 0.0002  # single readings outside the physical range
    dead: float = 0.0  # points that stop reporting for good, at a time within `dead_within_s`
    dropout_periods: float = 12.0  # mean gap, in sampling periods (at least 4: offline after 3)
    stuck_periods: float = 30.0
    dead_within_s: float = 3600.0

    def __post_init__(self) -> None:
        for name in ("dropout", "stuck", "spike", "dead"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} is a share between 0 and 1")
        if self.dropout_periods < 4 or self.stuck_periods < 2:
            raise ValueError("a dropout lasts at least 4 periods and a flat line at least 2")


NO_FAULTS = Faults(dropout=0.0, stuck=0.0, spike=0.0)


@dataclass(frozen=True)
class Batch:
    """Readings of one window, ordered by enterprise, then time, then point. `counts`: readings due,
    and how many were dropped, stuck, spiked or inside an excursion."""

    points: tuple[Point, ...]
    index: I64
    ts_ms: I64
    values: F64
    counts: Mapping[str, int]

    def __len__(self) -> int:
        return len(self.index)

    def enterprises(self) -> Iterator[tuple[int, I64, I64, F64]]:
        """(enterprise id, point indexes, times, values) per enterprise in the batch."""
        if not len(self.index):
            return
        owner = np.array([p.enterprise_id for p in self.points], dtype=np.int64)[self.index]
        cuts = np.flatnonzero(owner[1:] != owner[:-1]) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(owner)], strict=True):
            yield int(owner[lo]), self.index[lo:hi], self.ts_ms[lo:hi], self.values[lo:hi]

    def payloads(self, max_readings: int = 50_000) -> Iterator[tuple[int, bytes]]:
        """(enterprise id, columnar JSON payload) messages, at most `max_readings` readings each."""
        codes = np.array([p.code for p in self.points], dtype=object)
        for enterprise_id, idx, ts, val in self.enterprises():
            for lo in range(0, len(idx), max_readings):
                part = slice(lo, lo + max_readings)
                body = {
                    "sensor": codes[idx[part]].tolist(),
                    "ts": ts[part].tolist(),
                    "value": val[part].tolist(),
                }
                yield enterprise_id, json.dumps({"readings": body}, separators=(",", ":")).encode()


@dataclass
class _Params:
    """Per point, drawn once from a generator seeded by (seed, enterprise, code): the same point gets
    the same character in every run with that seed, whatever other points there are."""

    base: F64
    noise: F64
    drift: F64
    drift_ms: I64  # two drift periods per point
    drift2_ms: I64
    phase: F64
    phase2: F64
    cycle_ms: I64
    cycle_lo: F64
    cycle_hi: F64
    cut_ms: I64  # cutting cycle on production shifts
    offset_ms: I64  # where the point's sampling grid sits within its period
    dead_share: F64  # where within `dead_within_s` the point dies (nan: it does not)


def _uniforms(seed: int, points: Sequence[Point], k: int) -> F64:
    """k uniform numbers in [0, 1) per point, a function of (seed, enterprise, point code) only
    (splitmix64 over the three), so a point keeps its character whatever else is simulated."""
    owner = np.array([p.enterprise_id for p in points], dtype=np.uint64)
    code = np.array([zlib.crc32(p.code.encode()) for p in points], dtype=np.uint64)
    with np.errstate(over="ignore"):
        key = _mix(_mix(np.full(len(points), seed & MASK64, np.uint64) ^ owner) ^ code)
        out = np.empty((len(points), k), dtype=np.float64)
        for j in range(k):
            out[:, j] = (_mix(key + np.uint64(j + 1) * GOLDEN) >> np.uint64(11)) * 2.0**-53
    return out


MASK64 = (1 << 64) - 1
GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    x = (x + GOLDEN) & np.uint64(MASK64)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _draw_params(points: Sequence[Point], seed: int, faults: Faults) -> _Params:
    u = _uniforms(seed, points, 12)
    prof = [profile_for(p.kind, p.location_code) for p in points]

    def col(values: list[float]) -> F64:
        return np.array(values, dtype=np.float64)

    def ms(values: F64) -> I64:
        return values.astype(np.int64)

    base = col([f.base[0] for f in prof]) + col([f.base[1] - f.base[0] for f in prof]) * u[:, 0]
    relative = np.array([f.relative for f in prof], dtype=bool)
    top = col([p.highs[0] if p.highs else (p.range_max or 2.0) * 0.8 for p in points])
    base = np.where(relative, base * top, base)
    scale = np.where(relative, np.abs(base), 1.0)
    low = col([p.lows[0] if p.lows else (p.range_min or 0.0) + 0.1 * _span(p, 100.0) for p in points])
    high = col([p.highs[0] if p.highs else (p.range_min or 0.0) + 0.9 * _span(p, 100.0) for p in points])
    gap = high - low
    period_ms = col([max(1, round(p.period_s * 1000)) for p in points])
    return _Params(
        base=base,
        noise=col([f.noise for f in prof]) * scale,
        drift=col([f.drift for f in prof]) * scale,
        drift_ms=ms((2 + 4 * u[:, 1]) * HOUR_MS),
        drift2_ms=ms((12 + 24 * u[:, 2]) * HOUR_MS),
        phase=u[:, 3].copy(),
        phase2=u[:, 4].copy(),
        cycle_ms=ms((3 + 5 * u[:, 5]) * HOUR_MS),
        cycle_lo=low + gap * (0.08 + 0.12 * u[:, 6]),
        cycle_hi=high - gap * (0.05 + 0.15 * u[:, 7]),
        cut_ms=ms((40 + 50 * u[:, 8]) * 60_000),
        offset_ms=ms(np.floor(u[:, 9] * period_ms)),
        dead_share=np.where(u[:, 10] < faults.dead, u[:, 11], np.nan),
    )


def _span(point: Point, default: float) -> float:
    if point.range_min is not None and point.range_max is not None and point.range_max > point.range_min:
        return point.range_max - point.range_min
    return default


@dataclass
class _Carry:
    """The latest episode of one kind per point (start and end in ms, and its attribute), so that an
    episode running over the end of a window goes on in the next."""

    start: I64
    end: I64
    attr: F64

    @classmethod
    def empty(cls, n: int) -> _Carry:
        return cls(np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.float64))


@dataclass
class _Episode:
    covered: B  # the reading is inside an episode
    start: I64
    end: I64
    attr: F64


def _episodes(starts: B, ts: I64, length_ms: I64, attr: F64, carry: _Carry, rows: I64) -> _Episode:
    """Episodes that begin at `starts` (with these lengths and attributes, in start order) and the one
    carried from the last window: for each reading, the latest episode begun at or before it."""
    n_cols = starts.shape[1]
    pos = np.where(starts, np.arange(n_cols), -1)
    recent = np.maximum.accumulate(pos, axis=1)
    has = recent >= 0
    at = np.maximum(recent, 0)
    begin = np.zeros(starts.shape, np.int64)
    finish = np.zeros(starts.shape, np.int64)
    value = np.zeros(starts.shape, np.float64)
    begin[starts], finish[starts], value[starts] = ts[starts], ts[starts] + length_ms, attr
    start = np.where(has, np.take_along_axis(begin, at, 1), carry.start[rows][:, None])
    end = np.where(has, np.take_along_axis(finish, at, 1), carry.end[rows][:, None])
    out = np.where(has, np.take_along_axis(value, at, 1), carry.attr[rows][:, None])
    if n_cols:
        carry.start[rows], carry.end[rows], carry.attr[rows] = start[:, -1], end[:, -1], out[:, -1]
    return _Episode((ts >= start) & (ts < end), start, end, out)


class Simulator:
    """Streams for a fixed set of points. Windows are meant to follow each other (a window that
    overlaps the last one starts where the last ended); episodes run on across them."""

    def __init__(
        self,
        points: Sequence[Point],
        seed: int,
        *,
        faults: Faults = Faults(),
        excursions_per_day: float | Mapping[str, float] = 0.3,
        excursion_s: float = 600.0,
    ) -> None:
        """`excursions_per_day`: per point, or per kind (a mapping; "*" for the kinds not named)."""
        rates = excursions_per_day if isinstance(excursions_per_day, Mapping) else {"*": excursions_per_day}
        if min(rates.values(), default=0) < 0 or excursion_s <= 0:
            raise ValueError("excursions_per_day is at least 0 and excursion_s positive")
        for point in points:
            profile_for(point.kind, point.location_code)
            if not (math.isfinite(point.period_s) and point.period_s >= 0.001):
                raise ValueError(f"{point.code}: the sampling period is at least 1 ms")
        self.points = tuple(points)
        self.faults, self.excursion_s = faults, excursion_s
        self._excursion_rate = np.array(
            [rates.get(p.kind, rates.get("*", 0.0)) for p in self.points], np.float64
        )
        self._rng = np.random.default_rng(seed)
        self._p = _draw_params(self.points, seed, faults)
        self._k = _Kinds.of(self.points)
        n = len(self.points)
        self._carry = {name: _Carry.empty(n) for name in ("excursion", "stuck", "dropout")}
        self._latch = np.zeros(n, dtype=bool)  # power-off latch of each power_on point's mine
        self._first_ms: int | None = None
        self._until_ms: int | None = None
        periods = np.array([max(1, round(p.period_s * 1000)) for p in self.points], dtype=np.int64)
        self._groups = [(int(t), np.flatnonzero(periods == t)) for t in np.unique(periods)]

    @property
    def readings_per_s(self) -> float:
        return sum(1.0 / p.period_s for p in self.points if not p.is_silent)

    def window(self, start_ms: int, end_ms: int) -> Batch:
        """Every reading due at or after `start_ms` and before `end_ms`."""
        if self._until_ms is not None:
            start_ms = max(start_ms, self._until_ms)
        if self._first_ms is None:
            self._first_ms = start_ms
        counts = dict.fromkeys(("due", "dropped", "stuck", "spikes", "excursion"), 0)
        parts: list[tuple[I64, I64, F64]] = []
        if end_ms > start_ms:
            self._until_ms = end_ms
            for period, rows in self._groups:
                parts.append(self._group_window(period, rows, start_ms, end_ms, counts))
        return _batch(self.points, self._k.owner, parts, counts)

    def _group_window(
        self, period: int, rows: I64, start: int, end: int, counts: dict[str, int]
    ) -> tuple[I64, I64, F64]:
        offset = self._p.offset_ms[rows]
        first = offset + -((offset - start) // period) * period  # the first grid time >= start
        steps = max(0, int(-(-(end - int(first.min())) // period)))
        ts = first[:, None] + period * np.arange(steps, dtype=np.int64)[None, :]
        due = (ts < end) & (ts < self._dead_at(rows)[:, None]) & ~self._k.silent[rows][:, None]
        counts["due"] += int(due.sum())
        value = self._signal(rows, ts)
        value = self._excursions(rows, ts, due, value, period, counts)
        value = np.clip(value, self._k.floor[rows][:, None], self._k.ceiling[rows][:, None])
        self._power_on(rows, value, due)
        for d in np.unique(self._k.decimals[rows]):
            at = self._k.decimals[rows] == d
            value[at] = np.round(value[at], int(d))
        value = self._stuck(rows, ts, due, value, period, counts)
        value = self._spikes(rows, due, value, counts)
        due = self._dropouts(rows, ts, due, period, counts)
        sel = np.nonzero(due)
        return rows[sel[0]], ts[sel], value[sel]

    def _dead_at(self, rows: I64) -> I64:
        assert self._first_ms is not None
        share = self._p.dead_share[rows]
        at = self._first_ms + np.nan_to_num(share) * self.faults.dead_within_s * 1000
        return np.where(np.isnan(share), np.iinfo(np.int64).max, at.astype(np.int64))

    def _signal(self, rows: I64, ts: I64) -> F64:
        p, shape = self._p, self._k.shape[rows]
        t = ts.astype(np.float64)
        base, drift = p.base[rows][:, None], p.drift[rows][:, None]
        slow = np.sin(2 * np.pi * (t / p.drift_ms[rows][:, None] + p.phase[rows][:, None]))
        slow += 0.5 * np.sin(2 * np.pi * (t / p.drift2_ms[rows][:, None] + p.phase2[rows][:, None]))
        level = base.copy()
        shift = shape == SHIFT
        if shift.any():
            level = np.broadcast_to(level, ts.shape).copy()
            level[shift] = base[shift] * _shift_factor(ts[shift], p.cut_ms[rows][shift], p.phase[rows][shift])
        value = level + drift * slow / 1.5
        cycle = shape == CYCLE
        if cycle.any():
            x = np.mod(t[cycle] / p.cycle_ms[rows][cycle][:, None] + p.phase2[rows][cycle][:, None], 1.0)
            lo, hi = p.cycle_lo[rows][cycle][:, None], p.cycle_hi[rows][cycle][:, None]
            value[cycle] = lo + (hi - lo) * np.interp(x, FILL_KNOTS, FILL_LEVELS)
        value += p.noise[rows][:, None] * self._rng.standard_normal(ts.shape)
        binary = shape == BINARY
        value[binary] = base[binary]
        return value

    def _excursions(self, rows: I64, ts: I64, due: B, value: F64, period: int, counts: dict[str, int]) -> F64:
        rate = self._excursion_rate[rows] * period / DAY_MS
        starts = (self._rng.random(ts.shape) < rate[:, None]) & due & self._k.excursion[rows][:, None]
        k = int(starts.sum())
        owner = rows[np.nonzero(starts)[0]]
        length = (self.excursion_s * 1000 * (0.5 + self._rng.random(k))).astype(np.int64)
        u, w = self._rng.random(k), self._rng.random(k)
        target = np.array(
            [_target(self.points[i], self._p, i, a, b) for i, a, b in zip(owner, u, w, strict=True)],
            dtype=np.float64,
        )
        ep = _episodes(starts, ts, length, target, self._carry["excursion"], rows)
        inside = ep.covered & due
        counts["excursion"] += int(inside.sum())
        if not inside.any():
            return value
        span = np.maximum(ep.end - ep.start, 1).astype(np.float64)
        bump = np.sin(np.pi * np.clip((ts - ep.start) / span, 0.0, 1.0)) ** 2
        bump = np.where(inside, np.minimum(1.0, 1.25 * bump), 0.0)  # a short plateau at the peak
        out: F64 = value * (1 - bump) + ep.attr * bump
        return out

    def _power_on(self, rows: I64, value: F64, due: B) -> None:
        """A mine's power-on points read 0 from the moment any of its methane points reaches its power-off
        value until all of them are below their restore values (the latch carries across windows)."""
        where = {int(i): j for j, i in enumerate(rows)}
        for point, gas_points in self._k.feeds.items():
            j = where.get(point)
            gas = [where[g] for g in gas_points if g in where]
            if j is None or not gas:
                continue
            level = value[gas]
            trips = (level >= self._k.power_off[rows[gas]][:, None]).any(axis=0)
            clears = (level < self._k.restore[rows[gas]][:, None]).all(axis=0)
            mark = np.where(trips, 1, np.where(clears, 0, -1))
            at = np.maximum.accumulate(np.where(mark >= 0, np.arange(len(mark)), -1))
            latched = np.where(at >= 0, mark[np.maximum(at, 0)] == 1, self._latch[point])
            seen = np.flatnonzero(due[j])
            if len(seen):
                self._latch[point] = latched[seen[-1]]
            value[j] = np.where(latched, 0.0, 1.0)

    def _stuck(self, rows: I64, ts: I64, due: B, value: F64, period: int, counts: dict[str, int]) -> F64:
        share, mean = self.faults.stuck, self.faults.stuck_periods
        starts = (self._rng.random(ts.shape) < share / mean) & due & self._k.analog[rows][:, None]
        k = int(starts.sum())
        length = (period * (2 + self._rng.exponential(mean - 2, k))).astype(np.int64)
        ep = _episodes(starts, ts, length, value[starts], self._carry["stuck"], rows)
        held = ep.covered & due
        counts["stuck"] += int(held.sum())
        return np.where(held, ep.attr, value)

    def _spikes(self, rows: I64, due: B, value: F64, counts: dict[str, int]) -> F64:
        hits = (self._rng.random(value.shape) < self.faults.spike) & due & self._k.ranged[rows][:, None]
        k = int(hits.sum())
        counts["spikes"] += k
        if not k:
            return value
        owner = rows[np.nonzero(hits)[0]]
        lo, hi = self._k.floor[owner], self._k.ceiling[owner]
        u, up = self._rng.random(k), self._rng.random(k) < 0.8
        high, low = hi + (hi - lo) * (0.05 + 0.45 * u), lo - (hi - lo) * (0.05 + 0.25 * u)
        value[hits] = np.round(np.where(up, high, low), 2)
        return value

    def _dropouts(self, rows: I64, ts: I64, due: B, period: int, counts: dict[str, int]) -> B:
        share, mean = self.faults.dropout, self.faults.dropout_periods
        starts = (self._rng.random(ts.shape) < share / mean) & due
        k = int(starts.sum())
        length = (period * (4 + self._rng.exponential(mean - 4, k))).astype(np.int64)
        ep = _episodes(starts, ts, length, np.zeros(k), self._carry["dropout"], rows)
        lost = ep.covered & due
        counts["dropped"] += int(lost.sum())
        return due & ~lost


STEADY, SHIFT, CYCLE, BINARY = range(4)
SHAPES = {"steady": STEADY, "shift": SHIFT, "cycle": CYCLE, "binary": BINARY}


@dataclass(frozen=True)
class _Kinds:
    """What each point's kind and settings mean for the generator, as arrays (index = point)."""

    owner: I64
    shape: I64
    decimals: I64
    floor: F64
    ceiling: F64
    silent: B
    analog: B  # can be stuck
    ranged: B  # can spike out of its range
    excursion: B  # has setpoints an excursion can cross
    power_off: F64
    restore: F64
    feeds: dict[int, I64]  # power_on point -> the methane points of its mine with a power-off value

    @classmethod
    def of(cls, points: Sequence[Point]) -> _Kinds:
        profiles = [profile_for(p.kind, p.location_code) for p in points]
        shape = np.array([SHAPES[f.shape] for f in profiles], dtype=np.int64)
        methane: dict[tuple[int, float], list[int]] = {}
        for i, p in enumerate(points):
            if p.kind == "methane" and p.power_off is not None and p.restore is not None:
                methane.setdefault((p.enterprise_id, p.period_s), []).append(i)
        feeds = {
            i: np.array(methane.get((p.enterprise_id, p.period_s), []), dtype=np.int64)
            for i, p in enumerate(points)
            if p.kind == "power_on"
        }
        return cls(
            owner=np.array([p.enterprise_id for p in points], dtype=np.int64),
            shape=shape,
            decimals=np.array([f.decimals for f in profiles], dtype=np.int64),
            floor=np.array([_floor(p, f) for p, f in zip(points, profiles, strict=True)], dtype=np.float64),
            ceiling=np.array([np.inf if p.range_max is None else p.range_max for p in points], np.float64),
            silent=np.array([p.is_silent for p in points], dtype=bool),
            analog=shape != BINARY,
            ranged=np.array([_has_range(p) for p in points], dtype=bool) & (shape != BINARY),
            excursion=np.array([_excursion_way(p) is not None for p in points], dtype=bool),
            power_off=np.array([np.nan if p.power_off is None else p.power_off for p in points], np.float64),
            restore=np.array([np.nan if p.restore is None else p.restore for p in points], np.float64),
            feeds={i: f for i, f in feeds.items() if len(f)},
        )


def _shift_factor(ts: I64, cut_ms: I64, phase: F64) -> F64:
    local = (ts + LOCAL_OFFSET_MS) % DAY_MS
    shift = local // (SHIFT_HOURS * HOUR_MS)
    cutting = 1.0 + 0.2 * np.sin(2 * np.pi * (ts / cut_ms[:, None] + phase[:, None]))
    return np.where(shift == MAINTENANCE_SHIFT, MAINTENANCE_FACTOR, cutting)


def _has_range(point: Point) -> bool:
    return point.range_min is not None and point.range_max is not None and point.range_max > point.range_min


def _floor(point: Point, profile: Profile) -> float:
    floors = [f for f in (profile.floor, point.range_min) if f is not None]
    return max(floors) if floors else -np.inf


def _excursion_way(point: Point) -> int | None:
    way = profile_for(point.kind, point.location_code).excursion
    if way is None:
        return None
    if way == 0:
        return 0 if point.highs and point.lows else (1 if point.highs else (-1 if point.lows else None))
    return way if (point.highs if way > 0 else point.lows) else None


def _target(point: Point, p: _Params, i: int, u: float, w: float) -> float:
    """An excursion's peak (or trough): between the first setpoint and a quarter beyond the last one,
    counted from the normal value; kept inside the physical range."""
    way = _excursion_way(point) or 0
    if way == 0:
        way = 1 if w < 0.6 else -1
    normal = p.cycle_hi[i] if way > 0 else p.cycle_lo[i]
    if profile_for(point.kind, point.location_code).shape != "cycle":
        normal = p.base[i]
    sets = point.highs if way > 0 else point.lows
    first, last = sets[0], sets[-1]
    far = last + 0.25 * (last - normal)
    target = first + (far - first) * (0.05 + 0.95 * u)  # a little past the first: strict limits too
    if point.range_max is not None:
        target = min(target, point.range_max - 0.01 * _span(point, 1.0))
    if point.range_min is not None:
        target = max(target, point.range_min + 0.01 * _span(point, 1.0))
    return float(target)


def _batch(
    points: tuple[Point, ...], owners: I64, parts: list[tuple[I64, I64, F64]], counts: dict[str, int]
) -> Batch:
    if not parts:
        empty_i = np.zeros(0, np.int64)
        return Batch(points, empty_i, empty_i, np.zeros(0, np.float64), counts)
    index = np.concatenate([a for a, _, _ in parts])
    ts = np.concatenate([b for _, b, _ in parts])
    values = np.concatenate([c for _, _, c in parts])
    order = np.lexsort((index, ts, owners[index]))
    return Batch(points, index[order], ts[order], values[order], counts)


# ---- the thin runner: stored sensors in, the Ingestor or a broker out ----


def point_of(row: Sensor, *, is_silent: bool = False) -> Point:
    limits = [domain.Limit(**_limit_args(item)) for item in row.limits]
    return Point.of_limits(
        row.enterprise_id,
        row.code,
        row.kind,
        row.sampling_period_s or 60.0,
        limits=limits,
        location_code=row.location_code,
        range_min=row.range_min,
        range_max=row.range_max,
        is_silent=is_silent,
    )


def _limit_args(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "condition": domain.Condition(item["condition"]),
        "level": item.get("level"),
        "direction": domain.Direction(int(item["direction"])),
        "on_at": float(item["on_at"]),
        "off_at": float(item["off_at"]),
    }


def stored_points(
    session: Session, enterprise_ids: Collection[int] | None = None, *, offline_silent: bool = False
) -> list[Point]:
    """In-service sensors of kinds the simulator knows (of these enterprises), by enterprise and code.
    With `offline_silent`, a sensor whose stored state is offline stays silent (it is broken)."""
    query = select(Sensor).where(Sensor.in_service.is_(True)).order_by(Sensor.enterprise_id, Sensor.code)
    if enterprise_ids is not None:
        query = query.where(Sensor.enterprise_id.in_(sorted(enterprise_ids)))
    rows = [row for row in session.scalars(query) if any(k == row.kind for k, _ in PROFILES)]
    offline: set[int] = set()
    if offline_silent and rows:
        states = session.scalars(select(SensorState).where(SensorState.sensor_id.in_([r.id for r in rows])))
        offline = {s.sensor_id for s in states if s.state.get("is_offline")}
    return [point_of(row, is_silent=row.id in offline) for row in rows]


def latest_reading_ms(session: Session, enterprise_ids: Collection[int] | None = None) -> int | None:
    query = select(SensorState.last_ts).join(Sensor, Sensor.id == SensorState.sensor_id)
    if enterprise_ids is not None:
        query = query.where(Sensor.enterprise_id.in_(sorted(enterprise_ids)))
    stamps = [ts for ts in session.scalars(query) if ts is not None]
    return domain.to_ms(max(stamps)) if stamps else None


def at_rate(points: Sequence[Point], readings_per_s: float) -> list[Point]:
    """The points with one sampling period chosen so that together they send `readings_per_s`."""
    live = [p for p in points if not p.is_silent]
    if readings_per_s <= 0 or not live:
        raise ValueError("the rate is a positive number of readings per second, for at least one sensor")
    return [replace(p, period_s=len(live) / readings_per_s) for p in points]


def topic_for(enterprise_id: int, prefix: str = TOPIC_PREFIX) -> str:
    return f"{prefix}/{enterprise_id % PARTITIONS}/{enterprise_id}"


def messages_of(batch: Batch, channel: str = "simulator") -> list[Message]:
    return [Message(eid, channel, topic_for(eid), payload) for eid, payload in batch.payloads()]


@dataclass
class Totals:
    batches: int = 0
    readings: int = 0
    messages: int = 0
    ingest: IngestReport = field(default_factory=IngestReport)


def feed(session: Session, ingestor: Ingestor, batch: Batch) -> IngestReport:
    """Ingest one batch in this session (the caller's unit of work commits)."""
    return ingestor.ingest(session, messages_of(batch))


class Feeder(threading.Thread):
    """The in-process simulator: every `tick_s`, the readings due since the last tick go through the
    Ingestor in one unit of work, and every `sweep_s` the sensors that have gone quiet are swept
    (reported offline). A failing tick is logged and the next one tries again; `stop()` ends the
    thread after the tick in hand. Runs until stopped, or for `duration_s`."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Clock,
        simulator: Simulator,
        *,
        tick_s: float = 5.0,
        start_ms: int | None = None,
        duration_s: float | None = None,
        sweep_s: float | None = 30.0,
    ) -> None:
        super().__init__(name="zhiben-simulator", daemon=True)
        self.factory, self.clock, self.simulator = factory, clock, simulator
        self.tick_s, self.duration_s, self.sweep_s = tick_s, duration_s, sweep_s
        self.last_ms = start_ms if start_ms is not None else domain.to_ms(clock.now())
        self._swept_ms = self.last_ms
        self.totals = Totals()
        self._halt = threading.Event()
        self._ingestor = Ingestor()

    def stop(self, timeout: float = 30.0) -> None:
        self._halt.set()
        if self.is_alive():
            self.join(timeout)

    def run(self) -> None:
        began = domain.to_ms(self.clock.now())
        while not self._halt.wait(self.tick_s):
            now = domain.to_ms(self.clock.now())
            try:
                self.step(now)
            except Exception:  # a bad tick must not stop the stream (nor the server beside it)
                log.exception("simulator tick failed; trying again next tick")
            if self.duration_s is not None and now - began >= self.duration_s * 1000:
                break

    def step(self, now_ms: int) -> IngestReport:
        batch = self.simulator.window(self.last_ms, now_ms)
        with UnitOfWork(self.factory, self.clock) as uow:
            report = feed(uow.session, self._ingestor, batch)
        self.last_ms = max(self.last_ms, now_ms)
        self.totals.batches += 1
        self.totals.readings += len(batch)
        self.totals.messages += report.messages
        self.totals.ingest.add(report)
        if self.sweep_s is not None and now_ms - self._swept_ms >= self.sweep_s * 1000:
            self._swept_ms = now_ms
            self.totals.ingest.alarms_opened += self.sweep()
        return report

    def sweep(self) -> int:
        """Evaluate every sensor at the clock's time (quiet ones go offline); returns alarms opened."""
        opened, after = 0, 0
        while True:
            with UnitOfWork(self.factory, self.clock) as uow:
                after, report = sweep(self._ingestor, uow.session, after)
            opened += report.alarms_opened
            if not after:
                return opened


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @classmethod
    def of(cls, url: str) -> BrokerAddress:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
            raise ValueError(f"a broker URL looks like mqtt://host:1883, not {url!r}")
        user = unquote(parts.username) if parts.username else None
        secret = unquote(parts.password) if parts.password else None
        return cls(parts.hostname, parts.port or 1883, user, secret)


async def publish(
    url: str,
    simulator: Simulator,
    clock: Clock,
    *,
    tick_s: float = 1.0,
    duration_s: float | None = None,
    client_id: str = "zhiben-simulator",
    totals: Totals | None = None,
) -> Totals:
    """Publish the readings due each tick to the broker, one QoS 1 message per enterprise (and per
    50,000 readings), until `duration_s` has passed (or the task is cancelled)."""
    import asyncio

    import aiomqtt

    address = BrokerAddress.of(url)
    totals = totals if totals is not None else Totals()
    last = began = domain.to_ms(clock.now())
    async with aiomqtt.Client(
        address.host,
        address.port,
        identifier=client_id,
        username=address.username,
        password=address.password,
        protocol=aiomqtt.ProtocolVersion.V5,
    ) as client:
        while duration_s is None or last - began < duration_s * 1000:
            await asyncio.sleep(tick_s)
            now = domain.to_ms(clock.now())
            batch = simulator.window(last, now)
            for enterprise_id, payload in batch.payloads():
                await client.publish(topic_for(enterprise_id), payload, qos=1)
                totals.messages += 1
            last = now
            totals.batches += 1
            totals.readings += len(batch)
    return totals


def history(
    simulator: Simulator, start: datetime, end: datetime, step_s: float = 600.0
) -> Iterator[tuple[datetime, Batch]]:
    """Consecutive windows of `step_s` from `start` to `end` (to back-fill a demo's past), each with
    the time it ends: ingest it at that time, or every sensor looks offline at the end of each window."""
    at, stop = domain.to_ms(start), domain.to_ms(end)
    while at < stop:
        nxt = min(stop, at + round(step_s * 1000))
        yield domain.from_ms(nxt), simulator.window(at, nxt)
        at = nxt
