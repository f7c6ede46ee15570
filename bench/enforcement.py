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
from datetime import date, timedelta
from typing import TypeVar

from bench import enforcement_teams as teams_bench
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
from zhiben.enforcement.teams import Inspection as TeamInspection
from zhiben.enforcement.teams import Officer as TeamOfficer
from zhiben.enforcement.teams import Status as TeamStatus
from zhiben.enforcement.teams import TeamOptions, TeamProblem, check_plan, solve_teams

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
TEAMS_TIME_LIMIT_S = 45.0

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


def _place(code: str) -> tuple[float, float]:
    """Synthetic coordinates of a county code, as in bench/enforcement_teams.py: cities scattered round
    the provincial capital, counties round their city (deterministic per code)."""
    lon, lat = teams_bench.CAPITALS[code[:2]]
    city = random.Random(code[:4])
    lon, lat = lon + city.uniform(-1.5, 1.5), lat + city.uniform(-1.2, 1.2)
    county = random.Random(code)
    return lon + county.uniform(-0.35, 0.35), lat + county.uniform(-0.3, 0.3)


def teams_rows() -> list[Row]:
    """The draw, then teams for its targets from its drawn officers (teams.solve_teams): the issue's
    end-to-end measure. Days: the weekdays of 13 weeks in turn by draw rank; caps per ISO week."""
    start = time.perf_counter()
    inputs = draw_inputs()
    record = run_draw(inputs, SEED)
    rng = random.Random(7)
    days = [
        teams_bench.START + timedelta(weeks=w, days=d) for w in range(teams_bench.WEEKS) for d in range(5)
    ]
    pool = {c.enterprise_id: c for c in inputs.pool}
    inspections = []
    for k, target in enumerate(sorted(record.result.targets, key=lambda t: t.rank)):
        c = pool[target.enterprise_id]
        lon, lat = _place(c.county_code)
        day = days[k % len(days)]
        week = f"{day.isocalendar().year}-W{day.isocalendar().week:02d}"
        inspections.append(
            TeamInspection(
                f"I{k:05d}", c.enterprise_id, c.county_code, c.county_code[:4], c.sector,
                lon + rng.gauss(0, 0.08), lat + rng.gauss(0, 0.08), day, week,
            )
        )  # fmt: skip
    roster = {o.officer_id: o for o in inputs.officers}
    officers = []
    for pick in record.result.officers:
        o = roster[pick.officer_id]
        lon, lat = _place(o.county_code)
        officers.append(
            TeamOfficer(
                o.officer_id, o.county_code, o.county_code[:4], lon + rng.gauss(0, 0.05), lat + rng.gauss(0, 0.05),
                o.is_certified, teams_bench.START + timedelta(days=400), o.sectors, teams_bench.CAP_PER_WEEK,
            )
        )  # fmt: skip
    options = TeamOptions(
        candidates_per_inspection=teams_bench.CANDIDATES, time_limit_s=TEAMS_TIME_LIMIT_S, workers=1
    )
    problem = TeamProblem(tuple(inspections), tuple(officers), options)
    prepared = time.perf_counter() - start
    plan, solve_s = _timed(lambda: solve_teams(problem))
    total = time.perf_counter() - start
    violations = check_plan(problem, plan)
    solved = plan.status in (TeamStatus.optimal, TeamStatus.feasible)
    return [
        (
            "draw + instance: targets placed, days spread by rank",
            prepared,
            f"{len(inspections):,} inspections, {len(officers):,} drawn officers",
        ),
        (
            "teams: CP-SAT (solve_teams), by ISO week",
            solve_s,
            f"{plan.status}; objective {plan.objective:,} hm, CP-SAT bound {plan.best_bound:,.0f}, "
            f"gap {plan.gap:.3%}; {plan.travel_km:,.0f} km; {len(violations)} checker violations"
            if solved
            else f"{plan.status}: {len(plan.blockers)} blockers",
        ),
        (
            "**draw + teams, end to end (goal ≤ 60 s)**",
            total,
            f"{'within' if total <= 60 else 'OVER'} the goal; {len(plan.teams):,} teams",
        ),
    ]


ROW_BUILDERS.append(teams_rows)


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
