"""The dual-prevention pages in a real browser (see tests/test_web_browser.py for the live site and its rules):
the site's enterprise gets the demo register; its user sees the four-colour chart drawn and the risk map, and
on a 390 px phone records an abnormal check whose hazard the page then links; the county regulator's
division page draws its chart on the phone too. No page scrolls sideways, the console stays clean,
screenshots are saved."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_web_browser import _needs_browser, browser, log_in, shot, site, watch  # noqa: F401
from zhiben.auth.domain import SYSTEM
from zhiben.dualprevention import service

pytestmark = pytest.mark.browser
PHONE = {"locale": "zh-CN", "viewport": {"width": 390, "height": 844}, "is_mobile": True}


def no_sideways_scroll(tab: Any, where: str) -> None:
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"{where} scrolls sideways on a phone: {width}px"


def test_the_risk_chart_and_map_draw_and_a_phone_records_a_check(browser: Any, site: Any) -> None:  # noqa: F811
    seeded = site.db.act(service.seed_dualprevention_demo, SYSTEM, [site.firm])
    assert seeded.units == 4

    desktop = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    tab = desktop.new_page()
    problems = watch(tab, site)
    log_in(tab, site, "enterprise")
    tab.get_by_role("link", name="双重预防").click()
    tab.wait_for_url(f"**/dualprevention/enterprises/{site.firm}")
    tab.wait_for_selector('[data-testid="dp-chart"][data-ready="1"]')
    assert tab.locator('[data-testid="dp-chart"] canvas').count() == 1
    assert tab.get_by_test_id("dp-tile").count() == 4
    shot(tab, "dualprevention-enterprise")
    tab.get_by_test_id("dp-tile").first.click()
    tab.wait_for_selector('[data-testid="dp-unit"]')
    assert tab.get_by_test_id("dp-event").count() >= 1
    shot(tab, "dualprevention-unit")
    desktop.close()
    assert problems == []

    phone = browser.new_context(**PHONE)
    tab = phone.new_page()
    problems = watch(tab, site)
    log_in(tab, site, "enterprise")
    tab.goto(f"{site.url}/dualprevention/enterprises/{site.firm}")
    tab.wait_for_selector('[data-testid="dp-chart"][data-ready="1"]')
    no_sideways_scroll(tab, "the enterprise's dual-prevention page")
    tab.get_by_label("排查结果").select_option("abnormal")
    tab.get_by_label("情况说明").fill("可燃气体检测报警仪显示故障")
    tab.get_by_label("地点").fill("罐区东侧")
    tab.get_by_role("button", name="保存排查记录").click()
    link = tab.get_by_test_id("dp-raised-hazard")
    link.wait_for()
    assert (link.get_attribute("href") or "").startswith("/hazards/")
    tab.wait_for_selector('[data-testid="dp-chart"][data-ready="1"]')
    no_sideways_scroll(tab, "the page after a check")
    shot(tab, "phone-dualprevention-check")
    link.click()
    tab.wait_for_url("**/hazards/*")
    assert "可燃气体检测报警仪显示故障" in tab.content()
    phone.close()
    assert problems == []

    regulator = browser.new_context(**PHONE)
    tab = regulator.new_page()
    problems = watch(tab, site)
    log_in(tab, site, "county")
    tab.goto(f"{site.url}/dualprevention")
    tab.wait_for_selector('[data-testid="dp-chart"][data-ready="1"]')
    assert tab.get_by_test_id("dp-total-enterprises").inner_text() == "1"
    no_sideways_scroll(tab, "the division's dual-prevention page")
    shot(tab, "phone-dualprevention-division")
    tab.get_by_test_id("dp-enterprises").get_by_role("link").first.click()
    tab.wait_for_url(f"**/dualprevention/enterprises/{site.firm}")
    regulator.close()
    assert problems == []
