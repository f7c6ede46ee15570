"""Each limit table row used, at and around its thresholds; deadband, delays, power-off and restore;
and every sensor-health condition. Each case runs through the reference and the engine alike."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from zhiben.monitoring import engine, reference
from zhiben.monitoring.domain import Condition, Direction, Limit, Sensor, SensorState, from_ms, to_ms
from zhiben.monitoring.limits import LimitLookupError, limits_for, with_overrides

T0 = to_ms(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
EPS = 1e-9


def run(
    sensor: Sensor, values: list[float], step_ms: int = 1000, until: int | None = None
) -> list[tuple[str, str | None, str, int]]:
    """(condition, level, state, seconds after T0) of every event, the same from reference and engine."""
    readings = [(0, T0 + i * step_ms, v) for i, v in enumerate(values)]
    end = until if until is not None else T0 + max(len(values) - 1, 0) * step_ms
    ref = reference.evaluate([sensor], [SensorState()], readings, end).events
    table = engine.SensorTable.build([sensor])
    eng = engine.evaluate(
        table,
        engine.EngineState.initial(table),
        np.zeros(len(values), np.int64),
        np.array([r[1] for r in readings], np.int64),
        np.array(values, np.float64),
        end,
    ).events.to_events(table)
    assert eng == ref
    return [(e.condition.value, e.level, e.state.value, (to_ms(e.ts) - T0) // 1000) for e in ref]


def raised(sensor: Sensor, value: float) -> set[tuple[str, str | None]]:
    """What a single reading raises."""
    return {(c, lvl) for c, lvl, state, _ in run(sensor, [value]) if state == "active"}


# --- coal-mine methane (coal_methane_sensor_settings.csv), alarm ≥, power-off ≥, restore < ---

METHANE_ROWS = [  # tag, alarm, power-off, restore (rows cited in src/zhiben/monitoring/data/README.md)
    ("T0", 1.0, 1.5, 1.0),
    ("T1", 1.0, 1.5, 1.0),
    ("T2", 1.0, 1.0, 1.0),
    ("T3", 0.5, 0.5, 0.5),
    ("T4", 0.5, 0.5, 0.5),
]


@pytest.mark.parametrize(("tag", "alarm", "power_off", "restore"), METHANE_ROWS)
def test_methane_alarm_and_power_off_are_raised_at_their_value_not_below(
    tag: str, alarm: float, power_off: float, restore: float
) -> None:
    sensor = Sensor("CH4", "methane", "%CH4", limits_for("methane", tag, "%CH4"))
    assert raised(sensor, alarm - 0.01) == set()
    assert ("alarm", "hi") in raised(sensor, alarm)
    assert ("power_off", None) in raised(sensor, power_off)
    assert ("power_off", None) in raised(sensor, power_off + 0.01)
    assert ("power_off", None) not in raised(sensor, power_off - 0.01)


@pytest.mark.parametrize(("tag", "alarm", "power_off", "restore"), METHANE_ROWS)
def test_power_returns_only_below_the_restore_value(
    tag: str, alarm: float, power_off: float, restore: float
) -> None:
    sensor = Sensor("CH4", "methane", "%CH4", limits_for("methane", tag, "%CH4"))
    events = run(sensor, [power_off, restore, restore - 0.01])
    power = [(state, t) for c, _, state, t in events if c == "power_off"]
    assert power == [("active", 0), ("cleared", 2)]


def test_t1_power_stays_off_between_restore_and_power_off() -> None:
    sensor = Sensor("CH4", "methane", "%CH4", limits_for("methane", "T1", "%CH4"))
    events = run(sensor, [1.5, 1.2, 1.0, 1.49, 0.99])
    assert [(c, s, t) for c, _, s, t in events] == [
        ("alarm", "active", 0),
        ("power_off", "active", 0),
        ("alarm", "cleared", 4),
        ("power_off", "cleared", 4),
    ]


def test_the_second_stage_t3_row_and_the_obsolete_t7_row_are_not_used() -> None:
    [alarm, power_off] = limits_for("methane", "T3", "%")
    assert (alarm.on_at, power_off.on_at, power_off.off_at) == (0.5, 0.5, 0.5)
    with pytest.raises(LimitLookupError):
        limits_for("methane", "T7", "%")


# --- coal underground air (coal_air_quality_limits.csv): only a reading beyond the limit breaches ---

COAL_AIR = [
    ("co", "ppm", 24.0, Direction.high),
    ("co", "%", 0.0024, Direction.high),
    ("co2", "%", 0.5, Direction.high),
    ("co2", "ppm", 5000.0, Direction.high),
    ("no2", "ppm", 2.5, Direction.high),
    ("so2", "ppm", 5.0, Direction.high),
    ("h2s", "ppm", 6.6, Direction.high),
    ("nh3", "ppm", 40.0, Direction.high),
    ("o2", "%", 20.0, Direction.low),
]


@pytest.mark.parametrize(("kind", "unit", "limit", "direction"), COAL_AIR)
def test_coal_air_limits_are_breached_only_beyond_the_allowed_value(
    kind: str, unit: str, limit: float, direction: Direction
) -> None:
    sensor = Sensor(kind, kind, unit, limits_for(kind, "coal", unit))
    level = "hi" if direction is Direction.high else "lo"
    beyond = limit * (1 + direction * 0.01)
    inside = limit * (1 - direction * 0.01)
    assert raised(sensor, limit) == set()
    assert raised(sensor, inside) == set()
    assert raised(sensor, beyond) == {("alarm", level)}


def test_a_co_sensor_at_a_methane_position_takes_the_coal_air_row() -> None:
    assert limits_for("co", "T1", "ppm") == limits_for("co", "coal", "ppm")


# --- GB/T 50493-2019 5.5.2 (gbt50493_2019_alarm_setpoints.csv): alarm at the setpoint ---


@pytest.mark.parametrize(
    ("kind", "unit", "first", "second", "oel"),
    [
        ("combustible", "%LEL", 25.0, 50.0, None),
        ("combustible_path", "LEL·m", 1.0, 2.0, None),
        ("toxic", "%OEL", 100.0, 200.0, None),
        ("toxic", "ppm", 10.0, 20.0, 10.0),  # H2S-like OEL of 10 ppm: 1x and 2x
    ],
)
def test_gbt50493_first_and_second_levels(
    kind: str, unit: str, first: float, second: float, oel: float | None
) -> None:
    sensor = Sensor(kind, kind, unit, limits_for(kind, "GB50493", unit, oel_ppm=oel))
    assert raised(sensor, first - EPS * first) == set()
    assert raised(sensor, first) == {("alarm", "level1")}
    assert raised(sensor, second - EPS * second) == {("alarm", "level1")}
    assert raised(sensor, second) == {("alarm", "level1"), ("alarm", "level2")}


def test_gbt50493_oxygen_alarms_low_at_19_5_and_high_at_23_5() -> None:
    sensor = Sensor("O2", "o2", "%VOL", limits_for("o2", "GB50493", "%VOL"))
    assert raised(sensor, 19.5) == {("alarm", "lo")}
    assert raised(sensor, 19.51) == set()
    assert raised(sensor, 23.49) == set()
    assert raised(sensor, 23.5) == {("alarm", "hi")}


def test_toxic_ppm_needs_the_gas_oel_and_a_wrong_unit_is_refused() -> None:
    with pytest.raises(LimitLookupError, match="OEL"):
        limits_for("toxic", "GB50493", "ppm")
    with pytest.raises(LimitLookupError, match="%LEL"):
        limits_for("combustible", "GB50493", "ppm")
    with pytest.raises(LimitLookupError, match="unknown location"):
        limits_for("methane", "T9", "%")


# --- tank hi/hihi/lo/lolo per sensor, deadband and delays ---


def tank(**settings: float) -> Sensor:
    return Sensor(
        "LT", "level", "m", with_overrides((), {"hihi": 9, "hi": 8, "lo": 2, "lolo": 1, **settings})
    )


def test_tank_levels_are_set_per_sensor() -> None:
    sensor = tank()
    assert raised(sensor, 8) == {("alarm", "hi")}
    assert raised(sensor, 9) == {("alarm", "hi"), ("alarm", "hihi")}
    assert raised(sensor, 2) == {("alarm", "lo")}
    assert raised(sensor, 1) == {("alarm", "lo"), ("alarm", "lolo")}
    assert raised(sensor, 5) == set()


def test_a_deadband_holds_the_alarm_until_the_value_is_back_past_it() -> None:
    events = run(tank(deadband=0.5), [8.0, 7.6, 7.5, 7.49])
    assert events == [("alarm", "hi", "active", 0), ("alarm", "hi", "cleared", 3)]


def test_on_delay_needs_the_condition_for_the_whole_delay() -> None:
    assert run(tank(on_delay_s=2), [8, 8, 7, 8, 8, 8]) == [("alarm", "hi", "active", 5)]


def test_off_delay_needs_the_return_to_normal_for_the_whole_delay() -> None:
    events = run(tank(off_delay_s=2), [8, 5, 8, 5, 5, 5])
    assert events == [("alarm", "hi", "active", 0), ("alarm", "hi", "cleared", 5)]


def test_a_reading_in_the_deadband_restarts_the_off_delay() -> None:
    events = run(tank(deadband=0.5, off_delay_s=1), [8, 5, 7.8, 5, 5])
    assert events == [("alarm", "hi", "active", 0), ("alarm", "hi", "cleared", 4)]


def test_rate_of_change_per_second() -> None:
    sensor = Sensor("P", "pressure", "MPa", rate_per_s=0.5)
    events = run(sensor, [1.0, 1.4, 2.0, 2.2, 2.2])  # steps 0.4, 0.6, 0.2, 0 per second
    assert events == [("rate", None, "active", 2), ("rate", None, "cleared", 3)]


# --- sensor health ---


def test_offline_is_raised_at_the_deadline_when_the_next_reading_comes_late() -> None:
    sensor = Sensor("T", "temperature", "℃", sampling_period_s=1, offline_periods=3)
    readings = [(0, T0, 20.0), (0, T0 + 3000, 20.0), (0, T0 + 7000, 20.0)]
    events = reference.evaluate([sensor], [SensorState()], readings, T0 + 7000).events
    assert [(e.condition, e.state.value, to_ms(e.ts) - T0) for e in events] == [
        (Condition.offline, "active", 6000),
        (Condition.offline, "cleared", 7000),
    ]


def test_offline_is_raised_at_the_deadline_when_the_batch_ends_after_it() -> None:
    sensor = Sensor("T", "temperature", "℃", sampling_period_s=1, offline_periods=3)
    assert run(sensor, [20.0], until=T0 + 3000) == []
    assert run(sensor, [20.0], until=T0 + 3001) == [("offline", None, "active", 3)]


def test_a_flat_line_for_the_window_is_stuck_and_the_first_move_clears_it() -> None:
    sensor = Sensor("T", "temperature", "℃", stuck_window_s=3)
    events = run(sensor, [20.0, 20.0, 20.0, 20.0, 20.0, 20.1])
    assert events == [("stuck", None, "active", 3), ("stuck", None, "cleared", 5)]


def test_an_out_of_range_reading_raises_out_of_range_and_drives_no_process_alarm() -> None:
    sensor = Sensor("CH4", "methane", "%", limits_for("methane", "T1", "%"), range_min=0, range_max=4)
    events = run(sensor, [0.3, 40.0, math.nan, 0.4])
    assert events == [("out_of_range", None, "active", 1), ("out_of_range", None, "cleared", 3)]


def test_calibration_due_is_raised_at_the_due_date() -> None:
    due = from_ms(T0) + timedelta(seconds=2)
    sensor = Sensor("CH4", "methane", "%", calibration_due_at=due)
    assert run(sensor, [0.3, 0.3], until=T0 + 1999) == []
    assert run(sensor, [0.3, 0.3], until=T0 + 2000) == [("calibration_due", None, "active", 2)]


def test_calibration_due_clears_when_the_date_is_moved_after_recalibration() -> None:
    due = from_ms(T0)
    before = reference.evaluate(
        [Sensor("S", calibration_due_at=due)], [SensorState()], [(0, T0, 1.0)], T0
    ).states
    later = Sensor("S", calibration_due_at=due + timedelta(days=30))
    events = reference.evaluate([later], before, [(0, T0 + 1000, 1.0)], T0 + 1000).events
    assert [(e.condition, e.state.value) for e in events] == [(Condition.calibration_due, "cleared")]


def test_out_of_order_readings_are_dropped_and_duplicates_ignored() -> None:
    sensor = Sensor("T", limits=(Limit(Condition.alarm, "hi", Direction.high, 5, 5),))
    readings = [(0, T0 + 1000, 1.0), (0, T0, 9.0), (0, T0 + 1000, 9.0), (0, T0 + 2000, 1.0)]
    result = reference.evaluate([sensor], [SensorState()], readings, T0 + 2000)
    assert (result.events, result.out_of_order, result.duplicates) == ([], 1, 1)
    table = engine.SensorTable.build([sensor])
    batch = engine.evaluate(
        table,
        engine.EngineState.initial(table),
        [0] * 4,
        [r[1] for r in readings],
        [r[2] for r in readings],
        T0 + 2000,
    )
    assert (len(batch.events), batch.out_of_order, batch.duplicates) == (0, 1, 1)
