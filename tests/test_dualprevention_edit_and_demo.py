"""Edits with If-Match versions (risk units, events, measures) and the demo register: realistic units,
checks done and missed, hazards from failed checks, and a clean export."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from tests.builders import Db, auth_header
from zhiben.auth.domain import SYSTEM, Role
from zhiben.dualprevention import service, transfer
from zhiben.dualprevention.models import CheckRecord
from zhiben.hazard.models import Hazard

MAJOR_LEC = {"L": 6, "E": 6, "C": 15}


def test_units_events_and_measures_are_edited_with_their_version(db: Db) -> None:
    firm = db.enterprise(county="320311")
    db.user(Role.enterprise, enterprise_id=firm, username="edit-owner")
    client = db.client()
    owner = auth_header(client, "edit-owner")
    unit = {"name": "1号罐区", "kind": "area", "department": "生产部", "responsible_person": "李强"}
    r = client.post(f"/api/v1/enterprises/{firm}/risk-units", json=unit, headers=owner)
    unit_id = r.json()["id"]
    r = client.get(f"/api/v1/risk-units/{unit_id}", headers=owner)
    assert r.headers["ETag"] == '"1"'
    changed = unit | {"responsible_person": "王强", "object_code": "MHI-01"}
    assert (
        client.put(f"/api/v1/risk-units/{unit_id}", json=changed, headers=owner).status_code == 422
    )  # no If-Match
    r = client.put(f"/api/v1/risk-units/{unit_id}", json=changed, headers=owner | {"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert (r.json()["responsible_person"], r.json()["object_code"], r.headers["ETag"]) == (
        "王强",
        "MHI-01",
        '"2"',
    )
    stale = client.put(f"/api/v1/risk-units/{unit_id}", json=unit, headers=owner | {"If-Match": '"1"'})
    assert stale.status_code == 409, stale.text

    event = {"description": "泄漏", "consequence": "火灾", "method": "lec", "factors": MAJOR_LEC}
    event_id = client.post(f"/api/v1/risk-units/{unit_id}/events", json=event, headers=owner).json()["id"]
    measure = {
        "description": "巡检",
        "hierarchy": "administrative",
        "cycle": "daily",
        "responsibility": "operator",
    }
    r = client.post(f"/api/v1/risk-events/{event_id}/measures", json=measure, headers=owner)
    measure_id = r.json()["measures"][0]["id"]
    db.clock.advance(timedelta(minutes=1))
    r = client.put(
        f"/api/v1/control-measures/{measure_id}",
        json=measure | {"hierarchy": "engineering", "cycle": "weekly"},
        headers=owner | {"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["flag"], r.json()["measures"][0]["cycle"], r.headers["ETag"]) == (None, "weekly", '"2"')
    assert r.json()["reassessment_due"]
    db.clock.advance(timedelta(minutes=1))
    r = client.put(
        f"/api/v1/risk-events/{event_id}",
        json=event | {"factors": MAJOR_LEC | {"L_after": 1}},
        headers=owner | {"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["residual_level"], r.json()["reassessment_due"], r.headers["ETag"]) == (
        "moderate",
        False,
        '"2"',
    )
    far = db.user(Role.enterprise, enterprise_id=db.enterprise(county="320311"), username="edit-stranger")
    assert far
    other = auth_header(client, "edit-stranger")
    assert (
        client.put(
            f"/api/v1/risk-units/{unit_id}", json=unit, headers=other | {"If-Match": '"2"'}
        ).status_code
        == 404
    )


def test_the_demo_register(db: Db) -> None:
    firms = [db.enterprise(county="320311") for _ in range(3)]
    summary = db.act(service.seed_dualprevention_demo, SYSTEM, firms)
    assert (summary.enterprises, summary.units, summary.events, summary.measures) == (3, 12, 12, 27)
    assert summary.checks > 0 and summary.missed > 0 and summary.hazards >= 1
    register = db.act(service.risk_register, SYSTEM, firms[0])
    assert register.colours["red"] >= 1 and register.colours["yellow"] >= 1
    colours = Counter(
        colour
        for f in firms
        for colour, n in db.act(service.risk_register, SYSTEM, f).colours.items()
        for _ in range(n)
    )
    assert colours["orange"] >= 1  # the second enterprise's tank farm is assessed lower
    with db.uow(write=False) as uow:
        linked = uow.session.scalars(
            select(CheckRecord.hazard_id).where(CheckRecord.hazard_id.is_not(None))
        ).all()
        sources = {h.source for h in uow.session.scalars(select(Hazard).where(Hazard.id.in_(linked)))}
    assert len(linked) == summary.hazards and sources == {"self_inspection"}
    exported = db.act(transfer.export_enterprise, SYSTEM, firms[1])
    assert exported.held_back == () and exported.counts["hazard"] >= 1
    assert db.act(service.check_tasks, SYSTEM, firms[0], db.clock.now().date()).tasks
