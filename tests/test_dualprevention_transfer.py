"""The exchange wired to stored records: export an enterprise's chain from the database, import a file into
another enterprise, export again, equal; a wrong file stores nothing and names every error; scope.

The clock stands at 2026-03-02 10:00 Shanghai (a Monday)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.builders import Db, auth_header
from zhiben.auth.domain import Principal, Role
from zhiben.cli.main import app
from zhiben.dualprevention import service, transfer
from zhiben.dualprevention.models import CheckRecord, RiskUnit
from zhiben.errors import NotFoundError, PermissionDeniedError
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, Plan

COUNTY = "320311"
CODE_A, CODE_B = "320500123", "320500124"
MAJOR_LEC = {"L": 6, "E": 6, "C": 15}
CHAIN = (
    "sec_security_risk_unit",
    "sec_security_risk_events",
    "sec_security_risk_control_measures",
    "sec_hidden_check_mission",
    "sec_hidden_check_record",
)
BY_IMPORTER = ("registrant", "createBy", "updateBy", "updateDate")  # who imported it, and when it moved


@pytest.fixture
def firms(db: Db) -> dict[str, Any]:
    a, b = db.enterprise(county=COUNTY), db.enterprise(county=COUNTY)
    return {
        "a": a,
        "b": b,
        "owner_a": db.user(Role.enterprise, enterprise_id=a, username="owner-a"),
        "owner_b": db.user(Role.enterprise, enterprise_id=b, username="owner-b"),
        "county": db.user(Role.regulator, division=COUNTY, username="county-official"),
    }


def register_with_checks(db: Db, owner: Principal, firm: int) -> int:
    """A unit, a major event, three measures, a normal and an abnormal check; the hazard planned."""
    unit = db.act(
        service.create_unit,
        owner,
        firm,
        service.UnitDraft("1号罐区", "area", "生产部", "李强", "MHI-3203-01"),
    )
    event = db.act(
        service.create_event, owner, unit.id, service.EventDraft("液化烃泄漏", "火灾", "lec", MAJOR_LEC)
    )
    drafts = (
        service.MeasureDraft("巡检罐区", "administrative", "daily", "operator"),
        service.MeasureDraft("读取可燃气体报警仪", "engineering", "hourly", "operator"),
        service.MeasureDraft("检查防护用品", "ppe", "weekly", "technical_lead"),
    )
    measures = [db.act(service.add_measure, owner, event.id, d).measures[-1] for d in drafts]
    daily_start, nine = datetime(2026, 3, 1, 16, tzinfo=UTC), datetime(2026, 3, 2, 1, tzinfo=UTC)
    db.act(service.record_check, owner, measures[0].id, service.CheckDraft(daily_start, nine, "normal"))
    found = service.CheckDraft(nine, nine + timedelta(minutes=20), "abnormal", "2号报警仪无显示")
    hazard_id = db.act(service.record_check, owner, measures[1].id, found).hazard_id
    plan_hazard(db, owner, hazard_id)
    db.act(transfer.set_company_code, owner, firm, CODE_A)
    return int(hazard_id)


def plan_hazard(db: Db, owner: Principal, hazard_id: int) -> None:
    db.act(hazards.determine_hazard, owner, hazard_id, HazardLevel.general)
    deadline = datetime(2026, 3, 20, 10, tzinfo=UTC)
    db.act(hazards.plan_rectification, owner, hazard_id, Plan("李强", "更换报警仪", deadline))


def as_other(payload: dict[str, Any], uscc: str, code: str) -> dict[str, Any]:
    out = copy.deepcopy(payload)
    out["enterprise"] = {"uscc": uscc, "companyCode": code}
    for key in ("sec_security_risk_unit", "sec_hidden_danger_info"):
        for row in out[key]:
            row["companyCode"] = code
    return out


def uscc_of(db: Db, firm: int) -> str:
    from zhiben.enterprise.models import Enterprise

    with db.uow(write=False) as uow:
        return str(uow.session.get(Enterprise, firm).uscc)  # type: ignore[union-attr]


def test_export_import_export_gives_the_same_chain(db: Db, firms: dict[str, Any]) -> None:
    register_with_checks(db, firms["owner_a"], firms["a"])
    first = db.act(transfer.export_enterprise, firms["owner_a"], firms["a"])
    assert first.held_back == ()
    assert first.counts == {
        "risk_unit": 1, "risk_event": 1, "control_measure": 3, "check_task": 3, "check_record": 2, "hazard": 1,
    }  # fmt: skip
    payload = first.payload
    assert payload is not None
    assert payload["sec_security_risk_unit"][0]["riskLevel"] == "0"  # 重大, encoding A
    assert [t["checkCycleUnit"] for t in payload["sec_hidden_check_mission"]] == ["天", "小时", "天"]
    assert [m["classify2"] for m in payload["sec_security_risk_control_measures"]] == ["3-4", "1-5", "4-2"]

    report = db.act(
        transfer.import_exchange,
        firms["owner_b"],
        firms["b"],
        as_other(payload, uscc_of(db, firms["b"]), CODE_B),
    )
    assert report.is_stored, report.issues
    assert report.stored == {
        "risk_unit": 1, "risk_event": 1, "control_measure": 3, "check_task": 3, "check_record": 2, "hazard": 1,
    }  # fmt: skip
    assert [n.reason for n in report.notices] == ["lifecycle_not_replayed"]
    register = db.act(service.risk_register, firms["owner_b"], firms["b"])
    (events,) = register.events_of_unit.values()
    assert [m.hierarchy for m in events[0].measures] == ["administrative", "engineering", "ppe"]
    assert [m.cycle for m in events[0].measures] == ["daily", "hourly", "weekly"]
    assert events[0].event.inherent_level == "major"

    held = db.act(transfer.export_enterprise, firms["owner_b"], firms["b"])
    assert [(i.entity, i.field, i.reason) for i in held.held_back] == [
        ("sec_hidden_danger_info", "dangerManageDeadline", "missing")  # the lifecycle is not replayed
    ]
    with db.uow(write=False) as uow:
        hazard_b = uow.session.scalars(
            select(CheckRecord.hazard_id).where(CheckRecord.enterprise_id == firms["b"])
        ).all()
    plan_hazard(db, firms["owner_b"], next(h for h in hazard_b if h))
    again = db.act(transfer.export_enterprise, firms["owner_b"], firms["b"]).payload
    assert again is not None
    back = as_other(again, uscc_of(db, firms["a"]), CODE_A)
    for key in CHAIN:
        assert back[key] == payload[key], key
    strip = [{k: v for k, v in h.items() if k not in BY_IMPORTER} for h in (back, payload)]
    assert [{k: v for k, v in h.items() if k not in BY_IMPORTER} for h in back["sec_hidden_danger_info"]] == [
        {k: v for k, v in h.items() if k not in BY_IMPORTER} for h in payload["sec_hidden_danger_info"]
    ]
    assert strip[0]["enterprise"] == strip[1]["enterprise"]


def test_importing_the_same_file_twice_stores_it_once(db: Db, firms: dict[str, Any]) -> None:
    register_with_checks(db, firms["owner_a"], firms["a"])
    payload = db.act(transfer.export_enterprise, firms["owner_a"], firms["a"]).payload
    other = as_other(payload, uscc_of(db, firms["b"]), CODE_B)
    assert db.act(transfer.import_exchange, firms["owner_b"], firms["b"], other).is_stored
    second = db.act(transfer.import_exchange, firms["owner_b"], firms["b"], other)
    assert second.is_stored and second.stored == {}
    assert {n.reason for n in second.notices} == {"already_stored"}
    assert len(second.notices) == 11  # every record of the file, none silently ignored
    mine = db.act(transfer.import_exchange, firms["owner_a"], firms["a"], payload)  # its own export
    assert mine.stored == {} and {n.reason for n in mine.notices} == {"already_stored"}


def test_a_wrong_file_stores_nothing_and_names_every_error(db: Db, firms: dict[str, Any]) -> None:
    register_with_checks(db, firms["owner_a"], firms["a"])
    payload = db.act(transfer.export_enterprise, firms["owner_a"], firms["a"]).payload
    bad = as_other(payload, uscc_of(db, firms["b"]), CODE_B)
    bad["sec_hidden_check_mission"][2]["checkCycle"] = 2  # every 2 days: not a zhiben cycle
    bad["sec_hidden_check_record"][0]["checkTime"] = "2026-13-01 08:00:00"
    bad["sec_hidden_danger_info"][0]["dangerState"] = "7"
    report = db.act(transfer.import_exchange, firms["owner_b"], firms["b"], bad)
    assert not report.is_stored and report.stored == {}
    assert {(i.entity, i.position, i.field, i.reason) for i in report.issues} >= {
        ("sec_hidden_check_mission", 2, "checkCycle", "unsupported_cycle"),
        ("sec_hidden_check_record", 0, "checkTime", "bad_time"),
        ("sec_hidden_danger_info", 0, "dangerState", "bad_code"),
    }
    with db.uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).where(RiskUnit.enterprise_id == firms["b"])) == 0
    wrong_firm = db.act(transfer.import_exchange, firms["owner_b"], firms["b"], payload)  # A's file
    assert "other_enterprise" in {i.reason for i in wrong_firm.issues}


def test_export_needs_the_company_code_and_holds_back_what_a_receiver_refuses(
    db: Db, firms: dict[str, Any]
) -> None:
    owner = firms["owner_a"]
    db.act(service.create_unit, owner, firms["a"], service.UnitDraft("反应釜", "device", "生产部", "李强"))
    none = db.act(transfer.export_enterprise, owner, firms["a"])
    assert none.payload is None and none.held_back[0].field == "companyCode"
    result = db.act(transfer.export_enterprise, owner, firms["a"], company_code=CODE_A)
    assert result.payload is not None and result.counts["risk_unit"] == 0
    assert [(i.field, i.reason) for i in result.held_back] == [("hazardCode", "missing")]  # no object code


def test_scope_roles_and_the_division_export(db: Db, firms: dict[str, Any]) -> None:
    register_with_checks(db, firms["owner_a"], firms["a"])
    payload = db.act(transfer.export_enterprise, firms["owner_a"], firms["a"]).payload
    with pytest.raises(NotFoundError):
        db.act(transfer.export_enterprise, firms["owner_b"], firms["a"])
    with pytest.raises(NotFoundError):
        db.act(transfer.import_exchange, firms["owner_b"], firms["a"], payload)
    with pytest.raises(PermissionDeniedError):
        db.act(transfer.import_exchange, firms["county"], firms["a"], payload)
    rows = db.act(transfer.export_division, firms["county"], COUNTY)
    assert [(r.enterprise_id, r.counts["check_record"]) for r in rows] == [(firms["a"], 2)]
    far = db.user(Role.regulator, division="320312")
    with pytest.raises(NotFoundError):
        db.act(transfer.export_division, far, COUNTY)


def test_the_api_exports_and_imports_with_a_422_naming_each_field(db: Db, firms: dict[str, Any]) -> None:
    register_with_checks(db, firms["owner_a"], firms["a"])
    client = db.client()
    official = auth_header(client, "county-official")
    r = client.get(f"/api/v1/enterprises/{firms['a']}/dual-prevention/exchange", headers=official,
                   params={"time_format": "compact"})  # fmt: skip
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["counts"]["hazard"] == 1 and body["held_back"] == []
    assert body["payload"]["timeFormat"] == "yyyyMMddHHmmss"
    owner_b = auth_header(client, "owner-b")
    bad = as_other(body["payload"], uscc_of(db, firms["b"]), CODE_B)
    bad["sec_security_risk_unit"][0]["hazardDep"] = ""
    r = client.post(f"/api/v1/enterprises/{firms['b']}/dual-prevention/exchange", json=bad, headers=owner_b)
    assert r.status_code == 422, r.text
    assert "sec_security_risk_unit[0].hazardDep" in {
        f["field"] for f in r.json()["error"]["details"]["fields"]
    }
    good = as_other(body["payload"], uscc_of(db, firms["b"]), CODE_B)
    r = client.post(f"/api/v1/enterprises/{firms['b']}/dual-prevention/exchange", json=good, headers=owner_b)
    assert r.status_code == 200, r.text
    assert r.json()["stored"]["check_record"] == 2


def test_the_cli_exports_to_a_file_and_imports_it(
    db: Db, firms: dict[str, Any], cli: CliRunner, tmp_path: Path
) -> None:
    register_with_checks(db, firms["owner_a"], firms["a"])
    out = tmp_path / "a.json"
    result = cli.invoke(app, ["dualprevention", "export", "--enterprise", str(firms["a"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    other = tmp_path / "b.json"
    payload = json.loads(out.read_text("utf-8"))
    other.write_text(
        json.dumps(as_other(payload, uscc_of(db, firms["b"]), CODE_B), ensure_ascii=False), "utf-8"
    )
    result = cli.invoke(app, ["dualprevention", "import", str(other), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stored"]["risk_unit"] == 1
    bad = json.loads(other.read_text("utf-8"))
    bad["sec_security_risk_events"][0]["riskUnitId"] = "f" * 32
    other.write_text(json.dumps(bad), "utf-8")
    result = cli.invoke(app, ["dualprevention", "import", str(other), "--enterprise", str(firms["a"])])
    assert result.exit_code == 2 and "dangling_link" in result.output
