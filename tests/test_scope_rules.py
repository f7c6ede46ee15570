"""Named scope rules, one per role; the property test covers random combinations."""

from __future__ import annotations

from datetime import timedelta

from tests.builders import Db, auth_header
from zhiben.auth.domain import Role


def test_an_insurer_sees_only_enterprises_under_a_contract_in_force(db: Db) -> None:
    insured = db.enterprise("320506")
    other = db.enterprise("320506")
    db.contract("平安产险", insured)
    insurer = db.user(Role.service_provider, provider_org="平安产险")
    client = db.client()
    headers = auth_header(client, insurer.username)
    assert client.get(f"/api/v1/enterprises/{insured}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/enterprises/{other}", headers=headers).status_code == 404
    db.clock.advance(timedelta(days=400))  # the contract ran for a year
    headers = auth_header(client, insurer.username)
    assert client.get(f"/api/v1/enterprises/{insured}", headers=headers).status_code == 404


def test_a_department_sees_only_its_sectors_in_its_area(db: Db) -> None:
    site = db.enterprise("320506", sector="construction")
    plant = db.enterprise("320506", sector="hazchem_production")
    housing = db.user(Role.department, division="320500", sectors="construction,urban_gas")
    client = db.client()
    headers = auth_header(client, housing.username)
    listed = client.get("/api/v1/enterprises", headers=headers).json()
    assert [e["id"] for e in listed["items"]] == [site]
    assert client.get(f"/api/v1/enterprises/{plant}", headers=headers).status_code == 404


def test_an_enterprise_user_sees_only_its_own_hazards(db: Db) -> None:
    mine, theirs = db.enterprise("320506"), db.enterprise("320506")
    own_hazard, their_hazard = db.hazard(mine), db.hazard(theirs)
    user = db.user(Role.enterprise, enterprise_id=mine)
    client = db.client()
    headers = auth_header(client, user.username)
    assert client.get(f"/api/v1/hazards/{own_hazard}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/hazards/{their_hazard}", headers=headers).status_code == 404
    assert client.get("/api/v1/hazards", headers=headers).json()["total"] == 1


def test_a_county_regulator_does_not_see_the_neighbouring_county(db: Db) -> None:
    home, neighbour = db.enterprise("320506"), db.enterprise("320505")
    db.hazard(home)
    hazard = db.hazard(neighbour)
    county = db.user(Role.regulator, division="320506")
    client = db.client()
    headers = auth_header(client, county.username)
    assert client.get(f"/api/v1/hazards/{hazard}", headers=headers).status_code == 404
    assert client.get("/api/v1/hazards?division=3205", headers=headers).json()["total"] == 1
