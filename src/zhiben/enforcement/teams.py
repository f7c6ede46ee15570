"""Cross-region inspection teams (异地交叉执法): which certified officers inspect which target. Pure.

The problem, for one plan:

* every inspection gets a team of ``min_team``..``max_team`` officers (at least two: 两人以上执法),
  each holding a law-enforcement certificate (执法证) valid on the inspection day;
* no member comes from the target's county (optionally: its city);
* sector qualification: by default at least one member, the team lead, is qualified for the
  target's sector, and the others are certified officers who witness and record (the law asks for
  two certified officers, not two specialists). ``every_member_qualified=True`` is the stricter rule;
* no member inspected the same enterprise within their last ``history_n`` inspections, and no
  officer inspects the same enterprise twice within the plan;
* each officer does at most ``cap_per_period`` inspections per period (``Inspection.period``, e.g.
  an ISO week) and at most one inspection per day;
* the total great-circle travel from each member's home to the target is minimised (scaled to
  integer hectometres), optionally plus ``balance_weight`` x the largest officer load.

Model (OR-Tools CP-SAT): a boolean ``x[i, o]`` only for eligible pairs (the per-pair filters run
first, and ``candidates_per_inspection`` optionally keeps only the nearest eligible officers),
linear sums for team size, sector lead, caps, days and repeated enterprises. Inspections that share
no cap period, day or enterprise form independent components, solved one by one: the sum of their
bounds is a valid bound of the whole model.

When no plan exists, ``TeamPlan.blockers`` says why: first each inspection's eligible officers are
counted (too few → one blocker per filter that removed officers); if every inspection can be staffed
alone but not all together, the same model is solved with slack on team size, sector lead, caps,
days and repeated enterprises, minimising the slack (officers' limits are cheaper to relax than
leaving an inspection short), and every positive slack becomes a blocker.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

import numpy as np
import numpy.typing as npt
from ortools.sat.python import cp_model

from zhiben.errors import InvalidInputError

SCALE_PER_KM = 10  # the objective counts hectometres
EARTH_RADIUS_KM = 6371.0088
SHORT_PENALTY = 1_000  # slack model: an inspection left short costs more than an officer over a limit


@dataclass(frozen=True)
class Inspection:
    id: str
    enterprise_id: str
    county_code: str
    city_code: str
    sector: str
    lon: float
    lat: float
    day: date
    period: str = ""  # caps count per period; "" means the whole plan


@dataclass(frozen=True)
class Officer:
    id: str
    county_code: str
    city_code: str
    home_lon: float
    home_lat: float
    is_certified: bool
    certificate_valid_until: date | None
    sectors: frozenset[str]
    cap_per_period: int
    recent_enterprises: tuple[str, ...] = ()  # most recent first


@dataclass(frozen=True)
class TeamOptions:
    min_team: int = 2
    max_team: int = 3
    exclude_same_city: bool = False
    every_member_qualified: bool = False
    history_n: int = 5
    candidates_per_inspection: int | None = None  # keep only the nearest eligible officers
    balance_weight: int = 0  # hectometres per inspection of the busiest officer's load
    time_limit_s: float = 10.0
    workers: int = 2
    seed: int = 0
    decompose: bool = True  # solve independent components (no shared period, day or enterprise) apart

    def validate(self) -> None:
        if self.min_team < 2:
            raise InvalidInputError("min_team", "too_small", "a team has at least two officers")
        if self.max_team < self.min_team:
            raise InvalidInputError("max_team", "too_small", "max_team must be at least min_team")
        if self.candidates_per_inspection is not None and self.candidates_per_inspection < self.min_team:
            raise InvalidInputError("candidates_per_inspection", "too_small", "must be at least min_team")
        if self.history_n < 0 or self.balance_weight < 0 or self.time_limit_s <= 0 or self.workers < 1:
            raise InvalidInputError("options", "out_of_range", "negative history, weight, time or workers")


@dataclass(frozen=True)
class TeamProblem:
    inspections: tuple[Inspection, ...]
    officers: tuple[Officer, ...]
    options: TeamOptions = field(default_factory=TeamOptions)


class Rule(StrEnum):
    certificate = "certificate"
    county = "county"
    city = "city"
    sector = "sector"
    history = "history"
    cap = "cap"
    day = "day"
    same_enterprise = "same-enterprise"
    team_size = "team-size"


class Status(StrEnum):
    optimal = "OPTIMAL"
    feasible = "FEASIBLE"
    infeasible = "INFEASIBLE"
    unknown = "UNKNOWN"


@dataclass(frozen=True)
class Blocker:
    """One reason no plan exists: the constraint, the inspections it blocks, the officers involved."""

    rule: Rule
    inspection_ids: tuple[str, ...]
    officer_ids: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class TeamPlan:
    status: Status
    teams: Mapping[str, tuple[str, ...]]  # inspection id -> officer ids
    travel_km: float
    objective: int  # hectometres, plus the balance term
    best_bound: float  # CP-SAT's bound on the objective (sum over components)
    gap: float  # (objective - bound) / objective
    relaxed_bound_km: float  # each inspection's cheapest eligible team alone: a bound without pruning
    wall_s: float  # CP-SAT's own wall time, summed over components
    components: int
    variables: int
    blockers: tuple[Blocker, ...] = ()


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def travel_km(inspection: Inspection, officer: Officer) -> float:
    return distance_km(officer.home_lon, officer.home_lat, inspection.lon, inspection.lat)


def pair_exclusions(inspection: Inspection, officer: Officer, options: TeamOptions) -> list[Rule]:
    """The per-pair filters that keep this officer off this inspection (empty: eligible)."""
    out: list[Rule] = []
    valid = officer.certificate_valid_until
    if not officer.is_certified or valid is None or valid < inspection.day:
        out.append(Rule.certificate)
    if officer.county_code == inspection.county_code:
        out.append(Rule.county)
    if options.exclude_same_city and officer.city_code == inspection.city_code:
        out.append(Rule.city)
    if options.every_member_qualified and inspection.sector not in officer.sectors:
        out.append(Rule.sector)
    if inspection.enterprise_id in officer.recent_enterprises[: options.history_n]:
        out.append(Rule.history)
    if officer.cap_per_period <= 0:
        out.append(Rule.cap)
    return out


# --- eligibility and the pre-check -------------------------------------------------------------


@dataclass(frozen=True)
class _Candidates:
    eligible: dict[int, list[int]]  # inspection index -> officers that pass the filters, nearest first
    kept: dict[int, list[int]]  # after candidates_per_inspection
    cost: dict[tuple[int, int], int]  # (inspection, officer) -> hectometres, kept pairs only
    blockers: list[Blocker]


def _candidates(problem: TeamProblem) -> _Candidates:
    """Walk each inspection's officers nearest first through the per-pair filters.

    Without a candidate limit every officer is walked; with one, the walk stops once it holds the
    limit and (lenient sector rule) `min_team` qualified leads. A walk that finds too few eligible
    officers has seen them all, so the pre-check's filter counts are complete.
    """
    opts = problem.options
    limit = opts.candidates_per_inspection
    homes = np.radians(np.array([(o.home_lon, o.home_lat) for o in problem.officers], dtype=np.float64))
    eligible: dict[int, list[int]] = {}
    kept: dict[int, list[int]] = {}
    cost: dict[tuple[int, int], int] = {}
    blockers: list[Blocker] = []
    for i, insp in enumerate(problem.inspections):
        km = _km_from(homes.reshape(-1, 2), insp)
        order = _nearest_first(km, None if limit is None else 4 * limit + 64)
        ok, removed, enough = _walk(problem, insp, order)
        if not enough and len(order) < len(km):  # the short list ran out: walk everyone
            ok, removed, enough = _walk(problem, insp, _nearest_first(km, None))
        eligible[i] = ok
        blockers += _precheck(problem, insp, ok, removed)
        kept[i] = _nearest(problem, insp, ok)
        for o in kept[i]:
            cost[i, o] = round(float(km[o]) * SCALE_PER_KM)
    return _Candidates(eligible, kept, cost, blockers)


def _nearest_first(km: npt.NDArray[np.float64], count: int | None) -> list[int]:
    """Officer indices by distance (ties by index), all of them or the nearest `count`."""
    idx = np.arange(len(km)) if count is None or count >= len(km) else np.argpartition(km, count)[:count]
    return [int(o) for o in idx[np.lexsort((idx, km[idx]))]]


def _walk(
    problem: TeamProblem, insp: Inspection, order: list[int]
) -> tuple[list[int], dict[Rule, list[str]], bool]:
    """Eligible officers in `order`, per filter the officers it removed, and whether it stopped early
    with enough candidates (the limit, and under the lenient sector rule `min_team` qualified leads)."""
    opts = problem.options
    limit = opts.candidates_per_inspection
    removed: dict[Rule, list[str]] = defaultdict(list)
    ok: list[int] = []
    leads = 0
    for o in order:
        off = problem.officers[o]
        rules = pair_exclusions(insp, off, opts)
        for rule in rules:
            removed[rule].append(off.id)
        if rules:
            continue
        ok.append(o)
        leads += insp.sector in off.sectors
        if limit is not None and len(ok) >= limit and (opts.every_member_qualified or leads >= opts.min_team):
            return ok, removed, True
    return ok, removed, False


def _km_from(homes_rad: npt.NDArray[np.float64], insp: Inspection) -> npt.NDArray[np.float64]:
    """`distance_km` from every officer's home to the target, vectorised."""
    lon, lat = math.radians(insp.lon), math.radians(insp.lat)
    dp, dl = lat - homes_rad[:, 1], lon - homes_rad[:, 0]
    h = np.sin(dp / 2) ** 2 + np.cos(homes_rad[:, 1]) * math.cos(lat) * np.sin(dl / 2) ** 2
    km: npt.NDArray[np.float64] = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))
    return km


def _nearest(problem: TeamProblem, insp: Inspection, ok: list[int]) -> list[int]:
    """The nearest `candidates_per_inspection` eligible officers, plus the nearest qualified leads."""
    limit = problem.options.candidates_per_inspection
    if limit is None or len(ok) <= limit:
        return ok
    keep = ok[:limit]
    if not problem.options.every_member_qualified:
        leads = [o for o in ok if insp.sector in problem.officers[o].sectors][: problem.options.min_team]
        keep += [o for o in leads if o not in keep]
    return keep


def _precheck(
    problem: TeamProblem, insp: Inspection, ok: list[int], removed: Mapping[Rule, list[str]]
) -> list[Blocker]:
    opts = problem.options
    out: list[Blocker] = []
    if len(ok) < opts.min_team:
        head = f"inspection {insp.id}: {len(ok)} eligible officer(s), a team needs {opts.min_team}"
        reasons = {
            Rule.certificate: f"without a certificate valid on {insp.day.isoformat()}",
            Rule.county: f"from the target's county {insp.county_code}",
            Rule.city: f"from the target's city {insp.city_code}",
            Rule.sector: f"not qualified for sector {insp.sector}",
            Rule.history: f"inspected {insp.enterprise_id} within their last {opts.history_n} inspections",
            Rule.cap: "with a workload cap of 0",
        }
        for rule, ids in removed.items():
            text = f"{head}; {len(ids)} {reasons[rule]}: {_names(ids)}"
            out.append(Blocker(rule, (insp.id,), tuple(ids), text))
        if not removed:
            out.append(Blocker(Rule.team_size, (insp.id,), (), f"{head}; there are too few officers"))
    elif not opts.every_member_qualified and not any(insp.sector in problem.officers[o].sectors for o in ok):
        others = tuple(problem.officers[o].id for o in ok)
        text = f"inspection {insp.id}: none of the {len(ok)} eligible officers is qualified for sector {insp.sector}"
        out.append(Blocker(Rule.sector, (insp.id,), others, text))
    return out


def _names(ids: Sequence[str], limit: int = 8) -> str:
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more


def _relaxed_bound_km(problem: TeamProblem, cands: _Candidates) -> float:
    """Each inspection's cheapest eligible team with caps and days ignored, summed."""
    total = 0.0
    opts = problem.options
    for i, ok in cands.eligible.items():
        insp = problem.inspections[i]
        team = ok[: opts.min_team]
        if not opts.every_member_qualified and not any(
            insp.sector in problem.officers[o].sectors for o in team
        ):
            lead = next((o for o in ok if insp.sector in problem.officers[o].sectors), None)
            if lead is None:
                continue
            team = [*team[: opts.min_team - 1], lead]
        total += sum(travel_km(insp, problem.officers[o]) for o in team)
    return total


# --- components --------------------------------------------------------------------------------


def _components(problem: TeamProblem) -> list[list[int]]:
    """Inspections linked by a shared cap period, day or (with history) enterprise."""
    n = len(problem.inspections)
    if problem.options.balance_weight > 0 or not problem.options.decompose:
        return [list(range(n))] if n else []
    parent = list(range(n))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    first: dict[tuple[str, object], int] = {}
    for i, insp in enumerate(problem.inspections):
        keys: list[tuple[str, object]] = [("period", insp.period), ("day", insp.day)]
        if problem.options.history_n > 0:
            keys.append(("enterprise", insp.enterprise_id))
        for key in keys:
            j = first.setdefault(key, i)
            parent[find(i)] = find(j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    return list(groups.values())


# --- the CP-SAT model ----------------------------------------------------------------------------


@dataclass
class _Built:
    model: cp_model.CpModel
    x: dict[tuple[int, int], cp_model.IntVar]
    slacks: list[tuple[cp_model.IntVar, Rule, tuple[int, ...], tuple[int, ...]]]  # var, rule, insps, officers


def _build(problem: TeamProblem, cands: _Candidates, insps: Sequence[int], *, relax: bool) -> _Built:
    opts = problem.options
    model = cp_model.CpModel()
    x = {(i, o): model.new_bool_var(f"x{i}_{o}") for i in insps for o in cands.kept[i]}
    built = _Built(model, x, [])
    by_officer: dict[int, list[int]] = defaultdict(list)
    for i, o in x:
        by_officer[o].append(i)
    for i in insps:
        members = [x[i, o] for o in cands.kept[i]]
        model.add(sum(members) <= opts.max_team)
        _at_least(built, members, opts.min_team, Rule.team_size, (i,), tuple(cands.kept[i]), relax)
        if not opts.every_member_qualified:
            leads = [o for o in cands.kept[i] if problem.inspections[i].sector in problem.officers[o].sectors]
            _at_least(built, [x[i, o] for o in leads], 1, Rule.sector, (i,), tuple(leads), relax)
    for o, mine in by_officer.items():
        cap = problem.officers[o].cap_per_period
        _limits(built, problem, o, mine, lambda insp: insp.period, cap, Rule.cap, relax)
        _limits(built, problem, o, mine, lambda insp: insp.day, 1, Rule.day, relax)
        if opts.history_n > 0:
            _limits(built, problem, o, mine, lambda insp: insp.enterprise_id, 1, Rule.same_enterprise, relax)
    if relax:
        model.minimize(
            sum(v * (SHORT_PENALTY if r in (Rule.team_size, Rule.sector) else 1) for v, r, *_ in built.slacks)
        )
    else:
        travel = cp_model.LinearExpr.weighted_sum(list(x.values()), [cands.cost[k] for k in x])
        balance = _balance(built, by_officer, opts.balance_weight)
        model.minimize(travel if balance is None else travel + balance)
    return built


def _at_least(
    built: _Built,
    terms: list[cp_model.IntVar],
    need: int,
    rule: Rule,
    insps: tuple[int, ...],
    officers: tuple[int, ...],
    relax: bool,
) -> None:
    if relax:
        short = built.model.new_int_var(0, need, f"short_{rule}_{insps[0]}")
        built.slacks.append((short, rule, insps, officers))
        built.model.add(sum(terms) + short >= need)
    else:
        built.model.add(sum(terms) >= need)


def _limits(
    built: _Built,
    problem: TeamProblem,
    o: int,
    mine: list[int],
    key: object,
    limit: int,
    rule: Rule,
    relax: bool,
) -> None:
    """At most `limit` of this officer's candidate inspections per key (period, day or enterprise)."""
    groups: dict[object, list[int]] = defaultdict(list)
    for i in mine:
        groups[key(problem.inspections[i])].append(i)  # type: ignore[operator]
    for members in groups.values():
        if len(members) <= limit:
            continue
        total = sum(built.x[i, o] for i in members)
        if relax:
            over = built.model.new_int_var(0, len(members) - limit, f"over_{rule}_{o}_{members[0]}")
            built.slacks.append((over, rule, tuple(members), (o,)))
            built.model.add(total <= limit + over)
        else:
            built.model.add(total <= limit)


def _balance(built: _Built, by_officer: Mapping[int, list[int]], weight: int) -> cp_model.LinearExpr | None:
    if weight == 0 or not by_officer:
        return None
    busiest = built.model.new_int_var(0, max(len(v) for v in by_officer.values()), "busiest")
    for o, mine in by_officer.items():
        built.model.add(sum(built.x[i, o] for i in mine) <= busiest)
    return weight * busiest


def _solver(opts: TeamOptions, time_limit_s: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, time_limit_s)
    solver.parameters.num_workers = opts.workers
    solver.parameters.random_seed = opts.seed
    solver.parameters.linearization_level = (
        2  # the full LP: a transport-like model, bound and search both gain
    )
    return solver


_STATUS = {
    cp_model.OPTIMAL: Status.optimal,
    cp_model.FEASIBLE: Status.feasible,
    cp_model.INFEASIBLE: Status.infeasible,
    cp_model.UNKNOWN: Status.unknown,
}


# --- solving -------------------------------------------------------------------------------------


@dataclass
class _Totals:
    teams: dict[str, tuple[str, ...]] = field(default_factory=dict)
    objective: int = 0
    bound: float = 0.0
    wall_s: float = 0.0
    variables: int = 0
    statuses: list[Status] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)


def solve_teams(problem: TeamProblem) -> TeamPlan:
    """Assign a team to every inspection, or explain why no assignment exists."""
    opts = problem.options
    opts.validate()
    cands = _candidates(problem)
    components = _components(problem)
    relaxed = _relaxed_bound_km(problem, cands)
    if cands.blockers:
        return _plan(
            problem, _Totals(statuses=[Status.infeasible], blockers=cands.blockers), relaxed, components
        )
    totals = _Totals()
    remaining_n = len(problem.inspections)
    for insps in sorted(components, key=len):  # small components first: their unused time goes on
        remaining_s = max(0.05, opts.time_limit_s - totals.wall_s)
        _solve_component(problem, cands, insps, remaining_s * len(insps) / remaining_n, totals)
        remaining_n -= len(insps)
    return _plan(problem, totals, relaxed, components)


def _solve_component(
    problem: TeamProblem, cands: _Candidates, insps: list[int], budget_s: float, totals: _Totals
) -> None:
    built = _build(problem, cands, insps, relax=False)
    solver = _solver(problem.options, budget_s)
    status = _STATUS[solver.solve(built.model)]
    totals.wall_s += solver.wall_time
    totals.variables += len(built.x)
    totals.statuses.append(status)
    if status in (Status.optimal, Status.feasible):
        totals.objective += round(solver.objective_value)
        totals.bound += solver.best_objective_bound
        for i in insps:
            members = [o for o in cands.kept[i] if solver.boolean_value(built.x[i, o])]
            totals.teams[problem.inspections[i].id] = tuple(problem.officers[o].id for o in members)
    elif status == Status.infeasible:
        totals.blockers += _explain(problem, cands, insps, budget_s)


def _explain(problem: TeamProblem, cands: _Candidates, insps: list[int], budget_s: float) -> list[Blocker]:
    built = _build(problem, cands, insps, relax=True)
    solver = _solver(problem.options, max(1.0, budget_s))
    status = solver.solve(built.model)
    out: list[Blocker] = []
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        for var, rule, i_idx, o_idx in built.slacks:
            amount = solver.value(var)
            if amount > 0:
                out.append(_slack_blocker(problem, built, solver, rule, amount, i_idx, o_idx))
    if not out:
        ids = tuple(problem.inspections[i].id for i in insps)
        text = f"inspections {_names(ids)} cannot all be staffed together; the explanation did not finish in time"
        out.append(Blocker(Rule.team_size, ids, (), text))
    return out


def _slack_blocker(
    problem: TeamProblem,
    built: _Built,
    solver: cp_model.CpSolver,
    rule: Rule,
    amount: int,
    i_idx: tuple[int, ...],
    o_idx: tuple[int, ...],
) -> Blocker:
    insp_ids = tuple(problem.inspections[i].id for i in i_idx)
    off_ids = tuple(problem.officers[o].id for o in o_idx)
    if rule in (Rule.team_size, Rule.sector):
        insp = problem.inspections[i_idx[0]]
        what = "team member(s)" if rule == Rule.team_size else f"officer qualified for sector {insp.sector}"
        text = (
            f"inspection {insp.id}: {amount} {what} missing; its candidates "
            f"({_names(off_ids)}) are all needed by other inspections or at their caps and days"
        )
        return Blocker(rule, insp_ids, off_ids, text)
    officer = problem.officers[o_idx[0]]
    used = tuple(problem.inspections[i].id for i in i_idx if solver.boolean_value(built.x[i, o_idx[0]]))
    first = problem.inspections[i_idx[0]]
    limit = {
        Rule.cap: f"cap of {officer.cap_per_period} inspections in period {first.period or '(plan)'}",
        Rule.day: f"limit of one inspection on {first.day.isoformat()}",
        Rule.same_enterprise: f"limit of one inspection of enterprise {first.enterprise_id} in a plan",
    }[rule]
    text = (
        f"officer {officer.id}: {limit} exceeded by {amount}; "
        f"the least-violating staffing found needs them on {_names(used)}"
    )
    return Blocker(rule, used or insp_ids, off_ids, text)


def _plan(problem: TeamProblem, totals: _Totals, relaxed: float, components: list[list[int]]) -> TeamPlan:
    statuses = set(totals.statuses)
    if Status.infeasible in statuses:
        status = Status.infeasible
    elif Status.unknown in statuses:
        status = Status.unknown
    elif statuses <= {Status.optimal}:
        status = Status.optimal
    else:
        status = Status.feasible
    solved = status in (Status.optimal, Status.feasible)
    teams = totals.teams if solved else {}
    km = sum(_team_km(problem, teams).values())
    gap = (totals.objective - totals.bound) / max(1, abs(totals.objective)) if solved else math.inf
    return TeamPlan(
        status=status,
        teams=teams,
        travel_km=km,
        objective=totals.objective if solved else 0,
        best_bound=totals.bound if solved else 0.0,
        gap=max(0.0, gap),
        relaxed_bound_km=relaxed,
        wall_s=totals.wall_s,
        components=len(components),
        variables=totals.variables,
        blockers=tuple(totals.blockers),
    )


def _team_km(problem: TeamProblem, teams: Mapping[str, tuple[str, ...]]) -> dict[str, float]:
    officers = {o.id: o for o in problem.officers}
    return {
        insp.id: sum(travel_km(insp, officers[o]) for o in teams.get(insp.id, ()) if o in officers)
        for insp in problem.inspections
    }


# --- the verifier --------------------------------------------------------------------------------


def check_plan(problem: TeamProblem, plan: TeamPlan) -> list[str]:
    """Every hard constraint the plan breaks, checked from the inputs alone (empty: the plan holds)."""
    if plan.status == Status.infeasible:
        return (
            []
            if plan.blockers and not plan.teams
            else ["an infeasible answer must explain itself and staff nothing"]
        )
    if plan.status == Status.unknown:
        return [] if not plan.teams else ["an UNKNOWN answer must staff nothing"]
    officers = {o.id: o for o in problem.officers}
    errors: list[str] = []
    for insp in problem.inspections:
        errors += _check_team(problem.options, insp, plan.teams.get(insp.id), officers)
    unknown = set(plan.teams) - {i.id for i in problem.inspections}
    errors += [f"team for unknown inspection {i}" for i in sorted(unknown)]
    errors += _check_limits(problem, plan.teams, officers)
    km = sum(_team_km(problem, plan.teams).values())
    if not math.isclose(km, plan.travel_km, rel_tol=1e-9, abs_tol=1e-6):
        errors.append(f"travel {plan.travel_km:.3f} km reported, {km:.3f} km recomputed")
    return errors


def _check_team(
    opts: TeamOptions, insp: Inspection, team: tuple[str, ...] | None, officers: Mapping[str, Officer]
) -> list[str]:
    if team is None:
        return [f"{insp.id}: no team"]
    errors = []
    if not opts.min_team <= len(team) <= opts.max_team:
        errors.append(f"{insp.id}: team of {len(team)}, allowed {opts.min_team}..{opts.max_team}")
    if len(set(team)) != len(team):
        errors.append(f"{insp.id}: an officer appears twice")
    members = [officers[o] for o in team if o in officers]
    errors += [f"{insp.id}: unknown officer {o}" for o in team if o not in officers]
    for off in members:
        valid = off.certificate_valid_until
        if not (off.is_certified and valid is not None and valid >= insp.day):
            errors.append(f"{insp.id}: {off.id} has no valid certificate on {insp.day}")
        if off.county_code == insp.county_code:
            errors.append(f"{insp.id}: {off.id} is from the target's county")
        if opts.exclude_same_city and off.city_code == insp.city_code:
            errors.append(f"{insp.id}: {off.id} is from the target's city")
        if insp.enterprise_id in off.recent_enterprises[: opts.history_n]:
            errors.append(f"{insp.id}: {off.id} inspected {insp.enterprise_id} recently")
    qualified = [off for off in members if insp.sector in off.sectors]
    if opts.every_member_qualified and len(qualified) < len(members):
        errors.append(f"{insp.id}: a member is not qualified for {insp.sector}")
    if not qualified:
        errors.append(f"{insp.id}: no member qualified for {insp.sector}")
    return errors


def _check_limits(
    problem: TeamProblem, teams: Mapping[str, tuple[str, ...]], officers: Mapping[str, Officer]
) -> list[str]:
    per_period: dict[tuple[str, str], int] = defaultdict(int)
    per_day: dict[tuple[str, date], int] = defaultdict(int)
    per_enterprise: dict[tuple[str, str], int] = defaultdict(int)
    for insp in problem.inspections:
        for o in set(teams.get(insp.id, ())):
            per_period[o, insp.period] += 1
            per_day[o, insp.day] += 1
            per_enterprise[o, insp.enterprise_id] += 1
    errors = [
        f"{o}: {n} inspections in period {p!r}, cap {officers[o].cap_per_period}"
        for (o, p), n in per_period.items()
        if o in officers and n > officers[o].cap_per_period
    ]
    errors += [f"{o}: {n} inspections on {d}" for (o, d), n in per_day.items() if n > 1]
    if problem.options.history_n > 0:
        errors += [
            f"{o}: inspects {e} {n} times in the plan" for (o, e), n in per_enterprise.items() if n > 1
        ]
    return errors


def officer_loads(plan: TeamPlan) -> dict[str, int]:
    """Inspections per officer in a plan."""
    loads: dict[str, int] = defaultdict(int)
    for team in plan.teams.values():
        for o in team:
            loads[o] += 1
    return dict(loads)


def blockers_text(blockers: Iterable[Blocker]) -> str:
    return "\n".join(b.message for b in blockers)
