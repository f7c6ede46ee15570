"""Enforcement plans: a sealed, verifiable draw; unannounced inspections hidden from all but the planning
regulator and the team until they start; every view of a confidential inspection audited."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.builders import Db, auth_header
from zhiben.audit.models import AuditEntry
from zhiben.audit.service import verify_chain
from zhiben.auth.domain import Principal, Role
from zhiben.enforcement import service
from zhiben.enforcement.models import EnforcementPlan
from zhiben.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError

CITY, COUNTY, OTHER_COUNTY = "320500", "320506", "320507"


@pytest.fixture
def world(db: Db) -> dict[str, object]:
    enterprises = [db.enterprise(county=COUNTY) for _ in range(4)] + [
        db.enterprise(county=OTHER_COUNTY) for _ in range(2)
    ]
    people = {
        "planner": db.user(Role.regulator, division=CITY, username="suzhou-planner"),
        "county": db.user(Role.regulator, division=COUNTY, username="wuzhong-official"),
        "province": db.user(Role.regulator, division="320000", username="jiangsu-official"),
        "officer_a": db.user(Role.officer, division=OTHER_COUNTY, username="officer-a"),
        "officer_b": db.user(Role.officer, division=OTHER_COUNTY, username="officer-b"),
        "local_officer": db.user(Role.officer, division=COUNTY, username="officer-local"),
        "owner": db.user(Role.enterprise, enterprise_id=enterprises[0], username="owner-0"),
    }
    return {"enterprises": enterprises, **people}


def plan_all(db: Db, planner: Principal, unannounced: bool = True) -> EnforcementPlan:
    draft = service.PlanDraft(
        "2026年第一季度危化品四不两直检查",
        date(2026, 3, 1),
        date(2026, 3, 31),
        ("hazchem_production",),
        6,
        2,
        unannounced,
    )
    plan = db.act(service.create_plan, planner, draft)
    db.act(service.run_plan_draw, planner, plan.id)
    return plan


def test_the_seal_comes_first_and_the_draw_verifies(db: Db, world: dict[str, object]) -> None:
    planner = world["planner"]
    assert isinstance(planner, Principal)
    draft = service.PlanDraft("季度检查", date(2026, 3, 1), date(2026, 3, 31), ("hazchem_production",), 3, 2)
    plan = db.act(service.create_plan, planner, draft)
    sealed = service.public(plan)
    assert len(sealed["commitment"]) == 64 and sealed["pool_size"] == 6 and "seed" not in json.dumps(sealed)
    db.act(service.run_plan_draw, planner, plan.id)
    with pytest.raises(ConflictError):
        db.act(service.run_plan_draw, planner, plan.id)  # one draw per plan
    assert db.act(service.verify_plan, plan.id).is_valid
    with db.uow(write=False) as uow:
        actions = [e.action for e in uow.session.scalars(select(AuditEntry).order_by(AuditEntry.seq))]
        assert actions.index("enforcement.plan.seal") < actions.index("enforcement.plan.draw")
        assert verify_chain(uow.session)[1] is None
    with db.uow() as uow:  # tamper with the stored record: verification names it
        row = uow.session.get(EnforcementPlan, plan.id)
        assert row is not None and row.record is not None
        record = json.loads(json.dumps(row.record))
        record["inputs"]["params"]["quota"] = 2
        row.record = record
    result = db.act(service.verify_plan, plan.id)
    assert not result.is_valid and any("inputs" in p for p in result.problems)


def test_unannounced_inspections_are_hidden_until_they_start(db: Db, world: dict[str, object]) -> None:
    planner, county, province, owner = (world[k] for k in ("planner", "county", "province", "owner"))
    officer_a, officer_b = world["officer_a"], world["officer_b"]
    for p in (planner, county, province, owner, officer_a, officer_b):
        assert isinstance(p, Principal)
    plan = plan_all(db, planner)  # type: ignore[arg-type]
    seen_by = {
        name: db.act(service.list_inspections, world[name], plan.id, 0, 50)[1]
        for name in ("planner", "county", "province", "owner", "officer_a")
    }
    assert seen_by == {"planner": 6, "county": 0, "province": 0, "owner": 0, "officer_a": 0}
    rows, _ = db.act(service.list_inspections, planner, plan.id, 0, 50)
    target = next(r for r in rows if r.county_code == COUNTY)
    for name in ("county", "province", "owner", "officer_a"):
        with pytest.raises(NotFoundError):
            db.act(service.view_inspection, world[name], target.id)
    with pytest.raises(InvalidInputError):  # a local officer may not inspect his own county
        db.act(service.assign_team, planner, target.id, [officer_a.user_id, world["local_officer"].user_id])  # type: ignore[union-attr]
    db.act(service.assign_team, planner, target.id, [officer_a.user_id, officer_b.user_id])  # type: ignore[union-attr]
    assert db.act(service.view_inspection, officer_a, target.id).id == target.id  # the team sees it
    with pytest.raises(NotFoundError):
        db.act(service.view_inspection, county, target.id)
    with pytest.raises(PermissionDeniedError):
        db.act(service.assign_team, officer_a, target.id, [officer_a.user_id, officer_b.user_id])  # type: ignore[union-attr]
    db.act(service.start_inspection, officer_b, target.id)
    for name in ("county", "province", "owner"):
        if name == "owner" and target.enterprise_id != world["enterprises"][0]:  # type: ignore[index]
            continue
        assert db.act(service.view_inspection, world[name], target.id).id == target.id
    with db.uow(write=False) as uow:
        views = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "inspection.view")).all()
        assert {v.actor for v in views} >= {"regulator:suzhou-planner", "officer:officer-a"}


def test_announced_inspections_follow_the_usual_scope(db: Db, world: dict[str, object]) -> None:
    plan = plan_all(db, world["planner"], unannounced=False)  # type: ignore[arg-type]
    assert db.act(service.list_inspections, world["county"], plan.id, 0, 50)[1] == 4
    with db.uow(write=False) as uow:
        assert (
            uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "inspection.view")).all() == []
        )


def test_only_regulators_plan_and_notice_needs_a_reason(db: Db, world: dict[str, object]) -> None:
    draft = service.PlanDraft("x", date(2026, 3, 1), date(2026, 3, 31), ("hazchem_production",), 1, 0)
    with pytest.raises(PermissionDeniedError):
        db.act(service.create_plan, world["officer_a"], draft)
    bad = service.PlanDraft("", date(2026, 3, 31), date(2026, 3, 1), ("nope",), 0, 0)
    with pytest.raises(InvalidInputError) as caught:
        db.act(service.create_plan, world["planner"], bad)
    assert {f["field"] for f in caught.value.details["fields"]} == {"title", "period_end", "sectors", "quota"}
    plan = plan_all(db, world["planner"])  # type: ignore[arg-type]
    rows, _ = db.act(service.list_inspections, world["planner"], plan.id, 0, 1)
    with pytest.raises(InvalidInputError):
        db.act(service.give_advance_notice, world["planner"], rows[0].id, " ")
    noticed = db.act(
        service.give_advance_notice, world["planner"], rows[0].id, "企业停产检修，需提前确认现场可进入"
    )
    assert noticed.advance_notice["reason"].startswith("企业停产")


def test_the_api_and_verify_draw_cli(
    db: Db, world: dict[str, object], cli: CliRunner, tmp_path: Path
) -> None:
    from zhiben.cli.main import app

    client = db.client()
    planner = auth_header(client, "suzhou-planner")
    created = client.post(
        "/api/v1/enforcement/plans",
        json={
            "title": "专项检查",
            "period_start": "2026-03-01",
            "period_end": "2026-03-31",
            "sectors": ["hazchem_production"],
            "quota": 5,
            "officer_count": 2,
        },
        headers=planner,
    )
    assert created.status_code == 201, created.text
    plan_id = created.json()["id"]
    assert (
        client.post(f"/api/v1/enforcement/plans/{plan_id}/draw", headers=planner).json()["state"] == "drawn"
    )
    assert client.get("/api/v1/enforcement/inspections", headers=planner).json()["total"] == 5
    assert (
        client.get("/api/v1/enforcement/inspections", headers=auth_header(client, "wuzhong-official")).json()[
            "total"
        ]
        == 0
    )
    assert (
        client.get(
            f"/api/v1/enforcement/plans/{plan_id}", headers=auth_header(client, "wuzhong-official")
        ).status_code
        == 404
    )
    record = client.get(f"/api/v1/enforcement/plans/{plan_id}/record", headers=planner).json()
    verified = cli.invoke(app, ["enforcement", "verify-draw", str(plan_id), "--json"])
    assert verified.exit_code == 0 and json.loads(verified.stdout)["valid"] is True
    record["seed"] = "00" * 32  # a different seed: the commitment no longer matches
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(record))
    refused = cli.invoke(app, ["enforcement", "verify-draw", "--record", str(forged)])
    assert refused.exit_code == 1 and "commitment" in refused.output


def test_stored_records_become_triggers(db: Db, world: dict[str, object]) -> None:
    from datetime import timedelta

    from zhiben.auth.domain import SYSTEM
    from zhiben.enterprise.models import Facility
    from zhiben.hazard import service as hazards
    from zhiben.hazard.domain import Source
    from zhiben.hazard.models import Hazard

    tipped, overdue, graded, quiet, struck = world["enterprises"][:5]  # type: ignore[index]
    from zhiben.accident.domain import AccidentKind
    from zhiben.accident.service import AccidentDraft, record_accident

    accident = db.act(
        record_accident,
        SYSTEM,
        AccidentDraft(
            struck,
            "储罐区中毒事故",
            AccidentKind.other,
            db.clock.now() - timedelta(days=40),
            deaths=1,
            unit_reported_at=db.clock.now() - timedelta(days=40),
        ),
    )
    report = hazards.HazardReport(
        tipped, "群众举报：夜间违规动火", Source.tipoff, db.clock.now() - timedelta(hours=2)
    )
    tip = db.act(hazards.report_hazard, SYSTEM, report)
    late = db.hazard(overdue)
    with db.uow() as uow:
        row = uow.session.get(Hazard, late)
        assert row is not None
        row.is_overdue = True
        uow.session.add(
            Facility(
                enterprise_id=graded,
                name="液氯罐区",
                kind="storage",
                is_major_hazard=True,
                grade=1,
                s="12",
                r="120",
                assessment={},
                assessed_by="test",
                assessed_at=db.clock.now(),
            )
        )
    # quota 10: 70 % drawn at random leaves 3 places for triggered enterprises
    draft = service.PlanDraft("专项", date(2026, 3, 1), date(2026, 3, 31), ("hazchem_production",), 10, 0)
    plan = db.act(service.create_plan, world["planner"], draft)
    pool = {c["enterprise_id"]: c for c in plan.inputs["pool"]}
    assert [t[0] for t in pool[str(tipped)]["triggers"]] == ["complaint"]
    assert pool[str(tipped)]["triggers"][0][1] == tip.number
    assert [t[0] for t in pool[str(overdue)]["triggers"]] == ["risk_list"]
    assert pool[str(graded)]["triggers"] == [["minimum_frequency", "gb18218-grade-1"]]
    assert pool[str(quiet)]["triggers"] == []
    assert pool[str(struck)]["triggers"] == [["accident", f"accident-{accident.id}-{accident.grade}"]]
    drawn = db.act(service.run_plan_draw, world["planner"], plan.id)
    kinds = {t["enterprise_id"]: t["kind"] for t in drawn.record["result"]["targets"]}  # type: ignore[index]
    # Three places for four triggered enterprises: each is selected for its trigger, unless the random
    # control sample (drawn first, with a fresh secret seed each run) took it or the places ran out.
    triggered = (tipped, overdue, graded, struck)
    assert {kinds.get(str(e), "not drawn") for e in triggered} <= {
        "trigger",
        "control",
        "random",
        "not drawn",
    }
    assert sum(kinds.get(str(e)) == "trigger" for e in triggered) >= 2
