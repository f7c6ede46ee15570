"""The governance pages in a real browser (see tests/test_web_browser.py for the live site and its rules): on a
390 px phone, someone without an account submits a tip-off, reads the receipt code and follows it; the county
regulator opens the tip-off and asks for the reporter's contact; the insurer opens its insured enterprise's
policy page with the visit form; no page scrolls sideways, the console stays clean, screenshots are saved."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.test_web_browser import _needs_browser, browser, log_in, shot, site, watch  # noqa: F401
from zhiben.auth.domain import SYSTEM
from zhiben.insurance import service as insurance
from zhiben.insurance.domain import PolicyTerms

pytestmark = pytest.mark.browser
PHONE = {"locale": "zh-CN", "viewport": {"width": 390, "height": 844}, "is_mobile": True}


def no_sideways_scroll(tab: Any, where: str) -> None:
    width = tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 400, f"{where} scrolls sideways on a phone: {width}px"


def test_a_tipoff_from_a_phone_to_the_handling_regulator(browser: Any, site: Any) -> None:  # noqa: F811
    public = browser.new_context(**PHONE)
    tab = public.new_page()
    problems = watch(tab, site)
    tab.goto(f"{site.url}/tipoff")
    no_sideways_scroll(tab, "/tipoff")
    tab.get_by_label("所在区县代码（6位）").fill("320506")
    tab.get_by_label("举报内容").fill("仓库夜间违规存放桶装溶剂，消防通道堵塞")
    tab.get_by_label("企业名称").fill("苏州吴中精细化工有限公司")
    tab.get_by_label("联系方式").fill("13912345678")
    tab.get_by_role("button", name="提交举报").click()
    code = tab.get_by_test_id("receipt-code").inner_text()
    assert len(code.replace("-", "")) == 16
    no_sideways_scroll(tab, "the receipt")
    shot(tab, "phone-tipoff-receipt")
    tab.goto(f"{site.url}/tipoff/status")
    tab.get_by_label("回执码").fill(code)
    tab.get_by_role("button", name="查询").click()
    assert tab.get_by_test_id("tipoff-state").inner_text() == "已受理"
    assert code not in tab.url
    shot(tab, "phone-tipoff-status")
    public.close()
    assert problems == []

    regulator = browser.new_context(**PHONE)
    tab = regulator.new_page()
    problems = watch(tab, site)
    log_in(tab, site, "county")
    tab.goto(f"{site.url}/tipoffs")
    no_sideways_scroll(tab, "/tipoffs")
    tab.locator('a[href^="/tipoffs/"]').first.click()
    assert "13912345678" not in tab.content()
    tab.get_by_test_id("show-reporter").click()
    assert "13912345678" in tab.get_by_test_id("reporter").inner_text()
    no_sideways_scroll(tab, "a tip-off")
    shot(tab, "phone-tipoff-regulator")
    regulator.close()
    assert problems == []


def test_the_insurer_opens_its_insured_enterprise_on_a_phone(browser: Any, site: Any) -> None:  # noqa: F811
    today = date(2026, 3, 2)
    terms = PolicyTerms(
        "某财产保险公司", "P-BROWSER-1", today - timedelta(days=5), today + timedelta(days=360),
        Decimal(12000), Decimal(500000), 30,
    )  # fmt: skip
    site.db.act(insurance.record_policy, SYSTEM, site.firm, terms)
    phone = browser.new_context(**PHONE)
    tab = phone.new_page()
    problems = watch(tab, site)
    log_in(tab, site, "insurer")
    tab.goto(f"{site.url}/insurance")
    tab.locator(f'a[href="/insurance/enterprises/{site.firm}"]').first.click()
    tab.wait_for_selector('[data-testid="visit-form"]')
    no_sideways_scroll(tab, "the policy page")
    shot(tab, "phone-insurance-enterprise")
    answer = tab.goto(f"{site.url}/insurance/enterprises/{site.other}")
    assert answer is not None and answer.status == 404
    phone.close()
    assert problems == []
