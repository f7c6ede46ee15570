"""The web pages through TestClient on both databases: login per role, the form token, the language
switch, 404 outside scope, a hazard from report to close-out through the forms, refused forms that
keep what was typed, paging, alarm acknowledgement and the dashboard's numbers."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.builders import Db
from tests.web_helpers import csrf_of, login, post_form
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import Role
from zhiben.auth.models import User
from zhiben.hazard.models import Hazard
from zhiben.monitoring import domain
from zhiben.monitoring.ingest import Ingestor, Message
from zhiben.monitoring.models import Alarm
from zhiben.web.i18n import catalogue

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "zhiben" / "web" / "templates"
WUZHONG = "320506"


def client_as(db: Db, role: Role, **kwargs: object) -> tuple[TestClient, str]:
    client = db.client()
    user = db.user(role, **kwargs)  # type: ignore[arg-type]
    response = login(client, user.username)
    assert response.status_code == 303, response.text
    return client, response.headers["location"]


def hazard_state(db: Db, hazard_id: int) -> str:
    with db.uow(write=False) as uow:
        hazard = uow.session.get(Hazard, hazard_id)
        assert hazard is not None
        return hazard.state


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.regulator, "/dashboard"),
        (Role.enterprise, "/workspace"),
        (Role.service_provider, "/enterprises"),
        (Role.department, "/hazards"),
        (Role.admin, "/dashboard"),
    ],
)
def test_each_role_logs_in_to_its_home_page(db: Db, role: Role, home: str) -> None:
    firm = db.enterprise(county=WUZHONG)
    extra: dict[str, object] = {"division": WUZHONG} if role in (Role.regulator, Role.department) else {}
    if role == Role.enterprise:
        extra = {"enterprise_id": firm}
    if role == Role.service_provider:
        extra = {"provider_org": "某保险公司"}
    client, location = client_as(db, role, **extra)
    assert location == home
    page = client.get(location)
    assert page.status_code == 200, page.text
    assert 'data-testid="whoami"' in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_a_wrong_password_keeps_the_username_and_says_why(db: Db) -> None:
    user = db.user(Role.regulator, division=WUZHONG)
    client = db.client()
    refused = login(client, user.username, "not-the-password")
    assert refused.status_code == 401
    assert f'value="{user.username}"' in refused.text
    assert "用户名或密码错误" in refused.text
    english = client.post(
        "/login", data={"username": user.username, "password": "x"}, headers={"accept-language": "en"}
    )
    assert "wrong username or password" in english.text


def test_pages_need_a_session_and_come_back_after_login(db: Db) -> None:
    client = db.client()
    response = client.get("/hazards?state=open", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fhazards%3Fstate%3Dopen"
    user = db.user(Role.regulator, division=WUZHONG)
    back = client.post(
        "/login",
        data={"username": user.username, "password": "correct-horse-9", "next": "/hazards?state=open"},
        follow_redirects=False,
    )
    assert back.headers["location"] == "/hazards?state=open"
    offsite = client.post(
        "/login",
        data={"username": user.username, "password": "correct-horse-9", "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert offsite.headers["location"] == "/dashboard"


def test_a_form_without_the_session_token_is_refused(db: Db) -> None:
    firm = db.enterprise(county=WUZHONG)
    client, _ = client_as(db, Role.enterprise, enterprise_id=firm)
    refused = client.post("/hazards/new", data={"description": "x", "source": "self_inspection"})
    assert refused.status_code == 403
    assert 'data-testid="error-code">form_expired<' in refused.text
    with db.uow(write=False) as uow:
        assert uow.session.scalar(select(Hazard).limit(1)) is None


def test_the_language_switch_is_remembered_on_the_user_and_audited(db: Db) -> None:
    client, _ = client_as(db, Role.regulator, division=WUZHONG)
    assert "隐患台账" in client.get("/hazards").text
    switched = post_form(client, "/language", {"language": "en", "next": "/hazards"})
    assert switched.status_code == 303 and switched.headers["location"] == "/hazards"
    assert "Hazard ledger" in client.get("/hazards").text
    fresh = db.client()  # a new browser: the language comes from the user, not the old cookie
    username = re.search(r'data-testid="whoami">(\w+)', client.get("/hazards").text).group(1)  # type: ignore[union-attr]
    login(fresh, username)
    assert "Hazard ledger" in fresh.get("/hazards").text
    with db.uow(write=False) as uow:
        assert uow.session.scalars(select(User.language).where(User.username == username)).one() == "en"
        entry = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.language")).one()
        assert entry.after == {"language": "en"}


def test_out_of_scope_addresses_answer_404_pages(db: Db) -> None:
    elsewhere = db.enterprise(county="110101")
    hazard_id = db.hazard(elsewhere)
    client, _ = client_as(db, Role.regulator, division=WUZHONG)
    for path in (
        f"/hazards/{hazard_id}",
        f"/enterprises/{elsewhere}",
        "/dashboard?division=110000",
        "/no/such/page",
    ):
        page = client.get(path)
        assert page.status_code == 404, path
        assert 'data-testid="error-code">not_found<' in page.text
        assert "<html" in page.text
    assert client.get("/api/v1/hazards/999", headers={"accept": "text/html"}).json()["error"]["code"] in (
        "not_authenticated",
        "not_found",
    )


def _actions(page: str) -> set[str]:
    return set(re.findall(r'data-action="(\w+)"', page))


def test_a_hazard_goes_from_report_to_close_out_through_the_forms(db: Db) -> None:
    firm = db.enterprise(county=WUZHONG)
    manager, _ = client_as(db, Role.enterprise, enterprise_id=firm)
    regulator, _ = client_as(db, Role.regulator, division=WUZHONG)
    found_at = (db.clock.now() + timedelta(hours=8) - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    reported = post_form(
        manager,
        "/hazards/new",
        {
            "description": "液氨储罐区未设置紧急切断装置",
            "source": "self_inspection",
            "found_at": found_at,
            "location": "罐区",
            "enterprise_id": "999",
        },
    )  # an enterprise user reports for its own enterprise only
    assert reported.status_code == 303, reported.text
    hazard_id = int(reported.headers["location"].rsplit("/", 1)[1])
    with db.uow(write=False) as uow:
        assert uow.session.get(Hazard, hazard_id).enterprise_id == firm  # type: ignore[union-attr]

    def act(client: TestClient, action: str, **fields: str) -> None:
        page = client.get(f"/hazards/{hazard_id}").text
        assert action in _actions(page), (action, _actions(page))
        version = re.search(rf'data-action="{action}".*?name="version" value="(\d+)"', page, re.S).group(1)  # type: ignore[union-attr]
        done = post_form(
            client,
            f"/hazards/{hazard_id}/act/{action}",
            {"version": version, **fields},
            token_from=f"/hazards/{hazard_id}",
        )
        assert done.status_code == 303, done.text

    assert "reject" not in _actions(manager.get(f"/hazards/{hazard_id}").text)  # government only
    assert "reject" in _actions(regulator.get(f"/hazards/{hazard_id}").text)
    refused = post_form(
        regulator,
        f"/hazards/{hazard_id}/act/determine",
        {"version": "1", "level": "major"},
        token_from=f"/hazards/{hazard_id}",
    )
    assert refused.status_code == 422 and "citation" in refused.text  # a major hazard cites its clause
    act(
        regulator,
        "determine",
        level="major",
        pack="hazchem@2017",
        clause="3",
        text="涉及重点监管危险化工工艺的装置未实现自动化控制",
    )
    deadline = (db.clock.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    act(
        manager,
        "plan",
        responsible_person="张伟",
        measures="加装紧急切断阀并联锁",
        deadline_at=deadline,
        funds_yuan="120000",
        contingency="停用该罐区，设专人巡检",
    )
    act(manager, "start")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
    uploaded = post_form(
        manager,
        f"/hazards/{hazard_id}/evidence",
        {"phase": "after"},
        token_from=f"/hazards/{hazard_id}",
        files={"file": ("after.png", png, "image/png")},
    )
    assert uploaded.status_code == 303, uploaded.text
    shown = manager.get(f"/hazards/{hazard_id}").text
    link = re.search(rf'href="(/hazards/{hazard_id}/evidence/\d+)">after.png<', shown)
    assert link is not None and manager.get(link.group(1)).content == png
    act(manager, "complete", acceptance_note="已加装并通过验收")
    assert "verify" not in _actions(manager.get(f"/hazards/{hazard_id}").text)
    act(regulator, "verify", opinion="现场核查合格")
    act(regulator, "close")
    assert hazard_state(db, hazard_id) == "closed"
    closed = regulator.get(f"/hazards/{hazard_id}").text
    assert 'data-testid="no-actions"' in closed
    assert closed.count("<li><strong>") >= 7  # the timeline from the audit log, one line per change


def test_a_refused_form_keeps_what_was_typed(db: Db) -> None:
    firm = db.enterprise(county=WUZHONG)
    hazard_id = db.hazard(firm)
    manager, _ = client_as(db, Role.enterprise, enterprise_id=firm)
    page = manager.get(f"/hazards/{hazard_id}").text
    version = re.search(r'data-action="plan".*?name="version" value="(\d+)"', page, re.S).group(1)  # type: ignore[union-attr]
    refused = post_form(
        manager,
        f"/hazards/{hazard_id}/act/plan",
        {"version": version, "responsible_person": "李娜", "measures": "", "deadline_at": "not a date"},
        token_from=f"/hazards/{hazard_id}",
    )
    assert refused.status_code == 422
    assert 'value="李娜"' in refused.text
    assert 'value="not a date"' in refused.text
    assert refused.text.count('data-testid="field-error"') >= 2
    stale = post_form(
        manager, f"/hazards/{hazard_id}/act/start", {"version": "99"}, token_from=f"/hazards/{hazard_id}"
    )
    assert stale.status_code in (409, 422), stale.text
    assert hazard_state(db, hazard_id) != "rectifying"


def test_the_ledger_is_paged_on_the_server(db: Db) -> None:
    firm = db.enterprise(county=WUZHONG)
    for _ in range(25):
        db.hazard(firm)
    client, _ = client_as(db, Role.regulator, division=WUZHONG)
    first = client.get("/hazards?size=20").text
    second = client.get("/hazards?size=20&page=2").text
    rows = re.compile(r'<tr><th scope="row"><a href="/hazards/\d+">')
    assert len(rows.findall(first)) == 20 and len(rows.findall(second)) == 5
    assert "2 / 2" in second or "2/2" in second


def test_an_alarm_is_acknowledged_from_the_console(db: Db) -> None:
    mine = db.enterprise(county="140213", sector="coal_mine")
    operator, _ = client_as(db, Role.enterprise, enterprise_id=mine)
    token = csrf_of(operator, f"/enterprises/{mine}")
    created = operator.post(f"/enterprises/{mine}/sensors", data={})
    assert created.status_code in (404, 405)  # sensors are registered through the API, not this page
    from tests.builders import auth_header

    headers = auth_header(
        operator, re.search(r'data-testid="whoami">(\w+)', operator.get("/hazards").text).group(1)
    )  # type: ignore[union-attr]
    sensor = {
        "code": "CH4-T1",
        "kind": "methane",
        "unit": "%CH4",
        "location_code": "T1",
        "range_min": 0,
        "range_max": 4,
        "sampling_period_s": 600,
    }
    assert (
        operator.post(f"/api/v1/enterprises/{mine}/sensors", json=sensor, headers=headers).status_code == 201
    )
    base = domain.to_ms(db.clock.now()) - 600_000
    body = {"readings": {"sensor": ["CH4-T1"] * 2, "ts": [base, base + 10_000], "value": [0.3, 1.2]}}
    db.act(Ingestor().ingest, [Message(mine, "http", "test", json.dumps(body).encode())])
    console = operator.get("/monitoring").text
    alarm_id = int(re.search(r'data-testid="ack-(\d+)"', console).group(1))  # type: ignore[union-attr]
    with db.uow(write=False) as uow:
        version = uow.session.get(Alarm, alarm_id).version  # type: ignore[union-attr]
    done = operator.post(
        f"/alarms/{alarm_id}/acknowledge",
        data={"csrf": token, "version": str(version)},
        headers={"hx-request": "true"},
    )
    assert done.status_code == 200
    assert f'data-alarm="{alarm_id}"' in done.text and "ack-" not in done.text
    with db.uow(write=False) as uow:
        assert uow.session.get(Alarm, alarm_id).state == "acknowledged"  # type: ignore[union-attr]
    live = operator.get("/monitoring/alarms")
    assert live.status_code == 200 and "<html" not in live.text
    sensors = operator.get(f"/enterprises/{mine}/sensors")  # the workspace's live sensor values
    assert sensors.status_code == 200 and "CH4-T1" in sensors.text and "1.2" in sensors.text
    assert "<html" not in sensors.text


def test_the_dashboard_counts_match_the_registry_and_drill_down(db: Db) -> None:
    firm = db.enterprise(county=WUZHONG)
    other = db.enterprise(county="320583")
    for _ in range(3):
        db.hazard(firm)
    db.hazard(other)
    db.hazard(db.enterprise(county="110101"))
    from zhiben.worker.scheduler import run_risk_job

    run_risk_job(db.factory, db.clock)  # every enterprise gets its colour: early warnings to list
    client, _ = client_as(db, Role.regulator, division="320000")
    province = client.get("/dashboard").text
    assert f'<a href="/enterprises/{firm}">' in province.split('data-testid="warnings"')[1]
    assert re.search(r'data-testid="kpi-open">4<', province)
    assert "/dashboard?division=320500" in province
    city = client.get("/dashboard?division=320500").text
    assert re.search(r'data-testid="kpi-open">4<', city)
    county = client.get(f"/dashboard?division={WUZHONG}").text
    assert re.search(r'data-testid="kpi-open">3<', county)
    assert f"/enterprises?division={WUZHONG}" in county
    workspace = client.get(f"/enterprises/{firm}").text
    assert 'data-testid="certificates"' in workspace and f"/training/enterprises/{firm}" in workspace
    listing = client.get(f"/enterprises?division={WUZHONG}").text
    assert f'/enterprises/{firm}"' in listing and f'/enterprises/{other}"' not in listing
    nation, _ = client_as(db, Role.regulator, division="")
    assert re.search(r'data-testid="kpi-open">5<', nation.get("/dashboard").text)
    assert 'data-testid="map"' in nation.get("/dashboard").text


def test_every_word_the_templates_use_is_in_both_languages() -> None:
    used = set()
    for template in TEMPLATES.rglob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z0-9_.\-]+[a-z0-9_])'", template.read_text(encoding="utf-8")))
    words = catalogue()
    missing = sorted(key for key in used if key not in words)
    assert not missing, f"add to src/zhiben/web/messages/*.yaml: {missing}"
    empty = sorted(key for key, (zh, en) in words.items() if not zh.strip() or not en.strip())
    assert not empty


def _wait_for_job(client: TestClient, location: str) -> str:
    import time

    for _ in range(200):
        page = client.get(location).text
        if 'data-testid="import-done"' in page or 'data-testid="import-refused"' in page or "import-error" in page:
            return page
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def _sheet(rows: list[list[object]]) -> bytes:
    from zhiben.kit.sheets import write_xlsx

    headers = ["统一社会信用代码", "隐患描述", "来源", "发现时间", "部位", "隐患等级"]
    return write_xlsx("隐患导入", headers, rows)


def test_the_ledger_exports_to_excel_with_the_filter(db: Db) -> None:
    import io

    from openpyxl import load_workbook

    firm = db.enterprise(county=WUZHONG)
    numbers = []
    for _ in range(3):
        hazard_id = db.hazard(firm)
        with db.uow(write=False) as uow:
            numbers.append(uow.session.get_one(Hazard, hazard_id).number)
    db.hazard(db.enterprise(county="110101"))  # out of scope
    client, _ = client_as(db, Role.regulator, division=WUZHONG)
    response = client.get("/hazards/export.xlsx?level=major")
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "隐患编号" and sorted(r[0] for r in rows[1:]) == sorted(numbers)
    assert {r[4] for r in rows[1:]} == {"重大"}


def test_an_import_stores_every_row_or_none_and_names_each_bad_cell(db: Db) -> None:
    firm = db.enterprise(county=WUZHONG)
    with db.uow(write=False) as uow:
        from zhiben.enterprise.models import Enterprise

        uscc = uow.session.get_one(Enterprise, firm).uscc
    client, _ = client_as(db, Role.regulator, division=WUZHONG)
    bad = _sheet([
        [uscc, "配电室无防鼠板", "执法检查", "2026-03-01 09:00", "配电室", "一般"],
        ["91110000MA0000001X", "外省企业", "执法检查", "2026-03-01 09:00", "", ""],
        [uscc, "", "执法检查", "昨天", "", "特大"],
    ])
    started = post_form(client, "/hazards/import", {}, files={"file": ("bad.xlsx", bad, "application/octet-stream")})
    assert started.status_code == 303, started.text
    page = _wait_for_job(client, started.headers["location"])
    assert 'data-testid="import-refused"' in page
    problems = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td>", page)
    assert ("3", "统一社会信用代码") in problems
    assert {("4", "隐患描述"), ("4", "发现时间"), ("4", "隐患等级")} <= set(problems)
    with db.uow(write=False) as uow:
        assert uow.session.scalar(select(Hazard).limit(1)) is None  # nothing stored
    good = _sheet([
        [uscc, "配电室无防鼠板", "执法检查", "2026-03-01 09:00", "配电室", "一般"],
        [uscc, "消防通道堵塞", "执法检查", "2026/03/01 10:15", "仓库", ""],
    ])
    started = post_form(client, "/hazards/import", {}, files={"file": ("good.xlsx", good, "application/octet-stream")})
    page = _wait_for_job(client, started.headers["location"])
    assert 'data-testid="import-done"' in page
    with db.uow(write=False) as uow:
        stored = uow.session.scalars(select(Hazard).order_by(Hazard.id)).all()
        assert [h.description for h in stored] == ["配电室无防鼠板", "消防通道堵塞"]
        assert stored[0].level == "general" and stored[1].level is None
    other, _ = client_as(db, Role.regulator, division=WUZHONG)
    assert other.get(started.headers["location"]).status_code == 404  # a job is its starter's alone


def test_an_administrator_redetermines_a_pack_and_watches_its_progress(db: Db) -> None:
    from zhiben.standards import checklist

    pack = next(p for p in checklist.installed_packs() if p.id == "hazchem")
    for _ in range(3):
        db.enterprise(county=WUZHONG, sector="hazchem_production")
    regulator, _ = client_as(db, Role.regulator, division=WUZHONG)
    listing = regulator.get("/standards").text
    assert pack.spec.title.zh in listing and "redetermine-" not in listing  # only an administrator may run it
    admin, _ = client_as(db, Role.admin)
    assert f'data-testid="redetermine-hazchem-{pack.version}"' in admin.get("/standards").text
    started = post_form(admin, "/standards/redetermine", {"pack": "hazchem", "version": pack.version},
                        token_from="/standards")
    assert started.status_code == 303
    for _ in range(200):
        page = admin.get(started.headers["location"]).text
        if 'data-testid="redetermine-done"' in page:
            break
        import time

        time.sleep(0.05)
    assert 'data-testid="newly-major">0<' in page
    refused = post_form(regulator, "/standards/redetermine", {"pack": "hazchem", "version": pack.version},
                        token_from="/standards")
    assert refused.status_code == 403


def test_listing_and_an_extension_go_through_the_hazard_page_by_the_right_users(db: Db) -> None:
    from tests.builders import five_implementations
    from zhiben.auth.domain import SYSTEM
    from zhiben.hazard import service
    from zhiben.hazard.models import DeadlineExtension, Supervision

    firm = db.enterprise(county=WUZHONG)
    hazard_id = db.hazard(firm)
    db.act(service.plan_rectification, SYSTEM, hazard_id, five_implementations(db.clock), None)
    manager, _ = client_as(db, Role.enterprise, enterprise_id=firm)
    county, _ = client_as(db, Role.regulator, division=WUZHONG)
    page = manager.get(f"/hazards/{hazard_id}").text
    assert 'data-action="request_extension"' in page and 'data-action="list"' not in page
    later = (db.clock.now() + timedelta(days=60)).astimezone().strftime("%Y-%m-%dT%H:%M")
    asked = post_form(manager, f"/hazards/{hazard_id}/extensions", {"new_deadline_at": later, "reason": "设备到货延迟"},
                      token_from=f"/hazards/{hazard_id}")
    assert asked.status_code == 303, asked.text
    page = county.get(f"/hazards/{hazard_id}").text
    assert 'data-testid="extension-approve"' in page and 'data-action="list"' in page
    extension_id = re.search(r'/extensions/(\d+)/decision', page).group(1)  # type: ignore[union-attr]
    decided = post_form(county, f"/hazards/{hazard_id}/extensions/{extension_id}/decision", {"approve": "true"},
                        token_from=f"/hazards/{hazard_id}")
    assert decided.status_code == 303
    past = (db.clock.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = post_form(county, f"/hazards/{hazard_id}/supervision", {"deadline_at": past, "document_number": "吴应急督〔2026〕1号"},
                        token_from=f"/hazards/{hazard_id}")
    assert refused.status_code == 422 and "吴应急督〔2026〕1号" in refused.text
    listed = post_form(county, f"/hazards/{hazard_id}/supervision", {"deadline_at": later, "document_number": "吴应急督〔2026〕1号"},
                       token_from=f"/hazards/{hazard_id}")
    assert listed.status_code == 303, listed.text
    with db.uow(write=False) as uow:
        assert uow.session.scalars(select(DeadlineExtension.status)).one() == "approved"
        assert uow.session.scalars(select(Supervision.level)).one() == "county"
    assert manager.post(f"/hazards/{hazard_id}/supervision", data={"csrf": csrf_of(manager, "/hazards"),
                        "deadline_at": later}).status_code == 403


def test_the_workspace_checklist_answers_count_for_the_quarter_and_a_met_clause_raises_the_hazard(db: Db) -> None:
    from zhiben.dualprevention.self_inspection import ACTION

    firm = db.enterprise(county=WUZHONG, sector="hazchem_production")
    manager, _ = client_as(db, Role.enterprise, enterprise_id=firm)
    page = manager.get(f"/enterprises/{firm}").text
    assert 'name="fact.principal_or_safety_manager_not_certified"' in page
    refused = post_form(manager, f"/enterprises/{firm}/checklist",
                        {"fact.principal_or_safety_manager_not_certified": "perhaps"}, token_from=f"/enterprises/{firm}")
    assert refused.status_code == 422 and 'data-testid="field-error"' in refused.text
    met = post_form(manager, f"/enterprises/{firm}/checklist",
                    {"fact.principal_or_safety_manager_not_certified": "true"}, token_from=f"/enterprises/{firm}")
    assert met.status_code == 200 and 'data-testid="checklist-met"' in met.text
    with db.uow(write=False) as uow:
        hazard = uow.session.scalars(select(Hazard).where(Hazard.enterprise_id == firm)).one()
        assert hazard.level == "major" and f"/hazards/{hazard.id}" in met.text
        assert uow.session.scalars(select(AuditEntry).where(AuditEntry.action == ACTION)).first() is not None


def test_logging_out_needs_the_form_token_and_works_on_an_expired_session(db: Db) -> None:
    client, _ = client_as(db, Role.regulator, division=WUZHONG)
    token = csrf_of(client, "/hazards")
    assert client.post("/logout", data={}, follow_redirects=False).status_code == 403  # another site cannot
    db.clock.advance(timedelta(days=2))  # the session has expired; the user may still end it
    done = client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert 'zhiben_session=""' in done.headers["set-cookie"] or "Max-Age=0" in done.headers["set-cookie"]
