"""`zhiben monitoring evaluate`: run the alarm engine over files, to check a limit set against history.

SENSORS.csv: sensor_id, kind, unit, location_code, and optionally any of the limit settings in
`limits.OVERRIDE_COLUMNS` plus the health settings in `HEALTH_COLUMNS` and `oel_ppm`.
READINGS.csv: sensor_id, ts (ISO 8601 with offset), value. Row numbers are the file's (header = 1)."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from zhiben.cli.runtime import EXIT_INPUT, console, emit_json, fail
from zhiben.monitoring import engine
from zhiben.monitoring.coal_cli import coal_import, coal_mine_code, coal_watch
from zhiben.monitoring.domain import Sensor, to_ms
from zhiben.monitoring.limits import OVERRIDE_COLUMNS, LimitLookupError, limits_for, with_overrides
from zhiben.monitoring.replay_cli import replay

monitoring_app = typer.Typer(
    help="Safety monitoring (安全监测预警): sensors, limits, alarms.", no_args_is_help=True
)
monitoring_app.command("coal-mine-code")(coal_mine_code)
monitoring_app.command("coal-import")(coal_import)
monitoring_app.command("coal-watch")(coal_watch)
monitoring_app.command("replay")(replay)

SENSOR_COLUMNS = ("sensor_id", "kind", "unit", "location_code")
READING_COLUMNS = ("sensor_id", "ts", "value")
HEALTH_COLUMNS = (
    "range_min",
    "range_max",
    "sampling_period_s",
    "offline_periods",
    "stuck_window_s",
    "stuck_tolerance",
    "rate_per_s",
)
NUMBER_COLUMNS = (*OVERRIDE_COLUMNS, *HEALTH_COLUMNS, "oel_ppm")


class BadRowError(ValueError):
    pass


def _rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail(f"{path.name} must be a UTF-8 CSV file", EXIT_INPUT) from exc
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in required if c not in (reader.fieldnames or [])]
    if missing:
        raise fail(f"{path.name}: missing column(s) {', '.join(missing)}", EXIT_INPUT)
    for number, row in enumerate(reader, start=2):
        if any((v or "").strip() for v in row.values() if isinstance(v, str)):
            yield (
                number,
                {k: (v or "").strip() for k, v in row.items() if isinstance(k, str) and isinstance(v, str)},
            )


def _number(row: dict[str, str], column: str) -> float | None:
    text = row.get(column, "")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadRowError(f"{column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise BadRowError(f"{column} must be a finite number")
    return value


def _moment(text: str, column: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadRowError(f"{column} {text!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise BadRowError(f"{column} {text!r} needs a UTC offset (e.g. +08:00)")
    return moment


def sensor_from_row(row: dict[str, str]) -> Sensor:
    """One SENSORS.csv row as a Sensor: table limits for its kind and location, then its own settings."""
    if not row.get("sensor_id"):
        raise BadRowError("sensor_id is empty")
    numbers = {c: v for c in NUMBER_COLUMNS if (v := _number(row, c)) is not None}
    due = row.get("calibration_due_at", "")
    try:
        table = limits_for(
            row.get("kind", ""),
            row.get("location_code", ""),
            row.get("unit", ""),
            oel_ppm=numbers.get("oel_ppm"),
        )
        limits = with_overrides(table, {k: v for k, v in numbers.items() if k in OVERRIDE_COLUMNS})
        health: dict[str, Any] = {k: v for k, v in numbers.items() if k in HEALTH_COLUMNS}
        if "offline_periods" in health:
            if health["offline_periods"] != int(health["offline_periods"]):
                raise BadRowError("offline_periods is a whole number")
            health["offline_periods"] = int(health["offline_periods"])
        return Sensor(
            row["sensor_id"],
            kind=row.get("kind", ""),
            unit=row.get("unit", ""),
            limits=limits,
            calibration_due_at=_moment(due, "calibration_due_at") if due else None,
            location_code=row.get("location_code", ""),
            **health,
        )
    except LimitLookupError as exc:
        raise BadRowError(str(exc)) from None
    except ValueError as exc:
        raise BadRowError(str(exc)) from None


def read_sensors(path: Path) -> list[Sensor]:
    sensors: list[Sensor] = []
    seen: set[str] = set()
    for number, row in _rows(path, SENSOR_COLUMNS):
        try:
            sensor = sensor_from_row(row)
        except BadRowError as exc:
            raise fail(f"{path.name} row {number}: {exc}", EXIT_INPUT) from exc
        if sensor.sensor_id in seen:
            raise fail(f"{path.name} row {number}: sensor_id {sensor.sensor_id!r} appears twice", EXIT_INPUT)
        seen.add(sensor.sensor_id)
        sensors.append(sensor)
    if not sensors:
        raise fail(f"{path.name} has no sensors", EXIT_INPUT)
    return sensors


def read_readings(path: Path, index: dict[str, int]) -> tuple[list[int], list[int], list[float]]:
    idx: list[int] = []
    ts: list[int] = []
    values: list[float] = []
    for number, row in _rows(path, READING_COLUMNS):
        try:
            if row["sensor_id"] not in index:
                raise BadRowError(f"sensor_id {row['sensor_id']!r} is not in the sensors file")
            moment = _moment(row["ts"], "ts")
            try:
                value = float(row["value"])
            except ValueError:
                raise BadRowError(f"value {row['value']!r} is not a number") from None
        except BadRowError as exc:
            raise fail(f"{path.name} row {number}: {exc}", EXIT_INPUT) from exc
        idx.append(index[row["sensor_id"]])
        ts.append(to_ms(moment))
        values.append(value)
    return idx, ts, values


@monitoring_app.command("evaluate")
def evaluate_command(
    sensors: Annotated[
        Path,
        typer.Option(exists=True, dir_okay=False, help="CSV: " + ", ".join(SENSOR_COLUMNS) + ", settings…"),
    ],
    readings: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="CSV: " + ", ".join(READING_COLUMNS))
    ],
    until: Annotated[
        str | None, typer.Option(help="evaluate up to this ISO 8601 time (default: the last reading)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="stable JSON on stdout")] = False,
) -> None:
    """Run the alarm engine over recorded readings and list the alarm and sensor-health events."""
    table = engine.SensorTable.build(read_sensors(sensors))
    index = {s.sensor_id: i for i, s in enumerate(table.sensors)}
    idx, ts, values = read_readings(readings, index)
    try:
        end = to_ms(_moment(until, "--until")) if until else max(ts, default=0)
    except BadRowError as exc:
        raise fail(str(exc), EXIT_INPUT) from exc
    result = engine.evaluate(
        table,
        engine.EngineState.initial(table),
        np.array(idx, np.int64),
        np.array(ts, np.int64),
        np.array(values),
        end,
    )
    events = result.events.to_events(table)
    if as_json:
        emit_json({"events": [e.as_json() for e in events]})
        return
    from rich.table import Table

    out = Table("时间 ts (UTC)", "传感器 sensor", "条件 condition", "级别 level", "状态 state", "值 value")
    for e in events:
        value = "" if e.value is None else f"{e.value:g}"
        out.add_row(e.ts.isoformat(), e.sensor_id, e.condition.value, e.level or "", e.state.value, value)
    console.print(out)
    skipped = f"; {result.out_of_order} out of order, {result.duplicates} duplicates skipped"
    console.print(f"{len(events)} events from {len(idx)} readings{skipped}")
