"""Cross-region teams (异地交叉执法): hand cases per constraint, explained infeasibility, and
properties on random instances (every plan passes the independent checker; tiny instances match a
brute-force search)."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhiben.enforcement.teams import (
    Blocker,
    Inspection,
    Officer,
    Rule,
    Status,
    TeamOptions,
    TeamPlan,
    TeamProblem,
    check_plan,
    officer_loads,
    solve_teams,
    travel_km,
)
from zhiben.errors import InvalidInputError

DAY = date(2026, 3, 2)
VALID = date(2027, 12, 31)
FAST = TeamOptions(time_limit_s=2.0, workers=1)

# Target county 320311 (Xuzhou, city 3203); officers come from Nanjing (3201) and Suzhou (3205)
# unless a test places them elsewhere.
TARGET = (117.19, 34.26)


def insp(
    id: str,
    *,
    enterprise: str | None = None,
    county: str = "320311",
    city: str = "3203",
    sector: str = "chemicals",
    at: tuple[float, float] = TARGET,
    day: date = DAY,
    period: str = "",
) -> Inspection:
    return Inspection(id, enterprise or f"E-{id}", county, city, sector, at[0], at[1], day, period)


def officer(
    id: str,
    *,
    county: str = "320102",
    city: str = "3201",
    at: tuple[float, float] = (118.78, 32.04),
    sectors: tuple[str, ...] = ("chemicals",),
    cap: int = 5,
    certified: bool = True,
    valid_until: date | None = VALID,
    recent: tuple[str, ...] = (),
) -> Officer:
    return Officer(id, county, city, at[0], at[1], certified, valid_until, frozenset(sectors), cap, recent)


def solve(
    inspections: list[Inspection], officers: list[Officer], **options: object
) -> tuple[TeamProblem, TeamPlan]:
    problem = TeamProblem(tuple(inspections), tuple(officers), replace(FAST, **options))  # type: ignore[arg-type]
    plan = solve_teams(problem)
    assert check_plan(problem, plan) == []
    return problem, plan


def near(km_east: float) -> tuple[float, float]:
    """A point `km_east` kilometres east of the target (roughly)."""
    return (TARGET[0] + km_east / (111.32 * math.cos(math.radians(TARGET[1]))), TARGET[1])


def rules(blockers: tuple[Blocker, ...]) -> set[Rule]:
    return {b.rule for b in blockers}


# --- feasible plans, one constraint at a time ---------------------------------------------------


def test_every_inspection_gets_the_nearest_two_certified_officers() -> None:
    officers = [officer(f"O{k}", county=f"3203{k:02d}", at=near(10 * (k + 1))) for k in range(1, 5)]
    _, plan = solve([insp("I1")], officers)
    assert plan.status == Status.optimal
    assert plan.teams == {"I1": ("O1", "O2")}
    assert plan.gap == 0.0
    assert plan.best_bound == plan.objective
    assert plan.travel_km == pytest.approx(20 + 30, rel=0.01)


def test_officers_never_inspect_their_own_county_even_when_nearest() -> None:
    local = [officer(f"L{k}", county="320311", city="3203", at=near(1)) for k in range(3)]
    far = [officer(f"F{k}", at=near(100 + k)) for k in range(2)]
    _, plan = solve([insp("I1")], local + far)
    assert plan.teams["I1"] == ("F0", "F1")


def test_same_city_officers_are_excluded_only_when_asked() -> None:
    same_city = [officer(f"C{k}", county="320302", city="3203", at=near(5)) for k in range(2)]
    other = [officer(f"X{k}", at=near(200)) for k in range(2)]
    _, plan = solve([insp("I1")], same_city + other)
    assert plan.teams["I1"] == ("C0", "C1")
    _, strict = solve([insp("I1")], same_city + other, exclude_same_city=True)
    assert strict.teams["I1"] == ("X0", "X1")


def test_officers_without_a_valid_certificate_on_the_day_are_not_sent() -> None:
    officers = [
        officer("uncertified", certified=False, at=near(1)),
        officer("expired", valid_until=DAY - timedelta(days=1), at=near(2)),
        officer("no-date", valid_until=None, at=near(3)),
        officer("valid-that-day", valid_until=DAY, at=near(50)),
        officer("valid", at=near(60)),
    ]
    _, plan = solve([insp("I1")], officers)
    assert plan.teams["I1"] == ("valid-that-day", "valid")


def test_one_qualified_lead_is_enough_by_default() -> None:
    officers = [
        officer("generalist-1", sectors=("mining",), at=near(5)),
        officer("generalist-2", sectors=("mining",), at=near(6)),
        officer("chem-1", at=near(80)),
        officer("chem-2", at=near(90)),
    ]
    _, plan = solve([insp("I1")], officers)
    assert plan.teams["I1"] == ("generalist-1", "chem-1")


def test_every_member_must_be_qualified_under_the_strict_rule() -> None:
    officers = [
        officer("generalist-1", sectors=("mining",), at=near(5)),
        officer("generalist-2", sectors=("mining",), at=near(6)),
        officer("chem-1", at=near(80)),
        officer("chem-2", at=near(90)),
    ]
    _, plan = solve([insp("I1")], officers, every_member_qualified=True)
    assert plan.teams["I1"] == ("chem-1", "chem-2")


def test_an_officer_does_not_return_to_an_enterprise_within_their_last_n_inspections() -> None:
    officers = [
        officer("recent", at=near(1), recent=("E-x", "E-y", "E-I1")),
        officer("long-ago", at=near(2), recent=("E-a", "E-b", "E-c", "E-d", "E-I1")),
        officer("other", at=near(50)),
    ]
    _, plan = solve([insp("I1")], officers, history_n=3)
    assert plan.teams["I1"] == ("long-ago", "other")


def test_an_officer_inspects_an_enterprise_once_per_plan() -> None:
    first = insp("I1", enterprise="E-1")
    again = insp("I2", enterprise="E-1", day=DAY + timedelta(days=7))
    officers = [officer(f"O{k}", at=near(k + 1)) for k in range(4)]
    _, plan = solve([first, again], officers)
    assert not set(plan.teams["I1"]) & set(plan.teams["I2"])
    _, no_history = solve([first, again], officers, history_n=0)
    assert no_history.teams["I1"] == no_history.teams["I2"] == ("O0", "O1")


def test_workload_caps_count_per_period() -> None:
    days = [DAY + timedelta(days=k) for k in range(3)]
    officers = [officer(f"O{k}", at=near(k + 1), cap=2) for k in range(4)]
    one_period = [insp(f"I{k}", day=d) for k, d in enumerate(days)]
    _, plan = solve(one_period, officers)
    assert max(officer_loads(plan).values()) <= 2
    two_periods = [insp(f"I{k}", day=d, period=f"W{k}") for k, d in enumerate(days)]
    _, spread = solve(two_periods, officers)
    assert officer_loads(spread) == {"O0": 3, "O1": 3}
    assert spread.components == 3


def test_an_officer_does_one_inspection_a_day() -> None:
    officers = [officer(f"O{k}", at=near(k + 1)) for k in range(4)]
    _, plan = solve([insp("I1"), insp("I2", at=near(3))], officers)
    assert not set(plan.teams["I1"]) & set(plan.teams["I2"])
    assert sorted(officer_loads(plan)) == ["O0", "O1", "O2", "O3"]


def test_teams_never_exceed_the_maximum_size() -> None:
    officers = [officer(f"O{k}", at=near(k + 1)) for k in range(6)]
    _, plan = solve([insp("I1")], officers, min_team=3, max_team=3)
    assert plan.teams["I1"] == ("O0", "O1", "O2")


def test_a_balance_weight_spreads_the_work() -> None:
    days = [DAY + timedelta(days=k) for k in range(4)]
    officers = [officer(f"O{k}", at=near(k + 1)) for k in range(8)]
    inspections = [insp(f"I{k}", day=d) for k, d in enumerate(days)]
    _, plain = solve(inspections, officers)
    assert max(officer_loads(plain).values()) == 4
    _, balanced = solve(inspections, officers, balance_weight=10_000)
    assert max(officer_loads(balanced).values()) == 1


def test_keeping_only_the_nearest_candidates_still_gives_a_valid_plan() -> None:
    officers = [officer(f"O{k}", at=near(k + 1), sectors=("mining",)) for k in range(10)]
    officers.append(officer("far-lead", at=near(500)))
    _, plan = solve([insp("I1")], officers, candidates_per_inspection=3)
    assert plan.teams["I1"] == ("O0", "far-lead")
    assert plan.variables == 4


def test_candidates_beyond_a_crowd_of_local_officers_are_still_found() -> None:
    local = [officer(f"L{k:03d}", county="320311", city="3203", at=near(1)) for k in range(100)]
    far = [officer("F1", at=near(300)), officer("F2", at=near(310))]
    _, plan = solve([insp("I1")], local + far, candidates_per_inspection=2)
    assert plan.teams["I1"] == ("F1", "F2")


def test_solving_weeks_apart_gives_the_same_optimum_as_one_model() -> None:
    days = [DAY + timedelta(days=k) for k in range(0, 21, 2)]
    officers = [officer(f"O{k}", county=f"3201{k:02d}", at=near(3 * k + 1), cap=2) for k in range(8)]
    inspections = [insp(f"I{k}", day=d, period=f"W{d.isocalendar().week}") for k, d in enumerate(days)]
    _, apart = solve(inspections, officers)
    _, whole = solve(inspections, officers, decompose=False)
    assert apart.components == 3 and whole.components == 1
    assert apart.status == whole.status == Status.optimal
    assert apart.objective == whole.objective
    assert apart.best_bound == pytest.approx(whole.best_bound)


def test_options_below_the_legal_minimum_are_refused() -> None:
    with pytest.raises(InvalidInputError):
        solve_teams(TeamProblem((insp("I1"),), (officer("O1"),), TeamOptions(min_team=1)))
    with pytest.raises(InvalidInputError):
        solve_teams(TeamProblem((insp("I1"),), (officer("O1"),), TeamOptions(max_team=1)))


# --- infeasible plans, explained -----------------------------------------------------------------


def test_only_local_officers_blocks_the_inspection_by_county() -> None:
    local = [officer(f"L{k}", county="320311", city="3203") for k in range(3)]
    _, plan = solve([insp("I1")], [*local, officer("X1")])
    assert plan.status == Status.infeasible
    assert plan.teams == {}
    (county,) = [b for b in plan.blockers if b.rule == Rule.county]
    assert county.inspection_ids == ("I1",)
    assert county.officer_ids == ("L0", "L1", "L2")
    assert "320311" in county.message and "1 eligible officer" in county.message


def test_same_city_rule_names_the_city() -> None:
    _, plan = solve(
        [insp("I1")], [officer("C1", county="320302", city="3203"), officer("X1")], exclude_same_city=True
    )
    assert plan.status == Status.infeasible
    assert {(b.rule, b.officer_ids) for b in plan.blockers} == {(Rule.city, ("C1",))}


def test_not_enough_qualified_officers_is_explained_by_sector() -> None:
    officers = [
        officer("chem"),
        officer("mining-1", sectors=("mining",)),
        officer("mining-2", sectors=("mining",)),
    ]
    _, strict = solve([insp("I1")], officers, every_member_qualified=True)
    assert strict.status == Status.infeasible
    assert {(b.rule, b.officer_ids) for b in strict.blockers} == {(Rule.sector, ("mining-1", "mining-2"))}
    _, lenient = solve([insp("I1")], officers[1:])
    assert lenient.status == Status.infeasible
    assert rules(lenient.blockers) == {Rule.sector}
    assert "none of the 2 eligible officers" in lenient.blockers[0].message


def test_expired_certificates_and_recent_visits_are_named() -> None:
    officers = [
        officer("expired", valid_until=DAY - timedelta(days=1)),
        officer("recent", recent=("E-I1",)),
        officer("fine"),
    ]
    _, plan = solve([insp("I1")], officers)
    assert plan.status == Status.infeasible
    assert {(b.rule, b.officer_ids) for b in plan.blockers} == {
        (Rule.certificate, ("expired",)),
        (Rule.history, ("recent",)),
    }


def test_caps_too_low_overall_name_the_officers_over_their_cap() -> None:
    inspections = [insp(f"I{k}", day=DAY + timedelta(days=k)) for k in range(3)]
    officers = [officer("O1", cap=2), officer("O2", cap=2), officer("O3", cap=1)]
    _, plan = solve(inspections, officers)
    assert plan.status == Status.infeasible
    assert rules(plan.blockers) == {Rule.cap}
    (over,) = plan.blockers
    assert len(over.officer_ids) == 1
    assert "exceeded by 1" in over.message and len(over.inspection_ids) == 2


def test_same_day_conflicts_name_the_officers_and_the_day() -> None:
    officers = [officer("O1"), officer("O2"), officer("O3")]
    _, plan = solve([insp("I1"), insp("I2")], officers)
    assert plan.status == Status.infeasible
    assert rules(plan.blockers) == {Rule.day}
    assert all(set(b.inspection_ids) == {"I1", "I2"} for b in plan.blockers)
    assert "2026-03-02" in plan.blockers[0].message


def test_a_blocked_qualified_lead_is_named() -> None:
    # Two same-day inspections; only one chemicals officer: one team lacks its qualified lead.
    officers = [officer("chem"), *(officer(f"gen-{k}", sectors=("mining",)) for k in range(3))]
    _, plan = solve([insp("I1"), insp("I2")], officers)
    assert plan.status == Status.infeasible
    assert plan.blockers and rules(plan.blockers) <= {Rule.day, Rule.sector}
    assert any("chem" in b.officer_ids for b in plan.blockers)


# --- the checker itself ----------------------------------------------------------------------------


def test_the_checker_catches_every_kind_of_violation() -> None:
    inspections = (insp("I1"), insp("I2", enterprise="E-I1"))
    officers = (
        officer("local", county="320311"),
        officer("expired", valid_until=date(2020, 1, 1)),
        officer("mining", sectors=("mining",), cap=1),
    )
    problem = TeamProblem(inspections, officers, FAST)
    teams = {"I1": ("local", "expired", "mining", "mining"), "I2": ("mining",)}
    bad = TeamPlan(Status.feasible, teams, 0.0, 0, 0.0, 0.0, 0.0, 0.0, 1, 0)
    found = "\n".join(check_plan(problem, bad))
    for text in [
        "team of 4",
        "appears twice",
        "county",
        "certificate",
        "team of 1",
        "no member qualified",
        "cap 1",
        "on 2026-03-02",
        "inspects E-I1 2 times",
        "recomputed",
    ]:
        assert text in found
    assert check_plan(problem, replace(bad, status=Status.infeasible, teams={})) != []


# --- properties on random instances -------------------------------------------------------------

COUNTIES = [("320102", "3201", (118.78, 32.04)), ("320106", "3201", (118.76, 32.07)),
            ("320311", "3203", (117.19, 34.26)), ("320505", "3205", (120.57, 31.30))]  # fmt: skip


@st.composite
def instances(draw: st.DrawFn, max_inspections: int, max_officers: int) -> TeamProblem:
    def place(county: int, jitter: float) -> tuple[str, str, float, float]:
        code, city, (lon, lat) = COUNTIES[county]
        return code, city, lon + jitter, lat - jitter

    inspections = []
    for k in range(draw(st.integers(1, max_inspections))):
        code, city, lon, lat = place(draw(st.integers(0, 3)), draw(st.floats(0, 0.3)))
        inspections.append(
            Inspection(
                f"I{k}", f"E{draw(st.integers(0, 4))}", code, city, draw(st.sampled_from(["chem", "mine"])),
                lon, lat, DAY + timedelta(days=draw(st.integers(0, 2))), draw(st.sampled_from(["", "W1"])),
            )
        )  # fmt: skip
    officers = []
    for k in range(draw(st.integers(max_officers // 2, max_officers))):
        code, city, lon, lat = place(draw(st.integers(0, 3)), draw(st.floats(0, 0.3)))
        recent = tuple(draw(st.lists(st.sampled_from([f"E{e}" for e in range(5)]), max_size=2)))
        officers.append(
            Officer(
                f"O{k}", code, city, lon, lat, k % 7 > 0,
                draw(st.sampled_from([VALID] * 8 + [DAY + timedelta(days=1), None])),
                frozenset(draw(st.sets(st.sampled_from(["chem", "mine"]), min_size=k % 4 > 0, max_size=2))),
                draw(st.sampled_from([0, 1, 2, 3, 4, 4])), recent,
            )
        )  # fmt: skip
    options = TeamOptions(
        max_team=draw(st.integers(2, 3)),
        exclude_same_city=draw(st.booleans()),
        every_member_qualified=draw(st.booleans()),
        history_n=draw(st.integers(0, 3)),
        balance_weight=draw(st.sampled_from([0, 0, 50])),
        time_limit_s=2.0,
        workers=1,
    )
    return TeamProblem(tuple(inspections), tuple(officers), options)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_inspections=8, max_officers=12))
def test_no_produced_plan_ever_breaks_a_constraint(problem: TeamProblem) -> None:
    plan = solve_teams(problem)
    assert plan.status != Status.unknown
    assert check_plan(problem, plan) == []
    if plan.status == Status.infeasible:
        assert plan.blockers
        assert all(b.message and b.inspection_ids for b in plan.blockers)
    else:
        assert plan.best_bound <= plan.objective + 1e-6
        assert plan.relaxed_bound_km <= plan.travel_km + 1e-6


def _brute_force_km(problem: TeamProblem) -> float | None:
    """The least travel over every plan of minimum-size teams that the checker accepts."""
    size = problem.options.min_team
    choices = []
    for inspection in problem.inspections:
        alone = replace(problem, inspections=(inspection,))
        teams = itertools.combinations([o.id for o in problem.officers], size)
        choices.append([t for t in teams if not check_plan(alone, _plan(alone, {inspection.id: t}))])
    best: float | None = None
    for combo in itertools.product(*choices):
        candidate = _plan(problem, {i.id: t for i, t in zip(problem.inspections, combo, strict=True)})
        if not check_plan(problem, candidate):
            best = candidate.travel_km if best is None else min(best, candidate.travel_km)
    return best


def _plan(problem: TeamProblem, teams: dict[str, tuple[str, ...]]) -> TeamPlan:
    officers = {o.id: o for o in problem.officers}
    km = sum(travel_km(i, officers[o]) for i in problem.inspections for o in teams[i.id])
    return TeamPlan(Status.feasible, teams, km, 0, 0.0, 0.0, 0.0, 0.0, 1, 0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_inspections=3, max_officers=6))
def test_tiny_instances_match_a_brute_force_search(problem: TeamProblem) -> None:
    problem = replace(problem, options=replace(problem.options, balance_weight=0))
    plan = solve_teams(problem)
    best = _brute_force_km(problem)
    if best is None:
        assert plan.status == Status.infeasible
    else:
        assert plan.status == Status.optimal
        # the solver minimises travel rounded to 100 m per officer
        assert plan.travel_km <= best + 0.05 * problem.options.min_team * len(problem.inspections) + 1e-6
