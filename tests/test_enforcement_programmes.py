"""Emphasis programmes (专项) as data: a plan names them, the enterprises a programme selects carry its
trigger in the sealed draw inputs, their inspections get its questions after the draw, the draw still
verifies and its record names the programme; unknown codes are refused."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.builders import Db, auth_header
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import SYSTEM, Role
from zhiben.enforcement import inspecting, programmes, service
from zhiben.enforcement.models import EmphasisQuestion, EnforcementPlan, Inspection
from zhiben.errors import InvalidInputError
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, Source
from zhiben.standards import checklist

CITY, COUNTY, OTHER_COUNTY = "320500", "320506", "320507"
CONTROL, DUST, CLEARANCE = "ZB-EX-HC-CONTROL", "ZB-EX-IT-DUST", "ZB-EX-MH-CLEARANCE"


# ---------------------------------------------------------------------------------------- the data


def test_the_catalogue_is_grounded_in_the_encoded_rule_packs() -> None:
    catalogue = programmes.load_catalogue()
    assert {p.code for p in catalogue.programmes} == {CONTROL, DUST, CLEARANCE}
    packs = {p.id: {c.spec.id for c in p.clauses} for p in checklist.installed_packs()}
    for programme in catalogue.programmes:
        assert programme.status == "example" and "示例" in programme.title.zh  # none is an official campaign
        for rule in programme.open_hazards:
            assert rule.pack in packs, programme.code
            assert rule.clauses is None or rule.clauses <= packs[rule.pack], programme.code
        for question in programme.questions:
            assert question.verification in ("V", "V2") and question.cites in question.stored
    control = catalogue.get(CONTROL)
    assert control is not None and not control.selects_all
    assert all("安监总管三〔2017〕121号" in q.cites for q in control.questions)
    dust = catalogue.get(DUST)
    assert dust is not None and dust.selects_all and dust.covers("industry_trade_machinery")
    assert not dust.covers("hazchem_production")


def test_a_catalogue_with_a_bad_programme_is_refused() -> None:
    good = {
        "code": "ZX-1",
        "status": "official",
        "document": "某应急〔2026〕1号",
        "title": {"zh": "专项", "en": "programme"},
        "basis": {"zh": "依据", "en": "basis"},
        "sectors": ["hazchem_production"],
        "select": "all",
        "questions": [{"zh": "问？", "en": "q?", "cites": "第一条", "verification": "V"}],
    }
    assert (
        programmes.catalogue_from_mapping({"version": "t", "programmes": [good]}).programmes[0].code == "ZX-1"
    )
    for wrong in (
        {"status": "official", "document": ""},  # an official campaign names its document
        {"sectors": ["no_such_sector"]},
        {"select": {"open_hazards": []}},
        {"questions": []},
        {"questions": [{"zh": "问？", "en": "q?", "cites": "", "verification": "V"}]},
        {"code": "lower-case"},
    ):
        with pytest.raises(ValueError):
            programmes.catalogue_from_mapping({"version": "t", "programmes": [{**good, **wrong}]})
    with pytest.raises(ValueError):
        programmes.catalogue_from_mapping({"version": "t", "programmes": [good, good]})


# ------------------------------------------------------------------------------------- plan and draw


@pytest.fixture
def world(db: Db) -> dict[str, Any]:
    chem = [db.enterprise(county=COUNTY) for _ in range(4)]
    works = [db.enterprise(county=COUNTY, sector="industry_trade_machinery") for _ in range(2)]
    return {
        "chem": chem,
        "works": works,
        "planner": db.user(Role.regulator, division=CITY, username="suzhou-planner"),
        "officer_a": db.user(Role.officer, division=OTHER_COUNTY, username="officer-a"),
        "officer_b": db.user(Role.officer, division=OTHER_COUNTY, username="officer-b"),
    }


def cited_hazard(db: Db, enterprise_id: int, clause: str) -> int:
    report = hazards.HazardReport(
        enterprise_id=enterprise_id,
        description=f"判定标准第{clause}项所列情形",
        source=Source.enforcement,
        found_at=db.clock.now() - timedelta(hours=1),
        level=HazardLevel.major,
        citation={"pack": "hazchem", "version": "2017.1", "clause": clause},
    )
    return int(db.act(hazards.report_hazard, SYSTEM, report).id)


def draft(sectors: tuple[str, ...], quota: int, emphasis: tuple[str, ...]) -> service.PlanDraft:
    return service.PlanDraft(
        "2026年危化品自动化控制专项检查",
        date(2026, 3, 1),
        date(2026, 3, 31),
        sectors,
        quota,
        2,
        emphasis=emphasis,
    )


def test_the_programme_selects_triggers_and_its_questions_follow_the_draw(
    db: Db, world: dict[str, Any]
) -> None:
    a, b, c, d = world["chem"]
    cited_hazard(db, a, "4")  # clause (四): in the programme's list
    cited_hazard(db, b, "2")  # clause (二): not in it
    closed = cited_hazard(db, c, "12")  # in the list, but the hazard is closed below
    with db.uow() as uow:
        from zhiben.hazard.models import Hazard

        row = uow.session.get(Hazard, closed)
        assert row is not None
        row.is_open = False
    # the whole pool is drawn (quota = pool size), so every selected enterprise gets an inspection
    plan = db.act(service.create_plan, world["planner"], draft(("hazchem_production",), 4, (CONTROL,)))
    assert service.public(plan)["emphasis"] == [CONTROL]
    pool = {c["enterprise_id"]: c["triggers"] for c in plan.inputs["pool"]}
    assert pool[str(a)] == [["emphasis", CONTROL]]
    assert pool[str(b)] == [] and pool[str(c)] == [] and pool[str(d)] == []
    sealed = plan.inputs["params"]["emphasis"]
    control = programmes.load_catalogue().get(CONTROL)
    assert control is not None and sealed == {CONTROL: list(control.stored_questions)}

    drawn = db.act(service.run_plan_draw, world["planner"], plan.id)
    assert db.act(service.verify_plan, plan.id).is_valid
    record = drawn.record
    assert record["inputs"]["params"]["emphasis"] == sealed  # the record names the programme
    target = next(t for t in record["result"]["targets"] if t["enterprise_id"] == str(a))
    assert ["emphasis", CONTROL] in target["triggers"]
    with db.uow(write=False) as uow:
        inspections = {
            i.enterprise_id: i.id
            for i in uow.session.scalars(select(Inspection).where(Inspection.plan_id == plan.id))
        }
        assert set(inspections) == {a, b, c, d}
        questions = uow.session.scalars(select(EmphasisQuestion).order_by(EmphasisQuestion.id)).all()
        assert {q.inspection_id for q in questions} == {inspections[a]}
        assert [q.question for q in questions] == list(control.stored_questions)
        assert {q.programme for q in questions} == {CONTROL}
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "enforcement.plan.draw")
        ).one()
        assert entry.after["emphasis"] == {CONTROL: 1}
    # the team sees them on the inspection's checklist, beside the rule packs' questions
    db.act(
        service.assign_team,
        world["planner"],
        inspections[a],
        [world["officer_a"].user_id, world["officer_b"].user_id],
    )
    listed = db.act(inspecting.inspection_checklist, world["officer_a"], inspections[a])
    assert [q.programme for q in listed.emphasis] == [CONTROL] * len(control.questions)


def test_a_programme_selecting_all_and_a_tampered_programme_list(db: Db, world: dict[str, Any]) -> None:
    sectors = ("hazchem_production", "industry_trade")
    plan = db.act(service.create_plan, world["planner"], draft(sectors, 6, (DUST, CONTROL)))
    pool = {c["enterprise_id"]: c["triggers"] for c in plan.inputs["pool"]}
    assert all(pool[str(e)] == [["emphasis", DUST]] for e in world["works"])  # every 工贸 enterprise
    assert all(pool[str(e)] == [] for e in world["chem"])  # no open hazard under CONTROL's clauses
    db.act(service.run_plan_draw, world["planner"], plan.id)
    with db.uow(write=False) as uow:
        given = uow.session.scalars(select(EmphasisQuestion.programme)).all()
        assert len(given) == 2 * len(programmes.load_catalogue().get(DUST).questions)  # type: ignore[union-attr]
    assert db.act(service.verify_plan, plan.id).is_valid
    with db.uow() as uow:  # the programme list is sealed with the inputs: changing it is caught
        row = uow.session.get(EnforcementPlan, plan.id)
        assert row is not None and row.record is not None
        record = json.loads(json.dumps(row.record))
        del record["inputs"]["params"]["emphasis"][CONTROL]
        row.record = record
    result = db.act(service.verify_plan, plan.id)
    assert not result.is_valid and any("inputs" in p for p in result.problems)


def test_unknown_or_unrelated_programmes_are_refused_naming_the_field(db: Db, world: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError) as unknown:
        db.act(service.create_plan, world["planner"], draft(("hazchem_production",), 2, ("NO-SUCH-CODE",)))
    assert unknown.value.details["fields"][0]["field"] == "emphasis"
    assert "NO-SUCH-CODE" in unknown.value.details["fields"][0]["message"]
    with pytest.raises(InvalidInputError) as apart:  # a dust programme on a chemicals-only plan
        db.act(service.create_plan, world["planner"], draft(("hazchem_production",), 2, (DUST,)))
    assert apart.value.details["fields"][0]["field"] == "emphasis"
    with db.uow(write=False) as uow:
        assert uow.session.scalars(select(EnforcementPlan)).all() == []


def test_the_api_and_the_cli_list_and_take_programmes(db: Db, world: dict[str, Any], cli: CliRunner) -> None:
    from zhiben.cli.main import app

    client = db.client()
    planner = auth_header(client, "suzhou-planner")
    listed = client.get("/api/v1/enforcement/emphasis-programmes", headers=planner)
    assert listed.status_code == 200, listed.text
    items = {p["code"]: p for p in listed.json()["items"]}
    assert set(items) == {CONTROL, DUST, CLEARANCE} and items[DUST]["selects"] == "all"
    assert items[CONTROL]["open_hazards"] == [{"pack": "hazchem", "clauses": ["4", "5", "12", "14", "15"]}]
    assert client.get("/api/v1/enforcement/emphasis-programmes").status_code == 401
    body = {
        "title": "专项检查",
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
        "sectors": ["hazchem_production"],
        "quota": 4,
        "officer_count": 2,
    }
    refused = client.post("/api/v1/enforcement/plans", json={**body, "emphasis": ["NOPE"]}, headers=planner)
    assert (
        refused.status_code == 422 and refused.json()["error"]["details"]["fields"][0]["field"] == "emphasis"
    )
    created = client.post("/api/v1/enforcement/plans", json={**body, "emphasis": [CONTROL]}, headers=planner)
    assert created.status_code == 201 and created.json()["emphasis"] == [CONTROL]
    shown = cli.invoke(app, ["enforcement", "programmes", "--json"])
    assert shown.exit_code == 0 and {p["code"] for p in json.loads(shown.stdout)["items"]} == set(items)
