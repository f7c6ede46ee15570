"""Training and competence (M10): certificates, expiry warnings, and certificates as rule-pack facts that
raise a major hazard through the checklist. The clock stands at 2026-03-02 10:00 Shanghai."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.builders import Db, auth_header
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import SYSTEM, Role
from zhiben.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from zhiben.hazard.models import Hazard
from zhiben.standards.models import EnterpriseFact
from zhiben.training import service
from zhiben.training.domain import (
    CertificateFacts,
    CertificateKind,
    CertificateStatus,
    FactRule,
    WarningKind,
    certificate_facts,
    expiry_warnings,
    person_id,
    rules,
)
from zhiben.training.models import Certificate
from zhiben.training.seed import seed_training_demo, synthetic_id

KEY = b"test-id-key"
TODAY = date(2026, 3, 2)
COUNTY, OTHER_COUNTY = "320311", "320312"
FACT = "principal_or_safety_manager_not_certified"
P, SM, SO = CertificateKind.principal, CertificateKind.safety_manager, CertificateKind.special_operation


def cert(
    id_: int,
    person: str,
    kind: CertificateKind,
    until: date,
    issued: date = date(2024, 1, 1),
    status: CertificateStatus = CertificateStatus.active,
    reviewed: date | None = None,
) -> CertificateFacts:
    return CertificateFacts(id_, person, kind, issued, until, status, reviewed)


# --- pure rules ---------------------------------------------------------------------------------------


def test_an_id_number_is_kept_masked_and_as_a_keyed_digest_only() -> None:
    number = synthetic_id("320311", date(1980, 5, 17), 123)
    person = person_id(number, KEY)
    assert person.masked == number[:6] + "********" + number[14:]
    assert number not in person.digest and len(person.digest) == 64
    assert person_id(number.lower(), KEY).digest == person.digest
    assert person_id(number, b"another-key").digest != person.digest


def test_an_id_number_with_a_wrong_check_character_or_shape_is_refused() -> None:
    good = synthetic_id("320311", date(1980, 5, 17), 123)
    for bad in (good[:17], good[:16] + "A" + good[17], wrong_check(good)):
        with pytest.raises(InvalidInputError):
            person_id(bad, KEY)


def wrong_check(number: str) -> str:
    return number[:17] + ("0" if number[17] != "0" else "1")


def test_expired_and_expiring_within_n_days_are_warned_and_n_is_configurable() -> None:
    kinds = rules().kinds
    certs = [
        cert(1, "a", P, TODAY - timedelta(days=1)),
        cert(2, "b", SM, TODAY + timedelta(days=10)),
        cert(3, "c", SM, TODAY + timedelta(days=40)),
        cert(4, "d", SM, TODAY),
    ]
    warned = {w.certificate_id: w for w in expiry_warnings(certs, TODAY, 30, kinds)}
    assert warned[1].kind is WarningKind.expired and warned[1].days_left == -1
    assert warned[2].kind is WarningKind.expiring and warned[2].days_left == 10
    assert warned[4].kind is WarningKind.expiring and warned[4].days_left == 0  # the last valid day
    assert 3 not in warned
    assert {w.certificate_id for w in expiry_warnings(certs, TODAY, 45, kinds)} == {1, 2, 3, 4}
    assert {w.certificate_id for w in expiry_warnings(certs, TODAY, 0, kinds)} == {1, 4}


def test_a_renewed_revoked_or_withdrawn_certificate_is_not_warned() -> None:
    kinds = rules().kinds
    certs = [
        cert(1, "a", P, TODAY - timedelta(days=5)),
        cert(2, "a", P, TODAY + timedelta(days=3 * 365), issued=TODAY - timedelta(days=6)),  # the renewal
        cert(3, "b", SM, TODAY + timedelta(days=3), status=CertificateStatus.withdrawn),
        cert(4, "c", SM, TODAY + timedelta(days=3), status=CertificateStatus.revoked),
    ]
    assert expiry_warnings(certs, TODAY, 30, kinds) == []


def test_a_special_operation_review_falls_due_on_the_recalled_interval() -> None:
    kinds = rules().kinds
    issued = TODAY - timedelta(days=3 * 365 - 10)
    due = [
        w
        for w in expiry_warnings(
            [cert(1, "a", SO, issued + timedelta(days=6 * 365), issued)], TODAY, 30, kinds
        )
    ]
    assert [w.kind for w in due] == [WarningKind.review_due]
    reviewed = cert(1, "a", SO, issued + timedelta(days=6 * 365), issued, reviewed=TODAY - timedelta(days=5))
    assert expiry_warnings([reviewed], TODAY, 30, kinds) == []


def test_certificate_facts_say_true_false_clear_or_nothing() -> None:
    rule = [FactRule(FACT, frozenset({P, SM}))]
    assert certificate_facts([], TODAY, rule) == {}
    assert certificate_facts([cert(1, "a", SO, TODAY)], TODAY, rule) == {}
    valid = cert(1, "a", P, TODAY + timedelta(days=1))
    assert certificate_facts([valid], TODAY, rule) == {FACT: False}
    lapsed = cert(2, "b", SM, TODAY - timedelta(days=1))
    assert certificate_facts([valid, lapsed], TODAY, rule) == {FACT: True}
    renewed = cert(3, "b", SM, TODAY + timedelta(days=900), issued=TODAY)
    assert certificate_facts([valid, lapsed, renewed], TODAY, rule) == {FACT: False}
    gone = cert(1, "a", P, TODAY + timedelta(days=1), status=CertificateStatus.withdrawn)
    assert certificate_facts([gone], TODAY, rule) == {FACT: None}
    not_yet = cert(4, "c", P, TODAY + timedelta(days=900), issued=TODAY + timedelta(days=1))
    assert certificate_facts([not_yet], TODAY, rule) == {FACT: True}


def test_the_fact_names_the_certificates_answer_are_declared_by_the_packs() -> None:
    from zhiben.standards.checklist import installed_packs

    declared = {name for pack in installed_packs() for name in pack.spec.facts}
    assert {r.fact for r in rules().facts} <= declared


# --- stored, through the checklist ----------------------------------------------------------------------


def draft(
    kind: CertificateKind = P,
    until: date = TODAY + timedelta(days=400),
    issued: date = TODAY - timedelta(days=700),
    serial: int = 1,
    number: str = "",
) -> service.CertificateDraft:
    return service.CertificateDraft(
        "王建国",
        synthetic_id(COUNTY, date(1975, 3, 10), serial),
        kind,
        number or f"AQ-{kind.value}-{serial}",
        "江苏省应急管理厅",
        issued,
        until,
    )


def fact_value(db: Db, enterprise_id: int, name: str) -> str | None:
    with db.uow(write=False) as uow:
        row = uow.session.get(EnterpriseFact, (enterprise_id, name))
        return row.value if row else None


@dataclass(frozen=True)
class Raised:
    level: str | None
    source: str
    citation: dict[str, str] | None


def hazards_of(db: Db, enterprise_id: int) -> list[Raised]:
    with db.uow(write=False) as uow:
        found = uow.session.scalars(
            select(Hazard).where(Hazard.enterprise_id == enterprise_id).order_by(Hazard.id)
        )
        return [Raised(h.level, h.source, h.citation) for h in found]


def test_a_valid_certificate_answers_the_pack_fact_false_and_raises_nothing(db: Db) -> None:
    firm = db.enterprise(county=COUNTY)
    owner = db.user(Role.enterprise, enterprise_id=firm)
    db.act(service.record_certificate, owner, firm, draft(), KEY)
    assert fact_value(db, firm, FACT) == "false"
    assert hazards_of(db, firm) == []


def test_a_lapsed_principal_certificate_raises_a_major_hazard_under_chemicals_item_1(db: Db) -> None:
    firm = db.enterprise(county=COUNTY, sector="hazchem_storage")
    owner = db.user(Role.enterprise, enterprise_id=firm)
    db.act(service.record_certificate, owner, firm, draft(until=TODAY - timedelta(days=3)), KEY)
    assert fact_value(db, firm, FACT) == "true"
    (hazard,) = hazards_of(db, firm)
    assert hazard.level == "major" and hazard.source == "self_inspection"
    assert hazard.citation is not None
    assert (hazard.citation["pack"], hazard.citation["clause"]) == ("hazchem", "1")
    with db.uow(write=False) as uow:
        actions = set(uow.session.scalars(select(AuditEntry.action)))
    assert {"certificate.record", "checklist.answer"} <= actions


def test_a_special_operator_without_a_valid_certificate_meets_item_2(db: Db) -> None:
    firm = db.enterprise(county=COUNTY)
    county = db.user(Role.regulator, division=COUNTY)
    synced = db.act(service.record_certificate, county, firm, draft(SO, until=TODAY - timedelta(days=1)), KEY)
    assert synced.kind == "special_operation"
    (hazard,) = hazards_of(db, firm)
    assert hazard.citation is not None and hazard.citation["clause"] == "2" and hazard.source == "enforcement"


def test_the_daily_refresh_raises_the_hazard_the_day_after_the_last_valid_day(db: Db) -> None:
    firm = db.enterprise(county=COUNTY, sector="fireworks")
    owner = db.user(Role.enterprise, enterprise_id=firm)
    db.act(service.record_certificate, owner, firm, draft(SM, until=TODAY), KEY)
    assert fact_value(db, firm, FACT) == "false"
    assert db.act(service.refresh_certificate_facts, SYSTEM, TODAY) == []  # valid through today
    assert hazards_of(db, firm) == []
    tomorrow = TODAY + timedelta(days=1)
    db.clock.advance(timedelta(days=1))
    (synced,) = db.act(service.refresh_certificate_facts, SYSTEM, tomorrow)
    assert synced.enterprise_id == firm and synced.facts == {FACT: True}
    (hazard,) = hazards_of(db, firm)
    assert hazard.citation is not None and hazard.citation["pack"] == "fireworks"
    db.act(service.refresh_certificate_facts, SYSTEM, tomorrow)  # a second run changes nothing
    assert len(hazards_of(db, firm)) == 1


def test_a_renewal_answers_false_and_a_withdrawal_clears_the_fact(db: Db) -> None:
    firm = db.enterprise(county=COUNTY)
    owner = db.user(Role.enterprise, enterprise_id=firm)
    old = db.act(service.record_certificate, owner, firm, draft(until=TODAY - timedelta(days=1)), KEY)
    assert fact_value(db, firm, FACT) == "true"
    new = db.act(
        service.record_certificate,
        owner,
        firm,
        draft(issued=TODAY, until=TODAY + timedelta(days=1000), number="N2"),
        KEY,
    )
    assert fact_value(db, firm, FACT) == "false"
    db.act(service.withdraw_certificate, owner, new.id)
    db.act(service.withdraw_certificate, owner, old.id)
    assert fact_value(db, firm, FACT) is None


def test_a_revoked_certificate_is_not_valid(db: Db) -> None:
    firm = db.enterprise(county=COUNTY)
    county = db.user(Role.regulator, division=COUNTY)
    saved = db.act(service.record_certificate, county, firm, draft(), KEY)
    db.act(service.revoke_certificate, county, saved.id, saved.version)
    assert fact_value(db, firm, FACT) == "true"


def test_the_id_number_is_stored_nowhere_in_clear(db: Db) -> None:
    firm = db.enterprise(county=COUNTY)
    owner = db.user(Role.enterprise, enterprise_id=firm)
    number = draft().id_number
    saved = db.act(service.record_certificate, owner, firm, draft(), KEY)
    with db.uow(write=False) as uow:
        row = uow.session.get(Certificate, saved.id)
        assert row is not None
        assert number not in repr(vars(row)) and row.person_id_masked.count("*") == 8
        audits = [str(e.before) + str(e.after) for e in uow.session.scalars(select(AuditEntry))]
    assert not any(number in text for text in audits)


def test_certificates_are_scoped_and_an_insurer_may_not_list_them(db: Db) -> None:
    firm, other = db.enterprise(county=COUNTY), db.enterprise(county=OTHER_COUNTY)
    owner = db.user(Role.enterprise, enterprise_id=firm)
    saved = db.act(service.record_certificate, owner, firm, draft(), KEY)
    stranger = db.user(Role.enterprise, enterprise_id=other)
    far = db.user(Role.regulator, division=OTHER_COUNTY)
    for outsider in (stranger, far):
        with pytest.raises(NotFoundError):
            db.act(service.get_certificate, outsider, saved.id)
        with pytest.raises(NotFoundError):
            db.act(service.record_certificate, outsider, firm, draft(serial=2), KEY)
    city = db.user(Role.regulator, division="320300")
    assert db.act(service.get_certificate, city, saved.id).id == saved.id
    db.contract("平安产险", firm)
    insurer = db.user(Role.service_provider, provider_org="平安产险")
    with pytest.raises(PermissionDeniedError):
        db.act(service.certificate_warnings, insurer, service.CertificateFilter())


def test_an_expiry_before_issue_names_the_field(db: Db) -> None:
    firm = db.enterprise(county=COUNTY)
    with pytest.raises(InvalidInputError) as caught:
        db.act(
            service.record_certificate,
            SYSTEM,
            firm,
            draft(issued=TODAY, until=TODAY - timedelta(days=1)),
            KEY,
        )
    assert caught.value.details["fields"][0]["field"] == "valid_until"


def test_the_demo_seed_records_certificates_and_raises_one_hazard(db: Db) -> None:
    firms = [db.enterprise(county=COUNTY), db.enterprise(county=COUNTY)]
    made = db.act(seed_training_demo, SYSTEM, firms)
    assert len(made) == 8
    assert len(hazards_of(db, firms[0])) == 1 and hazards_of(db, firms[1]) == []
    warned = db.act(service.certificate_warnings, SYSTEM, service.CertificateFilter(), TODAY, 30)
    assert {w.warning.kind for w in warned} == {WarningKind.expired, WarningKind.expiring}


# --- API and CLI ------------------------------------------------------------------------------------------


def test_the_api_records_lists_and_warns_within_scope(db: Db) -> None:
    firm, other = db.enterprise(county=COUNTY), db.enterprise(county=OTHER_COUNTY)
    db.user(Role.enterprise, enterprise_id=firm, username="firm-owner")
    db.user(Role.enterprise, enterprise_id=other, username="other-owner")
    client = db.client()
    owner = auth_header(client, "firm-owner")
    body = {
        "person_name": "李秀英",
        "id_number": synthetic_id(COUNTY, date(1982, 7, 1), 7),
        "kind": "safety_manager",
        "number": "AQ-7",
        "issuer": "徐州市应急管理局",
        "issued_on": "2023-03-20",
        "valid_until": "2026-03-19",
    }
    created = client.post(f"/api/v1/enterprises/{firm}/certificates", json=body, headers=owner)
    assert created.status_code == 201, created.text
    assert created.json()["person_id_masked"].count("*") == 8 and "id_number" not in created.json()
    cert_id = created.json()["id"]
    listed = client.get("/api/v1/certificates", headers=owner).json()
    assert listed["total"] == 1
    warned = client.get("/api/v1/certificates/warnings?within_days=30", headers=owner).json()
    assert [(w["kind"], w["days_left"]) for w in warned["warnings"]] == [("expiring", 17)]
    assert client.get("/api/v1/certificates/warnings?within_days=10", headers=owner).json()["warnings"] == []
    stranger = auth_header(client, "other-owner")
    assert client.get(f"/api/v1/certificates/{cert_id}", headers=stranger).status_code == 404
    assert (
        client.post(f"/api/v1/enterprises/{firm}/certificates", json=body, headers=stranger).status_code
        == 404
    )
    assert client.get("/api/v1/certificates", headers=stranger).json()["total"] == 0
    bad = client.post(
        f"/api/v1/enterprises/{firm}/certificates",
        json={**body, "id_number": wrong_check(body["id_number"])},
        headers=owner,
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"]["fields"][0]["field"] == "id_number"
    assert client.get("/api/v1/certificates/rules", headers=owner).status_code == 200


def test_the_cli_lists_certificate_warnings(db: Db, cli: object) -> None:
    from typer.testing import CliRunner

    from zhiben.cli.main import app

    assert isinstance(cli, CliRunner)
    firm = db.enterprise(county=COUNTY)
    db.act(service.record_certificate, SYSTEM, firm, draft(until=TODAY - timedelta(days=2)), KEY)
    result = cli.invoke(app, ["training", "warnings", "--within-days", "30", "--on", TODAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert '"expired"' in result.stdout


def test_days_out_of_range_and_a_bad_division_are_input_errors(db: Db) -> None:
    firm = db.enterprise(county=COUNTY)
    with pytest.raises(InvalidInputError):
        db.act(service.record_certificate, SYSTEM, firm, draft(until=date(9999, 12, 31)), KEY)
    with pytest.raises(InvalidInputError):
        db.act(service.certificate_warnings, SYSTEM, service.CertificateFilter(), date(9999, 12, 31), 30)
    with pytest.raises(InvalidInputError):
        db.act(service.list_certificates, SYSTEM, service.CertificateFilter("abc"), service.PageRequest())
