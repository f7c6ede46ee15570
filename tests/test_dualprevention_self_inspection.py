"""The quarterly major-hazard self-inspection: a task per enterprise per quarter listing the applicable
checklist's questions, answered through the checklist's own path; confirmed answers count; a quarter
that ends unanswered is missed. The clock stands at 2026-03-02 10:00 Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from tests.builders import Db, auth_header
from zhiben.auth.domain import Role
from zhiben.dualprevention import self_inspection as si
from zhiben.errors import NotFoundError, PermissionDeniedError
from zhiben.standards.checklist import installed_packs

COUNTY = "320311"


def bool_facts(count: int) -> list[str]:
    pack = next(p for p in installed_packs() if p.id == "hazchem" and p.spec.status == "released")
    return [n for n, s in pack.spec.facts.items() if s.type == "boolean" and s.ask is not None][:count]


@pytest.fixture
def firm(db: Db) -> dict[str, Any]:
    firm = db.enterprise(county=COUNTY, sector="hazchem_production")
    other = db.enterprise(county=COUNTY)
    return {
        "id": firm,
        "owner": db.user(Role.enterprise, enterprise_id=firm, username="si-owner"),
        "stranger": db.user(Role.enterprise, enterprise_id=other),
        "county": db.user(Role.regulator, division=COUNTY, username="si-county"),
    }


def test_the_quarters_task_lists_the_checklist_questions(db: Db, firm: dict[str, Any]) -> None:
    task = db.act(si.self_inspection, firm["owner"], firm["id"], date(2026, 3, 2))
    assert task.quarter == "2026Q1"
    assert (task.starts_at, task.ends_at) == (
        datetime(2025, 12, 31, 16, tzinfo=UTC),
        datetime(2026, 3, 31, 16, tzinfo=UTC),
    )
    assert task.items and {i.pack for i in task.items} == {"hazchem"}
    assert all(i.task.cycle.value == "quarterly" and i.task.title_zh for i in task.items)
    assert all(i.task.level.value == "main_responsible" for i in task.items)
    assert task.done == 0 and not task.is_done and not task.is_missed


def test_answers_count_in_their_quarter_and_confirmations_too(db: Db, firm: dict[str, Any]) -> None:
    owner, facts = firm["owner"], bool_facts(2)
    outcome, task = db.act(si.answer_self_inspection, owner, firm["id"], {f: False for f in facts})
    assert set(outcome.changed) == set(facts)
    assert {i.fact for i in task.items if i.is_done} == set(facts)

    db.clock.advance(timedelta(days=35))  # 2026-04-06: the second quarter
    q2 = db.act(si.self_inspection, owner, firm["id"], date(2026, 4, 6))
    assert q2.quarter == "2026Q2" and q2.done == 0  # last quarter's answers do not count
    q1 = db.act(si.self_inspection, owner, firm["id"], date(2026, 3, 2))
    assert q1.is_missed and q1.done == 2
    outcome, q2 = db.act(si.answer_self_inspection, owner, firm["id"], {facts[0]: False})
    assert outcome.changed == ()  # the same answer: nothing changed in the facts ...
    assert {i.fact for i in q2.items if i.is_done} == {facts[0]}  # ... but confirmed for the quarter


def test_scope_and_roles(db: Db, firm: dict[str, Any]) -> None:
    with pytest.raises(NotFoundError):
        db.act(si.self_inspection, firm["stranger"], firm["id"], date(2026, 3, 2))
    assert db.act(si.self_inspection, firm["county"], firm["id"], date(2026, 3, 2)).items
    with pytest.raises(PermissionDeniedError):
        db.act(si.answer_self_inspection, firm["county"], firm["id"], {bool_facts(1)[0]: False})


def test_the_api(db: Db, firm: dict[str, Any]) -> None:
    client = db.client()
    owner = auth_header(client, "si-owner")
    url = f"/api/v1/enterprises/{firm['id']}/self-inspection"
    r = client.get(url, params={"day": "2026-03-02"}, headers=owner)
    assert r.status_code == 200, r.text
    assert r.json()["quarter"] == "2026Q1" and r.json()["done"] == 0
    fact = bool_facts(1)[0]
    r = client.post(f"{url}/answers", json={"answers": {fact: False}}, headers=owner)
    assert r.status_code == 200, r.text
    assert [i["fact"] for i in r.json()["items"] if i["is_done"]] == [fact]
    r = client.post(f"{url}/answers", json={"answers": {"no_such_fact": 1}}, headers=owner)
    assert r.status_code == 422
    assert r.json()["error"]["details"]["fields"][0]["field"] == "answers.no_such_fact"
