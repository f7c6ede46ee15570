"""The web UI in a real browser: Playwright drives Debian's chromium (never a downloaded browser) against a
live server on a seeded SQLite database. Each role logs in; the regulator drills down from the nation to an
enterprise; a hazard goes from report to close-out by the right users; an alarm is acknowledged; the
language switches; an out-of-scope address answers 404. Every page's console must stay free of errors, and
screenshots of the main pages are saved under test-artifacts/screenshots/.

Without chromium these tests skip, saying why, unless ZHIBEN_TEST_BROWSER=required (set by .ci/run), when
they fail instead."""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.builders import PASSWORD, Db
from zhiben.auth.domain import Role
from zhiben.db.engine import make_engine
from zhiben.monitoring import domain
from zhiben.monitoring.ingest import Ingestor, Message

CHROMIUM = os.environ.get("ZHIBEN_CHROMIUM", "/usr/bin/chromium")
REQUIRED = os.environ.get("ZHIBEN_TEST_BROWSER", "") == "required"
SHOTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ASSETS = (
    Path(__file__).resolve().parents[1] / "src" / "zhiben" / "web" / "static" / "vendor" / "echarts.min.js"
)

pytestmark = pytest.mark.browser


def _missing() -> str | None:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not Path(CHROMIUM).exists():
        return f"no chromium at {CHROMIUM} (apt-get install chromium; .ci/run installs it)"
    if not ASSETS.exists():
        return "the web assets are not built (make assets)"
    return None


@pytest.fixture(scope="module", autouse=True)
def _needs_browser() -> None:
    reason = _missing()
    if reason and REQUIRED:
        pytest.fail(f"browser tests are required here but cannot run: {reason}")
    if reason:
        pytest.skip(reason)


@dataclass
class Site:
    url: str
    db: Db
    users: dict[str, str]  # role name → username
    firm: int  # an enterprise in Wuzhong with a sensor
    other: int  # an enterprise in Beijing, out of the Jiangsu regulators' scope
    hazard_elsewhere: int
    errors: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(db: Db) -> Site:
    firm = db.enterprise(county="320506", sector="hazchem_production", name="苏州吴中精细化工有限公司")
    db.enterprise(county="320583", sector="hazchem_storage", name="昆山储运有限公司")
    other = db.enterprise(county="110101", sector="hazchem_production", name="北京东城化工有限公司")
    for _ in range(2):
        db.hazard(firm)
    hazard_elsewhere = db.hazard(other)
    users = {
        "nation": db.user(Role.regulator, division="", username="mem").username,
        "province": db.user(Role.regulator, division="320000", username="jiangsu").username,
        "county": db.user(Role.regulator, division="320506", username="wuzhong").username,
        "officer": db.user(Role.officer, division="320500", username="officer").username,
        "enterprise": db.user(Role.enterprise, enterprise_id=firm, username="manager").username,
        "insurer": db.user(Role.service_provider, provider_org="某财产保险公司", username="insurer").username,
        "department": db.user(
            Role.department, division="320506", sectors="construction", username="housing"
        ).username,
        "admin": db.user(Role.admin, username="root").username,
    }
    db.contract("某财产保险公司", firm)
    return Site("", db, users, firm, other, hazard_elsewhere)


def _raise_alarm(site: Site, client: Any) -> None:
    """A methane sensor at the enterprise, and a reading over its limit: an unacknowledged alarm."""
    token = client.post(
        "/api/v1/auth/token", json={"username": site.users["enterprise"], "password": PASSWORD}
    )
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    sensor = {
        "code": "CH4-T1",
        "kind": "methane",
        "unit": "%CH4",
        "location_code": "T1",
        "range_min": 0,
        "range_max": 4,
        "sampling_period_s": 600,
    }
    created = client.post(f"/api/v1/enterprises/{site.firm}/sensors", json=sensor, headers=headers)
    assert created.status_code == 201, created.text
    base = domain.to_ms(site.db.clock.now()) - 600_000
    body = {"readings": {"sensor": ["CH4-T1"] * 2, "ts": [base, base + 10_000], "value": [0.3, 1.2]}}
    site.db.act(Ingestor().ingest, [Message(site.firm, "http", "test", json.dumps(body).encode())])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Site]:
    import uvicorn

    from tests.conftest import START
    from zhiben.kit.clock import FrozenClock
    from zhiben.web.app import create_app

    folder = tmp_path_factory.mktemp("browser")
    shutil.copy(sqlite_template, folder / "site.db")
    engine = make_engine(f"sqlite:///{folder / 'site.db'}")
    db = Db(engine, FrozenClock(START), folder)
    seeded = _seed(db)
    settings = db.settings().model_copy(
        update={"overdue_job_minutes": 0, "monitoring_job_seconds": 0, "risk_job_minutes": 0}
    )
    app = create_app(settings, clock=db.clock, engine=engine)
    from fastapi.testclient import TestClient

    _raise_alarm(seeded, TestClient(app))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    seeded.url = f"http://127.0.0.1:{port}"
    yield seeded
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield launched
        launched.close()


def watch(tab: Any, site: Site) -> list[str]:
    """What must not happen on a page: console errors, script errors, a failed script/style/data request,
    or any request leaving 127.0.0.1. A refused form or a 404 page is a document answered 4xx on purpose;
    chromium logs it as 'Failed to load resource', which is therefore judged by the response, not the log."""
    problems: list[str] = []

    def console(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    def response(answer: Any) -> None:
        if answer.status >= 400 and answer.request.resource_type != "document":
            problems.append(f"{answer.status} for {answer.request.resource_type} {answer.url}")

    tab.on("console", console)
    tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    tab.on("response", response)
    tab.on(
        "request",
        lambda r: None if r.url.startswith((site.url, "data:")) else problems.append(f"off-site: {r.url}"),
    )
    return problems


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    """A fresh browser context per test; what watch() catches fails it."""
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    problems = watch(tab, site)
    yield tab
    context.close()
    assert problems == []


def shot(tab: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def log_in(tab: Any, site: Site, who: str) -> None:
    tab.goto(f"{site.url}/login")
    tab.get_by_label("用户名").fill(site.users[who])
    tab.get_by_label("密码").fill(PASSWORD)
    tab.get_by_role("button", name="登录").click()
    tab.wait_for_selector('[data-testid="whoami"]')


HOMES = {
    "nation": "/dashboard",
    "province": "/dashboard",
    "county": "/dashboard",
    "officer": "/enforcement",
    "enterprise": "/enterprises/",
    "insurer": "/enterprises",
    "department": "/hazards",
    "admin": "/dashboard",
}


@pytest.mark.parametrize("who", list(HOMES))
def test_each_role_logs_in_and_lands_on_its_home(page: Any, site: Site, who: str) -> None:
    log_in(page, site, who)
    assert HOMES[who] in page.url
    assert site.users[who] in page.get_by_test_id("whoami").inner_text()
    if who in ("nation", "enterprise", "officer"):
        shot(page, f"home-{who}")


def test_the_regulator_drills_down_from_the_nation_to_an_enterprise(page: Any, site: Site) -> None:
    log_in(page, site, "nation")
    page.wait_for_selector('[data-testid="map"][data-ready="1"]')  # the map of China has drawn
    assert page.get_by_test_id("kpi-open").inner_text() == "3"
    shot(page, "dashboard-nation")
    page.get_by_test_id("children").get_by_role("link", name="江苏省").click()
    page.wait_for_url("**/dashboard?division=320000")
    assert page.get_by_test_id("kpi-open").inner_text() == "2"
    page.get_by_test_id("children").get_by_role("link", name="苏州市").click()
    page.wait_for_url("**/dashboard?division=320500")
    page.get_by_test_id("children").get_by_role("link", name="吴中区").click()
    page.wait_for_url("**/dashboard?division=320506")
    shot(page, "dashboard-county")
    page.get_by_test_id("county-enterprises").click()
    page.get_by_role("link", name="苏州吴中精细化工有限公司").click()
    page.wait_for_url(f"**/enterprises/{site.firm}")
    assert "苏州吴中精细化工有限公司" in page.get_by_test_id("enterprise-name").inner_text()
    shot(page, "enterprise-workspace")


def test_a_hazard_goes_from_report_to_close_out_through_the_ui(browser: Any, site: Site) -> None:
    manager = browser.new_context(locale="zh-CN").new_page()
    regulator = browser.new_context(locale="zh-CN").new_page()
    seen_by_manager, seen_by_regulator = watch(manager, site), watch(regulator, site)
    log_in(manager, site, "enterprise")
    log_in(regulator, site, "county")

    manager.goto(f"{site.url}/hazards/new")
    manager.get_by_label("隐患描述").fill("甲类仓库内电气设备不防爆")
    manager.get_by_label("发现时间（北京时间）").fill(
        (site.db.clock.now() + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M")
    )
    manager.get_by_label("部位").fill("甲类仓库")
    manager.get_by_role("button", name="提交").click()
    manager.wait_for_selector('[data-testid="hazard-state"]')
    hazard_url = manager.url
    assert manager.get_by_test_id("hazard-state").inner_text() == "已上报"
    shot(manager, "hazard-reported")

    regulator.goto(hazard_url)
    form = regulator.locator('form[data-action="determine"]')
    form.get_by_label("隐患等级").select_option("major")
    form.get_by_label("条款", exact=True).fill("14")
    form.get_by_role("button", name="判定").click()
    assert regulator.get_by_test_id("hazard-state").inner_text() == "已判定"

    manager.goto(hazard_url)
    form = manager.locator('form[data-action="plan"]')
    form.get_by_label("责任人").fill("王强")
    form.get_by_label("整改措施").fill("更换为防爆型电气设备")
    form.get_by_label("整改期限").fill((site.db.clock.now() + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("整改资金（元）").fill("50000")
    form.get_by_role("button", name="制定整改方案").click()
    field_error = manager.get_by_test_id("field-error")  # the contingency is required for a major hazard
    assert field_error.count() >= 1
    form = manager.locator('form[data-action="plan"]')
    assert form.get_by_label("责任人").input_value() == "王强"  # nothing typed is lost
    form.get_by_label("应急预案与临时措施").fill("停用甲类仓库，设专人看守")
    form.get_by_role("button", name="制定整改方案").click()
    assert manager.get_by_test_id("hazard-state").inner_text() == "已制定方案"
    manager.locator('form[data-action="start"]').get_by_role("button").click()
    manager.set_input_files(
        "#ev-file",
        files=[{"name": "after.png", "mimeType": "image/png", "buffer": b"\x89PNG\r\n\x1a\n" + b"\x00" * 32}],
    )
    manager.select_option("#ev-phase", "after")
    manager.get_by_role("button", name="上传").click()
    form = manager.locator('form[data-action="complete"]')
    form.get_by_label("验收说明").fill("已全部更换并验收")
    form.get_by_role("button", name="整改完成").click()
    assert manager.get_by_test_id("hazard-state").inner_text() == "已整改待核查"
    assert (
        manager.locator('form[data-action="verify"]').count() == 0
    )  # a major hazard is verified by the regulator

    regulator.goto(hazard_url)
    regulator.locator('form[data-action="verify"]').get_by_role("button").click()
    regulator.locator('form[data-action="close"]').get_by_role("button").click()
    assert regulator.get_by_test_id("hazard-state").inner_text() == "已销号"
    assert regulator.get_by_test_id("timeline").locator("li").count() >= 8
    shot(regulator, "hazard-closed")
    assert seen_by_manager + seen_by_regulator == []


def test_an_alarm_is_acknowledged_in_the_console(page: Any, site: Site) -> None:
    log_in(page, site, "enterprise")
    page.goto(f"{site.url}/monitoring")
    row = page.locator("tr[data-alarm]").first
    alarm_id = row.get_attribute("data-alarm")
    assert row.get_by_test_id("alarm-state").inner_text() == "报警未确认"
    shot(page, "monitoring-console")
    from playwright.sync_api import expect

    page.get_by_test_id(f"ack-{alarm_id}").click()  # htmx swaps the row in place
    expect(page.locator(f'tr[data-alarm="{alarm_id}"]').get_by_test_id("alarm-state")).to_have_text(
        "报警已确认"
    )
    assert page.get_by_test_id(f"ack-{alarm_id}").count() == 0


def test_the_language_switches_and_stays(page: Any, site: Site) -> None:
    log_in(page, site, "province")
    assert page.get_by_role("link", name="隐患台账").count() == 1
    page.get_by_test_id("lang-switch").click()
    page.wait_for_selector("text=Hazard ledger")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto(f"{site.url}/hazards")
    assert page.get_by_role("heading", name="Hazard ledger").count() == 1
    shot(page, "hazards-english")
    page.get_by_test_id("lang-switch").click()
    page.wait_for_selector("text=隐患台账")


def test_an_out_of_scope_address_answers_404(page: Any, site: Site) -> None:
    log_in(page, site, "province")
    response = page.goto(f"{site.url}/hazards/{site.hazard_elsewhere}")
    assert response is not None and response.status == 404
    assert page.get_by_test_id("error-code").inner_text() == "not_found"
    response = page.goto(f"{site.url}/enterprises/{site.other}")
    assert response is not None and response.status == 404
    shot(page, "not-found")


def test_the_pages_work_on_a_phone(browser: Any, site: Site) -> None:
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    tab = phone.new_page()
    log_in(tab, site, "enterprise")
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page scrolls sideways on a phone: {width}px"
    shot(tab, "phone-workspace")
    phone.close()
