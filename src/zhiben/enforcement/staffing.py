"""Team assignment for a drawn plan (异地交叉执法): the plan's planned inspections and its drawn officers,
with their profiles, go to the pure solver (teams.py); the teams it returns are checked again
(teams.check_plan) and stored as the inspections' teams.

Decisions:

* an officer without a profile has no recorded certificate: he is passed to the solver as uncertified,
  so he is excluded and the blockers name him when that leaves an inspection short;
* an inspection without a day gets one: the plan period's weekdays in turn, by draw rank (stored);
  caps count per ISO week;
* a target without coordinates is placed at the centre of the located enterprises of its county (else
  its city, province, or the officers' homes), an officer without a home at the centre of his division;
  the answer lists every such approximation, since its travel distance is only an estimate.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role, division_prefix
from zhiben.auth.models import User
from zhiben.enforcement import officers as officer_profiles
from zhiben.enforcement import service, teams
from zhiben.enforcement.domain import is_planning_regulator
from zhiben.enforcement.models import EnforcementPlan, Inspection, InspectionOfficer
from zhiben.enterprise.models import Enterprise
from zhiben.errors import ConflictError, PermissionDeniedError

Point = tuple[float, float]


@dataclass(frozen=True)
class Staffing:
    plan_id: int
    status: str
    teams: dict[int, list[int]]  # inspection id -> officer user ids
    scheduled: dict[int, date]  # days given to inspections that had none
    travel_km: float
    objective: int
    best_bound: float
    gap: float
    notes: list[str] = field(default_factory=list)


def weekdays(start: date, end: date) -> list[date]:
    days = [start + timedelta(d) for d in range((end - start).days + 1)]
    return [d for d in days if d.weekday() < 5] or days


def spread_days(inspections: list[Inspection], start: date, end: date) -> dict[int, date]:
    """Days for the unscheduled inspections: the period's weekdays in turn, by draw rank."""
    days = weekdays(start, end)
    todo = sorted(
        (i for i in inspections if i.scheduled_on is None), key=lambda i: (i.selection.get("rank", 0), i.id)
    )
    return {insp.id: days[k % len(days)] for k, insp in enumerate(todo)}


def _week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


class _Centres:
    """The centre of the located enterprises of each county, city and province (for missing points)."""

    def __init__(self, session: Session) -> None:
        sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
        query = (
            select(
                Enterprise.county_code,
                func.sum(Enterprise.longitude),
                func.sum(Enterprise.latitude),
                func.count(),
            )
            .where(Enterprise.longitude.is_not(None), Enterprise.latitude.is_not(None))
            .group_by(Enterprise.county_code)
        )
        for county, lon, lat, n in session.execute(query):
            for key in {county, county[:4], county[:2], ""}:
                acc = sums[key]
                acc[0], acc[1], acc[2] = acc[0] + float(lon or 0), acc[1] + float(lat or 0), acc[2] + n
        self._sums = sums

    def of(self, code: str) -> tuple[Point, str] | None:
        prefix = division_prefix(code)
        levels = [
            (prefix[:n], name)
            for n, name in ((6, "county"), (4, "city"), (2, "province"))
            if len(prefix) >= n
        ]
        for key, basis in [*levels, ("", "country")]:
            if key in self._sums:
                lon, lat, n = self._sums[key]
                return (lon / n, lat / n), basis
        return None


def _recent(session: Session, user_ids: list[int], plan_id: int) -> dict[int, tuple[str, ...]]:
    """Each officer's inspected enterprises, most recent first (other plans' inspections only)."""
    query = (
        select(InspectionOfficer.user_id, Inspection.enterprise_id)
        .join(Inspection, Inspection.id == InspectionOfficer.inspection_id)
        .where(InspectionOfficer.user_id.in_(user_ids), Inspection.plan_id.is_distinct_from(plan_id))
        .order_by(Inspection.scheduled_on.desc(), Inspection.id.desc())
    )
    out: dict[int, list[str]] = defaultdict(list)
    for uid, eid in session.execute(query):
        out[uid].append(str(eid))
    return {uid: tuple(eids) for uid, eids in out.items()}


def build_problem(
    session: Session, plan: EnforcementPlan, options: teams.TeamOptions
) -> tuple[teams.TeamProblem, dict[int, date], list[str]]:
    """The plan's planned inspections and drawn officers as a solver problem, the days given to
    unscheduled inspections, and notes on what was assumed."""
    rows = list(
        session.scalars(
            select(Inspection)
            .where(Inspection.plan_id == plan.id, Inspection.state == "planned")
            .order_by(Inspection.id)
        )
    )
    scheduled = spread_days(rows, plan.period_start, plan.period_end)
    drawn = [int(o["officer_id"]) for o in (plan.record or {}).get("result", {}).get("officers", [])]
    users = {
        u.id: u
        for u in session.scalars(
            select(User).where(User.id.in_(drawn), User.role == Role.officer.value, User.is_active.is_(True))
        )
    }
    profiles = officer_profiles.profiles_of(session, list(users))
    recent = _recent(session, list(users), plan.id)
    enterprises = {
        e.id: e
        for e in session.scalars(select(Enterprise).where(Enterprise.id.in_([r.enterprise_id for r in rows])))
    }
    centres = _Centres(session)
    notes: list[str] = []
    gone = sorted(set(drawn) - set(users))
    if gone:
        notes.append(f"drawn officers no longer active officers, left out: {', '.join(map(str, gone))}")
    missing = sorted(uid for uid in users if uid not in profiles)
    if missing:
        notes.append(
            "drawn officers without a profile (no certificate recorded), treated as uncertified: "
            + ", ".join(map(str, missing))
        )
    insps: list[teams.Inspection] = []
    for row in rows:
        enterprise = enterprises[row.enterprise_id]
        point: Point | None = None
        if enterprise.longitude is not None and enterprise.latitude is not None:
            point = (enterprise.longitude, enterprise.latitude)
        else:
            found = centres.of(row.county_code)
            if found is not None:
                point = found[0]
                notes.append(
                    f"inspection {row.id}: the enterprise has no coordinates; placed at its {found[1]}'s centre"
                )
        insps.append(
            teams.Inspection(
                str(row.id),
                str(row.enterprise_id),
                row.county_code,
                row.city_code,
                row.sector,
                *(point or (float("nan"), float("nan"))),
                day=row.scheduled_on or scheduled[row.id],
                period=_week(row.scheduled_on or scheduled[row.id]),
            )
        )
    homes = [
        (p.home_longitude, p.home_latitude)
        for p in profiles.values()
        if p.home_longitude is not None and p.home_latitude is not None
    ]
    located = [(i.lon, i.lat) for i in insps if i.lon == i.lon]
    fallback_pts: list[Point] = homes or located or [(0.0, 0.0)]
    fallback: Point = (
        sum(p[0] for p in fallback_pts) / len(fallback_pts),
        sum(p[1] for p in fallback_pts) / len(fallback_pts),
    )
    for k, insp in enumerate(insps):
        if insp.lon != insp.lon:  # NaN: nothing located anywhere near it
            insps[k] = dataclasses.replace(insp, lon=fallback[0], lat=fallback[1])
            notes.append(f"inspection {insp.id}: no located enterprise in its province; distance unknown")
    offs: list[teams.Officer] = []
    for uid in sorted(users):
        user, profile = users[uid], profiles.get(uid)
        division = user.division_code or ""
        home: Point
        if profile is not None and profile.home_longitude is not None and profile.home_latitude is not None:
            home = (profile.home_longitude, profile.home_latitude)
        else:
            found = centres.of(division)
            home = found[0] if found is not None else fallback
            if profile is not None:
                notes.append(
                    f"officer {uid}: no home location; placed at the centre of division {division or 'nation'}"
                )
        prefix = division_prefix(division)
        offs.append(
            teams.Officer(
                str(uid),
                prefix if len(prefix) == 6 else "",
                prefix[:4] if len(prefix) >= 4 else "",
                home[0],
                home[1],
                profile is not None,
                None if profile is None else profile.certificate_valid_until,
                frozenset(profile.sectors) if profile is not None else frozenset(),
                profile.cap_per_week if profile is not None else 0,
                recent.get(uid, ()),
            )
        )
    return teams.TeamProblem(tuple(insps), tuple(offs), options), scheduled, notes


def assign_teams(session: Session, actor: Principal, plan_id: int, options: teams.TeamOptions) -> Staffing:
    """Solve and store the teams of a drawn plan's planned inspections; infeasible → 409 with blockers."""
    plan = service.get_plan(session, actor, plan_id)
    if not is_planning_regulator(actor, plan.division_code):
        raise PermissionDeniedError(action="enforcement.plan.assign_teams")
    if plan.state != "drawn":
        raise ConflictError(reason="draw the plan before assigning its teams")
    options.validate()
    problem, scheduled, notes = build_problem(session, plan, options)
    if not problem.inspections:
        raise ConflictError(reason="the plan has no planned inspection left to staff")
    solved = teams.solve_teams(problem)
    if solved.status not in (teams.Status.optimal, teams.Status.feasible):
        text = teams.blockers_text(solved.blockers) or "no team plan was found within the time limit"
        raise ConflictError(
            reason=f"no team plan satisfies every rule ({solved.status}):\n{text}",
            blockers=text,
            notes=notes,
        )
    broken = teams.check_plan(problem, solved)
    if broken:  # the solver's answer is checked again from the inputs before anything is stored
        raise ConflictError(reason="the solver's teams break a rule; nothing was stored", problems=broken)
    chosen = {int(i): sorted(int(o) for o in team) for i, team in solved.teams.items()}
    rows = {r.id: r for r in session.scalars(select(Inspection).where(Inspection.id.in_(list(chosen))))}
    for old in session.scalars(
        select(InspectionOfficer).where(InspectionOfficer.inspection_id.in_(list(chosen)))
    ):
        session.delete(old)
    session.flush()
    for iid, team in chosen.items():
        if iid in scheduled:
            rows[iid].scheduled_on = scheduled[iid]
        session.add_all(InspectionOfficer(inspection_id=iid, user_id=uid) for uid in team)
    session.flush()
    staffing = Staffing(
        plan.id,
        solved.status.value,
        chosen,
        scheduled,
        solved.travel_km,
        solved.objective,
        solved.best_bound,
        solved.gap,
        notes,
    )
    audit.record(
        session,
        actor.audit_name,
        "enforcement.plan.assign_teams",
        "enforcement_plan",
        str(plan.id),
        after=document(staffing),
    )
    return staffing


def document(staffing: Staffing) -> dict[str, Any]:
    return {
        "plan_id": staffing.plan_id,
        "status": staffing.status,
        "teams": {str(i): t for i, t in sorted(staffing.teams.items())},
        "scheduled": {str(i): d.isoformat() for i, d in sorted(staffing.scheduled.items())},
        "travel_km": round(staffing.travel_km, 3),
        "objective": staffing.objective,
        "best_bound": staffing.best_bound,
        "gap": staffing.gap,
        "notes": staffing.notes,
    }
