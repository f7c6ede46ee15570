"""The alarm engine, one reading at a time: the plain statement of what the vectorised engine
(`engine.py`) must compute. Written to be read, not to be fast; the property test in
tests/test_monitoring_engine.py holds the two to the same events and states for any stream.

The rules themselves are described in `domain.py`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from zhiben.monitoring.domain import (
    AlarmEvent,
    Condition,
    LimitState,
    Phase,
    Sensor,
    SensorState,
    event_key,
    from_ms,
)


@dataclass
class _LimitTracker:
    is_active: bool
    on_since: int | None
    off_since: int | None


@dataclass
class _Tracker:
    """The mutable working copy of one sensor's state during a batch."""

    sensor: Sensor
    index: int
    state: SensorState
    limits: list[_LimitTracker] = field(default_factory=list)

    def __post_init__(self) -> None:
        fitted = self.state.fit(self.sensor)
        self.state = fitted
        self.limits = [_LimitTracker(s.is_active, s.on_since_ms, s.off_since_ms) for s in fitted.limits]
        self.last_ts = fitted.last_ts_ms
        self.is_offline = fitted.is_offline
        self.is_out_of_range = fitted.is_out_of_range
        self.last_valid_ts = fitted.last_valid_ts_ms
        self.last_valid_value = fitted.last_valid_value
        self.flat_since = fitted.flat_since_ms
        self.is_stuck = fitted.is_stuck
        self.is_rate = fitted.is_rate
        self.is_calibration_due = fitted.is_calibration_due
        self.out_of_order = fitted.out_of_order
        self.duplicates = fitted.duplicates

    def frozen(self) -> SensorState:
        return SensorState(
            last_ts_ms=self.last_ts,
            is_offline=self.is_offline,
            is_out_of_range=self.is_out_of_range,
            last_valid_ts_ms=self.last_valid_ts,
            last_valid_value=self.last_valid_value,
            flat_since_ms=self.flat_since,
            is_stuck=self.is_stuck,
            is_rate=self.is_rate,
            is_calibration_due=self.is_calibration_due,
            limits=tuple(LimitState(t.is_active, t.on_since, t.off_since) for t in self.limits),
            out_of_order=self.out_of_order,
            duplicates=self.duplicates,
        )


@dataclass(frozen=True)
class Result:
    events: list[AlarmEvent]
    states: list[SensorState]
    out_of_order: int
    duplicates: int


class _Run:
    """One batch: trackers, and the events in the order they are listed."""

    def __init__(self, sensors: Sequence[Sensor], states: Sequence[SensorState]) -> None:
        self.trackers = [_Tracker(s, i, st) for i, (s, st) in enumerate(zip(sensors, states, strict=True))]
        self.keyed: list[tuple[tuple[int, ...], AlarmEvent]] = []
        self.out_of_order = self.duplicates = 0

    def emit(
        self, t: _Tracker, ts: int, condition: Condition, phase: Phase, value: float | None, slot: int = 0
    ) -> None:
        level = t.sensor.limits[slot].level if condition in (Condition.alarm, Condition.power_off) else None
        clean = None if value is None or math.isnan(value) else value
        event = AlarmEvent(t.sensor.sensor_id, from_ms(ts), condition, level, phase, clean)
        self.keyed.append((event_key(t.index, ts, condition, slot, phase), event))

    def reading(self, t: _Tracker, ts: int, value: float) -> None:
        if t.last_ts is not None and ts <= t.last_ts:
            if ts == t.last_ts:
                t.duplicates += 1
                self.duplicates += 1
            else:
                t.out_of_order += 1
                self.out_of_order += 1
            return
        self.offline_on_arrival(t, ts, value)
        t.last_ts = ts
        self.calibration(t, ts)
        is_valid = math.isfinite(value) and t.sensor.valid_min <= value <= t.sensor.valid_max
        if is_valid == t.is_out_of_range:  # the out-of-range condition changes
            t.is_out_of_range = not is_valid
            self.emit(t, ts, Condition.out_of_range, Phase.cleared if is_valid else Phase.active, value)
        if not is_valid:
            return  # an out-of-range reading drives no process condition
        self.flat_line(t, ts, value)
        self.rate_of_change(t, ts, value)
        for slot in range(len(t.sensor.limits)):
            self.limit(t, slot, ts, value)
        t.last_valid_ts, t.last_valid_value = ts, value

    def offline_on_arrival(self, t: _Tracker, ts: int, value: float) -> None:
        after = t.sensor.offline_after_ms
        if t.is_offline:
            self.emit(t, ts, Condition.offline, Phase.cleared, value)
        elif after is not None and t.last_ts is not None and ts - t.last_ts > after:
            self.emit(t, t.last_ts + after, Condition.offline, Phase.active, None)
            self.emit(t, ts, Condition.offline, Phase.cleared, value)
        t.is_offline = False

    def calibration(self, t: _Tracker, at: int) -> None:
        due = t.sensor.calibration_due_ms
        is_due = due is not None and at >= due
        if is_due and not t.is_calibration_due:
            assert due is not None
            self.emit(t, due, Condition.calibration_due, Phase.active, None)
        elif not is_due and t.is_calibration_due:
            self.emit(t, at, Condition.calibration_due, Phase.cleared, None)
        t.is_calibration_due = is_due

    def flat_line(self, t: _Tracker, ts: int, value: float) -> None:
        previous = t.last_valid_value
        is_flat = previous is not None and abs(value - previous) <= t.sensor.stuck_tolerance
        if not is_flat:
            t.flat_since = ts
            if t.is_stuck:
                t.is_stuck = False
                self.emit(t, ts, Condition.stuck, Phase.cleared, value)
            return
        window = t.sensor.stuck_window_ms
        assert t.flat_since is not None
        if window is not None and not t.is_stuck and ts - t.flat_since >= window:
            t.is_stuck = True
            self.emit(t, ts, Condition.stuck, Phase.active, value)

    def rate_of_change(self, t: _Tracker, ts: int, value: float) -> None:
        if t.last_valid_ts is None or t.last_valid_value is None:
            return  # the first valid reading has no rate
        rate = t.sensor.rate_per_s
        is_fast = rate is not None and abs(value - t.last_valid_value) >= rate * (
            (ts - t.last_valid_ts) / 1000.0
        )
        if is_fast != t.is_rate:
            t.is_rate = is_fast
            self.emit(t, ts, Condition.rate, Phase.active if is_fast else Phase.cleared, value)

    def limit(self, t: _Tracker, slot: int, ts: int, value: float) -> None:
        limit, lt = t.sensor.limits[slot], t.limits[slot]
        if limit.is_on(value):
            lt.on_since = ts if lt.on_since is None else lt.on_since
            lt.off_since = None
        elif limit.is_off(value):
            lt.off_since = ts if lt.off_since is None else lt.off_since
            lt.on_since = None
        else:  # inside the deadband: hold, and both timers start again
            lt.on_since = lt.off_since = None
        if not lt.is_active and lt.on_since is not None and ts - lt.on_since >= limit.on_delay_ms:
            lt.is_active = True
            self.emit(t, ts, limit.condition, Phase.active, value, slot)
        elif lt.is_active and lt.off_since is not None and ts - lt.off_since >= limit.off_delay_ms:
            lt.is_active = False
            self.emit(t, ts, limit.condition, Phase.cleared, value, slot)

    def finish(self, t: _Tracker, until: int) -> None:
        after = t.sensor.offline_after_ms
        if after is not None and t.last_ts is not None and not t.is_offline and until - t.last_ts > after:
            t.is_offline = True
            self.emit(t, t.last_ts + after, Condition.offline, Phase.active, None)
        self.calibration(t, until if t.last_ts is None else max(until, t.last_ts))


def evaluate(
    sensors: Sequence[Sensor],
    states: Sequence[SensorState],
    readings: Iterable[tuple[int, int, float]],
    until_ms: int,
) -> Result:
    """Readings are (sensor index, timestamp in ms, value) in arrival order; `until_ms` is the time
    the batch is evaluated at (offline deadlines and calibration dates up to it are reported)."""
    run = _Run(sensors, states)
    for index, ts, value in readings:
        run.reading(run.trackers[index], int(ts), float(value))
    for tracker in run.trackers:
        run.finish(tracker, until_ms)
    run.keyed.sort(key=lambda pair: pair[0])
    return Result(
        events=[event for _, event in run.keyed],
        states=[t.frozen() for t in run.trackers],
        out_of_order=run.out_of_order,
        duplicates=run.duplicates,
    )
