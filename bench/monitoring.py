"""Monitoring benchmark: the vectorised alarm engine on synthetic readings for 10,000 sensors, the
per-reading reference on a subset, and a plain numpy copy of the same bytes, in one run."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import numpy as np

from zhiben.monitoring import engine, reference
from zhiben.monitoring.domain import Sensor, SensorState, to_ms
from zhiben.monitoring.limits import limits_for, with_overrides

START = datetime(2026, 3, 2, tzinfo=UTC)
SENSORS = 10_000
READINGS = 20_000_000
REFERENCE_READINGS = 200_000
BATCH = 1_000_000


def _sensors(n: int) -> list[Sensor]:
    """Three in five coal-mine methane sensors at T1, the rest tank levels with four limits."""
    out = []
    for i in range(n):
        if i % 5 < 3:
            limits = limits_for("methane", "T1", "%CH4")
            out.append(
                Sensor(
                    f"CH4-{i}",
                    "methane",
                    "%CH4",
                    limits,
                    range_min=0.0,
                    range_max=40.0,
                    sampling_period_s=1.0,
                    stuck_window_s=600.0,
                    rate_per_s=0.5,
                    calibration_due_at=START + timedelta(hours=4),
                )
            )
        else:
            settings = {"hihi": 9.0, "hi": 8.0, "lo": 2.0, "lolo": 1.0, "deadband": 0.2, "on_delay_s": 5.0}
            out.append(
                Sensor(
                    f"LT-{i}",
                    "level",
                    "m",
                    with_overrides((), settings),
                    range_min=0.0,
                    range_max=12.0,
                    sampling_period_s=1.0,
                    stuck_window_s=300.0,
                )
            )
    return out


def _readings(n_sensors: int, total: int, seed: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every sensor once a second, interleaved in time; methane near 0.3 % with rare excursions past
    1.0 / 1.5 %, tank levels on slow fill and drain cycles; 0.1 % dropouts, rare spikes out of range."""
    rng = np.random.default_rng(seed)
    rounds = total // n_sensors
    idx = np.tile(np.arange(n_sensors, dtype=np.int64), rounds)
    ts = np.repeat(to_ms(START) + np.arange(rounds, dtype=np.int64) * 1000, n_sensors)
    is_methane = (idx % 5) < 3
    t = np.repeat(np.arange(rounds, dtype=np.float64), n_sensors)
    phase = (idx * 37 % 1000).astype(np.float64)
    level = 5.0 + 3.4 * np.sin((t + phase) / 900.0)
    methane = 0.3 + 0.05 * rng.standard_normal(len(idx))
    excursion = ((t + phase) % 3600) < 40
    methane = np.where(excursion & (idx % 7 == 0), methane + 1.3, methane)
    value = np.round(np.where(is_methane, methane, level + 0.02 * rng.standard_normal(len(idx))), 2)
    value[rng.random(len(idx)) < 1e-5] = 99.0
    keep = rng.random(len(idx)) >= 0.001
    return idx[keep], ts[keep], value[keep]


def _engine_rate(
    table: engine.SensorTable, idx: np.ndarray, ts: np.ndarray, value: np.ndarray, batch: int
) -> tuple[float, int]:
    state = engine.EngineState.initial(table)
    events = 0
    start = time.perf_counter()  # from a fresh state: building it is not part of the rate
    for lo in range(0, len(idx), batch):
        hi = lo + batch
        until = int(ts[min(hi, len(ts)) - 1])
        result = engine.evaluate(table, state, idx[lo:hi], ts[lo:hi], value[lo:hi], until)
        state = result.state
        events += len(result.events)
    return time.perf_counter() - start, events


def run(total: int = READINGS, n_sensors: int = SENSORS) -> str:
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sensors = _sensors(n_sensors)
    table = engine.SensorTable.build(sensors)
    idx, ts, value = _readings(n_sensors, total)
    n = len(idx)
    best_one = min(_engine_rate(table, idx, ts, value, n)[0] for _ in range(2))
    one_s, events = _engine_rate(table, idx, ts, value, n)
    best_one = min(best_one, one_s)
    batched_s, batched_events = _engine_rate(table, idx, ts, value, BATCH)
    start = time.perf_counter()
    for _ in range(3):
        idx.copy(), ts.copy(), value.copy()
    copy_s = (time.perf_counter() - start) / 3
    sub = slice(0, REFERENCE_READINGS)
    readings = list(zip(idx[sub].tolist(), ts[sub].tolist(), value[sub].tolist(), strict=True))
    start = time.perf_counter()
    reference.evaluate(sensors, [SensorState()] * n_sensors, readings, int(ts[REFERENCE_READINGS - 1]))
    reference_s = time.perf_counter() - start
    sub_s, _ = _engine_rate(table, idx[sub], ts[sub], value[sub], REFERENCE_READINGS)
    rate = n / best_one
    reference_rate = REFERENCE_READINGS / reference_s
    mb = (idx.nbytes + ts.nbytes + value.nbytes) / 1e6
    lines = [
        "# Monitoring benchmark",
        "",
        f"Run `make bench` (this table: `python -m bench.run monitoring`). {n:,} synthetic readings "
        f"(sensor index int64, timestamp int64 ms, value float64: {mb:,.0f} MB) for {n_sensors:,} sensors, "
        "every sensor once a second and interleaved in time (0.1 % dropped): three in five are coal-mine "
        "methane sensors at T1 (alarm 1.0 %, power-off 1.5 %, restore < 1.0 %, rate, stuck, calibration date) "
        "with rare excursions, the rest tank levels with hi/hihi/lo/lolo, deadband and on-delay. One process, "
        "one thread (numpy runs single-threaded here), on this 2-core machine.",
        "",
        "| measure | time | readings/s | events |",
        "|---|---:|---:|---:|",
        f"| engine, one batch of {n:,} (best of 3) | {best_one:.2f} s | **{rate:,.0f}** | {events:,} |",
        f"| engine, batches of {BATCH:,} with state carried | {batched_s:.2f} s | {n / batched_s:,.0f} | {batched_events:,} |",
        f"| plain numpy copy of the same three arrays | {copy_s:.3f} s | {n / copy_s:,.0f} | — |",
        f"| reference (per reading), first {REFERENCE_READINGS:,} readings | {reference_s:.2f} s | {reference_rate:,.0f} | — |",
        f"| engine on the same {REFERENCE_READINGS:,} readings | {sub_s:.3f} s | {REFERENCE_READINGS / sub_s:,.0f} | — |",
        "",
        f"- engine throughput: **{rate / 1e6:.1f} M readings/s per core** in one batch of {n:,}, "
        f"**{n / batched_s / 1e6:.1f} M** in batches of {BATCH:,} as ingestion runs it (goal ≥ 10 M)",
        f"- engine / reference: **{rate / reference_rate:,.0f}×** (reference {reference_rate:,.0f} readings/s)",
        f"- engine time / plain copy time: {best_one / copy_s:.0f}×",
        "",
    ]
    return "\n".join(lines)
