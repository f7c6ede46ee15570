"""Safeguards found by review: who may determine a finding, which evidence counts, how extensions behave."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import Db, five_implementations
from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.errors import ConflictError, InvalidInputError, PermissionDeniedError
from zhiben.hazard import service
from zhiben.hazard.domain import HazardLevel, Source
from zhiben.kit.blobs import BlobStore

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def _report(db: Db, enterprise_id: int, source: Source, actor: Principal = SYSTEM) -> int:
    report = service.HazardReport(
        enterprise_id=enterprise_id, description="可燃气体报警仪失效", source=source, found_at=db.clock.now()
    )
    hazard_id: int = db.act(service.report_hazard, actor, report).id
    return hazard_id


def test_an_enterprise_cannot_determine_a_hazard_that_an_officer_found(db: Db) -> None:
    firm = db.enterprise("320506")
    owner = db.user(Role.enterprise, enterprise_id=firm)
    found_by_officer = _report(db, firm, Source.enforcement)
    with pytest.raises(PermissionDeniedError):
        db.act(service.determine_hazard, owner, found_by_officer, HazardLevel.general)
    own_finding = _report(db, firm, Source.self_inspection, owner)
    db.act(service.determine_hazard, owner, own_finding, HazardLevel.general)


def test_evidence_from_before_a_failed_verification_does_not_count_again(db: Db) -> None:
    hazard = db.hazard(db.enterprise("320506"))
    store = BlobStore(db.tmp / "evidence")
    db.act(service.plan_rectification, SYSTEM, hazard, five_implementations(db.clock))
    db.act(service.start_rectification, SYSTEM, hazard)
    db.act(service.attach_evidence, SYSTEM, hazard, PNG, "after", "old.png", store, 10_000)
    db.act(service.complete_rectification, SYSTEM, hazard, "已整改")
    db.clock.advance(timedelta(days=1))
    db.act(service.fail_verification, SYSTEM, hazard, "报警仪仍未联锁")
    db.act(service.start_rectification, SYSTEM, hazard)
    with pytest.raises(InvalidInputError) as caught:
        db.act(service.complete_rectification, SYSTEM, hazard, "再次整改")
    assert caught.value.details["fields"][0]["field"] == "evidence"
    db.clock.advance(timedelta(hours=1))
    db.act(service.attach_evidence, SYSTEM, hazard, PNG + b"new", "after", "new.png", store, 10_000)
    db.act(service.complete_rectification, SYSTEM, hazard, "再次整改")


def test_only_one_extension_waits_at_a_time_and_none_is_granted_after_rectification(db: Db) -> None:
    firm = db.enterprise("320506")
    owner = db.user(Role.enterprise, enterprise_id=firm)
    county = db.user(Role.regulator, division="320506")
    hazard = db.hazard(firm)
    db.act(service.plan_rectification, owner, hazard, five_implementations(db.clock, days=10))
    first = db.act(
        service.request_extension, owner, hazard, db.clock.now() + timedelta(days=20), "设备到货延迟"
    )
    with pytest.raises(ConflictError):
        db.act(service.request_extension, owner, hazard, db.clock.now() + timedelta(days=30), "再延期")
    db.act(service.start_rectification, owner, hazard)
    db.act(service.attach_evidence, owner, hazard, PNG, "after", "a.png", BlobStore(db.tmp / "e"), 10_000)
    db.act(service.complete_rectification, owner, hazard, "已整改")
    with pytest.raises(ConflictError):
        db.act(service.decide_extension, county, hazard, first.id, True)
