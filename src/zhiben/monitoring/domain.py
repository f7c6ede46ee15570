"""The alarm engine's vocabulary (pure): sensors and their limits, the per-sensor state carried from
one batch to the next, and the events that come out.

Time inside the engine is an integer count of milliseconds since 1970-01-01 UTC (`*_ms`), so that
every comparison of times and delays is exact; `AlarmEvent.ts` is the same instant as a tz-aware UTC
datetime.

Semantics (the reference implementation in `reference.py` is the executable statement; the
vectorised engine in `engine.py` produces the same events):

- A reading is *accepted* when its timestamp is later than the sensor's last accepted one. A reading
  at the same timestamp as the last accepted one is a duplicate and ignored; an earlier one is out of
  order, dropped and counted.
- An accepted reading is *valid* when it is a finite number inside the sensor's physical range.
  Only valid readings drive the process conditions (limits, power-off, rate of change) and the
  flat-line check; an invalid one raises `out_of_range` until the next valid reading.
- A limit is a latch with hysteresis: it turns on when the value reaches `on_at` (or passes it, for
  a strict limit) and has stayed on that side for `on_delay_s` over consecutive valid readings, and
  turns off when the value is back beyond `off_at` and has stayed there for `off_delay_s`. Between
  `off_at` and `on_at` (the deadband) nothing changes and both timers restart.
- `offline`: no accepted reading for more than `offline_periods` sampling periods. It is raised at
  the moment the deadline passed (last reading + periods x period), either when the next reading
  arrives late or when a batch's evaluation time `until` is past the deadline, and cleared by the
  next reading.
- `stuck`: consecutive valid readings within `stuck_tolerance` of the previous one for at least
  `stuck_window_s`; cleared by the first reading that moves.
- `rate`: |Δvalue| / Δt between consecutive valid readings at or above `rate_per_s`; cleared by the
  first step below it.
- `calibration_due`: raised at `calibration_due_at` once an evaluation time (a reading or `until`)
  reaches it; cleared when the due date is moved past the evaluation time (after recalibration).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FLOAT_MAX = 1.7976931348623157e308  # a physical range is always finite: inf and nan are out of range


class Condition(StrEnum):
    alarm = "alarm"
    power_off = "power_off"  # coal-mine methane 断电 / 复电
    rate = "rate"
    offline = "offline"
    stuck = "stuck"
    out_of_range = "out_of_range"
    calibration_due = "calibration_due"


# Events at the same instant for the same sensor are listed in this order (and by limit, then state).
CONDITION_ORDER: tuple[Condition, ...] = tuple(Condition)


class Phase(StrEnum):
    """Whether an event raises or clears its condition (`state` in the wire format)."""

    active = "active"
    cleared = "cleared"


class Direction(IntEnum):
    high = 1
    low = -1


HIGH_LEVELS = ("hi", "hihi", "level1", "level2")
LOW_LEVELS = ("lo", "lolo")


@dataclass(frozen=True)
class Limit:
    """One latch. High: on when value >= on_at (> for a strict limit), off when value < off_at
    (<= for a strict limit). Low: the mirror image. off_at == on_at means no deadband."""

    condition: Condition
    level: str | None
    direction: Direction
    on_at: float
    off_at: float
    is_strict: bool = False
    on_delay_s: float = 0.0
    off_delay_s: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        if self.condition not in (Condition.alarm, Condition.power_off):
            raise ValueError(f"a limit raises alarm or power_off, not {self.condition}")
        if not (math.isfinite(self.on_at) and math.isfinite(self.off_at)):
            raise ValueError("limit values must be finite numbers")
        if self.direction * (self.on_at - self.off_at) < 0:
            side = "at or below" if self.direction is Direction.high else "at or above"
            raise ValueError(f"the clearing value {self.off_at} must be {side} the setpoint {self.on_at}")
        for delay in (self.on_delay_s, self.off_delay_s):
            if not (math.isfinite(delay) and delay >= 0):
                raise ValueError("delays are finite, non-negative seconds")

    @property
    def on_delay_ms(self) -> int:
        return round(self.on_delay_s * 1000)

    @property
    def off_delay_ms(self) -> int:
        return round(self.off_delay_s * 1000)

    def is_on(self, value: float) -> bool:
        if self.direction is Direction.high:
            return value > self.on_at if self.is_strict else value >= self.on_at
        return value < self.on_at if self.is_strict else value <= self.on_at

    def is_off(self, value: float) -> bool:
        if self.direction is Direction.high:
            return value <= self.off_at if self.is_strict else value < self.off_at
        return value >= self.off_at if self.is_strict else value > self.off_at


@dataclass(frozen=True)
class Sensor:
    """A measuring point with everything the engine needs. Limits come from `limits.limits_for`
    (the tables, with per-sensor overrides)."""

    sensor_id: str
    kind: str = ""
    unit: str = ""
    limits: tuple[Limit, ...] = ()
    range_min: float | None = None
    range_max: float | None = None
    sampling_period_s: float | None = None
    offline_periods: int = 3
    stuck_window_s: float | None = None
    stuck_tolerance: float = 0.0
    rate_per_s: float | None = None
    calibration_due_at: datetime | None = None
    location_code: str = ""

    def __post_init__(self) -> None:
        if self.offline_periods < 1:
            raise ValueError("offline_periods is at least 1")
        for name in ("sampling_period_s", "stuck_window_s", "rate_per_s"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} is a positive number")
        if not (math.isfinite(self.stuck_tolerance) and self.stuck_tolerance >= 0):
            raise ValueError("stuck_tolerance is a finite, non-negative number")
        if self.calibration_due_at is not None and self.calibration_due_at.tzinfo is None:
            raise ValueError("calibration_due_at must be timezone-aware")
        if self.range_min is not None and self.range_max is not None and self.range_min > self.range_max:
            raise ValueError("range_min is above range_max")

    @property
    def valid_min(self) -> float:
        return -FLOAT_MAX if self.range_min is None else max(self.range_min, -FLOAT_MAX)

    @property
    def valid_max(self) -> float:
        return FLOAT_MAX if self.range_max is None else min(self.range_max, FLOAT_MAX)

    @property
    def offline_after_ms(self) -> int | None:
        """How long without data makes the sensor offline (None: not watched)."""
        if self.sampling_period_s is None:
            return None
        return self.offline_periods * round(self.sampling_period_s * 1000)

    @property
    def stuck_window_ms(self) -> int | None:
        return None if self.stuck_window_s is None else max(1, round(self.stuck_window_s * 1000))

    @property
    def calibration_due_ms(self) -> int | None:
        return None if self.calibration_due_at is None else to_ms(self.calibration_due_at)


@dataclass(frozen=True)
class LimitState:
    is_active: bool = False
    on_since_ms: int | None = None  # start of the current run of readings on the "on" side
    off_since_ms: int | None = None  # start of the current run on the "off" side


@dataclass(frozen=True)
class SensorState:
    """What the engine remembers about one sensor between batches. `as_dict` / `from_dict` give a
    JSON-ready form for the ingestion worker to persist; evaluation resumed from it continues exactly."""

    last_ts_ms: int | None = None
    is_offline: bool = False
    is_out_of_range: bool = False
    last_valid_ts_ms: int | None = None
    last_valid_value: float | None = None
    flat_since_ms: int | None = None
    is_stuck: bool = False
    is_rate: bool = False
    is_calibration_due: bool = False
    limits: tuple[LimitState, ...] = ()
    out_of_order: int = 0
    duplicates: int = 0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "limits"}
        out["limits"] = [[s.is_active, s.on_since_ms, s.off_since_ms] for s in self.limits]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SensorState:
        fields = {k: v for k, v in data.items() if k != "limits"}
        limits = tuple(LimitState(bool(a), on, off) for a, on, off in data.get("limits", []))
        return cls(**fields, limits=limits)

    def fit(self, sensor: Sensor) -> SensorState:
        """The state for `sensor`'s current limit list (new limits start cleared)."""
        if len(self.limits) == len(sensor.limits):
            return self
        kept = self.limits[: len(sensor.limits)]
        return replace(self, limits=kept + (LimitState(),) * (len(sensor.limits) - len(kept)))


@dataclass(frozen=True)
class AlarmEvent:
    """One change of one condition of one sensor. `level` names the limit (hi, hihi, lo, lolo,
    level1, level2) for `alarm` and is None otherwise; `value` is the reading that caused it (None
    when there is none: offline raised at its deadline, calibration due)."""

    sensor_id: str
    ts: datetime
    condition: Condition
    level: str | None
    state: Phase
    value: float | None = field(default=None, compare=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "sensor_id": self.sensor_id,
            "ts": self.ts.isoformat(),
            "condition": self.condition.value,
            "level": self.level,
            "state": self.state.value,
            "value": self.value,
        }


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return (moment - EPOCH) // timedelta(milliseconds=1)


def from_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def event_key(
    sensor_index: int, ts_ms: int, condition: Condition, slot: int, phase: Phase
) -> tuple[int, ...]:
    """The order events are listed in: time, sensor, condition, limit, cleared before active."""
    return (ts_ms, sensor_index, CONDITION_ORDER.index(condition), slot, phase is Phase.active)
