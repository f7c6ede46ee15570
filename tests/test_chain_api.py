"""One thing, whole chain over HTTP and the CLI: the report, referrals in each caller's scope, business types."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from tests.builders import Db, auth_header
from zhiben.auth.domain import Role
from zhiben.cli.main import app

CITY, COUNTY = "320300", "320311"


def test_the_report_lists_gaps_and_overlaps_in_the_callers_language(db: Db) -> None:
    db.user(Role.admin, username="root")
    db.user(Role.regulator, division="320500", username="suzhou")
    client = db.client()
    admin = auth_header(client, "root")
    override = {
        "division": "32",
        "thing": "urban_gas",
        "stage": "use",
        "assignments": [
            {"department": "housing_construction", "role": "lead"},
            {"department": "market_regulation", "role": "lead"},
        ],
        "basis": "省政府分工方案",
    }
    response = client.put("/api/v1/chain/assignments", json=override, headers=admin)
    assert response.status_code == 200, response.text
    assert [a["division_code"] for a in response.json()] == ["320000", "320000"]
    body = client.get(
        "/api/v1/chain/report", params={"division": CITY}, headers={**admin, "Accept-Language": "en"}
    ).json()
    assert body["division_code"] == CITY and body["overlap_count"] == 1
    overlap = body["overlaps"][0]
    assert (overlap["thing"], overlap["stage"], overlap["thing_name"]) == ("urban_gas", "use", "urban gas")
    gap_cells = {(c["thing"], c["stage"]) for c in body["gaps"]}
    assert ("e_bike_and_battery", "use") in gap_cells and body["gap_count"] == len(body["gaps"])
    suzhou = auth_header(client, "suzhou")
    response = client.get("/api/v1/chain/report", params={"division": CITY}, headers=suzhou)
    assert response.status_code == 404
    assert client.get("/api/v1/chain/report", headers=suzhou).json()["division_code"] == "320500"
    response = client.put("/api/v1/chain/assignments", json=override, headers=suzhou)
    assert response.status_code == 403


def test_referrals_over_http_follow_the_scope_and_the_lifecycle(db: Db) -> None:
    db.user(Role.regulator, division=CITY, username="xuzhou")
    db.user(Role.regulator, division="320500", username="suzhou")
    db.user(Role.department, division=CITY, sectors="urban_gas", username="xz-housing")
    db.user(Role.department, division=CITY, sectors="road_transport", username="xz-transport")
    hazard_id = db.hazard(db.enterprise(county=COUNTY, sector="urban_gas"))
    client = db.client()
    regulator, housing = auth_header(client, "xuzhou"), auth_header(client, "xz-housing")
    body = {"hazard_id": hazard_id, "reason": "燃气经营环节隐患", "thing": "urban_gas", "stage": "sale"}
    created = client.post("/api/v1/chain/referrals", json=body, headers=regulator)
    assert created.status_code == 201, created.text
    referral = created.json()
    assert referral["department"] == "housing_construction" and referral["state"] == "referred"
    path = f"/api/v1/chain/referrals/{referral['id']}"
    for outsider in ("suzhou", "xz-transport"):
        assert client.get(path, headers=auth_header(client, outsider)).status_code == 404
    assert client.get("/api/v1/chain/referrals", headers=auth_header(client, "xz-transport")).json() == []
    assert [r["id"] for r in client.get("/api/v1/chain/referrals", headers=housing).json()] == [
        referral["id"]
    ]
    early = client.post(f"{path}/outcome", json={"outcome": "已处理"}, headers=housing)
    assert early.status_code == 409 and early.json()["error"]["code"] == "referral_illegal_transition"
    assert client.post(f"{path}/acknowledge", headers=regulator).status_code == 403
    assert client.post(f"{path}/acknowledge", headers=housing).json()["state"] == "acknowledged"
    done = client.post(f"{path}/outcome", json={"outcome": "已责令停业整改"}, headers=housing)
    assert done.json()["state"] == "handled" and done.json()["outcome"] == "已责令停业整改"
    gap = {"hazard_id": hazard_id, "reason": "x", "thing": "e_bike_and_battery", "stage": "use"}
    response = client.post("/api/v1/chain/referrals", json=gap, headers=regulator)
    assert (
        response.status_code == 422
        and response.json()["error"]["details"]["fields"][0]["field"] == "department"
    )


def test_business_types_over_http_are_proposed_by_regulators_and_decided_by_admins(db: Db) -> None:
    db.user(Role.admin, username="root")
    db.user(Role.regulator, division=CITY, username="xuzhou")
    client = db.client()
    regulator, admin = auth_header(client, "xuzhou"), auth_header(client, "root")
    body = {
        "name": "共享换电站",
        "industry_code": "F5267",
        "attributes": ["lithium_batteries", "open_to_public"],
    }
    created = client.post("/api/v1/chain/business-types", json=body, headers=regulator)
    assert created.status_code == 201, created.text
    proposal = created.json()
    assert proposal["neighbour"] == "e_bike_battery_swap_cabinet" and proposal["state"] == "proposed"
    decision = f"/api/v1/chain/business-types/{proposal['id']}/decision"
    assert client.post(decision, json={}, headers=regulator).status_code == 403
    decided = client.post(decision, json={}, headers=admin).json()
    assert decided["state"] == "confirmed" and decided["department"] == proposal["proposed_department"]
    listed = client.get("/api/v1/chain/business-types", params={"state": "confirmed"}, headers=regulator)
    assert [t["id"] for t in listed.json()] == [proposal["id"]]
    wrong = client.post(
        "/api/v1/chain/business-types", json={**body, "name": "y", "attributes": ["z"]}, headers=admin
    )
    assert wrong.status_code == 422


def test_the_cli_report_prints_gaps_as_json(db: Db, cli: CliRunner) -> None:
    result = cli.invoke(app, ["chain", "report", "--division", CITY, "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["division"] == CITY and {"thing": "self_built_house_for_business", "stage": "use"} in [
        {"thing": g["thing"], "stage": g["stage"]} for g in body["gaps"]
    ]
    assert cli.invoke(app, ["chain", "report"]).exit_code == 0
    assert cli.invoke(app, ["chain", "seed"]).exit_code == 0
    assert cli.invoke(app, ["chain", "mark-overdue"]).exit_code == 0
    assert cli.invoke(app, ["chain", "report", "--division", "99"]).exit_code == 3
