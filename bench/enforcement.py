"""Enforcement benchmark: the verifiable double-random draw of 10,000 targets among 100,000 synthetic
enterprises with 3,000 officers, its record, its verification and its open-data rows.

`run()` renders every row that the functions in `ROW_BUILDERS` return, as (measure, seconds, note);
further measures (team assignment) are added by appending a builder.
"""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import TypeVar

from zhiben.enforcement.draw import (
    Candidate,
    Colour,
    DrawInputs,
    InspectionOutcome,
    Officer,
    Trigger,
    TriggerKind,
    default_params,
    load_policy,
    publication_rows,
    record_to_json,
    run_draw,
    seal,
    verify_json,
)

ENTERPRISES = 100_000
TARGETS = 10_000
OFFICERS = 3_000
COLOUR_SHARES = {Colour.red: 2, Colour.orange: 8, Colour.yellow: 30, Colour.blue: 55, Colour.unassessed: 5}
TRIGGERED_PCT = 3
SECTORS = (
    "hazchem_production",
    "hazchem_storage",
    "metal_nonmetal_mine",
    "industry_trade_machinery",
    "fireworks",
)
SEED = bytes.fromhex("5a" * 32)

Row = tuple[str, float, str]


def draw_inputs(seed: int = 20260406) -> DrawInputs:
    """100,000 enterprises (2 % red, 8 % orange, 30 % yellow, 55 % blue, 5 % unassessed; 3 % with a
    trigger) and 3,000 officers (90 % certified); quota 10,000 with the policy's 70 % random share and
    5 % control sample; every officer ranked."""
    rng = random.Random(seed)
    colours, shares = list(COLOUR_SHARES), list(COLOUR_SHARES.values())
    kinds = list(TriggerKind)
    pool = tuple(
        Candidate(
            f"9132{i:014d}",
            rng.choices(colours, shares)[0],
            rng.choice(SECTORS),
            f"32{rng.randrange(1, 14):02d}{rng.randrange(1, 12):02d}",
            (Trigger(rng.choice(kinds), f"CASE-{i}"),) if rng.randrange(100) < TRIGGERED_PCT else (),
        )
        for i in range(ENTERPRISES)
    )
    officers = tuple(
        Officer(
            f"AJ-32-{i:05d}",
            rng.random() < 0.9,
            frozenset(rng.sample(SECTORS, 2)),
            f"32{rng.randrange(1, 14):02d}{rng.randrange(1, 12):02d}",
        )
        for i in range(OFFICERS)
    )
    policy = load_policy()
    return DrawInputs(default_params("BENCH-32-2026", TARGETS, OFFICERS, policy), policy, pool, officers)


T = TypeVar("T")


def _timed(function: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def draw_rows() -> list[Row]:
    inputs = draw_inputs()
    sealed, seal_s = _timed(lambda: seal(inputs, SEED))
    record, draw_s = _timed(lambda: run_draw(inputs, SEED))
    text, json_s = _timed(lambda: record_to_json(record))
    result, verify_s = _timed(lambda: verify_json(text, sealed))
    assert result.is_valid, result.problems
    targets = record.result.targets
    outcomes = [
        InspectionOutcome(t.enterprise_id, date(2026, 6, 1), 1 + i // 2, "") for i, t in enumerate(targets)
    ]
    publication, publish_s = _timed(lambda: publication_rows(record, outcomes, date(2026, 6, 30)))
    kinds = Counter(t.kind.value for t in targets)
    mix = ", ".join(f"{n:,} {k}" for k, n in sorted(kinds.items()))
    return [
        (
            "seal: canonical inputs hashed, seed committed",
            seal_s,
            f"{ENTERPRISES:,} enterprises, {OFFICERS:,} officers",
        ),
        (
            "draw: targets and officers, with the seal",
            draw_s,
            f"{len(targets):,} targets ({mix}); all officers ranked",
        ),
        ("record as canonical JSON", json_s, f"{len(text.encode()) / 1e6:.1f} MB"),
        ("verify from the JSON against the seal", verify_s, "parse, re-hash, commitment, full recomputation"),
        ("open-data rows (一公开)", publish_s, f"{len(publication.rows):,} rows"),
    ]


ROW_BUILDERS: list[Callable[[], list[Row]]] = [draw_rows]


def run() -> str:
    rows = [row for build in ROW_BUILDERS for row in build()]
    lines = [
        "# Enforcement benchmark",
        "",
        f"Run `make bench` (this table: `python -m bench.run enforcement`); {os.cpu_count()} cores, one used. "
        f"A double-random draw (algorithm: docs/enforcement-draw.md) of {TARGETS:,} targets among "
        f"{ENTERPRISES:,} synthetic enterprises and {OFFICERS:,} officers; goal: seconds, not minutes.",
        "",
        "| measure | seconds | note |",
        "|---|---:|---|",
        *(f"| {measure} | {seconds:.2f} | {note} |" for measure, seconds, note in rows),
        "",
    ]
    return "\n".join(lines)
