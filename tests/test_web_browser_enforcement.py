"""The inspection form in a real browser on a phone (390 px wide): an officer opens the inspection assigned to
him from his start page, starts it, records a finding with a photo and finishes; the page never scrolls
sideways, the console stays free of errors, and screenshots are saved under test-artifacts/screenshots/."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from tests.test_hazard_lifecycle import tiny_png
from tests.test_web_browser import Site, _needs_browser, browser, log_in, page, shot, site  # noqa: F401
from zhiben.auth.domain import Role
from zhiben.auth.models import User
from zhiben.enforcement import officers, service

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def inspection_id(site: Site) -> int:  # noqa: F811
    """A drawn plan of Suzhou with one target (the Wuzhong firm), staffed by the site's officer and another."""
    db = site.db
    planner = db.user(Role.regulator, division="320500", username="suzhou-planner")
    site.users["planner"] = planner.username
    partner = db.user(Role.officer, division="320507", username="officer-2")
    admin = db.user(Role.admin, username="root-enforcement")
    draft = service.PlanDraft(
        "苏州市危化品四不两直检查", date(2026, 3, 2), date(2026, 3, 31), ("hazchem_production",), 1, 0
    )
    plan = db.act(service.create_plan, planner, draft)
    db.act(service.run_plan_draw, planner, plan.id)
    rows, _ = db.act(service.list_inspections, planner, plan.id, 0, 10)
    target = next(r for r in rows if r.enterprise_id == site.firm)
    with db.uow(write=False) as uow:
        officer_id = uow.session.scalars(select(User.id).where(User.username == site.users["officer"])).one()
    profile = officers.ProfileDraft(
        "苏应急执320500001", date(2027, 12, 31), ("hazchem_production",), 120.6, 31.3, 5
    )
    db.act(officers.set_profile, admin, officer_id, profile)
    db.act(service.assign_team, planner, target.id, [officer_id, partner.user_id])
    return int(target.id)


def _no_sideways_scroll(tab: Any) -> None:
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"the page scrolls sideways on a phone: {width}px"


def test_an_officer_records_a_finding_and_finishes_on_a_phone(
    browser: Any,  # noqa: F811
    site: Site,  # noqa: F811
    inspection_id: int,
) -> None:
    phone = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    tab = phone.new_page()
    problems: list[str] = []
    tab.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    tab.on("pageerror", lambda e: problems.append(f"page error: {e}"))

    log_in(tab, site, "officer")
    assert tab.url.endswith("/enforcement")
    shot(tab, "phone-enforcement-start")
    tab.locator(f'tr[data-inspection="{inspection_id}"]').get_by_role("link").click()
    tab.wait_for_url(f"**/enforcement/inspections/{inspection_id}")
    _no_sideways_scroll(tab)
    tab.get_by_test_id("do-start").click()
    tab.wait_for_selector('[data-testid="do-finish"]')
    assert tab.get_by_test_id("inspection-state").inner_text() == "检查中"
    _no_sideways_scroll(tab)
    shot(tab, "phone-inspection-started")
    tab.locator("#answer summary").click()  # the checklist folds open
    tab.get_by_test_id("checklist-form").locator("select").first.select_option("false")
    _no_sideways_scroll(tab)
    tab.get_by_test_id("do-answer").click()
    tab.wait_for_url(f"**/enforcement/inspections/{inspection_id}#answer")
    assert "已答 1 项" in tab.locator("#answer summary").inner_text()

    form = tab.get_by_test_id("finding-form")
    form.get_by_label("问题描述").fill("甲类仓库内电气设备不防爆")
    form.get_by_label("部位").fill("甲类仓库")
    form.get_by_label("依据（一般问题）").fill("GB 50058-2014 5.2.2")
    tab.set_input_files(
        "#finding-photo", files=[{"name": "warehouse.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    form.get_by_role("button", name="保存问题").click()
    tab.wait_for_selector('[data-testid="photo-link"]')
    assert "甲类仓库内电气设备不防爆" in tab.get_by_test_id("findings").inner_text()
    _no_sideways_scroll(tab)
    shot(tab, "phone-inspection-finding")

    tab.get_by_test_id("do-finish").click()
    tab.wait_for_selector('[data-testid="documents"] a[data-kind="record"]')
    assert tab.get_by_test_id("inspection-state").inner_text() == "已结束"
    assert tab.get_by_test_id("do-finish").count() == 0
    _no_sideways_scroll(tab)
    shot(tab, "phone-inspection-finished")
    phone.close()
    assert problems == []


def test_the_planner_sees_the_draw_verified_and_the_teams(
    page: Any,  # noqa: F811
    site: Site,  # noqa: F811
    inspection_id: int,
) -> None:
    log_in(page, site, "planner")
    page.goto(f"{site.url}/enforcement")
    page.get_by_test_id("plan-table").get_by_role("link").first.click()
    page.wait_for_selector('[data-testid="verification"][data-valid="yes"]')
    assert page.locator(f'tr[data-inspection="{inspection_id}"]').count() == 1
    shot(page, "enforcement-plan")
    page.get_by_test_id("assign-teams").click()  # no officers were drawn: CP-SAT finds no team, and says why
    page.wait_for_selector('#teams [data-testid="form-error"]')
    assert page.get_by_test_id("teams-form").count() == 1  # htmx swapped the section in place
    shot(page, "enforcement-plan-teams-refused")
