"""Limit sets from the packaged tables (data/README.md cites every row), looked up by sensor kind and
location code, with per-sensor overrides.

Location codes:
- `T0`…`T4`: coal-mine methane sensor positions (AQ 1029 tags), rows of
  `coal_methane_sensor_settings.csv`: alarm (报警) as `alarm`/`hi`, power-off (断电) and restore
  (复电) as `power_off`. Other gases at these positions fall back to the `coal` rows.
- `coal`: underground air limits of the Coal Mine Safety Regulations (`coal_air_quality_limits.csv`).
- `GB50493`: GB/T 50493-2019 5.5.2 gas detector alarm levels (`gbt50493_2019_alarm_setpoints.csv`):
  combustible %LEL and toxic gas (as multiples of the gas's OEL) at `level1` / `level2`, oxygen `lo` / `hi`.
- `tank` and the empty code: no table limits; hi/hihi/lo/lolo are set per sensor.

Boundary words, as the tables give them:
- Coal methane: alarm and power-off are "≥" (a reading equal to the value raises them), restore is
  "<" (power returns only below the restore value). Encoded exactly so: inclusive setpoints, and a
  power-off latch that clears strictly below the restore value.
- Coal air: the table gives maximum (minimum for O2) allowed concentrations, so only a reading
  beyond the value is a breach: strict limits (CO > 24 ppm; O2 < 20 %).
- GB/T 50493: the table gives the highest allowed setting of an alarm point ("≤ 25 % LEL"); a
  detector alarms when the reading reaches its setpoint, so the setpoints are inclusive (≥ 25 % LEL).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

from zhiben.monitoring.domain import Condition, Direction, Limit

COAL_TAGS = ("T0", "T1", "T2", "T3", "T4")
FAMILY = {**dict.fromkeys(COAL_TAGS, "coal"), "coal": "coal", "GB50493": "GB50493", "tank": "tank", "": ""}
LOCATION_CODES = tuple(FAMILY)
ALARM_LEVELS = {"hihi": Direction.high, "hi": Direction.high, "lo": Direction.low, "lolo": Direction.low}
ALARM_LEVELS |= {"level1": Direction.high, "level2": Direction.high}
METHANE_UNITS = ("%", "%CH4", "%VOL", "")
PERCENT_UNITS = ("%", "%VOL", "")


class LimitLookupError(ValueError):
    """The sensor's kind, unit and location do not select a limit set (the message says why)."""


@dataclass(frozen=True)
class LimitSet:
    kind: str
    location_code: str
    units: tuple[str, ...]
    limits: tuple[Limit, ...]
    verification: str
    scales_with_oel: bool = False  # toxic gas: values are multiples of the gas's OEL, in ppm


def _rows(name: str) -> list[tuple[int, dict[str, str]]]:
    text = resources.files("zhiben.monitoring").joinpath(f"data/{name}").read_text("utf-8")
    return list(enumerate(csv.DictReader(text.splitlines()), start=2))  # the header is row 1


def _number(cell: str, prefix: str = "") -> float:
    match = re.match(rf"^\s*{re.escape(prefix)}\s*([0-9.]+)", cell)
    if match is None:
        raise ValueError(f"expected {prefix or 'a number'}… in {cell!r}")
    return float(match.group(1))


def _coal_methane() -> list[LimitSet]:
    """One set per tag. The `(第二级)` row of T3 (a second power-off stage that also cuts the
    auxiliary fan) and the obsolete T7 row are not used; every other tagged row must agree."""
    by_tag: dict[str, list[tuple[int, dict[str, str]]]] = {}
    for number, row in _rows("coal_methane_sensor_settings.csv"):
        if row["sensor_tag"] in COAL_TAGS and "第二级" not in row["location_cn"]:
            by_tag.setdefault(row["sensor_tag"], []).append((number, row))
    sets = []
    for tag, rows in sorted(by_tag.items()):
        values = {
            (r["alarm_pct_CH4"], r["power_off_pct_CH4"], r["power_restore_pct_CH4_below"]) for _, r in rows
        }
        if len(values) != 1:
            raise ValueError(f"coal methane rows for {tag} disagree: {sorted(values)}")
        alarm, power_off, restore = values.pop()
        cite = f"coal_methane_sensor_settings.csv row{'s' if len(rows) > 1 else ''} " + ", ".join(
            str(n) for n, _ in rows
        )
        sets.append(
            LimitSet(
                kind="methane",
                location_code=tag,
                units=METHANE_UNITS,
                limits=(
                    # 报警浓度 "≥": inclusive; clears below the alarm value
                    Limit(
                        Condition.alarm,
                        "hi",
                        Direction.high,
                        _number(alarm, ">="),
                        _number(alarm, ">="),
                        source=cite,
                    ),
                    # 断电浓度 "≥" inclusive; 复电浓度 "<": power returns strictly below the restore value
                    Limit(
                        Condition.power_off,
                        None,
                        Direction.high,
                        _number(power_off, ">="),
                        _number(restore, "<"),
                        source=cite,
                    ),
                ),
                verification="; ".join(sorted({r["verification"] for _, r in rows})),
            )
        )
    return sets


COAL_AIR_KINDS = {
    "O2": "o2",
    "CO2": "co2",
    "CO": "co",
    "NOx as NO2": "no2",
    "SO2": "so2",
    "H2S": "h2s",
    "NH3": "nh3",
}


def _coal_air() -> list[LimitSet]:
    sets = []
    for number, row in _rows("coal_air_quality_limits.csv"):
        gas = row["gas"].split(" (")[0]
        kind = COAL_AIR_KINDS[gas]
        is_minimum = row["kind"] == "minimum"
        direction = Direction.low if is_minimum else Direction.high
        level = "lo" if is_minimum else "hi"
        cite = f"coal_air_quality_limits.csv row {number} ({row['gas']}, {row['kind']})"
        for units, column in ((PERCENT_UNITS, "limit_percent_vol"), (("ppm",), "limit_ppm_equiv")):
            if row[column]:
                value = float(row[column])
                # a maximum (minimum) allowed concentration: only a reading beyond it is a breach
                limit = Limit(Condition.alarm, level, direction, value, value, is_strict=True, source=cite)
                sets.append(LimitSet(kind, "coal", units, (limit,), "V (secondary)"))
    return sets


def _gbt50493() -> list[LimitSet]:
    rows = {r["measurand"]: (n, r) for n, r in _rows("gbt50493_2019_alarm_setpoints.csv")}
    sets = []

    def levels(measurand: str, kind: str, units: tuple[str, ...], scale: float, by_oel: bool = False) -> None:
        number, row = rows[measurand]
        cite = f"gbt50493_2019_alarm_setpoints.csv row {number} ({row['clause']})"
        first, second = (
            _number(row[c], "<=") if "<=" in row[c] else _number(row[c]) for c in ("alarm_1", "alarm_2")
        )
        limits = (
            Limit(Condition.alarm, "level1", Direction.high, first * scale, first * scale, source=cite),
            Limit(Condition.alarm, "level2", Direction.high, second * scale, second * scale, source=cite),
        )
        sets.append(LimitSet(kind, "GB50493", units, limits, "V2", scales_with_oel=by_oel))

    levels("combustible gas (point detector)", "combustible", ("%LEL",), 1.0)
    levels("combustible gas (open-path/line detector)", "combustible_path", ("LEL·m", "LEL.m"), 1.0)
    levels("toxic gas", "toxic", ("%OEL",), 1.0)
    levels("toxic gas", "toxic", ("ppm",), 0.01, by_oel=True)  # % of OEL → multiple of the OEL
    number, row = rows["ambient oxygen"]
    cite = f"gbt50493_2019_alarm_setpoints.csv row {number} ({row['clause']}, '宜')"
    low, high = (float(re.findall(r"[0-9.]+", row[c])[0]) for c in ("alarm_1", "alarm_2"))
    oxygen = (
        Limit(Condition.alarm, "lo", Direction.low, low, low, source=cite),  # 欠氧
        Limit(Condition.alarm, "hi", Direction.high, high, high, source=cite),  # 过氧
    )
    sets.append(LimitSet("o2", "GB50493", PERCENT_UNITS, oxygen, "V2"))
    return sets


@lru_cache(maxsize=1)
def limit_sets() -> tuple[LimitSet, ...]:
    return (*_coal_methane(), *_coal_air(), *_gbt50493())


def limits_for(
    kind: str, location_code: str, unit: str = "", *, oel_ppm: float | None = None
) -> tuple[Limit, ...]:
    """The table limits for a sensor: its (kind, location) row set, else its location family's
    (coal gases at a T-tag use the `coal` rows); () when no table covers it."""
    if location_code not in FAMILY:
        raise LimitLookupError(
            f"unknown location code {location_code!r}; use one of: {', '.join(c for c in LOCATION_CODES if c)}"
        )
    kind = kind.strip().lower()
    for code in dict.fromkeys((location_code, FAMILY[location_code])):
        candidates = [s for s in limit_sets() if s.kind == kind and s.location_code == code]
        if not candidates:
            continue
        for limit_set in candidates:
            if unit in limit_set.units:
                return _scaled(limit_set, oel_ppm)
        units = sorted({u for s in candidates for u in s.units if u})
        raise LimitLookupError(f"{kind} at {location_code} is measured in {' or '.join(units)}, not {unit!r}")
    return ()


def _scaled(limit_set: LimitSet, oel_ppm: float | None) -> tuple[Limit, ...]:
    if not limit_set.scales_with_oel:
        return limit_set.limits
    if oel_ppm is None or not oel_ppm > 0:
        raise LimitLookupError("toxic gas in ppm needs the gas's OEL (oel_ppm) to place GB/T 50493 levels")
    return tuple(
        replace(lim, on_at=lim.on_at * oel_ppm, off_at=lim.off_at * oel_ppm) for lim in limit_set.limits
    )


OVERRIDE_COLUMNS = (*ALARM_LEVELS, "power_off", "restore", "deadband", "on_delay_s", "off_delay_s")


def with_overrides(limits: tuple[Limit, ...], overrides: Mapping[str, float]) -> tuple[Limit, ...]:
    """Per-sensor settings over the table's: a level column (hi, hihi, lo, lolo, level1, level2) sets
    that alarm's setpoint (inclusive: it alarms at the value), `power_off` / `restore` the power-off
    latch, and `deadband`, `on_delay_s`, `off_delay_s` apply to every alarm of the sensor."""
    out = list(limits)
    for level, direction in ALARM_LEVELS.items():
        if level in overrides:
            value = overrides[level]
            new = Limit(Condition.alarm, level, direction, value, value, source="sensor setting")
            at = [i for i, lim in enumerate(out) if lim.condition is Condition.alarm and lim.level == level]
            if at:
                out[at[0]] = new
            else:
                out.append(new)
    out = _power_off(out, overrides)
    changes: dict[str, float] = {k: overrides[k] for k in ("on_delay_s", "off_delay_s") if k in overrides}
    band = overrides.get("deadband")
    result = []
    for lim in out:
        if lim.condition is Condition.alarm:
            lim = replace(lim, **changes) if changes else lim  # type: ignore[arg-type]
            if band is not None:
                lim = replace(lim, off_at=lim.on_at - lim.direction * band)
        result.append(lim)
    return tuple(result)


def _power_off(out: list[Limit], overrides: Mapping[str, float]) -> list[Limit]:
    if "power_off" not in overrides and "restore" not in overrides:
        return out
    at = [i for i, lim in enumerate(out) if lim.condition is Condition.power_off]
    current = out[at[0]] if at else None
    power_off = overrides.get("power_off", current.on_at if current else None)
    if power_off is None:
        raise LimitLookupError("restore is given without a power_off value")
    restore = overrides.get("restore", current.off_at if current else power_off)
    new = Limit(Condition.power_off, None, Direction.high, power_off, restore, source="sensor setting")
    if at:
        out[at[0]] = new
    else:
        out.append(new)
    return out
