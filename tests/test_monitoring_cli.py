"""`zhiben monitoring evaluate`: files in, alarm events out as JSON; bad rows are named (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from zhiben.cli.main import app

SENSORS = """sensor_id,kind,unit,location_code,sampling_period_s,hi
CH4-1101,methane,%CH4,T1,1,
LT-1,level,m,tank,,8
"""

READINGS = """sensor_id,ts,value
CH4-1101,2026-03-02T08:00:00+08:00,0.30
CH4-1101,2026-03-02T08:00:01+08:00,1.00
LT-1,2026-03-02T08:00:01+08:00,8.5
CH4-1101,2026-03-02T08:00:02+08:00,1.52
CH4-1101,2026-03-02T08:00:03+08:00,0.99
CH4-1101,2026-03-02T08:00:09+08:00,0.40
"""


def evaluate(tmp_path: Path, sensors: str = SENSORS, readings: str = READINGS, *extra: str):  # type: ignore[no-untyped-def]
    (tmp_path / "sensors.csv").write_text(sensors, encoding="utf-8")
    (tmp_path / "readings.csv").write_text(readings, encoding="utf-8")
    args = ["monitoring", "evaluate", "--sensors", str(tmp_path / "sensors.csv")]
    return CliRunner().invoke(app, [*args, "--readings", str(tmp_path / "readings.csv"), *extra])


def test_evaluate_prints_alarm_power_off_and_offline_events_as_json(tmp_path: Path) -> None:
    result = evaluate(tmp_path, SENSORS, READINGS, "--json")
    assert result.exit_code == 0, result.output
    events = json.loads(result.stdout)["events"]
    assert [(e["sensor_id"], e["ts"][11:19], e["condition"], e["level"], e["state"]) for e in events] == [
        ("CH4-1101", "00:00:01", "alarm", "hi", "active"),
        ("LT-1", "00:00:01", "alarm", "hi", "active"),
        ("CH4-1101", "00:00:02", "power_off", None, "active"),
        ("CH4-1101", "00:00:03", "alarm", "hi", "cleared"),
        ("CH4-1101", "00:00:03", "power_off", None, "cleared"),
        ("CH4-1101", "00:00:06", "offline", None, "active"),
        ("CH4-1101", "00:00:09", "offline", None, "cleared"),
    ]
    assert set(events[0]) == {"sensor_id", "ts", "condition", "level", "state", "value"}


def test_a_bad_reading_is_named_by_its_row(tmp_path: Path) -> None:
    bad = READINGS + "CH4-1101,2026-03-02T08:00:10,0.4\n"
    result = evaluate(tmp_path, SENSORS, bad, "--json")
    assert result.exit_code == 2
    assert "readings.csv row 8" in result.output and "UTC offset" in result.output


def test_an_unknown_sensor_or_a_non_number_is_named_by_its_row(tmp_path: Path) -> None:
    result = evaluate(tmp_path, SENSORS, READINGS + "X,2026-03-02T08:00:10+08:00,1\n")
    assert result.exit_code == 2 and "row 8" in result.output and "'X'" in result.output
    result = evaluate(tmp_path, SENSORS, READINGS + "LT-1,2026-03-02T08:00:10+08:00,high\n")
    assert result.exit_code == 2 and "row 8" in result.output and "not a number" in result.output


def test_a_bad_sensor_row_is_named(tmp_path: Path) -> None:
    result = evaluate(tmp_path, SENSORS + "CH4-2,methane,%CH4,T9,,\n", READINGS)
    assert result.exit_code == 2 and "sensors.csv row 4" in result.output and "T9" in result.output
    result = evaluate(tmp_path, SENSORS + "CH4-1101,methane,%CH4,T1,,\n", READINGS)
    assert result.exit_code == 2 and "appears twice" in result.output
    result = evaluate(tmp_path, "sensor_id,kind\nA,methane\n", READINGS)
    assert result.exit_code == 2 and "missing column" in result.output


def test_evaluate_without_json_prints_a_table(tmp_path: Path) -> None:
    result = evaluate(tmp_path)
    assert result.exit_code == 0, result.output
    assert "power_off" in result.output and "7 events from 6 readings" in result.output
