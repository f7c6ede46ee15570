"""The enforcement pages through TestClient on both databases: the start page lists only the plans the caller
may see and an unannounced plan stays hidden from the enterprise it targets; a plan is made through the form
(a refused field keeps what was typed), drawn through the page with its verification shown, staffed by
CP-SAT; an inspection is walked through on the page to its finish and its documents download as PDF."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.builders import Db
from tests.test_hazard_lifecycle import tiny_png
from tests.web_helpers import csrf_of, login, post_form
from zhiben.auth.domain import Principal, Role
from zhiben.enforcement import officers, repository, service
from zhiben.enforcement.models import EnforcementPlan, Inspection
from zhiben.hazard.models import Hazard

CITY, COUNTY, OTHER_COUNTY = "320500", "320506", "320507"
SECTOR = "hazchem_production"
TITLE = "2026年3月危化品四不两直检查"


@pytest.fixture
def world(db: Db) -> dict[str, object]:
    """Four hazchem producers in COUNTY (the pool), two storage firms next door (outside it), a planner
    of the city, two certified officers from the next county, a county official and a targeted owner."""
    firms = [db.enterprise(county=COUNTY, sector=SECTOR) for _ in range(4)]
    others = [db.enterprise(county=OTHER_COUNTY, sector="hazchem_storage") for _ in range(2)]
    people: dict[str, object] = {
        "planner": db.user(Role.regulator, division=CITY, username="planner"),
        "county": db.user(Role.regulator, division=COUNTY, username="county-official"),
        "officer_a": db.user(Role.officer, division=OTHER_COUNTY, username="officer-a"),
        "officer_b": db.user(Role.officer, division=OTHER_COUNTY, username="officer-b"),
        "owner": db.user(Role.enterprise, enterprise_id=firms[0], username="owner"),
        "admin": db.user(Role.admin, username="root"),
    }
    for name in ("officer_a", "officer_b"):
        officer = people[name]
        assert isinstance(officer, Principal)
        draft = officers.ProfileDraft(
            f"苏应急执{officer.user_id:06d}", date(2027, 12, 31), (SECTOR,), 120.6, 31.3, 5
        )
        db.act(officers.set_profile, people["admin"], officer.user_id, draft)
    return {"firms": firms, "others": others, **people}


def client_of(db: Db, username: str) -> TestClient:
    client = db.client()
    assert login(client, username).status_code == 303
    return client


def sealed_plan(db: Db, world: dict[str, object], title: str = TITLE, unannounced: bool = True) -> int:
    draft = service.PlanDraft(title, date(2026, 3, 2), date(2026, 3, 31), (SECTOR,), 4, 2, unannounced)
    return int(db.act(service.create_plan, world["planner"], draft).id)


@dataclass(frozen=True)
class Target:
    id: int
    enterprise_id: int


def plan_inspections(db: Db, plan_id: int) -> list[Target]:
    with db.uow(write=False) as uow:
        query = select(Inspection).where(Inspection.plan_id == plan_id).order_by(Inspection.id)
        return [Target(i.id, i.enterprise_id) for i in uow.session.scalars(query)]


def test_list_plans_shows_each_caller_only_its_planning_offices_plans(
    db: Db, world: dict[str, object]
) -> None:
    plan_id = sealed_plan(db, world)
    seen = {
        name: db.act(service.list_plans, world[name], 0, 20)
        for name in ("planner", "county", "owner", "admin")
    }
    assert [p.id for p in seen["planner"][0]] == [plan_id] and seen["planner"][1] == 1
    assert [p.id for p in seen["admin"][0]] == [plan_id]
    assert seen["county"] == ([], 0) and seen["owner"] == ([], 0)
    officer_a = world["officer_a"]
    assert isinstance(officer_a, Principal)
    assert db.act(service.list_inspections, officer_a, None, 0, 20, assigned_only=True) == ([], 0)


def test_the_start_page_lists_only_visible_plans_and_hides_the_unannounced_one(
    db: Db, world: dict[str, object]
) -> None:
    plan_id = sealed_plan(db, world)
    db.act(service.run_plan_draw, world["planner"], plan_id)
    planner = client_of(db, "planner")
    start = planner.get("/enforcement")
    assert start.status_code == 200 and TITLE in start.text and 'data-testid="new-plan"' in start.text

    owner = client_of(db, "owner")
    assert TITLE not in owner.get("/enforcement").text
    assert owner.get(f"/enforcement/plans/{plan_id}").status_code == 404
    own = next(i for i in plan_inspections(db, plan_id) if i.enterprise_id == world["firms"][0])  # type: ignore[index]
    refused = owner.get(f"/enforcement/inspections/{own.id}")
    assert refused.status_code == 404 and 'data-testid="error-code"' in refused.text
    county = client_of(db, "county-official")
    assert TITLE not in county.get("/enforcement").text
    assert county.get(f"/enforcement/inspections/{own.id}").status_code == 404

    officer = client_of(db, "officer-a")  # the officer's home page: only the inspections assigned to him
    home = officer.get("/enforcement")
    assert home.status_code == 200 and 'data-testid="inspection-table"' in home.text
    assert f'data-inspection="{own.id}"' not in home.text
    db.act(
        service.assign_team,
        world["planner"],
        own.id,
        [world["officer_a"].user_id, world["officer_b"].user_id],
    )  # type: ignore[attr-defined]
    assert f'data-inspection="{own.id}"' in officer.get("/enforcement").text
    assert (
        officer.get(f"/enforcement/plans/{plan_id}").status_code == 404
    )  # the plan is the planning office's


def test_a_plan_is_made_through_the_form_and_a_refused_field_keeps_what_was_typed(
    db: Db, world: dict[str, object]
) -> None:
    client = client_of(db, "planner")
    form = {
        "title": "四月专项检查",
        "period_start": "2026-04-30",
        "period_end": "2026-04-01",
        "sectors": [SECTOR],
        "quota": "3",
        "officer_count": "2",
        "is_unannounced": "on",
        "mode": "covert",
    }
    refused = post_form(client, "/enforcement/plans/new", form, token_from="/enforcement/plans/new")
    assert refused.status_code == 422
    assert 'value="四月专项检查"' in refused.text and 'value="2026-04-01"' in refused.text
    assert re.search(r'id="period_end-error"', refused.text)
    assert 'value="covert" selected' in refused.text and f'value="{SECTOR}" checked' in refused.text
    missing = post_form(
        client,
        "/enforcement/plans/new",
        {**form, "period_end": "2026-04-30", "sectors": []},
        token_from="/enforcement/plans/new",
    )
    assert missing.status_code == 422 and 'value="四月专项检查"' in missing.text
    created = post_form(
        client,
        "/enforcement/plans/new",
        {**form, "period_start": "2026-04-01", "period_end": "2026-04-30"},
        token_from="/enforcement/plans/new",
    )
    assert created.status_code == 303, created.text
    shown = client.get(created.headers["location"])
    assert (
        shown.status_code == 200 and "四月专项检查" in shown.text and 'data-testid="run-draw"' in shown.text
    )
    with db.uow(write=False) as uow:
        plan = uow.session.scalars(select(EnforcementPlan)).one()
        assert (plan.mode, plan.is_unannounced, plan.quota, plan.state) == ("covert", True, 3, "sealed")
    owner = client_of(db, "owner")  # only regulators plan
    assert owner.get("/enforcement/plans/new").status_code == 403


def test_the_draw_runs_through_the_page_and_its_verification_is_shown(
    db: Db, world: dict[str, object]
) -> None:
    plan_id = sealed_plan(db, world)
    client = client_of(db, "planner")
    before = client.get(f"/enforcement/plans/{plan_id}")
    assert 'data-testid="seed"' not in before.text and 'data-testid="verification"' not in before.text
    drawn = post_form(
        client, f"/enforcement/plans/{plan_id}/draw", {}, token_from=f"/enforcement/plans/{plan_id}"
    )
    assert drawn.status_code == 303
    page = client.get(f"/enforcement/plans/{plan_id}")
    assert 'data-valid="yes"' in page.text and "zhiben enforcement verify-draw" in page.text
    with db.uow(write=False) as uow:
        plan = uow.session.get(EnforcementPlan, plan_id)
        assert plan is not None and plan.record is not None
        seed = plan.record["seed"]
    assert seed in page.text
    assert page.text.count('data-inspection="') == 4  # the drawn enterprises, with why each was selected
    record = client.get(f"/enforcement/plans/{plan_id}/record.json")
    assert record.status_code == 200 and record.json()["seed"] == seed
    again = post_form(
        client, f"/enforcement/plans/{plan_id}/draw", {}, token_from=f"/enforcement/plans/{plan_id}"
    )
    assert again.status_code == 409 and 'data-testid="form-error"' in again.text  # one draw per plan

    with db.uow() as uow:  # a tampered record: the page says so
        row = uow.session.get(EnforcementPlan, plan_id)
        assert row is not None and row.record is not None
        changed = json.loads(json.dumps(row.record))
        changed["inputs"]["params"]["quota"] = 2
        row.record = changed
    assert 'data-valid="no"' in client.get(f"/enforcement/plans/{plan_id}").text


def test_teams_are_assigned_from_the_plan_page_with_a_progress_indicator(
    db: Db, world: dict[str, object]
) -> None:
    plan_id = sealed_plan(db, world)
    db.act(service.run_plan_draw, world["planner"], plan_id)
    client = client_of(db, "planner")
    page = client.get(f"/enforcement/plans/{plan_id}")
    assert 'data-testid="teams-progress"' in page.text and 'hx-indicator="#teams-progress"' in page.text
    bad = post_form(
        client,
        f"/enforcement/plans/{plan_id}/teams",
        {"min_team": "1", "time_limit_s": "5"},
        token_from=f"/enforcement/plans/{plan_id}",
    )
    assert bad.status_code == 422 and 'id="t-min_team-error"' in bad.text and 'value="1"' in bad.text
    done = post_form(
        client,
        f"/enforcement/plans/{plan_id}/teams",
        {"time_limit_s": "5", "max_team": "2"},
        token_from=f"/enforcement/plans/{plan_id}",
    )
    assert done.status_code == 303, done.text
    shown = client.get(f"/enforcement/plans/{plan_id}")
    assert 'data-testid="staffing"' in shown.text
    with db.uow(write=False) as uow:
        for inspection in plan_inspections(db, plan_id):
            assert len(repository.team_of(uow.session, inspection.id)) == 2


def test_an_inspection_is_walked_through_on_the_page_to_its_finish(db: Db, world: dict[str, object]) -> None:
    plan_id = sealed_plan(db, world)
    db.act(service.run_plan_draw, world["planner"], plan_id)
    target = next(i for i in plan_inspections(db, plan_id) if i.enterprise_id == world["firms"][0])  # type: ignore[index]
    db.act(
        service.assign_team,
        world["planner"],
        target.id,
        [world["officer_a"].user_id, world["officer_b"].user_id],
    )  # type: ignore[attr-defined]
    officer = client_of(db, "officer-a")
    url = f"/enforcement/inspections/{target.id}"

    def act(action: str, data: dict[str, object], **kwargs: object) -> object:
        return post_form(officer, f"{url}/act/{action}", data, token_from=url, **kwargs)

    first = officer.get(url)
    assert first.status_code == 200 and 'data-testid="do-start"' in first.text
    assert act("finding", {"description": "x"}).status_code == 409  # nothing is recorded before the start
    assert act("start", {}).status_code == 303
    page = officer.get(url)
    assert 'data-testid="checklist-form"' in page.text and 'data-testid="do-finish"' in page.text

    answered = act("answer", {"fact.key_facility_external_distance_substandard": "false"})
    assert answered.status_code == 303, answered.text

    refused = act(
        "finding",
        {
            "description": "三号车间两名电焊工无证上岗",
            "location": "三号车间",
            "major": "on",
            "pack": "hazchem",
        },
    )
    assert (
        refused.status_code == 422 and "三号车间两名电焊工无证上岗" in refused.text
    )  # a major one cites its clause
    assert (
        'id="finding-clause-error"' in refused.text
        and 'id="finding-major" name="major" checked' in refused.text
    )
    photo = {"photo": ("weld.png", tiny_png(), "image/png")}
    recorded = act(
        "finding",
        {
            "description": "三号车间两名电焊工无证上岗",
            "location": "三号车间",
            "major": "on",
            "pack": "hazchem",
            "clause": "2",
        },
        files=photo,
    )
    assert recorded.status_code == 303, recorded.text
    page = officer.get(url)
    link = re.search(r'href="(/enforcement/inspections/\d+/findings/\d+/photos/0)"', page.text)
    assert link and officer.get(link.group(1)).content == tiny_png()
    with db.uow(write=False) as uow:
        hazard = uow.session.scalars(select(Hazard).where(Hazard.enterprise_id == target.enterprise_id)).one()
        assert (hazard.level, hazard.source) == ("major", "enforcement")
    finding_id = re.search(r'name="finding" value="(\d+)"', page.text)
    assert finding_id

    assert act("measure", {"kind": "evacuate", "description": "三号车间焊接作业人员撤出"}).status_code == 303
    today = db.clock.now().date()
    late = act(
        "order", {"finding": finding_id.group(1), f"deadline.{finding_id.group(1)}": today.isoformat()}
    )
    assert late.status_code == 422 and f'id="order-deadline.{finding_id.group(1)}-error"' in late.text
    ordered = act(
        "order",
        {
            "finding": finding_id.group(1),
            f"deadline.{finding_id.group(1)}": (today + timedelta(days=15)).isoformat(),
        },
    )
    assert ordered.status_code == 303, ordered.text
    too_much = act(
        "penalty", {"provision_id": "wsl2021-102-unit", "amount_yuan": "60000", "facts": "未消除事故隐患"}
    )
    assert (
        too_much.status_code == 422 and "未消除事故隐患" in too_much.text and "第一百零二条" in too_much.text
    )
    fined = act(
        "penalty", {"provision_id": "wsl2021-102-unit", "amount_yuan": "30000", "facts": "未消除事故隐患"}
    )
    assert fined.status_code == 303, fined.text
    assert act("finish", {}).status_code == 303
    done = officer.get(url)
    assert "已结束" in done.text and 'data-testid="do-finish"' not in done.text
    order_id = re.search(r'name="order_id" value="(\d+)"', done.text)
    assert order_id  # the re-inspection (复查) falls after the finish
    unanswered = act("reinspect", {"order_id": order_id.group(1), "items": "1", "note.1": "已更换"})
    assert unanswered.status_code == 422 and 'value="已更换"' in unanswered.text
    reinspected = act("reinspect", {"order_id": order_id.group(1), "items": "1", "rectified.1": "true"})
    assert reinspected.status_code == 303, reinspected.text
    done = officer.get(url)
    links = re.findall(r'href="(/enforcement/inspections/\d+/documents/[a-z]+[^"]*)"', done.text)
    assert {link.split("/")[-1].split("?")[0] for link in links} == {
        "record",
        "order",
        "reinspection",
        "penalty",
    }
    for link in links:
        pdf = officer.get(link.replace("&amp;", "&"))
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    assert (
        act("measure", {"kind": "other", "description": "补充"}).status_code == 409
    )  # finished: nothing more

    owner = client_of(db, "owner")  # once started, the enterprise sees its own inspection
    assert owner.get(url).status_code == 200
    assert 'data-testid="do-finish"' not in owner.get(url).text
    assert csrf_of(owner, url)


def test_the_plan_form_names_emphasis_programmes_and_keeps_them_on_refusal(
    db: Db, world: dict[str, object]
) -> None:
    client = client_of(db, "planner")
    blank = client.get("/enforcement/plans/new")
    assert blank.status_code == 200 and 'data-testid="plan-emphasis"' in blank.text
    assert 'id="emphasis-ZB-EX-HC-CONTROL"' in blank.text and 'for="emphasis-ZB-EX-HC-CONTROL"' in blank.text
    form = {
        "title": "危化品自动化控制专项",
        "period_start": "2026-04-01",
        "period_end": "2026-04-30",
        "sectors": [SECTOR],
        "quota": "4",
        "officer_count": "2",
        "is_unannounced": "on",
        "mode": "overt",
        "emphasis": ["ZB-EX-HC-CONTROL", "ZB-EX-IT-DUST"],  # the dust programme covers no chemicals sector
    }
    refused = post_form(client, "/enforcement/plans/new", form, token_from="/enforcement/plans/new")
    assert refused.status_code == 422 and "ZB-EX-IT-DUST" in refused.text
    assert (
        'value="ZB-EX-HC-CONTROL" checked' in refused.text and 'value="ZB-EX-IT-DUST" checked' in refused.text
    )
    created = post_form(
        client,
        "/enforcement/plans/new",
        {**form, "emphasis": ["ZB-EX-HC-CONTROL"]},
        token_from="/enforcement/plans/new",
    )
    assert created.status_code == 303, created.text
    shown = client.get(created.headers["location"])
    assert 'data-testid="plan-emphasis"' in shown.text and "ZB-EX-HC-CONTROL" in shown.text
    with db.uow(write=False) as uow:
        plan = uow.session.scalars(select(EnforcementPlan)).one()
        assert service.public(plan)["emphasis"] == ["ZB-EX-HC-CONTROL"]
