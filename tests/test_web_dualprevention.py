"""The dual-prevention pages through TestClient on both databases: the enterprise user sees the four-colour
distribution and the risk map of units (a unit opens its events, measures and the control-hierarchy flag);
an abnormal check recorded through the form raises a hazard the page links; a refused check keeps what was
typed; the county regulator sees the enterprise with its completion numbers beside the division roll-up;
another enterprise's user and another county's regulator get 404.

The clock stands at 2026-03-02 10:00 Shanghai: of the day's 24 hourly windows, 00:00-09:00 have ended."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.builders import Db
from tests.web_helpers import login, post_form
from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.dualprevention import service
from zhiben.dualprevention.models import CheckRecord
from zhiben.hazard.models import Hazard
from zhiben.web.render import NAVIGATION

COUNTY = "320506"
DAILY_START = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)  # 2026-03-02 00:00 Shanghai
CHART = re.compile(r'<script type="application/json" id="dp-chart-data">(.*?)</script>', re.S)


@dataclass
class World:
    firm: int
    owner: Principal
    tank_unit: int
    room_unit: int
    daily: int  # the tank farm's daily (administrative) round
    hourly: int  # the tank farm's hourly PPE check


def world(db: Db) -> World:
    """Two units: a tank farm with a major (red) event checked only by a round and PPE (flagged), and a
    switch room with a moderate (yellow) one; the hourly windows 08:00 and 09:00 checked, 00:00-07:00 not."""
    firm = db.enterprise(county=COUNTY, name="吴中双控测试化工有限公司")
    owner = db.user(Role.enterprise, enterprise_id=firm, username="dp-owner")
    tank = db.act(service.create_unit, owner, firm, service.UnitDraft("液化烃罐区", "area", "储运部", "王强"))
    room = db.act(
        service.create_unit, owner, firm, service.UnitDraft("变配电室", "facility", "设备部", "李娜")
    )
    red = db.act(
        service.create_event,
        owner,
        tank.id,
        service.EventDraft("储罐泄漏遇点火源", "火灾爆炸", "lec", {"L": 6, "E": 6, "C": 15}),
    )
    db.act(
        service.create_event,
        owner,
        room.id,
        service.EventDraft("装卸过程静电积聚", "火灾", "lec", {"L": 3, "E": 6, "C": 7}),
    )
    daily = db.act(
        service.add_measure,
        owner,
        red.id,
        service.MeasureDraft("罐区巡回检查", "administrative", "daily", "operator", "王强"),
    )
    hourly = db.act(
        service.add_measure,
        owner,
        red.id,
        service.MeasureDraft("防静电服与便携式检测仪配备检查", "ppe", "hourly", "operator", "王强"),
    )
    daily_id = daily.measures[0].id
    hourly_id = next(m.id for m in hourly.measures if m.id != daily_id)
    for hour in (0, 1):  # 08:00 and 09:00 Shanghai
        start = datetime(2026, 3, 2, hour, 0, tzinfo=UTC)
        draft = service.CheckDraft(start, start.replace(minute=20), "normal", "", "罐区")
        db.act(service.record_check, owner, hourly_id, draft)
    return World(firm, owner, tank.id, room.id, daily_id, hourly_id)


def client_of(db: Db, username: str) -> TestClient:
    client = db.client()
    assert login(client, username).status_code == 303
    return client


def test_the_enterprise_user_sees_the_distribution_and_the_risk_map(db: Db) -> None:
    w = world(db)
    client = client_of(db, "dp-owner")
    entry = client.get("/dualprevention", follow_redirects=False)
    assert entry.status_code == 303 and entry.headers["location"] == f"/dualprevention/enterprises/{w.firm}"
    got = client.get(f"/dualprevention/enterprises/{w.firm}")
    assert got.status_code == 200, got.text
    html = got.text
    assert 'data-chart="riskpie"' in html and 'href="/dualprevention"' in html  # chart and nav entry
    found = CHART.search(html)
    assert found
    pie = {i["colour"]: i["value"] for i in json.loads(found.group(1))["pie"]["items"]}
    assert pie == {"red": 1, "orange": 0, "yellow": 1, "blue": 0}
    tiles = re.findall(r'href="/dualprevention/units/(\d+)" data-testid="dp-tile" data-colour="(\w+)"', html)
    assert tiles == [(str(w.tank_unit), "red"), (str(w.room_unit), "yellow")]
    assert "重大风险仅有管理措施或个体防护" in html  # the flagged event listed
    assert re.search(r'data-testid="dp-due">25<', html)  # 24 hourly windows + 1 daily
    assert re.search(r'data-testid="dp-done">2<', html)
    assert re.search(r'data-testid="dp-missed">8<', html)  # hourly 00:00-07:00
    assert 'data-testid="dp-check-form"' in html and 'data-testid="dp-si-status"' in html

    unit = client.get(f"/dualprevention/units/{w.tank_unit}")
    assert unit.status_code == 200
    assert "储罐泄漏遇点火源" in unit.text and "罐区巡回检查" in unit.text and "管理控制" in unit.text
    assert 'data-testid="dp-event-flag"><span class="dp-flag">' in unit.text
    assert ("/dualprevention", "nav.dualprevention") in NAVIGATION[Role.enterprise]


def test_an_abnormal_check_through_the_form_raises_a_hazard_the_page_links(db: Db) -> None:
    w = world(db)
    db.hazard(w.firm)  # one found by enforcement
    client = client_of(db, "dp-owner")
    path = f"/dualprevention/enterprises/{w.firm}"
    form = {
        "task": f"{w.daily}@{DAILY_START.isoformat()}",
        "checked_at": "2026-03-02T09:30",
        "result": "abnormal",
        "note": "巡检发现3号罐呼吸阀堵塞",
        "place": "3号罐顶",
    }
    sent = post_form(client, f"{path}/checks", form, token_from=path)
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"].startswith(f"{path}?checked=")
    with db.uow(write=False) as uow:
        record = uow.session.scalars(select(CheckRecord).where(CheckRecord.measure_id == w.daily)).one()
        assert record.hazard_id is not None and record.place == "3号罐顶"
        hazard = uow.session.get(Hazard, record.hazard_id)
        assert hazard is not None
        assert (hazard.source, hazard.enterprise_id) == ("self_inspection", w.firm)
        assert "呼吸阀堵塞" in hazard.description and "罐区巡回检查" in hazard.description
        number, hazard_id = hazard.number, hazard.id
    shown = client.get(sent.headers["location"])
    assert f'href="/hazards/{hazard_id}" data-testid="dp-raised-hazard">{number}</a>' in shown.text
    assert f'href="/hazards/{hazard_id}" data-testid="dp-hazard-link">' in shown.text
    assert re.search(r'data-testid="dp-done">3<', shown.text)

    county = client_of(db, db.user(Role.regulator, division=COUNTY).username)
    summary = county.get("/dualprevention").text
    row = re.search(rf'data-testid="dp-row-{w.firm}">(.*?)</tr>', summary, re.S)
    assert row, summary
    cells = row.group(1)
    assert '"dp-done-due">3 / 25<' in cells and '"dp-completion">12.0%<' in cells
    assert '"dp-row-missed">8<' in cells
    for key, value in (("self", "1"), ("enforcement", "1"), ("self-share", "50.0%")):  # one hazard by each
        assert f'"dp-row-{key}">{value}<' in cells


def test_a_refused_check_keeps_what_was_typed(db: Db) -> None:
    w = world(db)
    client = client_of(db, "dp-owner")
    path = f"/dualprevention/enterprises/{w.firm}"
    form = {
        "task": f"{w.daily}@{DAILY_START.isoformat()}",
        "checked_at": "2026-03-02T09:30",
        "result": "abnormal",
        "note": "",
        "place": "东侧防火堤",
    }
    refused = post_form(client, f"{path}/checks", form, token_from=path)
    assert refused.status_code == 422, refused.text
    assert 'value="东侧防火堤"' in refused.text and 'value="2026-03-02T09:30"' in refused.text
    assert 'id="dp-note-error"' in refused.text  # the error beside the note
    assert re.search(r'<option value="abnormal" selected>', refused.text)

    late = post_form(
        client,
        f"{path}/checks",
        form | {"checked_at": "2026-03-02T11:30", "note": "阀门泄漏"},
        token_from=path,
    )
    assert late.status_code == 422 and 'id="dp-checked_at-error"' in late.text
    assert "阀门泄漏" in late.text

    bad_task = post_form(client, f"{path}/checks", form | {"task": "nonsense", "note": "x"}, token_from=path)
    assert bad_task.status_code == 422 and 'value="东侧防火堤"' in bad_task.text
    with db.uow(write=False) as uow:
        assert uow.session.scalars(select(CheckRecord).where(CheckRecord.measure_id == w.daily)).all() == []


def test_the_regulator_page_lists_the_enterprise_with_its_completion(db: Db) -> None:
    w = world(db)
    db.enterprise(county=COUNTY, name="无风险清单企业")
    client = client_of(db, db.user(Role.regulator, division="320500").username)
    got = client.get(f"/dualprevention?division={COUNTY}")
    assert got.status_code == 200, got.text
    html = got.text
    row = re.search(rf'data-testid="dp-row-{w.firm}">(.*?)</tr>', html, re.S)
    assert row and "无风险清单企业" not in html
    cells = row.group(1)
    assert f'href="/dualprevention/enterprises/{w.firm}"' in cells
    assert (
        '"dp-done-due">2 / 25<' in cells
        and '"dp-completion">8.0%<' in cells
        and '"dp-row-missed">8<' in cells
    )
    assert re.search(r'"dp-row-major"><span class="pill risk-red">1</span> 50.0%<', cells)  # 1 of 2 red
    for key, value in (("enterprises", 1), ("due", 25), ("done", 2), ("missed", 8)):
        assert f'data-testid="dp-total-{key}">{value}<' in html
    assert 'data-testid="dp-total-completion">8.0%<' in html
    second = db.enterprise(county=COUNTY, name="第二家双控企业")
    db.act(service.create_unit, SYSTEM, second, service.UnitDraft("仓库", "area", "储运部", "张伟"))
    paged = client.get(f"/dualprevention?division={COUNTY}&size=1&page=2").text
    assert len(re.findall(r'data-testid="dp-row-\d+"', paged)) == 1 and f"dp-row-{second}" in paged
    assert "第 2 / 2 页，共 2 条" in paged
    drill = client.get(f"/dualprevention/enterprises/{w.firm}")
    assert drill.status_code == 200 and 'data-testid="dp-check-form"' not in drill.text  # reads only
    assert ("/dualprevention", "nav.dualprevention") in NAVIGATION[Role.regulator]
    assert ("/dualprevention", "nav.dualprevention") in NAVIGATION[Role.admin]


@pytest.mark.parametrize("who", ["stranger", "far"])
def test_others_get_404(db: Db, who: str) -> None:
    w = world(db)
    if who == "stranger":
        user = db.user(Role.enterprise, enterprise_id=db.enterprise(county=COUNTY))
    else:
        user = db.user(Role.regulator, division="320583")
    client = client_of(db, user.username)
    assert client.get(f"/dualprevention/enterprises/{w.firm}").status_code == 404
    assert client.get(f"/dualprevention/units/{w.tank_unit}").status_code == 404
    own = "/dualprevention" if who == "far" else f"/dualprevention/enterprises/{user.enterprise_id}"
    form = {
        "task": f"{w.daily}@{DAILY_START.isoformat()}",
        "checked_at": "2026-03-02T09:30",
        "result": "normal",
    }
    posted = post_form(client, f"/dualprevention/enterprises/{w.firm}/checks", form, token_from=own)
    assert posted.status_code == 404
    if who == "far":
        assert client.get(f"/dualprevention?division={COUNTY}").status_code == 404


def test_the_quarters_self_inspection_is_answered_through_its_own_path(db: Db) -> None:
    w = world(db)
    client = client_of(db, "dp-owner")
    path = f"/dualprevention/enterprises/{w.firm}"
    answers = {
        "fact.special_operators_without_certificate": "false",
        "fact.key_process_unit_not_automated": "false",
    }
    refused = post_form(
        client, f"{path}/self-inspection", answers | {"fact.tank_farm_mhi_grade": "很高"}, token_from=path
    )
    assert refused.status_code == 422, refused.text
    assert (
        'name="fact.tank_farm_mhi_grade" value="很高"' in refused.text
        and 'data-testid="field-error"' in refused.text
    )
    assert re.search(r'data-testid="dp-si-status">已答 0 / \d+ 项', refused.text)
    saved = post_form(client, f"{path}/self-inspection", answers, token_from=path)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?answered=1#self-inspection")
    shown = client.get(saved.headers["location"]).text
    assert 'data-testid="dp-si-saved"' in shown
    assert re.search(r'data-testid="dp-si-status">已答 2 / \d+ 项', shown)
