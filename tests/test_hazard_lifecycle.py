"""The hazard lifecycle through the services and the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import Db, auth_header, five_implementations
from zhiben.audit import service as audit
from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.auth.models import User
from zhiben.auth.service import issue_token
from zhiben.db.uow import UnitOfWork
from zhiben.errors import IllegalTransitionError, InvalidInputError, NotFoundError, PermissionDeniedError
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, HazardState, Source
from zhiben.kit.blobs import BlobStore

CITATION = {"pack": "hazchem", "version": "2017", "clause": "1"}


def tiny_png() -> bytes:
    """A real 1×1 greyscale PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


@dataclass
class Cast:
    """One enterprise in county 320311 and the people around it."""

    enterprise_id: int
    own: Principal
    other: Principal
    county: Principal
    city: Principal
    province: Principal
    outsider: Principal
    admin: Principal


def cast(db: Db) -> Cast:
    enterprise_id = db.enterprise("320311")
    other_enterprise = db.enterprise("320311")
    return Cast(
        enterprise_id=enterprise_id,
        own=db.user(Role.enterprise, enterprise_id=enterprise_id),
        other=db.user(Role.enterprise, enterprise_id=other_enterprise),
        county=db.user(Role.regulator, division="320311"),
        city=db.user(Role.regulator, division="320300"),
        province=db.user(Role.regulator, division="320000"),
        outsider=db.user(Role.regulator, division="440000"),
        admin=db.user(Role.admin),
    )


def report(db: Db, actor: Principal, enterprise_id: int, source: Source = Source.self_inspection) -> int:
    draft = hazards.HazardReport(
        enterprise_id=enterprise_id,
        description="液氯储罐未设置紧急切断装置",
        source=source,
        found_at=db.clock.now() - timedelta(hours=2),
        location="液氯罐区",
    )
    return int(db.act(hazards.report_hazard, actor, draft).id)


def state_of(db: Db, hazard_id: int) -> str:
    with db.uow(write=False) as uow:
        return hazards.get_hazard(uow.session, SYSTEM, hazard_id).state


def put_after_photo(db: Db, actor: Principal, hazard_id: int) -> None:
    store = BlobStore(db.tmp / "blobs")
    db.act(hazards.attach_evidence, actor, hazard_id, tiny_png(), "after", "after.png", store, 1 << 20)


def rectify(db: Db, c: Cast, hazard_id: int) -> None:
    """From determined to rectified, by the enterprise."""
    db.act(hazards.plan_rectification, c.own, hazard_id, five_implementations(db.clock))
    db.act(hazards.start_rectification, c.own, hazard_id)
    put_after_photo(db, c.own, hazard_id)
    db.act(hazards.complete_rectification, c.own, hazard_id, "已更换并联锁，企业自行验收合格")


def actions_in_history(db: Db, hazard_id: int) -> list[str]:
    with db.uow(write=False) as uow:
        return [e.action for e in audit.history(uow.session, "hazard", str(hazard_id))]


# ---------------------------------------------------------------- services


def test_a_major_hazard_walks_from_report_to_close_out_by_the_right_users(db: Db) -> None:
    c = cast(db)
    hazard_id = report(db, c.own, c.enterprise_id)
    steps: list[tuple[Any, Principal, tuple[Any, ...], HazardState]] = [
        (hazards.determine_hazard, c.county, (HazardLevel.major, CITATION), HazardState.determined),
        (hazards.plan_rectification, c.own, (five_implementations(db.clock),), HazardState.planned),
        (hazards.start_rectification, c.own, (), HazardState.rectifying),
    ]
    for fn, actor, args, state in steps:
        assert db.act(fn, actor, hazard_id, *args).state == state
    put_after_photo(db, c.own, hazard_id)
    db.clock.advance(timedelta(days=10))
    assert db.act(hazards.complete_rectification, c.own, hazard_id, "验收合格").state == "rectified"
    assert db.act(hazards.verify_hazard, c.county, hazard_id, "现场核查合格").state == "verified"
    closed = db.act(hazards.close_out_hazard, c.county, hazard_id)
    assert (closed.state, closed.is_open, closed.closed_at) == ("closed", False, db.clock.now())
    assert actions_in_history(db, hazard_id) == [
        "hazard.report",
        "hazard.determine",
        "hazard.plan",
        "hazard.start",
        "hazard.attach_evidence",
        "hazard.complete",
        "hazard.verify",
        "hazard.close",
    ]


def without_each_implementation(db: Db) -> dict[str, dict[str, Any]]:
    """Each of the five implementations left out, by the field that must then be named."""
    return {
        "responsible_person": {"responsible_person": " "},
        "measures": {"measures": ""},
        "funds_yuan": {"funds_yuan": None},
        "deadline_at": {"deadline_at": db.clock.now()},  # a deadline not in the future is none
        "contingency": {"contingency": ""},
    }


def test_a_major_hazard_cannot_be_planned_without_each_of_the_five_implementations(db: Db) -> None:
    c = cast(db)
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.major)
    plan = five_implementations(db.clock)
    named = {}
    for field, changes in without_each_implementation(db).items():
        with pytest.raises(InvalidInputError) as caught:
            db.act(hazards.plan_rectification, c.own, hazard_id, replace(plan, **changes))
        assert caught.value.status == 422
        named[field] = [f["field"] for f in caught.value.details["fields"]]
    assert named == {field: [field] for field in without_each_implementation(db)}
    assert state_of(db, hazard_id) == "determined"
    assert actions_in_history(db, hazard_id) == ["hazard.report", "hazard.determine"]
    assert db.act(hazards.plan_rectification, c.own, hazard_id, plan).state == "planned"


def test_major_hazard_cannot_close_without_regulator_verification(db: Db) -> None:
    c = cast(db)
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.major)
    rectify(db, c, hazard_id)
    with pytest.raises(IllegalTransitionError):
        db.act(hazards.close_out_hazard, c.county, hazard_id)
    with pytest.raises(PermissionDeniedError):
        db.act(hazards.verify_hazard, c.own, hazard_id, "自验合格")
    neighbour = db.user(Role.regulator, division="320312")
    for stranger in (c.outsider, neighbour):
        with pytest.raises(NotFoundError):
            db.act(hazards.verify_hazard, stranger, hazard_id, "")
    assert db.act(hazards.verify_hazard, c.city, hazard_id, "").state == "verified"
    with pytest.raises(PermissionDeniedError):
        db.act(hazards.close_out_hazard, c.own, hazard_id)
    assert db.act(hazards.close_out_hazard, c.county, hazard_id).state == "closed"


def test_general_hazard_is_verified_and_closed_by_the_enterprise_itself(db: Db) -> None:
    c = cast(db)
    hazard_id = report(db, c.own, c.enterprise_id)
    db.act(hazards.determine_hazard, c.own, hazard_id, HazardLevel.general)
    plan = replace(five_implementations(db.clock), funds_yuan=None, contingency="")  # not needed
    db.act(hazards.plan_rectification, c.own, hazard_id, plan)
    db.act(hazards.start_rectification, c.own, hazard_id)
    db.act(hazards.complete_rectification, c.own, hazard_id, "整改完毕")  # no 'after' file needed
    assert db.act(hazards.verify_hazard, c.own, hazard_id, "自验合格").state == "verified"
    assert db.act(hazards.close_out_hazard, c.own, hazard_id).state == "closed"


def _listed_and_verified(db: Db, c: Cast) -> int:
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.major)
    db.act(hazards.list_for_supervision, c.province, hazard_id, db.clock.now() + timedelta(days=60))
    rectify(db, c, hazard_id)
    db.act(hazards.verify_hazard, c.county, hazard_id, "核查合格")
    return hazard_id


def test_a_hazard_listed_by_the_province_is_closed_only_by_the_province_or_above(db: Db) -> None:
    c = cast(db)
    hazard_id, second = _listed_and_verified(db, c), _listed_and_verified(db, c)
    for lower in (c.city, c.county):
        with pytest.raises(PermissionDeniedError):
            db.act(hazards.close_out_hazard, lower, hazard_id)
    assert state_of(db, hazard_id) == "verified"
    assert db.act(hazards.close_out_hazard, c.province, hazard_id).state == "closed"
    assert db.act(hazards.close_out_hazard, c.admin, second).state == "closed"
    with db.uow(write=False) as uow:
        assert hazards.repository.active_supervision(uow.session, hazard_id) is None


def test_an_illegal_transition_names_the_current_state_and_the_actions_allowed_now(db: Db) -> None:
    c = cast(db)
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.major)
    with pytest.raises(IllegalTransitionError) as caught:
        db.act(hazards.close_out_hazard, c.county, hazard_id)
    assert caught.value.details["state"] == "determined"
    assert sorted(caught.value.details["allowed"]) == ["plan", "reject"]
    with pytest.raises(IllegalTransitionError) as as_enterprise:
        db.act(hazards.verify_hazard, c.own, hazard_id, "")
    assert as_enterprise.value.details["allowed"] == ["plan"]
    assert state_of(db, hazard_id) == "determined"


def test_a_major_hazard_cannot_be_completed_without_an_after_file(db: Db) -> None:
    c = cast(db)
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.major)
    db.act(hazards.plan_rectification, c.own, hazard_id, five_implementations(db.clock))
    db.act(hazards.start_rectification, c.own, hazard_id)
    store = BlobStore(db.tmp / "blobs")
    db.act(hazards.attach_evidence, c.own, hazard_id, tiny_png(), "before", "before.png", store, 1 << 20)
    with pytest.raises(InvalidInputError) as caught:
        db.act(hazards.complete_rectification, c.own, hazard_id, "完成")
    assert caught.value.details["fields"][0]["field"] == "evidence"
    assert state_of(db, hazard_id) == "rectifying"


def test_a_new_plan_after_failed_verification_cannot_move_the_deadline(db: Db) -> None:
    c = cast(db)
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.major)
    rectify(db, c, hazard_id)
    first_deadline = db.act(hazards.fail_verification, c.county, hazard_id, "联锁未投用").deadline_at
    later = replace(five_implementations(db.clock, days=90))
    with pytest.raises(InvalidInputError) as caught:
        db.act(hazards.plan_rectification, c.own, hazard_id, later)
    assert caught.value.details["fields"][0]["field"] == "deadline_at"
    sooner = five_implementations(db.clock, days=20)
    replanned = db.act(hazards.plan_rectification, c.own, hazard_id, sooner)
    assert (replanned.state, replanned.deadline_at) == ("planned", first_deadline)


def test_another_enterprise_can_neither_report_for_nor_act_on_the_hazard(db: Db) -> None:
    c = cast(db)
    with pytest.raises(NotFoundError):
        report(db, c.other, c.enterprise_id)
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.general)
    with pytest.raises(NotFoundError):
        db.act(hazards.plan_rectification, c.other, hazard_id, five_implementations(db.clock))


def test_an_enterprise_reports_only_self_inspection_findings(db: Db) -> None:
    c = cast(db)
    with pytest.raises(PermissionDeniedError):
        report(db, c.own, c.enterprise_id, Source.enforcement)


# ---------------------------------------------------------------- HTTP API


def _login(client: TestClient, *users: Principal) -> list[dict[str, str]]:
    """Bearer headers signed with the app's key, skipping the (deliberately slow) argon2 login."""
    state = client.app.state.zhiben  # type: ignore[attr-defined]
    with UnitOfWork(state.session_factory, state.clock, write=False) as uow:
        rows = [uow.session.get_one(User, u.user_id) for u in users]
        now = state.clock.now()
        tokens = [issue_token(row, state.secret, now, timedelta(hours=1)) for row in rows]
    return [{"Authorization": f"Bearer {token}"} for token in tokens]


def _plan_body(db: Db, **changes: Any) -> dict[str, Any]:
    plan = five_implementations(db.clock)
    body: dict[str, Any] = {
        "responsible_person": plan.responsible_person,
        "measures": plan.measures,
        "funds_yuan": str(plan.funds_yuan),
        "deadline_at": plan.deadline_at.isoformat(),
        "contingency": plan.contingency,
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_an_illegal_transition_answers_409_with_the_state_and_the_allowed_actions(db: Db) -> None:
    c = cast(db)
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.major)
    client = db.client()
    own = auth_header(client, c.own.username)  # once through the real login
    response = client.post(f"/api/v1/hazards/{hazard_id}/close", headers=own)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "illegal_transition"
    assert error["details"]["state"] == "determined"
    assert error["details"]["allowed"] == ["plan"]


def test_hazards_out_of_scope_answer_404(db: Db) -> None:
    c = cast(db)
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.major)
    insurer = db.user(Role.service_provider, provider_org="某保险公司")
    client = db.client()
    for headers in _login(client, c.other, c.outsider, insurer):
        assert client.get(f"/api/v1/hazards/{hazard_id}", headers=headers).status_code == 404
        response = client.post(f"/api/v1/hazards/{hazard_id}/plan", headers=headers, json=_plan_body(db))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    (county,) = _login(client, c.county)
    assert client.get(f"/api/v1/hazards/{hazard_id}", headers=county).status_code == 200


def test_a_missing_implementation_answers_422_naming_the_field(db: Db) -> None:
    c = cast(db)
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.major)
    client = db.client()
    (own,) = _login(client, c.own)
    for field in ("funds_yuan", "deadline_at", "contingency"):
        response = client.post(
            f"/api/v1/hazards/{hazard_id}/plan", headers=own, json=_plan_body(db, **{field: None})
        )
        assert response.status_code == 422, response.text
        fields = [f["field"] for f in response.json()["error"]["details"]["fields"]]
        assert fields == [field]
    body = _post(client, f"/api/v1/hazards/{hazard_id}/plan", own, _plan_body(db, funds_yuan="12345.67"))
    assert Decimal(str(body["plan"]["funds_yuan"])) == Decimal("12345.67")


def _post(client: TestClient, path: str, headers: dict[str, str], body: Any = None) -> dict[str, Any]:
    response = client.post(path, headers=headers, json=body)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def _upload_after_photo(client: TestClient, hazard_id: int, headers: dict[str, str]) -> None:
    response = client.post(
        f"/api/v1/hazards/{hazard_id}/evidence",
        headers=headers,
        files={"file": ("after.png", tiny_png(), "image/png")},
        data={"phase": "after"},
    )
    assert response.status_code == 201, response.text
    assert response.json()["media_type"] == "image/png"


def test_a_failed_verification_reopens_the_hazard_and_rectification_starts_again(db: Db) -> None:
    c = cast(db)
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.major)
    client = db.client()
    own, county = _login(client, c.own, c.county)
    base = f"/api/v1/hazards/{hazard_id}"
    _post(client, f"{base}/plan", own, _plan_body(db))
    _post(client, f"{base}/start", own)
    _upload_after_photo(client, hazard_id, own)
    _post(client, f"{base}/complete", own, {"acceptance_note": "完成"})
    reopened = _post(client, f"{base}/fail-verification", county, {"reason": "联锁未投用"})
    assert reopened["state"] == "reopened"
    assert client.get(base, headers=own).json()["actions"] == ["plan", "start"]
    assert _post(client, f"{base}/start", own)["state"] == "rectifying"
    assert _post(client, f"{base}/complete", own, {"acceptance_note": "联锁已投用"})["state"] == "rectified"
    assert _post(client, f"{base}/verify", county, {"opinion": "合格"})["state"] == "verified"
    assert _post(client, f"{base}/close", county)["state"] == "closed"
    history = client.get(f"{base}/history", headers=county).json()
    assert [e["action"] for e in history].count("hazard.start") == 2


def test_a_rectified_major_hazard_needs_an_after_image_before_complete(db: Db) -> None:
    c = cast(db)
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.major)
    client = db.client()
    (own,) = _login(client, c.own)
    base = f"/api/v1/hazards/{hazard_id}"
    _post(client, f"{base}/plan", own, _plan_body(db))
    _post(client, f"{base}/start", own)
    refused = client.post(f"{base}/complete", headers=own, json={"acceptance_note": "完成"})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["fields"][0]["field"] == "evidence"
    assert client.get(base, headers=own).json()["state"] == "rectifying"
    not_a_picture = client.post(
        f"{base}/evidence",
        headers=own,
        files={"file": ("after.png", b"MZ\x90\x00 an executable", "image/png")},
        data={"phase": "after"},
    )
    assert not_a_picture.status_code == 422
    assert not_a_picture.json()["error"]["code"] == "evidence_rejected"
    _upload_after_photo(client, hazard_id, own)
    done = _post(client, f"{base}/complete", own, {"acceptance_note": "完成"})
    assert done["state"] == "rectified"
    assert [e["phase"] for e in done["evidence"]] == ["after"]


def test_the_detail_offers_each_user_only_their_own_next_actions(db: Db) -> None:
    c = cast(db)
    hazard_id = db.hazard(c.enterprise_id, HazardLevel.major)
    rectify(db, c, hazard_id)
    client = db.client()
    own, county = _login(client, c.own, c.county)
    assert client.get(f"/api/v1/hazards/{hazard_id}", headers=own).json()["actions"] == []
    assert client.get(f"/api/v1/hazards/{hazard_id}", headers=county).json()["actions"] == [
        "verify",
        "fail_verification",
    ]
