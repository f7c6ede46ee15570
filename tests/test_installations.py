"""GB 18218 over the API: a stateless identification, and assessments stored on an enterprise's facilities."""

from __future__ import annotations

from sqlalchemy import select

from tests.builders import Db, auth_header
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import Role

INVENTORY = {
    "lines": [
        # S = 4/5 + 600/500 = 2; R = α 2 × (0.8 + 1.2 × ... ): see test_gb18218's mixed unit
        {
            "unit": "罐区一",
            "unit_type": "storage",
            "substance": "液氯",
            "cas": "7782-50-5",
            "quantity_t": "4",
            "exposed_people": 120,
        },
        {
            "unit": "罐区一",
            "unit_type": "storage",
            "substance": "甲醇",
            "cas": "67-56-1",
            "category": "W5.3",
            "quantity_t": "600",
            "exposed_people": 120,
        },
        {"unit": "仓库", "unit_type": "storage", "substance": "液氯", "cas": "7782-50-5", "quantity_t": "1"},
    ]
}


def test_identify_stores_nothing(db: Db) -> None:
    db.user(Role.regulator, division="320311", username="quanshan")
    client = db.client()
    response = client.post("/api/v1/gb18218", json=INVENTORY, headers=auth_header(client, "quanshan"))
    assert response.status_code == 200, response.text
    tank, store = response.json()["units"]
    assert (tank["s"], tank["is_major_hazard"], tank["r"], tank["grade"]) == (2.0, True, 8.8, 4)
    assert (store["is_major_hazard"], store["r"], store["grade"]) == (False, None, None)
    assert [t["ratio"] for t in tank["terms"]] == [0.8, 1.2]


def test_an_assessment_is_stored_on_the_facilities_and_audited(db: Db) -> None:
    plant = db.enterprise(county="320311", sector="hazchem_storage")
    db.user(Role.enterprise, enterprise_id=plant, username="plant")
    client = db.client()
    headers = auth_header(client, "plant")
    stored = client.post(
        f"/api/v1/enterprises/{plant}/facilities/assessment", json=INVENTORY, headers=headers
    )
    assert stored.status_code == 200, stored.text
    assert [(f["name"], f["is_major_hazard"], f["grade"], f["s"], f["r"]) for f in stored.json()] == [
        ("罐区一", True, 4, "2", "8.8"),
        ("仓库", False, None, "0.2", None),
    ]
    smaller = {"lines": [INVENTORY["lines"][2] | {"unit": "罐区一", "quantity_t": "2"}]}
    client.post(f"/api/v1/enterprises/{plant}/facilities/assessment", json=smaller, headers=headers)
    listed = client.get(f"/api/v1/enterprises/{plant}/facilities", headers=headers).json()
    assert {f["name"]: (f["is_major_hazard"], f["s"]) for f in listed} == {
        "仓库": (False, "0.2"),
        "罐区一": (False, "0.4"),
    }
    with db.uow(write=False) as uow:
        entries = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "facility.assess")).all()
        assert len(entries) == 3
        assert (
            entries[-1].before is not None
            and entries[-1].before["grade"] == 4
            and entries[-1].after["grade"] is None
        )


def test_facilities_stay_within_scope_and_bad_lines_are_named(db: Db) -> None:
    plant = db.enterprise(county="320311", sector="hazchem_storage")
    other = db.enterprise(county="320311", sector="hazchem_storage")
    db.user(Role.enterprise, enterprise_id=other, username="neighbour")
    client = db.client()
    headers = auth_header(client, "neighbour")
    assert client.get(f"/api/v1/enterprises/{plant}/facilities", headers=headers).status_code == 404
    assert (
        client.post(
            f"/api/v1/enterprises/{plant}/facilities/assessment", json=INVENTORY, headers=headers
        ).status_code
        == 404
    )
    bad = {"lines": [INVENTORY["lines"][0] | {"quantity_t": "-1"}]}
    response = client.post(f"/api/v1/enterprises/{other}/facilities/assessment", json=bad, headers=headers)
    assert response.status_code == 422
    unknown = {"lines": [INVENTORY["lines"][0] | {"substance": "不存在的物质", "cas": ""}]}
    response = client.post("/api/v1/gb18218", json=unknown, headers=headers)
    assert response.status_code == 422 and "不存在的物质" in response.text


def test_the_cli_stores_an_inventory_on_the_facilities(db: Db, cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from zhiben.cli.main import app
    from zhiben.enterprise.models import Facility

    plant = db.enterprise(county="320311", sector="hazchem_storage")
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "unit,unit_type,substance,cas,category,quantity_t,exposed_people\n罐区一,storage,液氯,7782-50-5,,5,120\n",
        "utf-8",
    )
    result = cli.invoke(app, ["gb18218", str(inventory), "--store", str(plant), "--json"])
    assert result.exit_code == 0, result.output
    with db.uow(write=False) as uow:
        [facility] = uow.session.scalars(select(Facility).where(Facility.enterprise_id == plant)).all()
        assert (facility.name, facility.is_major_hazard, facility.s) == ("罐区一", True, "1")
    refused = cli.invoke(app, ["gb18218", str(inventory), "--store", str(plant), "--regime", "seveso3"])
    assert refused.exit_code == 2
