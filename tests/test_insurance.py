"""Safety liability insurance (M11): policies give their insurer its scope (an insurer sees only the
enterprises it insures), the mandatory-cover check, prevention-service visits recording hazards, and the
premium-floating suggestion. The clock stands at 2026-03-02 10:00 Shanghai."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.builders import Db, auth_header
from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.auth.models import ServiceContract
from zhiben.enterprise import service as enterprises
from zhiben.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel
from zhiben.hazard.models import Hazard
from zhiben.insurance import service
from zhiben.insurance.domain import (
    CoverProblem,
    InsuredEnterprise,
    PolicyCover,
    PolicyTerms,
    SafetyRecord,
    cover_findings,
    floating_suggestion,
    measures,
)
from zhiben.insurance.seed import seed_insurance_demo
from zhiben.kit.clock import SHANGHAI

TODAY = date(2026, 3, 2)
COUNTY, OTHER_COUNTY = "320311", "320312"
INSURER, RIVAL = "人保财险徐州分公司", "平安产险徐州分公司"


def terms(
    number: str = "P-1",
    insurer: str = INSURER,
    cover: int = 400_000,
    starts: date = TODAY - timedelta(days=10),
    days: int = 365,
) -> PolicyTerms:
    return PolicyTerms(
        insurer, number, starts, starts + timedelta(days=days - 1), Decimal("18000.00"), Decimal(cover), 60
    )


def insurer_on(db: Db, day: date, org: str = INSURER) -> Principal:
    return replace(db.user(Role.service_provider, provider_org=org), as_of=day)


# --- pure rules ---------------------------------------------------------------------------------------


def test_the_2025_measures_are_data_with_their_citations() -> None:
    rules = measures()
    assert rules.minimum_cover_yuan == Decimal(400_000)
    assert "第十五条" in rules.cover_citation and "第二条" in rules.mandatory_citation
    assert rules.category_of("hazchem_trading") == "hazardous_chemicals"
    assert rules.category_of("coal_mine") == "mining"
    assert rules.category_of("industry_trade_textile") is None


def test_a_mandatory_sector_without_a_policy_and_a_policy_below_the_minimum_are_flagged() -> None:
    rules = measures()
    subjects = [
        InsuredEnterprise(1, "fireworks", "32"),
        InsuredEnterprise(2, "construction", "32"),
        InsuredEnterprise(3, "industry_trade_textile", "32"),
        InsuredEnterprise(4, "other", "32"),
    ]
    covers = [PolicyCover(10, 2, Decimal(400_000)), PolicyCover(11, 3, Decimal(300_000))]
    found = {(f.enterprise_id, f.problem) for f in cover_findings(subjects, covers, rules)}
    assert found == {(1, CoverProblem.no_policy), (3, CoverProblem.cover_below_minimum)}


def test_floating_takes_the_worst_accident_adds_hazard_rules_and_is_capped() -> None:
    rules = measures().floating
    clean = floating_suggestion(SafetyRecord({}, 0, 0), rules)
    assert clean.pct == -10 and [s.reason for s in clean.steps] == ["accident_free"]
    one = floating_suggestion(SafetyRecord({"ordinary": 2, "relatively_serious": 1}, 1, 0), rules)
    assert one.pct == 25 and not one.is_capped  # 20 (较大) + 5 (a major hazard found)
    worst = floating_suggestion(SafetyRecord({"serious": 1}, 3, 1), rules)
    assert worst.pct == 30 and worst.is_capped  # 30 + 5 + 10 = 45, capped at 30
    assert "S8.5" in worst.steps[0].source and "no source" in worst.steps[-1].source
    with pytest.raises(InvalidInputError):
        floating_suggestion(SafetyRecord({"catastrophic": 1}, 0, 0), rules)


# --- stored -------------------------------------------------------------------------------------------


def test_an_insurer_sees_only_the_enterprises_it_insures(db: Db) -> None:
    insured, other = db.enterprise(county=COUNTY), db.enterprise(county=COUNTY)
    county = db.user(Role.regulator, division=COUNTY)
    policy = db.act(service.record_policy, county, insured, terms())
    insurer = insurer_on(db, TODAY)
    assert db.act(enterprises.get_enterprise, insurer, insured).id == insured
    with pytest.raises(NotFoundError):
        db.act(enterprises.get_enterprise, insurer, other)
    with pytest.raises(NotFoundError):
        db.act(service.suggest_floating, insurer, other)
    with pytest.raises(NotFoundError):
        db.act(enterprises.get_enterprise, insurer_on(db, TODAY, RIVAL), insured)
    after = TODAY - timedelta(days=10) + timedelta(days=365)
    with pytest.raises(NotFoundError):
        db.act(enterprises.get_enterprise, insurer_on(db, after), insured)
    with db.uow(write=False) as uow:
        contract = uow.session.get(ServiceContract, policy.contract_id)
        assert contract is not None and contract.kind == "insurance" and contract.provider_org == INSURER


def test_cancelling_a_policy_ends_the_insurers_access_from_that_day(db: Db) -> None:
    insured = db.enterprise(county=COUNTY)
    policy = db.act(service.record_policy, SYSTEM, insured, terms())
    db.act(service.cancel_policy, SYSTEM, policy.id, TODAY + timedelta(days=5), policy.version)
    assert (
        db.act(enterprises.get_enterprise, insurer_on(db, TODAY + timedelta(days=4)), insured).id == insured
    )
    with pytest.raises(NotFoundError):
        db.act(enterprises.get_enterprise, insurer_on(db, TODAY + timedelta(days=5)), insured)


def test_only_a_regulator_over_the_enterprise_or_an_administrator_records_a_policy(db: Db) -> None:
    insured = db.enterprise(county=COUNTY)
    db.act(service.record_policy, SYSTEM, insured, terms("P-0"))
    insurer = insurer_on(db, TODAY)
    with pytest.raises(PermissionDeniedError):
        db.act(service.record_policy, insurer, insured, terms("P-2"))
    with pytest.raises(PermissionDeniedError):
        db.act(service.record_policy, db.user(Role.enterprise, enterprise_id=insured), insured, terms("P-3"))
    with pytest.raises(NotFoundError):
        db.act(service.record_policy, db.user(Role.regulator, division=OTHER_COUNTY), insured, terms("P-4"))


def test_an_insurer_does_not_see_a_rivals_policy_on_the_same_enterprise(db: Db) -> None:
    firm = db.enterprise(county=COUNTY)
    mine = db.act(service.record_policy, SYSTEM, firm, terms("P-1"))
    theirs = db.act(service.record_policy, SYSTEM, firm, terms("Q-1", insurer=RIVAL))
    insurer = insurer_on(db, TODAY)
    page = db.act(service.list_policies, insurer, service.PolicyFilter(), service.PageRequest())
    assert [p.id for p in page.items] == [mine.id]
    with pytest.raises(NotFoundError):
        db.act(service.get_policy, insurer, theirs.id)


def test_the_cover_check_flags_missing_and_low_cover_in_the_callers_area(db: Db) -> None:
    bare = db.enterprise(county=COUNTY, sector="hazchem_production")
    low = db.enterprise(county=COUNTY, sector="construction")
    fine = db.enterprise(county=COUNTY, sector="coal_mine")
    db.enterprise(county=COUNTY, sector="other")  # not a mandatory sector
    far = db.enterprise(county=OTHER_COUNTY, sector="fireworks")
    lapsed = db.enterprise(county=COUNTY, sector="fireworks")
    db.act(service.record_policy, SYSTEM, low, terms("P-low", cover=300_000))
    db.act(service.record_policy, SYSTEM, fine, terms("P-fine"))
    db.act(service.record_policy, SYSTEM, lapsed, terms("P-old", starts=TODAY - timedelta(days=400)))
    county = db.user(Role.regulator, division=COUNTY)
    found = {(f.enterprise_id, f.problem) for f in db.act(service.check_cover, county, TODAY)}
    assert found == {
        (bare, CoverProblem.no_policy),
        (lapsed, CoverProblem.no_policy),
        (low, CoverProblem.cover_below_minimum),
    }
    assert (far, CoverProblem.no_policy) in {
        (f.enterprise_id, f.problem) for f in db.act(service.check_cover, SYSTEM)
    }
    with pytest.raises(PermissionDeniedError):
        db.act(service.check_cover, insurer_on(db, TODAY))


def test_a_prevention_visit_reports_its_hazards_into_the_registry(db: Db) -> None:
    insured, other = db.enterprise(county=COUNTY), db.enterprise(county=COUNTY)
    db.act(service.record_policy, SYSTEM, insured, terms())
    insurer = insurer_on(db, TODAY)
    visit = service.VisitDraft(
        db.clock.now() - timedelta(hours=1),
        "事故预防服务：现场检查",
        "注册安全工程师 周明",
        (service.FoundHazard("消防通道堵塞", "成品仓库"), service.FoundHazard("配电箱未接地")),
    )
    saved = db.act(service.record_visit, insurer, insured, visit)
    assert len(saved.hazard_ids) == 2
    county = db.user(Role.regulator, division=COUNTY)
    for hazard_id in saved.hazard_ids:
        hazard = db.act(hazards.get_hazard, county, hazard_id)
        assert (hazard.source, hazard.enterprise_id, hazard.level) == ("service", insured, None)
    with pytest.raises(NotFoundError):
        db.act(service.record_visit, insurer, other, visit)
    with pytest.raises(PermissionDeniedError):
        db.act(service.record_visit, county, insured, visit)
    assert [v.id for v in db.act(service.list_visits, county, insured)] == [saved.id]
    assert db.act(service.list_visits, insurer_on(db, TODAY, RIVAL)) == []


def test_the_floating_suggestion_counts_major_hazards_from_the_registry(db: Db) -> None:
    firm = db.enterprise(county=COUNTY)
    db.hazard(firm)
    db.hazard(firm)
    db.hazard(firm, level=HazardLevel.general)
    with db.uow() as uow:  # one went overdue (the overdue job's mark)
        first = uow.session.scalars(
            select(Hazard).where(Hazard.enterprise_id == firm).order_by(Hazard.id)
        ).first()
        assert first is not None
        first.overdue_since = db.clock.now()
    tomorrow = TODAY + timedelta(days=1)
    result = db.act(service.suggest_floating, SYSTEM, firm, None, tomorrow)
    assert (result.record.major_hazards_found, result.record.major_hazards_overdue) == (2, 1)
    assert not result.accidents_given
    assert result.suggestion.pct == -10 + 5 + 10
    graded = db.act(service.suggest_floating, SYSTEM, firm, {"ordinary": 1}, tomorrow)
    assert graded.accidents_given and graded.suggestion.pct == 10 + 5 + 10
    assert db.act(service.suggest_floating, SYSTEM, firm, {}, TODAY - timedelta(days=1)).suggestion.pct == -10


def test_the_demo_seed_makes_policies_a_low_cover_finding_and_a_visit_hazard(db: Db) -> None:
    firms = [db.enterprise(county=COUNTY, sector="hazchem_storage") for _ in range(3)]
    made = db.act(seed_insurance_demo, SYSTEM, firms)
    assert [p.enterprise_id for p in made] == firms[:2]
    found = {(f.enterprise_id, f.problem) for f in db.act(service.check_cover, SYSTEM, TODAY)}
    assert found == {(firms[1], CoverProblem.cover_below_minimum), (firms[2], CoverProblem.no_policy)}
    assert len(db.act(service.list_visits, SYSTEM, firms[0])[0].hazard_ids) == 1


# --- API and CLI ------------------------------------------------------------------------------------------


def test_the_api_keeps_an_insurer_to_its_insured_enterprises(db: Db) -> None:
    insured, other = db.enterprise(county=COUNTY), db.enterprise(county=COUNTY, sector="fireworks")
    db.user(Role.regulator, division=COUNTY, username="county-official")
    db.user(Role.service_provider, provider_org=INSURER, username="insurer-user")
    client = db.client()
    county = auth_header(client, "county-official")
    body = {
        "insurer_org": INSURER,
        "policy_number": "PICC-2026-001",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "premium_yuan": "18000.00",
        "cover_per_person_yuan": "400000",
        "insured_headcount": 60,
    }
    created = client.post(f"/api/v1/enterprises/{insured}/insurance-policies", json=body, headers=county)
    assert created.status_code == 201, created.text
    insurer = auth_header(client, "insurer-user")
    assert client.get(f"/api/v1/enterprises/{insured}", headers=insurer).status_code == 200
    assert client.get(f"/api/v1/enterprises/{other}", headers=insurer).status_code == 404
    assert (
        client.post(f"/api/v1/enterprises/{other}/insurance-policies", json=body, headers=insurer).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/enterprises/{insured}/insurance-policies", json=body, headers=insurer
        ).status_code
        == 403
    )
    visit = {
        "visited_at": datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI).isoformat(),
        "summary": "现场检查",
        "hazards": [{"description": "动火作业未审批", "location": "二车间"}],
    }
    made = client.post(f"/api/v1/enterprises/{insured}/prevention-visits", json=visit, headers=insurer)
    assert made.status_code == 201, made.text
    assert (
        client.post(f"/api/v1/enterprises/{other}/prevention-visits", json=visit, headers=insurer).status_code
        == 404
    )
    hazard_id = made.json()["hazard_ids"][0]
    assert client.get(f"/api/v1/hazards/{hazard_id}", headers=county).json()["source"] == "service"
    policies = client.get("/api/v1/insurance-policies", headers=insurer).json()
    assert [p["enterprise_id"] for p in policies["items"]] == [insured]
    check = client.get("/api/v1/insurance-policies/cover-check", headers=county).json()
    assert [(f["enterprise_id"], f["problem"]) for f in check["findings"]] == [(other, "no_policy")]
    assert client.get("/api/v1/insurance-policies/cover-check", headers=insurer).status_code == 403
    floating = client.post(
        f"/api/v1/enterprises/{insured}/premium-floating",
        json={"accidents": {"ordinary": 1}},
        headers=insurer,
    )
    assert floating.status_code == 200 and floating.json()["pct"] == 10
    assert (
        client.post(f"/api/v1/enterprises/{other}/premium-floating", json={}, headers=insurer).status_code
        == 404
    )
    bad = client.post(
        f"/api/v1/enterprises/{insured}/premium-floating", json={"accidents": {"huge": 1}}, headers=county
    )
    assert bad.status_code == 422


def test_the_cli_checks_mandatory_cover(db: Db, cli: object) -> None:
    from typer.testing import CliRunner

    from zhiben.cli.main import app

    assert isinstance(cli, CliRunner)
    bare = db.enterprise(county=COUNTY, sector="coal_mine")
    result = cli.invoke(app, ["insurance", "check-cover", "--on", TODAY.isoformat()])
    assert result.exit_code == 1 and f'"enterprise_id": {bare}' in result.stdout
    added = cli.invoke(
        app,
        [
            "insurance", "add-policy", str(bare), "--insurer", INSURER, "--number", "C-1",
            "--starts-on", "2026-01-01", "--ends-on", "2026-12-31", "--premium", "9000", "--cover-per-person", "400000",
        ],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert cli.invoke(app, ["insurance", "check-cover", "--on", TODAY.isoformat()]).exit_code == 0


def test_days_out_of_range_are_input_errors(db: Db) -> None:
    firm = db.enterprise(county=COUNTY)
    with pytest.raises(InvalidInputError):
        db.act(service.record_policy, SYSTEM, firm, terms(starts=date(9999, 1, 1), days=1))
    with pytest.raises(InvalidInputError):
        db.act(service.suggest_floating, SYSTEM, firm, None, date(1, 1, 1))
    with pytest.raises(InvalidInputError):
        db.act(service.check_cover, SYSTEM, TODAY, "x")
