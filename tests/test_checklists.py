"""Checklists: answers become facts, a met clause of a released pack raises (or restates) a major hazard."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.builders import Db, auth_header, five_implementations
from tests.test_hazard_lifecycle import tiny_png
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import Principal, Role
from zhiben.errors import InvalidInputError, NotFoundError
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, HazardState, Source
from zhiben.hazard.models import Hazard
from zhiben.kit.blobs import BlobStore
from zhiben.standards import checklist
from zhiben.standards.models import ClauseFinding, EnterpriseFact

PACKS = checklist.installed_packs()
OVER_CAPACITY = {  # coal 2020.1 article 4 item 1: annual output at 110 % of capacity
    "approved_capacity_t_per_year": 1_000_000,
    "annual_output_t": 1_100_000,
    "max_monthly_output_t": 90_000,
}


def answer(db: Db, actor: Principal, enterprise_id: int, answers: dict[str, object]) -> checklist.Outcome:
    return db.act(checklist.answer, actor, enterprise_id, answers, PACKS)


def hazards_of(db: Db, enterprise_id: int) -> list[Hazard]:
    with db.uow(write=False) as uow:
        rows = uow.session.scalars(
            select(Hazard).where(Hazard.enterprise_id == enterprise_id).order_by(Hazard.id)
        )
        found = list(rows)
        uow.session.expunge_all()  # read after the unit of work ends
        return found


def close(db: Db, regulator: Principal, hazard_id: int) -> None:
    db.act(hazards.plan_rectification, regulator, hazard_id, five_implementations(db.clock))
    db.act(hazards.start_rectification, regulator, hazard_id)
    store = BlobStore(db.tmp / "blobs")
    db.act(hazards.attach_evidence, regulator, hazard_id, tiny_png(), "after", "after.png", store, 1 << 20)
    db.act(hazards.complete_rectification, regulator, hazard_id, "限产至核定能力以内")
    db.act(hazards.verify_hazard, regulator, hazard_id, "核查属实")
    db.act(hazards.close_out_hazard, regulator, hazard_id)


@pytest.fixture
def mine(db: Db) -> int:
    return db.enterprise(county="140213", sector="coal_mine", name="大同测试煤矿")


@pytest.fixture
def manager(db: Db, mine: int) -> Principal:
    return db.user(Role.enterprise, enterprise_id=mine, username="mine-manager")


def test_checklist_lists_the_questions_of_the_packs_in_force(db: Db, mine: int, manager: Principal) -> None:
    found = db.act(checklist.checklist, manager, mine, PACKS)
    assert {(p.id, p.version) for p in found.packs} >= {("coal-mine", "2020.1")}
    by_fact = {q.fact: q for q in found.questions}
    question = by_fact["annual_output_t"]
    assert question.spec.ask is not None and question.spec.ask.zh and question.spec.ask.en
    assert "4-1" in question.clauses and question.answer is None


def test_a_met_clause_raises_one_major_hazard_citing_clause_and_facts(
    db: Db, mine: int, manager: Principal
) -> None:
    outcome = answer(db, manager, mine, OVER_CAPACITY)
    [met] = [m for m in outcome.met if m.clause == "4-1"]
    assert (met.pack, met.version, met.hazard_action, met.provisional) == (
        "coal-mine",
        "2020.1",
        "raised",
        False,
    )
    [hazard] = hazards_of(db, mine)
    assert hazard.level == HazardLevel.major and hazard.state == HazardState.determined
    assert hazard.source == Source.self_inspection and hazard.found_by == "enterprise:mine-manager"
    assert hazard.citation is not None and hazard.citation["clause"] == "4-1"
    assert json.loads(hazard.citation["facts"])["annual_output_t"] == "1100000"

    again = answer(db, manager, mine, OVER_CAPACITY)  # the same answers: nothing changes
    assert again.changed == () and [m.hazard_action for m in again.met if m.clause == "4-1"] == [None]
    assert len(hazards_of(db, mine)) == 1


def test_answers_are_facts_with_who_and_when_in_the_audit_log(db: Db, mine: int, manager: Principal) -> None:
    answer(db, manager, mine, {"approved_capacity_t_per_year": "1200000.50"})
    with db.uow(write=False) as uow:
        fact = uow.session.get(EnterpriseFact, (mine, "approved_capacity_t_per_year"))
        assert fact is not None
        assert (fact.value, fact.value_type, fact.answered_by) == (
            "1200000.5",
            "number",
            "enterprise:mine-manager",
        )
        assert fact.answered_at == db.clock.now()
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "checklist.answer")).one()
        assert entry.actor == "enterprise:mine-manager"
        assert entry.after == {"approved_capacity_t_per_year": "1200000.5"}
    answer(db, manager, mine, {"approved_capacity_t_per_year": None})  # null clears the answer
    with db.uow(write=False) as uow:
        assert uow.session.get(EnterpriseFact, (mine, "approved_capacity_t_per_year")) is None


def test_every_wrong_answer_is_named_and_none_is_stored(db: Db, mine: int, manager: Principal) -> None:
    with pytest.raises(InvalidInputError) as caught:
        answer(
            db,
            manager,
            mine,
            {"annual_output_t": "lots", "no_such_fact": True, "approved_capacity_t_per_year": 1},
        )
    fields = {f["field"]: f["reason"] for f in caught.value.details["fields"]}
    assert fields == {"answers.annual_output_t": "invalid", "answers.no_such_fact": "unknown"}
    with db.uow(write=False) as uow:
        assert uow.session.scalars(select(EnterpriseFact)).all() == []


def test_changed_facts_restate_the_open_hazard_instead_of_raising_another(
    db: Db, mine: int, manager: Principal
) -> None:
    answer(db, manager, mine, OVER_CAPACITY)
    outcome = answer(db, manager, mine, {"annual_output_t": 1_250_000})
    assert [m.hazard_action for m in outcome.met if m.clause == "4-1"] == ["restated"]
    [hazard] = hazards_of(db, mine)
    assert (
        hazard.citation is not None and json.loads(hazard.citation["facts"])["annual_output_t"] == "1250000"
    )


def test_a_closed_hazard_is_raised_again_only_by_new_facts(db: Db, mine: int, manager: Principal) -> None:
    regulator = db.user(Role.regulator, division="140213")
    answer(db, manager, mine, OVER_CAPACITY)
    [first] = hazards_of(db, mine)
    close(db, regulator, first.id)
    answer(db, manager, mine, {"gas_check_skipped_or_faked": False})  # unrelated answer, stale output facts
    assert len(hazards_of(db, mine)) == 1
    answer(db, manager, mine, {"annual_output_t": 1_150_000})  # the next year's output, over again
    hazards_now = hazards_of(db, mine)
    assert len(hazards_now) == 2 and hazards_now[1].is_open and hazards_now[1].citation["clause"] == "4-1"  # type: ignore[index]


def test_a_clause_no_longer_met_is_recorded_and_the_hazard_stays_open(
    db: Db, mine: int, manager: Principal
) -> None:
    answer(db, manager, mine, OVER_CAPACITY)
    outcome = answer(db, manager, mine, {"annual_output_t": 1_099_999})  # just below 110 %
    assert not [m for m in outcome.met if m.clause == "4-1"]
    with db.uow(write=False) as uow:
        finding = uow.session.scalars(select(ClauseFinding).where(ClauseFinding.clause == "4-1")).one()
        assert finding.met is False and finding.hazard_id is not None
    assert hazards_of(db, mine)[0].is_open


def test_missing_facts_are_listed(db: Db, mine: int, manager: Principal) -> None:
    outcome = answer(db, manager, mine, {"annual_output_t": 1_000_000})
    assert "approved_capacity_t_per_year" in outcome.missing


def test_a_service_provider_reports_for_others_to_determine(db: Db, mine: int) -> None:
    db.contract("平安财险", mine)
    insurer = db.user(Role.service_provider, provider_org="平安财险")
    answer(db, insurer, mine, OVER_CAPACITY)
    [hazard] = hazards_of(db, mine)
    assert hazard.state == HazardState.reported and hazard.level is None and hazard.source == Source.service
    assert "第四条" in hazard.description


def test_an_enterprise_cannot_answer_for_another(db: Db, mine: int) -> None:
    other = db.enterprise(county="140213", sector="coal_mine")
    stranger = db.user(Role.enterprise, enterprise_id=other)
    with pytest.raises(NotFoundError):
        answer(db, stranger, mine, OVER_CAPACITY)


def test_a_draft_pack_finding_is_provisional(db: Db) -> None:
    mine = db.enterprise(county="140213", sector="metal_nonmetal_mine")
    officer = db.user(Role.officer, division="140213")
    found = db.act(checklist.checklist, officer, mine, PACKS)
    draft = next(p for p in found.packs if p.id == "metal-nonmetal-mine")
    clause = next(
        c
        for c in draft.clauses
        if len(c.facts) == 1 and draft.spec.facts[next(iter(c.facts))].type == "boolean"
    )
    [fact] = clause.facts
    outcome = answer(db, officer, mine, {fact: True})
    assert [m.provisional for m in outcome.met if m.clause == clause.spec.id] == [True]
    assert hazards_of(db, mine) == []


def test_checklist_api(db: Db, mine: int) -> None:
    db.user(Role.enterprise, enterprise_id=mine, username="api-manager")
    client = db.client()
    headers = auth_header(client, "api-manager")
    got = client.get(f"/api/v1/enterprises/{mine}/checklist", headers=headers)
    assert got.status_code == 200, got.text
    assert any(q["fact"] == "annual_output_t" and q["unit"] for q in got.json()["questions"])
    posted = client.post(
        f"/api/v1/enterprises/{mine}/checklist/answers", json={"answers": OVER_CAPACITY}, headers=headers
    )
    assert posted.status_code == 200, posted.text
    body = posted.json()
    assert body["major"] is True
    [met] = [m for m in body["met"] if m["clause"] == "4-1"]
    assert met["hazard_action"] == "raised" and met["facts"]["annual_output_t"] == 1_100_000
    bad = client.post(
        f"/api/v1/enterprises/{mine}/checklist/answers",
        json={"answers": {"annual_output_t": True}},
        headers=headers,
    )
    assert (
        bad.status_code == 422
        and bad.json()["error"]["details"]["fields"][0]["field"] == "answers.annual_output_t"
    )
    listed = client.get(f"/api/v1/enterprises/{mine}/checklist", headers=headers).json()
    answered = {q["fact"]: q["answer"] for q in listed["questions"] if q["answer"]}
    assert (
        answered["annual_output_t"]["value"] == 1_100_000
        and answered["annual_output_t"]["answered_by"] == "enterprise:api-manager"
    )


def test_checklist_cli(db: Db, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from zhiben.cli.main import app
    from zhiben.enterprise.models import Enterprise

    plant = db.enterprise(county="320311", sector="hazchem_storage")  # hazchem 2017.1 has no end date
    db.user(Role.enterprise, enterprise_id=plant, username="cli-manager")
    with db.uow(write=False) as uow:
        code = uow.session.get(Enterprise, plant).uscc  # type: ignore[union-attr]
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"principal_or_safety_manager_not_certified": True}))
    args = ["--as", "cli-manager", "rules", "answer", code, "--answers", str(answers), "--json"]
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.stdout
    [met] = json.loads(result.stdout)["met"]
    assert (met["pack"], met["clause"], met["hazard_action"]) == ("hazchem", "1", "raised")
    listed = cli.invoke(app, ["--as", "cli-manager", "rules", "checklist", str(plant), "--json"])
    assert listed.exit_code == 0, listed.stdout
    answered = [q for q in json.loads(listed.stdout)["questions"] if q["answer"]]
    assert [(q["fact"], q["answer"]["value"]) for q in answered] == [
        ("principal_or_safety_manager_not_certified", True)
    ]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"principal_or_safety_manager_not_certified": "perhaps"}))
    refused = cli.invoke(app, ["--as", "cli-manager", "rules", "answer", code, "--answers", str(bad)])
    assert refused.exit_code == 2 and "principal_or_safety_manager_not_certified" in refused.output
