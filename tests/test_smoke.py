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
