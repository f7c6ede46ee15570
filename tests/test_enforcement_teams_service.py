"""Officer profiles, team assignment of a drawn plan (CP-SAT, checked again before storing) and the
quality metrics, with the confidentiality of unannounced inspections kept throughout."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from tests.builders import Db, auth_header
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import Principal, Role
from zhiben.enforcement import metrics, officers, service, staffing, teams
from zhiben.enforcement.models import EnforcementPlan, Inspection
from zhiben.enterprise.models import Enterprise
from zhiben.errors import ConflictError, NotFoundError, PermissionDeniedError

CITY, COUNTY, OTHER_COUNTY, THIRD_COUNTY = "320500", "320506", "320507", "320508"
SECTOR = "hazchem_production"


def profile(cap: int = 5, home: tuple[float, float] = (120.6, 31.3)) -> officers.ProfileDraft:
    return officers.ProfileDraft("苏应急执320500001", date(2027, 12, 31), (SECTOR,), *home, cap)


def make_world(db: Db, officer_counties: list[str], with_profiles: bool = True) -> dict[str, object]:
    enterprises = [db.enterprise(county=COUNTY) for _ in range(4)] + [
        db.enterprise(county=OTHER_COUNTY) for _ in range(2)
    ]
    with db.uow() as uow:  # coordinates for all but the last enterprise (placed by its county's centre)
        for k, eid in enumerate(enterprises[:-1]):
            uow.session.execute(
                update(Enterprise)
                .where(Enterprise.id == eid)
                .values(longitude=120.5 + k / 100, latitude=31.2)
            )
    planner = db.user(Role.regulator, division=CITY, username="suzhou-planner")
    people: dict[str, object] = {
        "planner": planner,
        "county": db.user(Role.regulator, division=COUNTY, username="wuzhong-official"),
        "owner": db.user(Role.enterprise, enterprise_id=enterprises[0], username="owner-0"),
    }
    staff = [
        db.user(Role.officer, division=c, username=f"officer-{k}") for k, c in enumerate(officer_counties)
    ]
    if with_profiles:
        for k, officer in enumerate(staff):
            db.act(officers.set_profile, planner, officer.user_id, profile(home=(120.4 + k / 10, 31.0)))
    return {"enterprises": enterprises, "officers": staff, **people}


def drawn_plan(db: Db, planner: Principal, officer_count: int, unannounced: bool = True) -> EnforcementPlan:
    draft = service.PlanDraft(
        "2026年第一季度危化品四不两直检查",
        date(2026, 3, 1),
        date(2026, 3, 31),
        (SECTOR,),
        6,
        officer_count,
        unannounced,
    )
    plan = db.act(service.create_plan, planner, draft)
    db.act(service.run_plan_draw, planner, plan.id)
    return plan


def test_profiles_are_set_by_regulators_covering_the_officer_and_audited(db: Db) -> None:
    world = make_world(db, [THIRD_COUNTY], with_profiles=False)
    planner, county = world["planner"], world["county"]
    (officer,) = world["officers"]  # type: ignore[misc]
    assert isinstance(planner, Principal) and isinstance(county, Principal)
    saved = db.act(officers.set_profile, planner, officer.user_id, profile(cap=3))
    assert saved.cap_per_week == 3 and saved.sectors == [SECTOR]
    db.act(officers.set_profile, planner, officer.user_id, profile(cap=4))
    assert db.act(officers.get_profile, planner, officer.user_id).cap_per_week == 4
    with pytest.raises(NotFoundError):  # another county's regulator does not cover this officer
        db.act(officers.get_profile, county, officer.user_id)
    with pytest.raises(NotFoundError):
        db.act(officers.set_profile, county, officer.user_id, profile())
    with pytest.raises(PermissionDeniedError):
        db.act(officers.set_profile, officer, officer.user_id, profile())
    with db.uow(write=False) as uow:
        entries = uow.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "enforcement.officer_profile.set")
            .order_by(AuditEntry.seq)
        ).all()
        assert len(entries) == 2 and entries[1].before is not None


def test_assigned_teams_hold_every_rule_and_stay_confidential(db: Db) -> None:
    world = make_world(db, [THIRD_COUNTY, THIRD_COUNTY, OTHER_COUNTY, COUNTY])
    planner, county = world["planner"], world["county"]
    assert isinstance(planner, Principal) and isinstance(county, Principal)
    plan = drawn_plan(db, planner, 4)
    result = db.act(staffing.assign_teams, planner, plan.id, teams.TeamOptions())
    assert result.status == "OPTIMAL" and len(result.teams) == 6 and result.gap == 0
    assert any("no coordinates" in n for n in result.notes)
    with db.uow(write=False) as uow:  # rebuild the problem from what is stored and check the teams again
        stored = uow.session.get(EnforcementPlan, plan.id)
        assert stored is not None
        problem, scheduled, _ = staffing.build_problem(uow.session, stored, teams.TeamOptions())
        assert scheduled == {}  # every inspection has its day now
        rows = uow.session.scalars(select(Inspection).where(Inspection.plan_id == plan.id)).all()
        divisions = {o.user_id: o.division_code for o in world["officers"]}  # type: ignore[attr-defined]
        for row in rows:
            team = result.teams[row.id]
            assert len(team) >= 2 and all(divisions[u] != row.county_code for u in team)
            assert row.scheduled_on is not None and row.scheduled_on.weekday() < 5
    plan_check = teams.TeamPlan(
        teams.Status.optimal,
        {str(i): tuple(str(u) for u in t) for i, t in result.teams.items()},
        result.travel_km,
        result.objective,
        result.best_bound,
        result.gap,
        0.0,
        0.0,
        1,
        0,
    )
    assert teams.check_plan(problem, plan_check) == []  # the stored teams, checked from the inputs
    assert db.act(service.list_inspections, county, plan.id, 0, 50)[1] == 0  # still confidential
    with pytest.raises(NotFoundError):  # an officer does not even see the plan
        db.act(staffing.assign_teams, world["officers"][0], plan.id, teams.TeamOptions())  # type: ignore[index]
    with db.uow(write=False) as uow:
        assert uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "enforcement.plan.assign_teams")
        ).all()


def test_officers_without_profiles_block_with_a_readable_reason(db: Db) -> None:
    world = make_world(db, [THIRD_COUNTY, THIRD_COUNTY], with_profiles=False)
    plan = drawn_plan(db, world["planner"], 2)  # type: ignore[arg-type]
    with pytest.raises(ConflictError) as caught:
        db.act(staffing.assign_teams, world["planner"], plan.id, teams.TeamOptions())
    assert "without a certificate" in caught.value.details["blockers"]
    assert any("without a profile" in n for n in caught.value.details["notes"])


def test_only_local_officers_is_infeasible_through_the_api(db: Db) -> None:
    world = make_world(db, [COUNTY, COUNTY])
    plan = drawn_plan(db, world["planner"], 2)  # type: ignore[arg-type]
    client = db.client()
    answer = client.post(
        f"/api/v1/enforcement/plans/{plan.id}/teams", headers=auth_header(client, "suzhou-planner")
    )
    assert answer.status_code == 409, answer.text
    assert f"from the target's county {COUNTY}" in answer.json()["error"]["details"]["blockers"]
    got = client.get(
        f"/api/v1/enforcement/officers/{world['officers'][0].user_id}/profile",  # type: ignore[index]
        headers=auth_header(client, "suzhou-planner"),
    )
    assert got.status_code == 200 and got.json()["cap_per_week"] == 5


def test_metrics_count_unstarted_unannounced_inspections_only_for_the_planner(db: Db) -> None:
    world = make_world(db, [THIRD_COUNTY, THIRD_COUNTY, OTHER_COUNTY])
    planner, county = world["planner"], world["county"]
    assert isinstance(planner, Principal) and isinstance(county, Principal)
    plan = drawn_plan(db, planner, 3)
    result = db.act(staffing.assign_teams, planner, plan.id, teams.TeamOptions())
    rows, _ = db.act(service.list_inspections, planner, plan.id, 0, 50)
    target = next(r for r in rows if r.county_code == COUNTY)
    db.clock.advance(timedelta(hours=1))
    db.act(service.start_inspection, planner, target.id)
    db.clock.advance(timedelta(hours=1))
    db.hazard(target.enterprise_id)  # a major hazard reported by enforcement during the inspection
    window = (None, date(2026, 3, 1), date(2026, 3, 31))
    mine = db.act(metrics.quality, planner, *window)
    theirs = db.act(metrics.quality, county, *window)
    assert mine["inspections"] == 6 and mine["started"] == 1 and sum(mine["by_colour"].values()) == 6
    assert theirs["inspections"] == 1 and theirs["started"] == 1  # the unstarted ones are not revealed
    kind = target.selection["kind"]
    assert mine["major_hazards_by_kind"][kind]["major_hazards_found"] == 1
    assert mine["reinspections"]["on_time_share"] is None and mine["penalties"] == {
        "count": 0,
        "amount_yuan": "0.00",
    }
    assert mine["major_findings_by_kind"] == {"trigger": 0, "random": 0, "control": 0}
    assert result.teams
    with pytest.raises(NotFoundError):
        db.act(metrics.quality, county, OTHER_COUNTY, date(2026, 3, 1), date(2026, 3, 31))
    client = db.client()
    answer = client.get(
        "/api/v1/enforcement/metrics",
        params={"period_start": "2026-03-01", "period_end": "2026-03-31"},
        headers=auth_header(client, "wuzhong-official"),
    )
    assert answer.status_code == 200 and answer.json()["inspections"] == 1


def test_the_officer_profile_cli(db: Db, cli: CliRunner) -> None:
    from zhiben.cli.main import app

    officer = db.user(Role.officer, division=THIRD_COUNTY, username="officer-cli")
    args = ["enforcement", "officer-profile", "officer-cli", "--certificate", "苏应急执001"]
    done = cli.invoke(
        app, [*args, "--valid-until", "2027-06-30", "--sectors", SECTOR, "--home", "120.5,31.2"]
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["user_id"] == officer.user_id
    bad = cli.invoke(app, [*args, "--valid-until", "2027-06-30", "--home", "east"])
    assert bad.exit_code != 0 and "LON,LAT" in bad.output
