"""The vectorised alarm engine raises and clears exactly what the per-reading reference does, for any
stream and however the stream is cut into batches; and the reference itself follows the rules."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from itertools import pairwise

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhiben.monitoring import engine, reference
from zhiben.monitoring.domain import (
    AlarmEvent,
    Condition,
    Direction,
    Limit,
    Phase,
    Sensor,
    SensorState,
    from_ms,
    to_ms,
)

T0 = to_ms(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
GRID = [x / 4 for x in range(-4, 13)]  # -1.0 .. 3.0 in quarters: values land on limits often
SPECIAL = [math.nan, math.inf, -math.inf, 50.0, -50.0]

Reading = tuple[int, int, float]


@st.composite
def limits(draw: st.DrawFn) -> Limit:
    direction = draw(st.sampled_from([Direction.high, Direction.low]))
    on_at = draw(st.sampled_from(GRID))
    band = draw(st.sampled_from([0.0, 0.0, 0.25, 0.5]))
    condition = draw(st.sampled_from([Condition.alarm, Condition.alarm, Condition.power_off]))
    return Limit(
        condition=condition,
        level=draw(st.sampled_from(["hi", "hihi", "lo", "level1"])) if condition is Condition.alarm else None,
        direction=direction,
        on_at=on_at,
        off_at=on_at - direction * band,
        is_strict=draw(st.booleans()),
        on_delay_s=draw(st.sampled_from([0.0, 0.0, 1.0, 2.5])),
        off_delay_s=draw(st.sampled_from([0.0, 0.0, 1.0, 3.0])),
    )


@st.composite
def sensors(draw: st.DrawFn, index: int) -> Sensor:
    has_range = draw(st.booleans())
    return Sensor(
        sensor_id=f"S{index}",
        limits=tuple(draw(st.lists(limits(), max_size=4))),
        range_min=-2.0 if has_range else None,
        range_max=10.0 if has_range else None,
        sampling_period_s=draw(st.sampled_from([None, 1.0, 2.0])),
        offline_periods=draw(st.integers(1, 3)),
        stuck_window_s=draw(st.sampled_from([None, 1.0, 3.0])),
        stuck_tolerance=draw(st.sampled_from([0.0, 0.0, 0.25])),
        rate_per_s=draw(st.sampled_from([None, 0.5, 1.0])),
        calibration_due_at=draw(st.sampled_from([None, from_ms(T0 + 5000), from_ms(T0 + 12_500)])),
    )


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[Sensor], list[Reading]]:
    n = draw(st.integers(1, 4))
    table = [draw(sensors(i)) for i in range(n)]
    size = draw(st.integers(0, 60))
    readings = []
    clock = [T0] * n
    for _ in range(size):
        i = draw(st.integers(0, n - 1))
        step = draw(st.sampled_from([500, 500, 1000, 1000, 2500, 0, -1000, 7000]))
        clock[i] += step
        value = draw(
            st.one_of(st.sampled_from(GRID), st.sampled_from(SPECIAL))
            if draw(st.integers(0, 9)) == 0
            else st.sampled_from(GRID)
        )
        readings.append((i, clock[i], value))
    return table, readings


def test_the_initial_state_is_a_fresh_sensor_state_per_sensor() -> None:
    table = [Sensor("A", limits=(Limit(Condition.alarm, "hi", Direction.high, 1.0, 1.0),)), Sensor("B")]
    compiled = engine.SensorTable.build(table)
    assert engine.EngineState.initial(compiled).states(compiled) == [SensorState().fit(s) for s in table]


def run_engine(
    table: list[Sensor], batches: list[tuple[list[Reading], int]]
) -> tuple[list[AlarmEvent], list[SensorState], int, int]:
    compiled = engine.SensorTable.build(table)
    state = engine.EngineState.initial(compiled)
    events: list[AlarmEvent] = []
    dropped = dups = 0
    for batch, until in batches:
        idx = np.array([r[0] for r in batch], dtype=np.int64)
        ts = np.array([r[1] for r in batch], dtype=np.int64)
        val = np.array([r[2] for r in batch], dtype=np.float64)
        result = engine.evaluate(compiled, state, idx, ts, val, until)
        events += result.events.to_events(compiled)
        state = result.state
        dropped += result.out_of_order
        dups += result.duplicates
    return events, state.states(compiled), dropped, dups


def run_reference(
    table: list[Sensor], batches: list[tuple[list[Reading], int]]
) -> tuple[list[AlarmEvent], list[SensorState], int, int]:
    states = [SensorState() for _ in table]
    events: list[AlarmEvent] = []
    dropped = dups = 0
    for batch, until in batches:
        result = reference.evaluate(table, states, batch, until)
        events += result.events
        states = result.states
        dropped += result.out_of_order
        dups += result.duplicates
    return events, states, dropped, dups


def key(event: AlarmEvent) -> tuple[object, ...]:
    return (event.ts, event.sensor_id, event.condition, event.level or "", event.state, repr(event.value))


def cut(readings: list[Reading], cuts: list[int], end: int) -> list[tuple[list[Reading], int]]:
    """Batches at the given positions, each evaluated at the earliest time a later batch holds (so
    no batch declares a sensor offline before a reading that a later batch brings)."""
    bounds = sorted({0, *(c for c in cuts if 0 < c < len(readings)), len(readings)})
    batches = []
    for lo, hi in pairwise(bounds):
        later = [r[1] for r in readings[hi:]]
        batches.append((readings[lo:hi], min(later) if later else end))
    return batches or [([], end)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(streams(), st.lists(st.integers(0, 60), max_size=5), st.integers(0, 20_000))
def test_engine_and_reference_raise_the_same_events_for_any_stream_and_any_batching(
    stream: tuple[list[Sensor], list[Reading]], cuts: list[int], extra_ms: int
) -> None:
    table, readings = stream
    end = max([T0, *(r[1] for r in readings)]) + extra_ms
    whole = [(readings, end)]
    expected = run_reference(table, whole)
    assert run_engine(table, whole) == expected
    batches = cut(readings, cuts, end)
    split_engine = run_engine(table, batches)
    split_reference = run_reference(table, batches)
    assert sorted(split_engine[0], key=key) == sorted(expected[0], key=key)
    assert split_engine[1:] == expected[1:]
    assert split_reference[1:] == expected[1:]
    assert sorted(split_reference[0], key=key) == sorted(expected[0], key=key)


def test_sensor_state_survives_a_json_round_trip() -> None:
    sensor = Sensor("S", limits=(Limit(Condition.alarm, "hi", Direction.high, 1.0, 1.0, on_delay_s=5),))
    result = reference.evaluate([sensor], [SensorState()], [(0, T0, 1.2), (0, T0 + 1000, 0.2)], T0 + 1000)
    state = result.states[0]
    assert SensorState.from_dict(json.loads(json.dumps(state.as_dict()))) == state


def test_a_state_from_the_reference_resumes_the_engine_exactly() -> None:
    sensor = Sensor("S", limits=(Limit(Condition.alarm, "hi", Direction.high, 1.0, 1.0, on_delay_s=2),))
    first = reference.evaluate([sensor], [SensorState()], [(0, T0, 1.2), (0, T0 + 1000, 1.3)], T0 + 1000)
    compiled = engine.SensorTable.build([sensor])
    resumed = engine.evaluate(
        compiled, engine.EngineState.from_states(compiled, first.states), [0], [T0 + 2000], [1.4], T0 + 2000
    )
    [event] = resumed.events.to_events(compiled)
    assert (event.ts, event.state, event.level) == (from_ms(T0 + 2000), Phase.active, "hi")
