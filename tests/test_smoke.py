from __future__ import annotations

from tests.builders import Db, auth_header
from zhiben.auth.domain import Role


def test_health_answers_with_the_database_in_use(db: Db) -> None:
    client = db.client()
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["database"] in ("sqlite", "postgresql")


def test_a_regulator_lists_hazards_in_their_province(db: Db) -> None:
    inside = db.enterprise("320311")
    outside = db.enterprise("440305")
    db.hazard(inside)
    db.hazard(outside)
    regulator = db.user(Role.regulator, division="320000")
    client = db.client()
    response = client.get("/api/v1/hazards", headers=auth_header(client, regulator.username))
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    assert body["items"][0]["county_code"] == "320311"


def test_validation_errors_speak_the_callers_language(db: Db) -> None:
    admin = db.user(Role.admin)
    client = db.client()
    headers = auth_header(client, admin.username)
    zh = client.post("/api/v1/enterprises", json={"name": "x"}, headers=headers)
    en = client.post(
        "/api/v1/enterprises", json={"name": "x"}, headers=headers | {"Accept-Language": "en-US"}
    )
    assert zh.status_code == en.status_code == 422
    zh_fields = {f["field"]: f["message"] for f in zh.json()["error"]["details"]["fields"]}
    en_fields = {f["field"]: f["message"] for f in en.json()["error"]["details"]["fields"]}
    assert zh_fields["uscc"] == "必填" and en_fields["uscc"] == "Field required"
    assert zh.json()["error"]["message"].startswith("输入有误")
