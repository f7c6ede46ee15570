"""Anonymous tip-offs: receipt codes, the reward clamp at both ends, feedback deadlines, the public form and
follow-up (no account, rate-limited), verification into a hazard, and the rule that nobody but the handling
regulator sees a reporter's contact, not even in the audit log."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.builders import Db, auth_header
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.errors import InvalidInputError, NotFoundError, TipoffTransitionError
from zhiben.hazard import service as hazards
from zhiben.tipoff import service
from zhiben.tipoff.domain import (
    ALPHABET,
    CODE_LENGTH,
    Submission,
    TipoffState,
    deadlines,
    display_receipt_code,
    new_receipt_code,
    next_state,
    normalise_receipt_code,
    receipt_hash,
    reward_for,
    tipoff_rules,
)

RULES = tipoff_rules()
COUNTY, OTHER = "320311", "320312"
CONTACT, NAME = "13912345678", "李女士"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


# ---------------------------------------------------------------- pure


def test_a_receipt_code_is_16_characters_of_a_safe_alphabet_and_reads_back_leniently() -> None:
    code = new_receipt_code()
    assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    assert not set("ILOU") & set(ALPHABET)
    shown = display_receipt_code(code)
    assert normalise_receipt_code(shown.lower()) == code
    assert normalise_receipt_code("OIL0-0000-0000-0000") == "0110000000000000"
    assert normalise_receipt_code("too-short") is None and normalise_receipt_code("U" * 16) is None
    assert receipt_hash(code) != code and len(receipt_hash(code)) == 64


@pytest.mark.parametrize(
    ("fine", "reward"),
    [
        ("1000", "3000"),  # 150 → the minimum
        ("19999.99", "3000"),  # 2,999.9985 → the minimum
        ("20000", "3000.00"),  # exactly the minimum
        ("100000", "15000.00"),
        ("2000000", "300000.00"),  # exactly the maximum
        ("2000000.01", "300000"),  # just above → the maximum
        ("50000000", "300000"),
    ],
)
def test_the_reward_is_15_percent_of_the_fine_clamped_to_3000_and_300000_yuan(fine: str, reward: str) -> None:
    assert reward_for(Decimal(fine), RULES) == Decimal(reward)


def test_no_fine_no_reward() -> None:
    with pytest.raises(InvalidInputError):
        reward_for(Decimal(0), RULES)


def test_feedback_is_due_10_days_after_the_verification_ends_and_overdue_one_second_later() -> None:
    concluded = T0 + timedelta(days=3)
    due = deadlines(T0, concluded, None, concluded + timedelta(days=10), RULES)
    assert due.feedback_due_at == concluded + timedelta(days=10) and not due.is_feedback_overdue
    assert deadlines(
        T0, concluded, None, concluded + timedelta(days=10, seconds=1), RULES
    ).is_feedback_overdue
    fed_back = concluded + timedelta(days=2)
    assert not deadlines(T0, concluded, fed_back, concluded + timedelta(days=40), RULES).is_feedback_overdue


def test_no_verification_deadline_is_flagged_until_the_rules_give_one() -> None:
    late = T0 + timedelta(days=365)
    assert deadlines(T0, None, None, late, RULES).verification_due_at is None
    local = replace(RULES, verification_period=timedelta(days=30))
    assert not deadlines(T0, None, None, T0 + timedelta(days=30), local).is_verification_overdue
    assert deadlines(T0, None, None, T0 + timedelta(days=30, seconds=1), local).is_verification_overdue


def test_a_tipoff_is_verified_before_it_is_concluded() -> None:
    with pytest.raises(TipoffTransitionError):
        next_state(TipoffState.received, service.TipoffAction.substantiate)
    assert next_state(TipoffState.verifying, service.TipoffAction.dismiss) == TipoffState.unsubstantiated


# ---------------------------------------------------------------- stored


@pytest.fixture
def cast(db: Db) -> dict[str, Principal | int]:
    firm = db.enterprise(county=COUNTY, sector="hazchem_production")
    db.contract("平安保险", firm)
    return {
        "firm": firm,
        "owner": db.user(Role.enterprise, enterprise_id=firm, username="tip-owner"),
        "county": db.user(Role.regulator, division=COUNTY, username="tip-county"),
        "city": db.user(Role.regulator, division="320300", username="tip-city"),
        "far": db.user(Role.regulator, division=OTHER, username="tip-far"),
        "officer": db.user(Role.officer, division=COUNTY),
        "department": db.user(Role.department, division=COUNTY, sectors="hazchem_production"),
        "insurer": db.user(Role.service_provider, provider_org="平安保险", username="tip-insurer"),
        "admin": db.user(Role.admin),
    }


def p(cast: dict[str, Principal | int], key: str) -> Principal:
    value = cast[key]
    assert isinstance(value, Principal)
    return value


def firm_of(cast: dict[str, Principal | int]) -> int:
    value = cast["firm"]
    assert isinstance(value, int)
    return value


def submission(**kw: str) -> Submission:
    fields = {
        "county_code": COUNTY,
        "content": "夜间违规动火作业，无人监护",
        "enterprise_name": "某化工公司",
        "reporter_name": NAME,
        "reporter_contact": CONTACT,
    } | kw
    return Submission(**fields)


def substantiation(firm: int) -> service.Substantiation:
    return service.Substantiation(
        enterprise_id=firm,
        hazard_description="动火作业未办理作业票、无监护人",
        finding="现场核查属实",
        public_outcome="经核查属实，已责令整改。",
    )


def test_nobody_but_the_handling_regulator_sees_the_reporters_contact(
    db: Db, cast: dict[str, Principal | int]
) -> None:
    tipoff, _ = db.act(service.submit_tipoff, None, submission())
    for who in ("county", "city"):  # the county's regulators, and those above them
        found = db.act(service.reporter_of, p(cast, who), tipoff.id)
        assert (found.name, found.contact) == (NAME, CONTACT)
    for who in ("owner", "insurer", "department", "far", "officer", "admin"):
        with pytest.raises(NotFoundError):
            db.act(service.reporter_of, p(cast, who), tipoff.id)
    for who in ("owner", "insurer", "department", "far"):  # nor the tip-off itself
        with pytest.raises(NotFoundError), db.uow(write=False) as uow:
            service.get_tipoff(uow.session, p(cast, who), tipoff.id)


def test_a_substantiated_tipoff_becomes_a_hazard_whose_source_the_enterprise_sees(
    db: Db, cast: dict[str, Principal | int]
) -> None:
    tipoff, _ = db.act(service.submit_tipoff, None, submission())
    db.act(service.start_verification, p(cast, "county"), tipoff.id)
    done = db.act(service.substantiate_tipoff, p(cast, "county"), tipoff.id, substantiation(firm_of(cast)))
    assert done.state == TipoffState.substantiated and done.hazard_id is not None
    with db.uow(write=False) as uow:
        hazard = hazards.get_hazard(uow.session, p(cast, "owner"), done.hazard_id)
        assert hazard.source == "tipoff" and hazard.found_by == p(cast, "county").audit_name
        assert CONTACT not in hazard.description and NAME not in hazard.description


def test_audit_entries_never_hold_the_reporters_contact_or_the_receipt_code(
    db: Db, cast: dict[str, Principal | int]
) -> None:
    tipoff, code = db.act(service.submit_tipoff, None, submission())
    county = p(cast, "county")
    db.act(service.start_verification, county, tipoff.id)
    db.act(service.reporter_of, county, tipoff.id)
    db.act(service.substantiate_tipoff, county, tipoff.id, substantiation(firm_of(cast)))
    db.act(service.record_fine, county, tipoff.id, Decimal("80000"))
    with db.uow(write=False) as uow:
        entries = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        text = json.dumps([[e.actor, e.action, e.before, e.after] for e in entries], ensure_ascii=False)
    assert "tipoff.submit" in text and "tipoff.read_reporter" in text
    for secret in (CONTACT, NAME, code, receipt_hash(code), "无人监护"):
        assert secret not in text


def test_the_public_submits_without_an_account_and_follows_the_outcome_by_receipt_code(
    db: Db, cast: dict[str, Principal | int]
) -> None:
    client = db.client()
    body = {
        "county_code": COUNTY,
        "content": "仓库堆放大量桶装溶剂，消防通道堵塞",
        "enterprise_name": "某化工公司",
        "reporter_contact": CONTACT,
    }
    created = client.post("/api/v1/public/tipoffs", json=body)
    assert created.status_code == 201, created.text
    code = created.json()["receipt_code"]
    status = client.get(f"/api/v1/public/tipoffs/{code}")
    assert status.json() == {
        "state": "received",
        "received_at": status.json()["received_at"],
        "concluded_at": None,
        "public_outcome": "",
    }
    county = auth_header(client, "tip-county")
    tipoff_id = client.get("/api/v1/tipoffs", headers=county).json()["items"][0]["id"]
    assert client.post(f"/api/v1/tipoffs/{tipoff_id}/start", headers=county).status_code == 200
    verdict = {"finding": "现场未发现", "public_outcome": ""}
    assert (
        client.post(f"/api/v1/tipoffs/{tipoff_id}/dismiss", json=verdict, headers=county).status_code == 200
    )
    assert client.get(f"/api/v1/public/tipoffs/{code}").json()["public_outcome"] == ""  # not yet published
    db.clock.advance(timedelta(days=10, seconds=1))
    county = auth_header(client, "tip-county")  # a new day, a new login
    overdue = client.get("/api/v1/tipoffs/overdue", headers=county).json()
    assert [(t["id"], t["is_feedback_overdue"]) for t in overdue] == [(tipoff_id, True)]
    outcome = {"public_outcome": "经核查，未发现举报所述情况。"}
    assert (
        client.post(f"/api/v1/tipoffs/{tipoff_id}/outcome", json=outcome, headers=county).status_code == 200
    )
    followed = client.get(f"/api/v1/public/tipoffs/{code.lower()}").json()
    assert (followed["state"], followed["public_outcome"]) == ("unsubstantiated", outcome["public_outcome"])
    assert set(followed) == {"state", "received_at", "concluded_at", "public_outcome"}
    owner = auth_header(client, "tip-owner")
    assert client.get(f"/api/v1/tipoffs/{tipoff_id}", headers=owner).status_code == 404
    assert client.get(f"/api/v1/tipoffs/{tipoff_id}/reporter", headers=owner).status_code == 404
    assert client.get(f"/api/v1/tipoffs/{tipoff_id}/reporter", headers=county).json()["contact"] == CONTACT
    assert client.get("/api/v1/public/tipoffs/ABCD-EFGH-JKMN-PQRS").status_code == 404


def test_public_submissions_are_rate_limited_per_client(db: Db) -> None:
    client = db.client()
    body = {"county_code": COUNTY, "content": "违规储存", "place": "某村仓库"}
    codes = [client.post("/api/v1/public/tipoffs", json=body).status_code for _ in range(6)]
    assert codes == [201] * 5 + [429]
    db.clock.advance(timedelta(minutes=12))  # one token back per 12 minutes
    assert client.post("/api/v1/public/tipoffs", json=body).status_code == 201


def test_a_tipoff_names_an_enterprise_or_a_place_in_a_real_county(db: Db) -> None:
    with pytest.raises(InvalidInputError) as no_target:
        db.act(service.submit_tipoff, None, Submission(COUNTY, "有隐患"))
    assert no_target.value.details["fields"][0]["field"] == "place"
    with pytest.raises(InvalidInputError):
        db.act(service.submit_tipoff, None, Submission("320300", "有隐患", place="某处"))
    with pytest.raises(InvalidInputError):
        db.act(
            service.submit_tipoff, None, Submission(COUNTY, "有隐患", enterprise_uscc="91320311MA0000000X")
        )


def test_the_reward_follows_the_fine_and_is_paid_once(db: Db, cast: dict[str, Principal | int]) -> None:
    county = p(cast, "county")
    tipoff, _ = db.act(service.submit_tipoff, None, submission())
    db.act(service.start_verification, county, tipoff.id)
    db.act(service.substantiate_tipoff, county, tipoff.id, substantiation(firm_of(cast)))
    assert db.act(service.record_fine, county, tipoff.id, Decimal("10000")).reward_yuan == Decimal("3000")
    assert db.act(service.record_fine, county, tipoff.id, Decimal("3000000")).reward_yuan == Decimal("300000")
    db.act(service.mark_reward_paid, county, tipoff.id)
    with pytest.raises(service.ConflictError):
        db.act(service.record_fine, county, tipoff.id, Decimal("5000"))


def test_the_demo_seed_gives_a_known_receipt_code_to_follow(db: Db, cast: dict[str, Principal | int]) -> None:
    seeded = db.act(service.seed_tipoff_demo, SYSTEM, firm_of(cast))
    with db.uow(write=False) as uow:
        status = service.status_by_receipt(uow.session, display_receipt_code(seeded.receipt_code))
        stored = service.get_tipoff(uow.session, SYSTEM, seeded.tipoff_id)
        assert stored.reward_yuan == Decimal("7500.00") and stored.hazard_id == seeded.hazard_id
    assert status.state == TipoffState.substantiated and status.public_outcome


def test_the_cli_shows_what_a_receipt_code_shows(
    db: Db, cast: dict[str, Principal | int], cli: object
) -> None:
    from typer.testing import CliRunner

    from zhiben.cli.main import app

    seeded = db.act(service.seed_tipoff_demo, SYSTEM, firm_of(cast))
    assert isinstance(cli, CliRunner)
    result = cli.invoke(app, ["tipoff", "status", display_receipt_code(seeded.receipt_code)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["state"] == "substantiated"
    denied = cli.invoke(app, ["--as", "tip-owner", "tipoff", "reporter", str(seeded.tipoff_id)])
    assert denied.exit_code == 3
