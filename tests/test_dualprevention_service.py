"""Dual prevention at the enterprise, stored: register → assess → measures (flag) → the day's tasks →
checks (an abnormal one raises a hazard linked back) → missed checks; scope; the API end to end.

The clock stands at 2026-03-02 10:00 Shanghai (a Monday): hourly windows 00:00-09:00 have ended."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.builders import Db, auth_header
from zhiben.audit.models import AuditEntry
from zhiben.audit.service import verify_chain
from zhiben.auth.domain import Principal, Role
from zhiben.dualprevention import service
from zhiben.dualprevention.controls import ControlFlag
from zhiben.dualprevention.models import CheckRecord
from zhiben.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from zhiben.hazard import service as hazards

COUNTY, OTHER_COUNTY = "320311", "320312"
DAY = date(2026, 3, 2)
MAJOR_LEC = {"L": 6, "E": 6, "C": 15}  # D = 540 > 320: major (red)


@pytest.fixture
def world(db: Db) -> dict[str, object]:
    firm = db.enterprise(county=COUNTY, name="徐州测试化工有限公司")
    other = db.enterprise(county=COUNTY)
    return {
        "firm": firm,
        "other": other,
        "owner": db.user(Role.enterprise, enterprise_id=firm, username="firm-owner"),
        "stranger": db.user(Role.enterprise, enterprise_id=other, username="other-owner"),
        "county": db.user(Role.regulator, division=COUNTY, username="county-official"),
        "far": db.user(Role.regulator, division=OTHER_COUNTY, username="far-official"),
    }


def p(world: dict[str, object], key: str) -> Principal:
    value = world[key]
    assert isinstance(value, Principal)
    return value


def tank_farm(db: Db, owner: Principal, firm: int) -> tuple[int, int]:
    unit = db.act(service.create_unit, owner, firm, service.UnitDraft("1号罐区", "area", "生产部", "李强"))
    event = db.act(
        service.create_event,
        owner,
        unit.id,
        service.EventDraft("液化烃储罐泄漏", "火灾爆炸", "lec", MAJOR_LEC),
    )
    return unit.id, event.id


def test_a_major_risk_controlled_only_by_procedures_and_ppe_is_flagged(
    db: Db, world: dict[str, object]
) -> None:
    owner = p(world, "owner")
    _, event_id = tank_farm(db, owner, world["firm"])  # type: ignore[arg-type]
    db.clock.advance(timedelta(minutes=1))
    admin = service.MeasureDraft("巡检罐区液位与泄漏", "administrative", "daily", "operator", "王工")
    controls = db.act(service.add_measure, owner, event_id, admin)
    assert controls.flag is ControlFlag.major_only_administrative_or_ppe
    ppe = service.MeasureDraft("佩戴便携式气体检测仪", "ppe", "hourly", "operator", "王工")
    assert (
        db.act(service.add_measure, owner, event_id, ppe).flag is ControlFlag.major_only_administrative_or_ppe
    )
    sis = service.MeasureDraft("紧急切断阀联锁校验", "engineering", "weekly", "technical_lead")
    controls = db.act(service.add_measure, owner, event_id, sis)
    assert controls.flag is None
    assert controls.event.inherent_level == "major"
    assert controls.reassessment_due


def test_invalid_factors_name_the_field(db: Db, world: dict[str, object]) -> None:
    owner = p(world, "owner")
    unit = db.act(
        service.create_unit, owner, world["firm"], service.UnitDraft("反应釜", "device", "生产部", "李强")
    )
    with pytest.raises(InvalidInputError) as caught:
        db.act(
            service.create_event,
            owner,
            unit.id,
            service.EventDraft("超温", "爆炸", "lec", {"L": 5, "E": 6, "C": 15}),
        )
    assert [f["field"] for f in caught.value.details["fields"]] == ["factors.L"]
    with pytest.raises(InvalidInputError) as caught:
        draft = service.EventDraft("超温", "爆炸", "matrix", {"likelihood": 3, "severity": 9})
        db.act(service.create_event, owner, unit.id, draft)
    assert [f["field"] for f in caught.value.details["fields"]] == ["factors.severity"]
    event = db.act(
        service.create_event,
        owner,
        unit.id,
        service.EventDraft("超温", "爆炸", "matrix", {"likelihood": 4, "severity": 4, "likelihood_after": 2}),
    )
    assert (event.inherent_level, event.residual_level) == ("major", "moderate")  # 4 × 4 = 16, then 2 × 4 = 8


def test_the_days_tasks_checks_hazards_and_missed_checks(db: Db, world: dict[str, object]) -> None:
    owner, firm = p(world, "owner"), world["firm"]
    assert isinstance(firm, int)
    _, event_id = tank_farm(db, owner, firm)
    daily = db.act(
        service.add_measure,
        owner,
        event_id,
        service.MeasureDraft("巡检罐区", "administrative", "daily", "operator", "王工"),
    ).measures[0]
    hourly = db.act(
        service.add_measure,
        owner,
        event_id,
        service.MeasureDraft("读取可燃气体报警仪", "engineering", "hourly", "operator"),
    ).measures[1]
    day = db.act(service.check_tasks, owner, firm, DAY)
    assert len(day.tasks) == 25  # one daily window and 24 hourly ones
    assert day.missed == 10  # hourly 00:00-10:00 Shanghai have ended unchecked
    assert [(e.misses_in_a_row, e.notify) for e in day.escalations] == [(10, "regulator")]
    assert len(db.act(service.check_tasks, owner, firm, DAY, assignee="王工").tasks) == 1

    now = db.clock.now()  # 10:00 Shanghai
    daily_start = datetime(2026, 3, 1, 16, tzinfo=UTC)
    normal = service.CheckDraft(daily_start, now - timedelta(minutes=30), "normal", place="1号罐区")
    db.act(service.record_check, owner, daily.id, normal)
    nine = datetime(2026, 3, 2, 1, tzinfo=UTC)  # 09:00-10:00 Shanghai
    abnormal = service.CheckDraft(
        nine, nine + timedelta(minutes=20), "abnormal", "2号报警仪无显示", "罐区东侧", ("a" * 64,)
    )
    record = db.act(service.record_check, owner, hourly.id, abnormal)

    assert record.hazard_id is not None
    hazard = db.act(hazards.get_hazard, owner, record.hazard_id)
    assert hazard.source == "self_inspection"
    for words in ("1号罐区", "液化烃储罐泄漏", "读取可燃气体报警仪", "2号报警仪无显示"):
        assert words in hazard.description
    day = db.act(service.check_tasks, owner, firm, DAY)
    assert day.done == 2
    assert day.missed == 9
    assert len(db.act(service.missed_checks, owner, firm, DAY)) == 9
    assert day.escalations == ()  # the last ended hourly window was checked: the run of misses is broken
    with db.uow(write=False) as uow:
        actions = set(uow.session.scalars(select(AuditEntry.action)))
        assert {
            "check_record.create",
            "hazard.report",
            "control_measure.create",
            "risk_event.assess",
        } <= actions
        assert verify_chain(uow.session)[1] is None  # (entries checked, first break)
        assert uow.session.scalar(select(func.count()).select_from(CheckRecord)) == 2


def test_a_check_must_fall_in_a_window_of_its_measure(db: Db, world: dict[str, object]) -> None:
    owner = p(world, "owner")
    _, event_id = tank_farm(db, owner, world["firm"])  # type: ignore[arg-type]
    daily = db.act(
        service.add_measure, owner, event_id, service.MeasureDraft("巡检", "engineering", "daily", "operator")
    ).measures[0]
    odd = datetime(2026, 3, 2, 1, tzinfo=UTC)
    with pytest.raises(InvalidInputError) as caught:
        db.act(service.record_check, owner, daily.id, service.CheckDraft(odd, odd, "normal"))
    assert caught.value.details["fields"][0]["field"] == "window_start_at"
    start = datetime(2026, 3, 1, 16, tzinfo=UTC)
    with pytest.raises(InvalidInputError) as caught:
        db.act(service.record_check, owner, daily.id, service.CheckDraft(start, start, "abnormal"))
    assert caught.value.details["fields"][0]["field"] == "note"


def test_scope_other_enterprise_and_other_county_do_not_find_it(db: Db, world: dict[str, object]) -> None:
    owner, firm = p(world, "owner"), world["firm"]
    assert isinstance(firm, int)
    unit_id, _ = tank_farm(db, owner, firm)
    for outsider in (p(world, "stranger"), p(world, "far")):
        with pytest.raises(NotFoundError):
            db.act(service.risk_register, outsider, firm)
        with pytest.raises(NotFoundError):
            db.act(service.create_event, outsider, unit_id, service.EventDraft("x", "y", "lec", MAJOR_LEC))
    county = p(world, "county")
    assert db.act(service.risk_register, county, firm).colours["red"] == 1
    with pytest.raises(PermissionDeniedError):
        db.act(service.create_unit, county, firm, service.UnitDraft("罐区", "area", "部", "人"))
    with pytest.raises(NotFoundError):
        db.act(service.summary, p(world, "far"), COUNTY, DAY)
    rows = db.act(service.summary, county, COUNTY, DAY)
    assert [(r.enterprise_id, r.major, r.events) for r in rows] == [(firm, 1, 1)]


def test_the_api_end_to_end(db: Db, world: dict[str, object]) -> None:
    firm = world["firm"]
    client = db.client()
    owner = auth_header(client, "firm-owner")
    r = client.post(
        f"/api/v1/enterprises/{firm}/risk-units",
        json={"name": "1号罐区", "kind": "area", "department": "生产部", "responsible_person": "李强"},
        headers=owner,
    )
    assert r.status_code == 201, r.text
    unit = r.json()["id"]
    bad = client.post(
        f"/api/v1/risk-units/{unit}/events",
        json={
            "description": "泄漏",
            "consequence": "火灾",
            "method": "lec",
            "factors": {"L": 4, "E": 6, "C": 15},
        },
        headers=owner,
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"][0]["field"] == "factors.L"
    r = client.post(
        f"/api/v1/risk-units/{unit}/events",
        json={"description": "泄漏", "consequence": "火灾", "method": "lec", "factors": MAJOR_LEC},
        headers=owner,
    )
    assert r.status_code == 201, r.text
    assert (r.json()["inherent_colour"], r.json()["flag"]) == ("red", "uncontrolled_major")
    event = r.json()["id"]
    r = client.post(
        f"/api/v1/risk-events/{event}/measures",
        json={
            "description": "巡检",
            "hierarchy": "administrative",
            "cycle": "daily",
            "responsibility": "operator",
        },
        headers=owner,
    )
    assert r.status_code == 201, r.text
    assert r.json()["flag"] == "major_only_administrative_or_ppe"
    measure = r.json()["measures"][0]["id"]

    tasks = client.get(f"/api/v1/enterprises/{firm}/check-tasks", params={"day": "2026-03-02"}, headers=owner)
    assert tasks.status_code == 200, tasks.text
    task = tasks.json()["tasks"][0]
    r = client.post(
        f"/api/v1/control-measures/{measure}/checks",
        json={
            "window_start_at": task["starts_at"],
            "checked_at": "2026-03-02T01:00:00Z",
            "result": "abnormal",
            "note": "液位计失灵",
        },
        headers=owner,
    )
    assert r.status_code == 201, r.text
    assert r.json()["hazard_id"] is not None
    tasks = client.get(f"/api/v1/enterprises/{firm}/check-tasks", params={"day": "2026-03-02"}, headers=owner)
    assert (tasks.json()["due"], tasks.json()["done"]) == (1, 1)

    register = client.get(f"/api/v1/enterprises/{firm}/risk-register", headers=owner).json()
    assert register["colours"] == {"red": 1, "orange": 0, "yellow": 0, "blue": 0}
    assert register["units"][0]["events"][0]["measures"][0]["id"] == measure

    official = auth_header(client, "county-official")
    summary = client.get(
        "/api/v1/dual-prevention/summary", params={"division": COUNTY, "day": "2026-03-02"}, headers=official
    )
    assert summary.status_code == 200, summary.text
    row = summary.json()["enterprises"][0]
    assert (row["major_share"], row["completion_rate"], row["hazards_self_inspection"]) == (1.0, 1.0, 1)
    far = auth_header(client, "far-official")
    assert client.get(f"/api/v1/enterprises/{firm}/risk-register", headers=far).status_code == 404
    stranger = auth_header(client, "other-owner")
    assert (
        client.post(
            f"/api/v1/control-measures/{measure}/checks",
            json={
                "window_start_at": task["starts_at"],
                "checked_at": "2026-03-02T01:00:00Z",
                "result": "normal",
            },
            headers=stranger,
        ).status_code
        == 404
    )


def test_a_closed_hazard_flags_its_unit_for_reassessment_until_the_event_is_reassessed(
    db: Db, world: dict[str, object]
) -> None:
    owner, firm = p(world, "owner"), world["firm"]
    assert isinstance(firm, int)
    unit_id, event_id = tank_farm(db, owner, firm)
    hourly = db.act(
        service.add_measure,
        owner,
        event_id,
        service.MeasureDraft("读取报警仪", "engineering", "hourly", "operator"),
    ).measures[0]
    nine = datetime(2026, 3, 2, 1, tzinfo=UTC)
    found = service.CheckDraft(nine, nine + timedelta(minutes=5), "abnormal", "报警仪无显示")
    hazard_id = db.act(service.record_check, owner, hourly.id, found).hazard_id
    admin = Principal(user_id=0, username="job", role=Role.admin)
    assert db.act(service.flag_reassessments, admin) == []  # the hazard is still open

    from zhiben.hazard.domain import HazardLevel, Plan

    db.act(hazards.determine_hazard, owner, hazard_id, HazardLevel.general)
    db.act(
        hazards.plan_rectification, owner, hazard_id, Plan("李强", "更换", db.clock.now() + timedelta(days=5))
    )
    for step in (hazards.start_rectification,):
        db.act(step, owner, hazard_id)
    db.act(hazards.complete_rectification, owner, hazard_id, "已更换")
    db.act(hazards.verify_hazard, owner, hazard_id, "合格")
    db.clock.advance(timedelta(hours=1))
    db.act(hazards.close_out_hazard, owner, hazard_id)

    (unit,) = db.act(service.flag_reassessments, admin)
    assert unit.id == unit_id and unit.reassessment_due_since == db.clock.now()
    assert "已销号" in unit.reassessment_reason
    assert db.act(service.flag_reassessments, admin) == []  # idempotent
    assert db.act(service.get_unit, owner, unit_id).reassessment_due_since is not None

    db.clock.advance(timedelta(minutes=10))
    draft = service.EventDraft("液化烃储罐泄漏", "火灾爆炸", "lec", MAJOR_LEC | {"L_after": 1})
    db.act(service.update_event, owner, event_id, draft)
    assert db.act(service.get_unit, owner, unit_id).reassessment_due_since is None
    assert db.act(service.flag_reassessments, admin) == []
    with db.uow(write=False) as uow:
        actions = set(uow.session.scalars(select(AuditEntry.action)))
    assert {"risk_unit.reassessment_due", "risk_unit.reassessed"} <= actions


def test_the_summary_pages_in_sql_and_agrees_with_the_whole_list_and_the_rollup(db: Db) -> None:
    from zhiben.auth.domain import SYSTEM as system
    from zhiben.kit.pagination import PageRequest

    firms = [db.enterprise(county="320506") for _ in range(3)]
    db.act(service.seed_dualprevention_demo, system, firms)
    regulator = db.user(Role.regulator, division="320506")
    on = db.clock.now().date()
    whole = db.act(service.summary, regulator, "320506", on)
    first = db.act(service.summary_page, regulator, "320506", on, PageRequest(1, 2))
    second = db.act(service.summary_page, regulator, "320506", on, PageRequest(2, 2))
    assert first.total == second.total == 3
    assert first.items + second.items == whole
    totals = db.act(service.province_rollup, regulator, "320506", on).totals()
    assert (totals["due"], totals["done"]) == (sum(r.tasks_due for r in whole), sum(r.tasks_done for r in whole))
    sources = db.act(service.hazard_totals, regulator, "320506")
    assert sources.get("self_inspection", 0) == sum(r.hazards_self_inspection for r in whole)
    assert sources.get("enforcement", 0) == sum(r.hazards_enforcement for r in whole)
    elsewhere = db.user(Role.regulator, division="110101")
    with pytest.raises(NotFoundError):
        db.act(service.summary_page, elsewhere, "320506", on, PageRequest(1, 2))
