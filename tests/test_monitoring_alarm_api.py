"""The monitoring API: sensors with health, readings, alarms listed in scope, every handling action
allowed and refused, If-Match, alarm KPIs and dead letters."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.builders import Db, auth_header
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import SYSTEM, Role
from zhiben.monitoring import domain
from zhiben.monitoring.ingest import Ingestor, Message
from zhiben.monitoring.models import Alarm, AlarmLogEntry

COUNTY = "140213"
SENSOR = {
    "code": "CH4-T1",
    "kind": "methane",
    "unit": "%CH4",
    "location_code": "T1",
    "range_min": 0,
    "range_max": 4,
    "sampling_period_s": 600,
}


@dataclass
class World:
    db: Db
    client: TestClient
    mine: int
    operator: dict[str, str]
    sensor_id: int

    def as_(self, role: Role, **kwargs: Any) -> dict[str, str]:
        return auth_header(self.client, self.db.user(role, **kwargs).username)

    def feed(self, values: list[float], code: str = "CH4-T1", ago_s: int = 600) -> None:
        base = domain.to_ms(self.db.clock.now()) - ago_s * 1000
        body = {
            "readings": {
                "sensor": [code] * len(values),
                "ts": [base + 10_000 * i for i in range(len(values))],
                "value": values,
            }
        }
        message = Message(self.mine, "http", "test", json.dumps(body).encode())
        self.db.act(Ingestor().ingest, [message])

    def raise_alarm(self) -> int:
        """Methane at 1.2 %: `alarm:hi` opens, unacknowledged."""
        self.feed([0.3, 1.2])
        found = self.client.get(
            "/api/v1/alarms", params={"condition": "alarm:hi", "open": "true"}, headers=self.operator
        ).json()
        return int(found["items"][0]["id"])

    def post(self, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        return self.client.post(f"/api/v1{path}", headers=headers or self.operator, **kwargs)


@pytest.fixture
def world(db: Db) -> World:
    client = db.client()
    mine = db.enterprise(county=COUNTY, sector="coal_mine")
    operator = auth_header(client, db.user(Role.enterprise, enterprise_id=mine).username)
    created = client.post(f"/api/v1/enterprises/{mine}/sensors", json=SENSOR, headers=operator)
    assert created.status_code == 201, created.text
    return World(db, client, mine, operator, created.json()["id"])


# ---- sensors --------------------------------------------------------------------------------


def test_a_registered_sensor_has_its_limits_and_no_data_until_it_reports(world: World) -> None:
    sensor = world.client.get(f"/api/v1/sensors/{world.sensor_id}", headers=world.operator).json()
    assert sensor["code"] == "CH4-T1" and sensor["limits"]
    assert sensor["health"]["status"] == "no_data"
    world.feed([0.3, 0.35])
    listed = world.client.get(f"/api/v1/enterprises/{world.mine}/sensors", headers=world.operator).json()
    assert [(s["code"], s["health"]["status"], s["health"]["last_value"]) for s in listed] == [
        ("CH4-T1", "normal", 0.35)
    ]
    world.db.clock.advance(timedelta(hours=1))  # past three sampling periods: stale
    listed = world.client.get(f"/api/v1/enterprises/{world.mine}/sensors", headers=world.operator).json()
    assert listed[0]["health"]["status"] == "offline"


def test_registering_a_sensor_twice_or_with_a_bad_kind_is_refused(world: World) -> None:
    path = f"/enterprises/{world.mine}/sensors"
    assert world.post(path, json=SENSOR).status_code == 409
    bad = world.post(path, json={**SENSOR, "code": "X", "kind": "unicorn"})
    assert bad.status_code == 422 and bad.json()["error"]["details"]["fields"][0]["field"] == "kind"
    provider = world.as_(Role.service_provider, provider_org="某技术服务公司")
    world.db.contract("某技术服务公司", world.mine)
    assert world.post(path, provider, json={**SENSOR, "code": "Y"}).status_code == 403


def test_readings_come_back_in_pages_from_next_since(world: World) -> None:
    world.feed([0.1, 0.2, 0.3, 0.4, 0.5])
    path = f"/api/v1/sensors/{world.sensor_id}/readings"
    first = world.client.get(path, params={"limit": 3}, headers=world.operator).json()
    assert [r["value"] for r in first["items"]] == [0.1, 0.2, 0.3] and first["is_truncated"]
    rest = world.client.get(
        path, params={"limit": 3, "since": first["next_since"]}, headers=world.operator
    ).json()
    assert [r["value"] for r in rest["items"]] == [0.4, 0.5] and not rest["is_truncated"]


def test_another_enterprise_cannot_see_the_sensor(world: World) -> None:
    other = world.as_(Role.enterprise, enterprise_id=world.db.enterprise(county=COUNTY, sector="coal_mine"))
    for path in (f"/sensors/{world.sensor_id}", f"/sensors/{world.sensor_id}/readings"):
        assert world.client.get(f"/api/v1{path}", headers=other).status_code == 404
    assert world.client.get(f"/api/v1/enterprises/{world.mine}/sensors", headers=other).status_code == 404


# ---- alarms: reading and scope --------------------------------------------------------------


def test_an_alarm_is_read_with_its_log_its_version_and_the_callers_actions(world: World) -> None:
    alarm_id = world.raise_alarm()
    response = world.client.get(f"/api/v1/alarms/{alarm_id}", headers=world.operator)
    body = response.json()
    assert response.headers["ETag"] == f'"{body["version"]}"'
    assert (body["state"], body["is_open"], body["priority"]) == ("unacknowledged", True, "medium")
    assert [e["action"] for e in body["log"]] == ["condition_active"]
    assert "acknowledge" in body["actions"] and "unshelve" not in body["actions"]


def test_the_alarm_list_filters_and_pages(world: World) -> None:
    world.feed([0.3, 1.2, 1.7])  # alarm:hi and power_off
    headers = world.operator

    def ids(**params: Any) -> list[str]:
        page = world.client.get("/api/v1/alarms", params=params, headers=headers).json()
        return [a["condition"] for a in page["items"]]

    assert sorted(ids()) == ["alarm:hi", "power_off"]
    assert ids(priority="emergency") == ["power_off"]
    assert ids(condition="alarm") == ["alarm:hi"]
    assert ids(state="acknowledged") == []
    assert ids(open="false") == []
    assert sorted(ids(enterprise_id=world.mine, division="14")) == ["alarm:hi", "power_off"]
    assert ids(division="32") == []
    page = world.client.get("/api/v1/alarms", params={"size": 1, "page": 2}, headers=headers).json()
    assert (page["total"], len(page["items"])) == (2, 1)
    later = (world.db.clock.now() + timedelta(hours=1)).isoformat()
    assert ids(since=later) == []


@pytest.mark.parametrize(
    ("role", "kwargs"),
    [
        (Role.enterprise, "other_enterprise"),
        (Role.regulator, {"division": "140212"}),  # a county regulator of another county
        (Role.service_provider, {"provider_org": "无合同机构"}),
    ],
)
def test_outside_the_scope_an_alarm_is_not_found(world: World, role: Role, kwargs: Any) -> None:
    alarm_id = world.raise_alarm()
    if kwargs == "other_enterprise":
        kwargs = {"enterprise_id": world.db.enterprise(county=COUNTY, sector="coal_mine")}
    headers = world.as_(role, **kwargs)
    assert world.client.get(f"/api/v1/alarms/{alarm_id}", headers=headers).status_code == 404
    assert world.post(f"/alarms/{alarm_id}/acknowledge", headers).status_code == 404
    assert world.client.get("/api/v1/alarms", headers=headers).json()["total"] == 0


@pytest.mark.parametrize(
    ("role", "kwargs"),
    [
        (Role.service_provider, {"provider_org": "安全技术服务中心"}),
        (Role.department, {"division": COUNTY, "sectors": "coal_mine"}),
    ],
)
def test_service_providers_and_departments_read_but_may_not_act(
    world: World, role: Role, kwargs: Any
) -> None:
    alarm_id = world.raise_alarm()
    world.db.contract("安全技术服务中心", world.mine)
    headers = world.as_(role, **kwargs)
    read = world.client.get(f"/api/v1/alarms/{alarm_id}", headers=headers)
    assert read.status_code == 200 and read.json()["actions"] == []
    refused = world.post(f"/alarms/{alarm_id}/acknowledge", headers)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "permission_denied")
    point = world.post(
        f"/sensors/{world.sensor_id}/suppress", headers, json={"condition": "offline", "reason": "x"}
    )
    assert point.status_code == 403


def test_a_regulator_with_jurisdiction_may_act(world: World) -> None:
    alarm_id = world.raise_alarm()
    for division in ("140213", "140200", "140000"):
        headers = world.as_(Role.regulator, division=division)
        comment = world.post(f"/alarms/{alarm_id}/comment", headers, json={"text": f"{division} 已关注"})
        assert comment.status_code == 200, comment.text
    officer = world.as_(Role.officer, division=COUNTY)
    assert world.post(f"/alarms/{alarm_id}/acknowledge", officer).json()["state"] == "acknowledged"


# ---- alarms: every action, allowed and refused -----------------------------------------------

LATER = timedelta(hours=2)


def _body(world: World, action: str) -> dict[str, Any] | None:
    until = (world.db.clock.now() + LATER).isoformat()
    return {
        "shelve": {"until": until, "reason": "传感器标校"},
        "suppress": {"reason": "停产检修"},
        "remove-from-service": {"reason": "更换探头"},
        "comment": {"text": "已通知班组长"},
        "assign": {"assignee": "王班长"},
    }.get(action)


@pytest.mark.parametrize(
    ("before", "action", "after"),
    [
        ([], "acknowledge", "acknowledged"),
        ([], "shelve", "shelved"),
        (["shelve"], "unshelve", "unacknowledged"),
        ([], "suppress", "suppressed_by_design"),
        (["suppress"], "unsuppress", "unacknowledged"),
        ([], "remove-from-service", "out_of_service"),
        (["remove-from-service"], "return-to-service", "unacknowledged"),
        ([], "comment", "unacknowledged"),
        ([], "assign", "unacknowledged"),
    ],
)
def test_each_action_is_taken_logged_and_audited(
    world: World, before: list[str], action: str, after: str
) -> None:
    alarm_id = world.raise_alarm()
    for step in before:
        assert world.post(f"/alarms/{alarm_id}/{step}", json=_body(world, step)).status_code == 200
    world.db.clock.advance(timedelta(minutes=1))
    response = world.post(f"/alarms/{alarm_id}/{action}", json=_body(world, action))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["state"] == after
    name = action.replace("-", "_")
    assert body["log"][-1]["action"] == name and body["log"][-1]["actor"].startswith("enterprise:")
    with world.db.uow() as uow:
        audited = uow.session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_type == "alarm", AuditEntry.object_id == str(alarm_id)
            )
        ).all()
        assert audited[-1] == f"alarm.{name}"
        logged = uow.session.scalars(
            select(AlarmLogEntry).where(AlarmLogEntry.alarm_id == alarm_id).order_by(AlarmLogEntry.id)
        ).all()
        assert logged[-1].at == world.db.clock.now()


@pytest.mark.parametrize(
    ("before", "action"),
    [
        (["acknowledge"], "acknowledge"),
        ([], "unshelve"),
        ([], "unsuppress"),
        ([], "return-to-service"),
        (["shelve"], "shelve"),
        (["remove-from-service"], "suppress"),
        (["remove-from-service"], "shelve"),
        (["suppress"], "acknowledge"),
    ],
)
def test_a_refused_action_answers_409_with_the_allowed_actions(
    world: World, before: list[str], action: str
) -> None:
    alarm_id = world.raise_alarm()
    for step in before:
        assert world.post(f"/alarms/{alarm_id}/{step}", json=_body(world, step)).status_code == 200
    refused = world.post(f"/alarms/{alarm_id}/{action}", json=_body(world, action))
    assert refused.status_code == 409, refused.text
    details = refused.json()["error"]["details"]
    assert details["action"] == action.replace("-", "_")
    assert action.replace("-", "_") not in details["allowed"]


def test_comment_on_a_closed_record_is_refused(world: World) -> None:
    world.feed([0.3, 1.2, 0.5])  # returned to normal, unacknowledged
    alarm_id = int(world.client.get("/api/v1/alarms", headers=world.operator).json()["items"][0]["id"])
    closed = world.post(f"/alarms/{alarm_id}/acknowledge").json()
    assert (closed["state"], closed["is_open"]) == ("normal", False)
    assert world.post(f"/alarms/{alarm_id}/comment", json={"text": "x"}).status_code == 409


def test_a_stale_if_match_is_refused_and_the_current_one_accepted(world: World) -> None:
    alarm_id = world.raise_alarm()
    etag = world.client.get(f"/api/v1/alarms/{alarm_id}", headers=world.operator).headers["ETag"]
    assigned = world.post(
        f"/alarms/{alarm_id}/assign", json={"assignee": "李工"}, headers={**world.operator, "If-Match": etag}
    )
    assert assigned.status_code == 200
    stale = world.post(f"/alarms/{alarm_id}/acknowledge", headers={**world.operator, "If-Match": etag})
    assert (stale.status_code, stale.json()["error"]["code"]) == (409, "stale_version")
    fresh = world.post(
        f"/alarms/{alarm_id}/acknowledge", headers={**world.operator, "If-Match": assigned.headers["ETag"]}
    )
    assert fresh.status_code == 200


def test_shelving_needs_a_future_expiry_and_a_reason(world: World) -> None:
    alarm_id = world.raise_alarm()
    past = (world.db.clock.now() - timedelta(minutes=1)).isoformat()
    assert world.post(f"/alarms/{alarm_id}/shelve", json={"until": past, "reason": "x"}).status_code == 422
    future = (world.db.clock.now() + LATER).isoformat()
    assert world.post(f"/alarms/{alarm_id}/shelve", json={"until": future, "reason": " "}).status_code == 422
    assert world.post(f"/alarms/{alarm_id}/shelve", json={"until": "2026-01-01T00:00"}).status_code == 422


def test_an_alarm_point_without_an_open_record_is_shelved_by_sensor(world: World) -> None:
    until = (world.db.clock.now() + LATER).isoformat()
    path = f"/sensors/{world.sensor_id}/shelve"
    shelved = world.post(path, json={"condition": "offline", "until": until, "reason": "网关迁移"})
    assert shelved.status_code == 200, shelved.text
    assert (shelved.json()["state"], shelved.json()["condition"]) == ("shelved", "offline")
    again = world.post(
        f"/sensors/{world.sensor_id}/remove-from-service", json={"condition": "offline", "reason": "x"}
    )
    assert (again.json()["id"], again.json()["state"]) == (shelved.json()["id"], "out_of_service")
    unknown = world.post(path, json={"condition": "alarm:hihi", "until": until, "reason": "x"})
    assert unknown.status_code == 422  # methane at T1 has no hihi level
    with world.db.uow() as uow:
        assert len(uow.session.scalars(select(Alarm)).all()) == 1


# ---- KPIs and dead letters --------------------------------------------------------------------


def test_alarm_kpis_for_a_flood_of_alarms(world: World) -> None:
    start = world.db.clock.now()
    # hi on and off six times within two minutes: six annunciations of one point, chattering
    world.feed([1.2, 0.5] * 6, ago_s=0)
    world.db.clock.advance(timedelta(minutes=5))
    response = world.client.get(
        f"/api/v1/enterprises/{world.mine}/alarm-kpis",
        params={"start": start.isoformat(), "end": (start + timedelta(hours=1)).isoformat()},
        headers=world.operator,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    results = {r["kpi"]: r for r in body["results"]}
    assert body["annunciations"] == 6
    assert results["max_alarms_in_10_min"]["value"] == 6
    assert results["max_alarms_in_10_min"]["verdict"] == "meets_target"  # at most 10
    assert results["alarms_per_10_min"]["value"] == 1.0 and results["alarms_per_10_min"]["target"]
    assert body["chattering"] == [{"sensor_id": str(world.sensor_id), "condition": "alarm:hi", "count": 1}]
    assert results["chattering_and_fleeting"]["verdict"] == "exceeds"
    assert body["top10"][0]["count"] == 6 and body["priority_shares_pct"]["medium"] == 100.0


def test_alarm_kpis_refuse_a_period_that_ends_before_it_starts(world: World) -> None:
    now = world.db.clock.now()
    params = {"start": now.isoformat(), "end": (now - timedelta(hours=1)).isoformat()}
    path = f"/api/v1/enterprises/{world.mine}/alarm-kpis"
    assert world.client.get(path, params=params, headers=world.operator).status_code == 422
    other = world.as_(Role.regulator, division="140212")
    assert world.client.get(path, headers=other).status_code == 404


def test_dead_letters_are_for_administrators(world: World) -> None:
    world.db.act(Ingestor().ingest, [Message(world.mine, "mqtt", "zhiben/1/readings", b"not json")])
    assert world.client.get("/api/v1/dead-letters", headers=world.operator).status_code == 403
    admin = world.as_(Role.admin)
    page = world.client.get("/api/v1/dead-letters", params={"channel": "mqtt"}, headers=admin).json()
    assert page["total"] == 1 and page["items"][0]["reason"].startswith("not JSON")
    assert (
        world.client.get("/api/v1/dead-letters", params={"channel": "http"}, headers=admin).json()["total"]
        == 0
    )


def test_an_administrator_sees_every_alarm(world: World) -> None:
    world.raise_alarm()
    assert world.client.get("/api/v1/alarms", headers=world.as_(Role.admin)).json()["total"] == 1
    assert SYSTEM.role == Role.admin
