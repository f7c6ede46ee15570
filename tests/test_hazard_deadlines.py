"""Deadlines: overdue flags and escalation, extensions, and edits that must not move the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from tests.builders import Db, auth_header, five_implementations
from zhiben.audit import service as audit
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel
from zhiben.hazard.models import Hazard
from zhiben.worker.scheduler import SCHEDULER, run_overdue_job


@dataclass
class Cast:
    enterprise_id: int
    own: Principal
    county: Principal


def cast(db: Db, county: str = "320311") -> Cast:
    enterprise_id = db.enterprise(county)
    return Cast(
        enterprise_id,
        db.user(Role.enterprise, enterprise_id=enterprise_id),
        db.user(Role.regulator, division=county),
    )


def planned(db: Db, c: Cast, level: HazardLevel = HazardLevel.major, days: int = 30) -> int:
    hazard_id = db.hazard(c.enterprise_id, level)
    db.act(hazards.plan_rectification, c.own, hazard_id, five_implementations(db.clock, days=days))
    return hazard_id


def load(db: Db, hazard_id: int) -> Hazard:
    """The hazard as stored, read in a fresh unit of work."""
    with db.uow(write=False) as uow:
        hazard = hazards.get_hazard(uow.session, SYSTEM, hazard_id)
        uow.session.expunge(hazard)  # keep what was read past the read-only rollback
        return hazard


def entries(db: Db, hazard_id: int, action: str) -> list[AuditEntry]:
    with db.uow(write=False) as uow:
        found = [e for e in audit.history(uow.session, "hazard", str(hazard_id)) if e.action == action]
        uow.session.expunge_all()
        return found


def mark_overdue(db: Db, escalate_levels: int = 1, batch: int = 1000) -> int:
    return run_overdue_job(db.factory, db.clock, escalate_levels, batch)


def test_hazards_past_their_deadline_are_flagged_and_overdue_major_ones_escalated_one_level(db: Db) -> None:
    c = cast(db)
    major, general = planned(db, c, HazardLevel.major), planned(db, c, HazardLevel.general)
    not_yet = planned(db, c, HazardLevel.major, days=60)
    db.clock.advance(timedelta(days=30))
    assert mark_overdue(db) == 0  # at the deadline is not past it
    db.clock.advance(timedelta(minutes=1))
    assert mark_overdue(db) == 2
    flagged = load(db, major)
    assert (flagged.is_overdue, flagged.overdue_since, flagged.escalated_to) == (
        True,
        db.clock.now(),
        "320300",
    )
    assert (load(db, general).is_overdue, load(db, general).escalated_to) == (True, None)
    assert load(db, not_yet).is_overdue is False
    (entry,) = entries(db, major, "hazard.overdue")
    assert entry.actor == SCHEDULER.audit_name
    assert entry.before is not None and entry.after is not None
    assert (entry.before["is_overdue"], entry.after["is_overdue"]) == (False, True)
    assert (entry.before["escalated_to"], entry.after["escalated_to"]) == (None, "320300")
    assert len(entries(db, general, "hazard.overdue")) == 1


def test_an_overdue_hazard_is_not_flagged_again(db: Db) -> None:
    c = cast(db)
    hazard_id = planned(db, c)
    db.clock.advance(timedelta(days=31))
    assert mark_overdue(db) == 1
    db.clock.advance(timedelta(days=1))
    assert mark_overdue(db) == 0
    assert len(entries(db, hazard_id, "hazard.overdue")) == 1
    assert load(db, hazard_id).overdue_since == db.clock.now() - timedelta(days=1)


def test_the_overdue_job_works_through_every_batch(db: Db) -> None:
    c = cast(db)
    ids = [planned(db, c, HazardLevel.general) for _ in range(3)]
    db.clock.advance(timedelta(days=31))
    assert mark_overdue(db, batch=1) == 3
    assert all(load(db, i).is_overdue for i in ids)


def test_hazards_whose_work_is_done_or_ended_are_not_overdue(db: Db) -> None:
    c = cast(db)
    rectified = planned(db, c, HazardLevel.general)
    db.act(hazards.start_rectification, c.own, rectified)
    db.act(hazards.complete_rectification, c.own, rectified, "完成")
    rejected = db.hazard(c.enterprise_id, HazardLevel.general)
    db.act(hazards.reject_hazard, c.county, rejected, "不构成隐患")
    db.clock.advance(timedelta(days=31))
    assert mark_overdue(db) == 0
    assert load(db, rectified).is_overdue is False


def test_escalation_is_switched_off_with_zero_levels(db: Db) -> None:
    c = cast(db)
    hazard_id = planned(db, c)
    db.clock.advance(timedelta(days=31))
    assert mark_overdue(db, escalate_levels=0) == 1
    assert (load(db, hazard_id).is_overdue, load(db, hazard_id).escalated_to) == (True, None)


def request(db: Db, c: Cast, hazard_id: int, new_deadline_at: datetime) -> int:
    return int(db.act(hazards.request_extension, c.own, hazard_id, new_deadline_at, "设备到货延迟").id)


def test_an_approved_extension_moves_the_deadline_and_is_recorded(db: Db) -> None:
    c = cast(db)
    hazard_id = planned(db, c)
    original = load(db, hazard_id).deadline_at
    assert original is not None
    extension_id = request(db, c, hazard_id, original + timedelta(days=30))
    decided = db.act(hazards.decide_extension, c.county, hazard_id, extension_id, True)
    assert (decided.status, decided.decided_by) == ("approved", c.county.audit_name)
    moved = load(db, hazard_id)
    assert (moved.deadline_at, moved.original_deadline_at) == (original + timedelta(days=30), original)
    (entry,) = entries(db, hazard_id, "hazard.decide_extension")
    assert entry.before is not None and entry.after is not None
    assert entry.before["deadline_at"] == original.isoformat()
    assert entry.after["deadline_at"] == (original + timedelta(days=30)).isoformat()
    assert entry.after["status"] == "approved"
    assert len(entries(db, hazard_id, "hazard.request_extension")) == 1
    db.clock.advance(timedelta(days=31))
    assert mark_overdue(db) == 0


def test_a_refused_extension_leaves_the_deadline_where_it_was(db: Db) -> None:
    c = cast(db)
    hazard_id = planned(db, c)
    original = load(db, hazard_id).deadline_at
    assert original is not None
    extension_id = request(db, c, hazard_id, original + timedelta(days=30))
    assert db.act(hazards.decide_extension, c.county, hazard_id, extension_id, False).status == "refused"
    assert load(db, hazard_id).deadline_at == original
    (entry,) = entries(db, hazard_id, "hazard.decide_extension")
    assert entry.after is not None and entry.after["status"] == "refused"
    db.clock.advance(timedelta(days=31))
    assert mark_overdue(db) == 1
    with pytest.raises(ConflictError):
        db.act(hazards.decide_extension, c.county, hazard_id, extension_id, True)
    assert load(db, hazard_id).deadline_at == original


def test_an_extension_approved_after_the_deadline_clears_the_overdue_flag(db: Db) -> None:
    c = cast(db)
    hazard_id = planned(db, c)
    db.clock.advance(timedelta(days=31))
    mark_overdue(db)
    extension_id = request(db, c, hazard_id, db.clock.now() + timedelta(days=14))
    db.act(hazards.decide_extension, c.county, hazard_id, extension_id, True)
    assert load(db, hazard_id).is_overdue is False
    assert mark_overdue(db) == 0


def test_only_a_regulator_with_jurisdiction_decides_an_extension(db: Db) -> None:
    c = cast(db)
    elsewhere = db.user(Role.regulator, division="440000")
    officer = db.user(Role.officer, division="320311")
    hazard_id = planned(db, c)
    deadline = load(db, hazard_id).deadline_at
    assert deadline is not None
    extension_id = request(db, c, hazard_id, deadline + timedelta(days=30))
    with pytest.raises(PermissionDeniedError):
        db.act(hazards.decide_extension, c.own, hazard_id, extension_id, True)
    with pytest.raises(PermissionDeniedError):
        db.act(hazards.decide_extension, officer, hazard_id, extension_id, True)
    with pytest.raises(NotFoundError):
        db.act(hazards.decide_extension, elsewhere, hazard_id, extension_id, True)
    assert load(db, hazard_id).deadline_at == deadline


def test_an_extension_must_move_the_deadline_later(db: Db) -> None:
    c = cast(db)
    hazard_id = planned(db, c)
    deadline = load(db, hazard_id).deadline_at
    assert deadline is not None
    with pytest.raises(InvalidInputError) as caught:
        request(db, c, hazard_id, deadline)
    assert caught.value.details["fields"][0]["field"] == "new_deadline_at"


def test_editing_the_description_never_moves_the_report_time_or_the_deadlines(db: Db) -> None:
    c = cast(db)
    hazard_id = planned(db, c)
    before = load(db, hazard_id)
    db.clock.advance(timedelta(days=3))
    db.act(
        hazards.update_hazard,
        c.own,
        hazard_id,
        {"description": "液氯储罐紧急切断阀失效，已临时停用", "location": "二号罐区"},
        before.version,
    )
    after = load(db, hazard_id)
    assert after.description == "液氯储罐紧急切断阀失效，已临时停用"
    assert after.version == before.version + 1
    kept = ("reported_at", "found_at", "deadline_at", "original_deadline_at", "state", "is_overdue")
    assert {k: getattr(after, k) for k in kept} == {k: getattr(before, k) for k in kept}


@pytest.mark.parametrize("field", ["deadline_at", "reported_at", "state", "level"])
def test_dates_state_and_level_are_not_editable(db: Db, field: str) -> None:
    c = cast(db)
    hazard_id = planned(db, c)
    version = load(db, hazard_id).version
    with pytest.raises(InvalidInputError) as caught:
        db.act(hazards.update_hazard, c.county, hazard_id, {field: "x"}, version)
    assert caught.value.details["fields"][0] == {
        "field": field,
        "reason": "not_editable",
        "message": caught.value.details["fields"][0]["message"],
    }


def test_a_stale_version_is_refused(db: Db) -> None:
    c = cast(db)
    hazard_id = planned(db, c)
    version = load(db, hazard_id).version
    db.act(hazards.update_hazard, c.own, hazard_id, {"location": "一号罐区"}, version)
    with pytest.raises(StaleVersionError) as caught:
        db.act(hazards.update_hazard, c.county, hazard_id, {"location": "三号罐区"}, version)
    assert caught.value.details == {"current": version + 1, "given": version}
    with pytest.raises(StaleVersionError):
        db.act(hazards.start_rectification, c.own, hazard_id, version)
    assert (load(db, hazard_id).location, load(db, hazard_id).state) == ("一号罐区", "planned")


def test_a_stale_if_match_answers_409_and_the_current_one_succeeds(db: Db) -> None:
    c = cast(db)
    hazard_id = planned(db, c)
    client = db.client()
    headers = auth_header(client, c.own.username)
    url = f"/api/v1/hazards/{hazard_id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    first = client.patch(url, headers=headers | {"If-Match": etag}, json={"location": "一号罐区"})
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] != etag
    stale = client.patch(url, headers=headers | {"If-Match": etag}, json={"location": "三号罐区"})
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "stale_version"
    stale_start = client.post(f"{url}/start", headers=headers | {"If-Match": etag})
    assert stale_start.status_code == 409
    assert stale_start.json()["error"]["code"] == "stale_version"
    missing = client.patch(url, headers=headers, json={"location": "三号罐区"})
    assert missing.status_code == 422
    fresh = client.post(f"{url}/start", headers=headers | {"If-Match": first.headers["ETag"]})
    assert fresh.status_code == 200, fresh.text
    assert fresh.json()["state"] == "rectifying"
