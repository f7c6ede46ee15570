"""Accessibility of the main pages, checked by axe-core (from the npm lock file, a dev dependency) in
Debian's chromium: no critical or serious WCAG 2 A/AA violation on the pages a regulator, an enterprise
and the public use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.test_web_browser import _needs_browser, browser, log_in, site  # noqa: F401

AXE = Path(__file__).resolve().parents[1] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = {
    "county": ["/dashboard", "/hazards", "/enterprises", "/monitoring", "/governance", "/dualprevention",
               "/chain", "/accidents", "/tipoffs", "/assessment", "/hazards/import", "/hazards/1"],
    "enterprise": ["/workspace", "/hazards/new", "/monitoring", "/training", "/dualprevention"],
    "officer": ["/enforcement"],
    "insurer": ["/insurance"],
    "admin": ["/standards", "/enforcement/plans/new"],
}


def _violations(tab: Any) -> list[str]:
    tab.add_script_tag(path=str(AXE))
    found = tab.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}}))"
        ".violations.filter(v => v.impact === 'critical' || v.impact === 'serious')"
        ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))"
    )
    return list(found)


@pytest.mark.parametrize("who", list(PAGES))
def test_the_main_pages_have_no_serious_accessibility_violations(browser: Any, site: Any, who: str) -> None:  # noqa: F811
    if not AXE.exists():
        pytest.skip("axe-core is not installed (make assets runs npm ci)")
    context = browser.new_context(locale="zh-CN", bypass_csp=True)  # axe is injected as an inline script
    tab = context.new_page()
    log_in(tab, site, who)
    problems = {}
    for path in PAGES[who]:
        tab.goto(f"{site.url}{path}")
        tab.wait_for_load_state("networkidle")
        found = _violations(tab)
        if found:
            problems[path] = found
    context.close()
    assert problems == {}


def test_the_public_pages_have_no_serious_accessibility_violations(browser: Any, site: Any) -> None:  # noqa: F811
    if not AXE.exists():
        pytest.skip("axe-core is not installed (make assets runs npm ci)")
    context = browser.new_context(locale="zh-CN", bypass_csp=True)
    tab = context.new_page()
    problems = {}
    for path in ("/login", "/tipoff", "/tipoff/status"):
        tab.goto(f"{site.url}{path}")
        found = _violations(tab)
        if found:
            problems[path] = found
    context.close()
    assert problems == {}
