"""The governance pages of issue 7 through TestClient on both databases: each renders for its role; the scope
rules hold through the pages (an insurer does not reach an enterprise it does not insure; a tip-off's reporter
is shown to the handling regulator only); the public tip-off form works without a session and its receipt
code finds the tip-off by a POSTed form; an accident's page shows the major hazard open when it happened;
referrals, certificates and prevention-service visits go through their forms. The clock stands at
2026-03-02 10:00 Shanghai."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.builders import Db
from tests.web_helpers import login, post_form
from zhiben.auth.domain import SYSTEM, Role
from zhiben.hazard.models import Hazard
from zhiben.insurance import service as insurance
from zhiben.insurance.domain import PolicyTerms
from zhiben.web.i18n import catalogue
from zhiben.web.render import NAVIGATION

SUZHOU, WUZHONG, XUZHOU_COUNTY = "320500", "320506", "320311"
INSURER = "人保财险苏州分公司"
CONTACT = "13912345678"
TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "zhiben" / "web" / "templates"
RECEIPT = re.compile(r'data-testid="receipt-code"[^>]*>([0-9A-Z\-]+)<')


def client_of(db: Db, role: Role, **kwargs: object) -> TestClient:
    client = db.client()
    user = db.user(role, **kwargs)  # type: ignore[arg-type]
    assert login(client, user.username).status_code == 303
    return client


def policy(db: Db, enterprise_id: int, number: str = "PSZ-1") -> None:
    today = date(2026, 3, 2)
    terms = PolicyTerms(
        INSURER,
        number,
        today - timedelta(days=30),
        today + timedelta(days=334),
        Decimal(18000),
        Decimal(500000),
        40,
    )
    db.act(insurance.record_policy, SYSTEM, enterprise_id, terms)


# ---- each page renders for its role -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "paths"),
    [
        (
            Role.regulator,
            [
                "/governance",
                "/chain",
                "/chain/referrals",
                "/accidents",
                "/accidents/new",
                "/tipoffs",
                "/training/warnings",
                "/insurance",
                "/insurance/cover-check",
            ],
        ),
        (Role.department, ["/governance", "/chain/referrals", "/chain", "/training/warnings"]),
        (Role.enterprise, ["/governance", "/accidents", "/accidents/new", "/insurance"]),
        (Role.service_provider, ["/governance", "/insurance"]),
        (Role.admin, ["/governance", "/chain", "/tipoffs", "/accidents"]),
    ],
)
def test_each_governance_page_renders_for_its_role(db: Db, role: Role, paths: list[str]) -> None:
    firm = db.enterprise(county=WUZHONG)
    extra: dict[str, object] = {
        Role.regulator: {"division": SUZHOU},
        Role.department: {"division": SUZHOU, "sectors": "urban_gas"},
        Role.enterprise: {"enterprise_id": firm},
        Role.service_provider: {"provider_org": INSURER},
        Role.admin: {},
    }[role]
    client = client_of(db, role, **extra)
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text[:500])
        assert 'data-testid="whoami"' in response.text
        assert "gov." not in re.sub(r"<[^>]+>", "", response.text), path  # no key shows untranslated


def test_the_nav_gives_each_role_at_most_three_governance_entries_with_words() -> None:
    ours = {"/chain", "/accidents", "/tipoffs", "/governance", "/training", "/insurance", "/chain/referrals"}
    words = catalogue()
    for entries in NAVIGATION.values():
        mine = [key for href, key in entries if href in ours]
        assert len(mine) <= 3 and all(key in words for key in mine)
    links = (TEMPLATES / "governance" / "_links.html").read_text(encoding="utf-8")
    for key in set(re.findall(r"'(gov\.[a-z_]+)'", links)):
        assert key in words and f"{key}.about" in words


def test_an_enterprise_user_lands_on_its_certificates_and_others_are_refused_the_chain(db: Db) -> None:
    firm = db.enterprise(county=WUZHONG)
    client = client_of(db, Role.enterprise, enterprise_id=firm)
    assert (
        client.get("/training", follow_redirects=False).headers["location"] == f"/training/enterprises/{firm}"
    )
    assert client.get("/chain").status_code == 403
    assert client.get("/tipoffs").text.count('href="/tipoffs/') == 0


# ---- chain ---------------------------------------------------------------------------------------------


def test_the_chain_report_marks_gaps_and_a_referral_goes_from_regulator_to_department(db: Db) -> None:
    firm = db.enterprise(county=WUZHONG, sector="urban_gas")
    hazard_id = db.hazard(firm)
    regulator = client_of(db, Role.regulator, division=SUZHOU)
    report = regulator.get("/chain")
    assert report.status_code == 200 and 'data-gap="1"' in report.text
    assert int(re.search(r'data-testid="gap-count">(\d+)<', report.text).group(1)) > 0  # type: ignore[union-attr]
    assert regulator.get("/chain?division=320300").status_code == 404  # not its jurisdiction

    form = regulator.get(f"/chain/referrals/new?hazard_id={hazard_id}")
    assert form.status_code == 200 and 'data-testid="referral-hazard"' in form.text
    refused = post_form(
        regulator, "/chain/referrals/new", {"hazard_id": hazard_id, "reason": ""}, token_from="/chain"
    )
    assert refused.status_code == 422 and 'data-testid="field-error"' in refused.text
    created = post_form(
        regulator,
        "/chain/referrals/new",
        {"hazard_id": hazard_id, "reason": "燃气经营环节隐患", "department": "housing_construction"},
        token_from="/chain",
    )
    assert created.status_code == 303, created.text
    path = created.headers["location"]
    detail = regulator.get(path)
    assert "已移送" in detail.text and 'data-testid="no-actions"' in detail.text  # the regulator only refers

    housing = client_of(db, Role.department, division=SUZHOU, sectors="urban_gas")
    transport = client_of(db, Role.department, division=SUZHOU, sectors="road_transport")
    assert transport.get(path).status_code == 404
    assert path not in transport.get("/chain/referrals").text
    assert path in housing.get("/chain/referrals").text
    assert 'data-testid="do-acknowledge"' in housing.get(path).text
    ack = post_form(housing, f"{path}/acknowledge", {}, token_from="/chain/referrals")
    assert ack.status_code == 303
    empty = post_form(housing, f"{path}/outcome", {"outcome": ""}, token_from="/chain/referrals")
    assert empty.status_code == 422
    done = post_form(housing, f"{path}/outcome", {"outcome": "已责令停止经营"}, token_from="/chain/referrals")
    assert done.status_code == 303
    assert "已责令停止经营" in housing.get(path).text and "已办结" in regulator.get(path).text


# ---- accidents -----------------------------------------------------------------------------------------


def test_an_accident_page_shows_the_major_hazard_open_when_it_happened(db: Db) -> None:
    firm = db.enterprise(county=WUZHONG)
    hazard_id = db.hazard(firm)  # a major hazard found an hour ago, still open
    with db.uow(write=False) as uow:
        hazard = uow.session.get(Hazard, hazard_id)
        assert hazard is not None
        number = hazard.number
    regulator = client_of(db, Role.regulator, division=WUZHONG)
    data = {
        "enterprise_id": firm,
        "title": "储罐区泄漏中毒",
        "kind": "other",
        "occurred_at": "2026-03-02T09:30",
        "deaths": "1",
        "serious_injuries": "2",
        "direct_loss_yuan": "1200000",
    }
    bad = post_form(regulator, "/accidents/new", {**data, "deaths": "-1"}, token_from="/accidents")
    assert bad.status_code == 422 and 'value="储罐区泄漏中毒"' in bad.text
    created = post_form(regulator, "/accidents/new", data, token_from="/accidents")
    assert created.status_code == 303, created.text
    path = created.headers["location"]
    page = regulator.get(path)
    assert page.status_code == 200
    assert "事发时该企业有未销号的重大事故隐患" in page.text
    assert f'href="/hazards/{hazard_id}">{number}</a>' in page.text
    assert "一般事故" in page.text  # one death: ordinary (Decree 493 Art. 3)
    assert "step-overdue" not in page.text

    update = post_form(
        regulator,
        f"{path}/casualties",
        {
            "deaths": "3",
            "serious_injuries": "2",
            "direct_loss_yuan": "1200000",
            "note": "两人医治无效",
            "version": re.search(r'name="version" value="(\d+)"', page.text).group(1),  # type: ignore[union-attr]
        },
        token_from=path,
    )
    assert update.status_code == 303, update.text
    page = regulator.get(path)
    assert "一般事故 → 较大事故" in page.text and "两人医治无效" in page.text

    db.clock.advance(timedelta(hours=3))  # the unit's 1-hour report was never recorded
    assert 'data-testid="step-overdue"' in regulator.get(path).text
    listed = regulator.get("/accidents?major_open=yes").text
    assert path in listed
    assert path not in regulator.get("/accidents?major_open=no").text

    owner = client_of(db, Role.enterprise, enterprise_id=firm)
    assert owner.get(path).status_code == 200
    stranger = client_of(db, Role.enterprise, enterprise_id=db.enterprise(county=WUZHONG))
    assert stranger.get(path).status_code == 404


# ---- tip-offs ------------------------------------------------------------------------------------------


def submit_public(client: TestClient, **extra: str) -> str:
    body = {
        "county_code": WUZHONG,
        "content": "仓库夜间违规存放桶装溶剂",
        "enterprise_name": "某化工公司",
        "reporter_name": "王先生",
        "reporter_contact": CONTACT,
        **extra,
    }
    response = client.post("/tipoff", data=body, follow_redirects=False)
    assert response.status_code == 200, response.text
    found = RECEIPT.search(response.text)
    assert found, response.text
    return found.group(1)


def test_the_public_submits_without_a_session_and_follows_by_a_posted_receipt_code(db: Db) -> None:
    public = db.client()
    form = public.get("/tipoff")
    assert form.status_code == 200 and 'data-testid="tipoff-form"' in form.text
    assert 'data-testid="whoami"' not in form.text
    refused = public.post("/tipoff", data={"county_code": WUZHONG, "content": "有隐患"})
    assert refused.status_code == 422 and "有隐患" in refused.text  # the place or enterprise is missing
    code = submit_public(public)
    assert len(code.replace("-", "")) == 16
    assert public.get("/tipoff/status").status_code == 200
    found = public.post("/tipoff/status", data={"receipt_code": code.lower()})
    assert found.status_code == 200 and 'data-testid="tipoff-state">已受理<' in found.text
    assert code not in str(found.url) and CONTACT not in found.text
    missing = public.post("/tipoff/status", data={"receipt_code": "ABCD-EFGH-JKMN-PQRS"})
    assert missing.status_code == 404 and 'data-testid="form-error"' in missing.text
    english = public.get("/tipoff", headers={"accept-language": "en"})
    assert "Report a safety hazard" in english.text


def test_public_submissions_through_the_page_share_the_apis_rate_limit(db: Db) -> None:
    public = db.client()
    body = {"county_code": WUZHONG, "content": "违规储存", "place": "某村仓库"}
    codes = [public.post("/tipoff", data=body).status_code for _ in range(5)]
    assert codes == [200] * 5
    assert public.post("/api/v1/public/tipoffs", json=body).status_code == 429
    limited = public.post("/tipoff", data=body)
    assert limited.status_code == 429 and "某村仓库" in limited.text


def test_the_reporters_contact_reaches_the_handling_regulator_only(db: Db) -> None:
    firm = db.enterprise(county=WUZHONG)
    code = submit_public(db.client())
    assert code
    county = client_of(db, Role.regulator, division=WUZHONG)
    listing = county.get("/tipoffs")
    found = re.search(r'href="/tipoffs/(\d+)"', listing.text)
    assert found, listing.text
    path = f"/tipoffs/{found.group(1)}"
    page = county.get(path)
    assert page.status_code == 200 and CONTACT not in page.text  # only on request
    shown = post_form(county, f"{path}/reporter", {}, token_from=path)
    assert shown.status_code == 200 and CONTACT in shown.text and "王先生" in shown.text
    assert shown.headers["cache-control"] == "no-store"

    others = [
        client_of(db, Role.enterprise, enterprise_id=firm),
        client_of(db, Role.department, division=WUZHONG, sectors="hazchem_production"),
        client_of(db, Role.regulator, division=XUZHOU_COUNTY),
    ]
    for client in others:
        assert client.get(path).status_code == 404
        asked = post_form(client, f"{path}/reporter", {}, token_from="/governance")
        assert asked.status_code == 404 and CONTACT not in asked.text
        assert CONTACT not in client.get("/tipoffs").text

    admin = client_of(db, Role.admin)  # sees the tip-off, not its reporter
    assert admin.get(path).status_code == 200 and 'data-testid="show-reporter"' not in admin.get(path).text


def test_a_regulator_verifies_a_tipoff_into_a_hazard_and_publishes_the_outcome(db: Db) -> None:
    firm = db.enterprise(county=WUZHONG)
    public = db.client()
    code = submit_public(public)
    county = client_of(db, Role.regulator, division=WUZHONG)
    path = "/tipoffs/" + re.search(r'href="/tipoffs/(\d+)"', county.get("/tipoffs").text).group(1)  # type: ignore[union-attr]
    assert post_form(county, f"{path}/act/start", {"version": "1"}, token_from=path).status_code == 303
    missing = post_form(county, f"{path}/act/substantiate", {"enterprise_id": firm}, token_from=path)
    assert missing.status_code == 422
    done = post_form(
        county,
        f"{path}/act/substantiate",
        {
            "enterprise_id": firm,
            "hazard_description": "东侧仓库超量存放桶装溶剂",
            "finding": "现场核查属实",
            "level": "general",
            "public_outcome": "经核查属实，已责令整改。",
        },
        token_from=path,
    )
    assert done.status_code == 303, done.text
    page = county.get(path)
    assert "属实" in page.text and 'href="/hazards/' in page.text
    followed = public.post("/tipoff/status", data={"receipt_code": code})
    assert "经核查属实，已责令整改。" in followed.text
    fine = post_form(county, f"{path}/act/fine", {"fine_yuan": "50000"}, token_from=path)
    assert fine.status_code == 303 and "7500" in county.get(path).text


# ---- training ------------------------------------------------------------------------------------------


def test_an_enterprise_adds_a_certificate_sees_its_expiry_warning_and_revokes_it(db: Db) -> None:
    firm = db.enterprise(county=WUZHONG)
    owner = client_of(db, Role.enterprise, enterprise_id=firm)
    path = f"/training/enterprises/{firm}"
    cert = {
        "person_name": "李强",
        "id_number": "11010519491231002X",
        "kind": "principal",
        "number": "A-2023-0001",
        "issuer": "苏州市应急管理局",
        "issued_on": "2023-03-20",
        "valid_until": "2026-03-19",
    }
    bad = post_form(owner, f"{path}/certificates", {**cert, "id_number": "123"}, token_from=path)
    assert (
        bad.status_code == 422
        and "A-2023-0001" in bad.text
        and "123" not in re.findall(r'value="([^"]*)"', bad.text)
    )
    added = post_form(owner, f"{path}/certificates", cert, token_from=path)
    assert added.status_code == 303, added.text
    page = owner.get(path)
    assert "110105********002X" in page.text and "11010519491231002X" not in page.text
    assert 'data-testid="certificate-warning">即将到期 · 17 天' in page.text

    regulator = client_of(db, Role.regulator, division=SUZHOU)
    warnings = regulator.get("/training/warnings")
    assert "李强" in warnings.text and 'data-testid="count-expiring">1<' in warnings.text
    far = client_of(db, Role.regulator, division=XUZHOU_COUNTY)
    assert "李强" not in far.get("/training/warnings").text
    assert far.get(path).status_code == 404

    cert_id = re.search(r'data-testid="revoke-(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    revoked = post_form(owner, f"/training/certificates/{cert_id}/revoke", {"version": "1"}, token_from=path)
    assert revoked.status_code == 303
    assert "已吊销" in owner.get(path).text and "李强" not in regulator.get("/training/warnings").text


# ---- insurance -----------------------------------------------------------------------------------------


def test_an_insurer_reaches_only_the_enterprises_it_insures_and_records_a_visit(db: Db) -> None:
    insured = db.enterprise(county=WUZHONG)
    uninsured = db.enterprise(county=WUZHONG)
    policy(db, insured)
    insurer = client_of(db, Role.service_provider, provider_org=INSURER)
    listing = insurer.get("/insurance")
    assert f'href="/insurance/enterprises/{insured}"' in listing.text
    assert f"/insurance/enterprises/{uninsured}" not in listing.text
    assert insurer.get(f"/insurance/enterprises/{uninsured}").status_code == 404
    rival = client_of(db, Role.service_provider, provider_org="平安产险苏州分公司")
    assert rival.get(f"/insurance/enterprises/{insured}").status_code == 404

    path = f"/insurance/enterprises/{insured}"
    page = insurer.get(path)
    assert page.status_code == 200 and "PSZ-1" in page.text and 'data-testid="visit-form"' in page.text
    assert 'data-testid="floating-pct"' in page.text and "-10%" in page.text  # accident-free, no major hazard
    refused = post_form(
        insurer, f"{path}/visits", {"visited_at": "2026-03-02T09:00", "summary": ""}, token_from=path
    )
    assert refused.status_code == 422
    visit = post_form(
        insurer,
        f"{path}/visits",
        {
            "visited_at": "2026-03-02T09:00",
            "summary": "事故预防服务：储罐区巡查",
            "experts": "张工",
            "hazard_1": "储罐区静电接地线断开",
            "location_1": "2号储罐",
        },
        token_from=path,
    )
    assert visit.status_code == 303, visit.text
    page = insurer.get(path)
    assert "事故预防服务：储罐区巡查" in page.text
    hazard_id = re.search(r'href="/hazards/(\d+)">#', page.text).group(1)  # type: ignore[union-attr]
    with db.uow(write=False) as uow:
        hazard = uow.session.get(Hazard, int(hazard_id))
        assert hazard is not None and hazard.source == "service" and hazard.enterprise_id == insured
    blocked = post_form(
        insurer,
        f"/insurance/enterprises/{uninsured}/visits",
        {"visited_at": "2026-03-02T09:00", "summary": "x"},
        token_from=path,
    )
    assert blocked.status_code == 404


def test_the_regulator_sees_the_mandatory_cover_check_and_the_floating_follows_accidents(db: Db) -> None:
    lacking = db.enterprise(county=WUZHONG, sector="hazchem_production")
    insured = db.enterprise(county=WUZHONG, sector="hazchem_production")
    policy(db, insured)
    regulator = client_of(db, Role.regulator, division=SUZHOU)
    check = regulator.get("/insurance/cover-check")
    assert check.status_code == 200
    assert (
        f'href="/enterprises/{lacking}"' in check.text and f'href="/enterprises/{insured}"' not in check.text
    )
    accident = {
        "enterprise_id": insured,
        "title": "机械伤害",
        "kind": "other",
        "occurred_at": "2026-03-01T09:30",
        "deaths": "1",
    }
    assert post_form(regulator, "/accidents/new", accident, token_from="/accidents").status_code == 303
    page = regulator.get(f"/insurance/enterprises/{insured}")
    assert "发生一般事故" in page.text and 'data-testid="visit-form"' not in page.text
