"""One thing, whole chain on both databases: local overrides and the report, referrals with their scope,
deadline and audit, and the similar-business proposal with the administrator's decision."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.builders import Db
from zhiben.audit import service as audit
from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.chain import service
from zhiben.chain.domain import AssignmentRole
from zhiben.errors import (
    DuplicateError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    ReferralTransitionError,
)

CITY, COUNTY = "320300", "320311"  # 徐州市, 泉山区
LEAD, SUPPORT = AssignmentRole.lead, AssignmentRole.support


def cell(department: str, role: AssignmentRole) -> service.CellAssignment:
    return service.CellAssignment(department, role)


def actions(db: Db, object_type: str, object_id: str) -> list[str]:
    with db.uow(write=False) as uow:
        return [e.action for e in audit.history(uow.session, object_type, object_id)]


def test_a_city_override_with_support_only_is_a_gap_in_its_report_but_not_in_the_nation(db: Db) -> None:
    jiangsu = db.user(Role.regulator, division="320000")
    db.act(
        service.assign_cell,
        jiangsu,
        CITY,
        "urban_gas",
        "sale",
        [cell("housing_construction", SUPPORT)],
        "市政府会议纪要 2026-1",
    )
    report = db.act(service.report_for, SYSTEM, CITY)
    assert ("urban_gas", "sale") in {(c.thing, c.stage.value) for c in report.gaps}
    county = db.act(service.report_for, SYSTEM, COUNTY)  # the county inherits its city's override
    assert ("urban_gas", "sale") in {(c.thing, c.stage.value) for c in county.gaps}
    nation = db.act(service.report_for, SYSTEM, "")
    assert ("urban_gas", "sale") not in {(c.thing, c.stage.value) for c in nation.gaps}
    assert actions(db, "chain_cell", f"{CITY}/urban_gas/sale") == ["chain.assign"]


def test_a_province_naming_a_second_lead_makes_an_overlap(db: Db) -> None:
    db.act(
        service.assign_cell,
        SYSTEM,
        "320000",
        "e_bike_and_battery",
        "use",
        [cell("fire_rescue", LEAD), cell("public_security", LEAD), cell("market_regulation", SUPPORT)],
        "省政府分工方案",
    )
    report = db.act(service.report_for, SYSTEM, COUNTY)
    overlap = next(c for c in report.overlaps if c.thing == "e_bike_and_battery")
    assert [a.department for a in overlap.leads] == ["fire_rescue", "public_security"]
    assert [a.department for a in overlap.supports] == ["market_regulation"]


def test_seeding_the_national_matrix_is_idempotent_and_changes_no_report(db: Db) -> None:
    before = db.act(service.report_for, SYSTEM, "")
    assert db.act(service.seed_national_matrix, SYSTEM) == len(service.reference().defaults)
    assert db.act(service.seed_national_matrix, SYSTEM) == 0
    after = db.act(service.report_for, SYSTEM, "")
    assert [(c.thing, c.stage) for c in after.gaps] == [(c.thing, c.stage) for c in before.gaps]
    assert actions(db, "chain_matrix", "national") == ["chain.seed_national"]


def test_only_a_regulator_of_the_division_may_assign_and_read_its_report(db: Db) -> None:
    suzhou = db.user(Role.regulator, division="320500")
    with pytest.raises(PermissionDeniedError):
        db.act(service.assign_cell, suzhou, CITY, "urban_gas", "use", [cell("fire_rescue", LEAD)], "x")
    with pytest.raises(NotFoundError):
        db.act(service.report_for, suzhou, CITY)
    enterprise = db.user(Role.enterprise, enterprise_id=db.enterprise())
    with pytest.raises(PermissionDeniedError):
        db.act(service.report_for, enterprise, "")
    with pytest.raises(InvalidInputError):
        db.act(service.assign_cell, SYSTEM, CITY, "urban_gas", "use", [cell("fire_rescue", LEAD)], " ")
    with pytest.raises(InvalidInputError):
        db.act(service.assign_cell, SYSTEM, CITY, "e_bike_and_battery", "transport", [], "")


def referred(db: Db, regulator: Principal, **kwargs: str) -> tuple[int, int]:
    hazard_id = db.hazard(db.enterprise(county=COUNTY, sector="urban_gas"))
    kwargs.setdefault("department", "housing_construction")
    referral = db.act(service.refer_hazard, regulator, hazard_id, "燃气使用环节隐患", **kwargs)
    return hazard_id, referral.id


def test_a_referral_goes_to_the_stages_lead_and_is_acknowledged_then_handled_with_audit(db: Db) -> None:
    regulator = db.user(Role.regulator, division=CITY)
    hazard_id = db.hazard(db.enterprise(county=COUNTY, sector="urban_gas"))
    referral = db.act(
        service.refer_hazard, regulator, hazard_id, "燃气经营环节", thing="urban_gas", stage="sale"
    )
    assert referral.department == "housing_construction" and referral.state == "referred"
    assert referral.acknowledge_by == db.clock.now() + timedelta(days=5)
    housing = db.user(Role.department, division=CITY, sectors="construction,urban_gas")
    db.clock.advance(timedelta(days=1))
    acknowledged = db.act(service.acknowledge_referral, housing, referral.id)
    assert acknowledged.state == "acknowledged" and not acknowledged.is_late
    with pytest.raises(InvalidInputError):
        db.act(service.record_referral_outcome, housing, referral.id, "  ")
    handled = db.act(service.record_referral_outcome, housing, referral.id, "已约谈企业并责令整改")
    assert handled.state == "handled" and handled.outcome == "已约谈企业并责令整改"
    assert actions(db, "referral", str(referral.id)) == ["chain.refer", "chain.acknowledge", "chain.outcome"]
    with pytest.raises(ReferralTransitionError):
        db.act(service.acknowledge_referral, housing, referral.id)


def test_referring_by_stage_where_nobody_leads_asks_for_a_department(db: Db) -> None:
    regulator = db.user(Role.regulator, division=CITY)
    hazard_id = db.hazard(db.enterprise(county=COUNTY))
    with pytest.raises(InvalidInputError) as info:
        db.act(service.refer_hazard, regulator, hazard_id, "电动车", thing="e_bike_and_battery", stage="use")
    assert info.value.details["fields"][0]["reason"] == "no_lead"
    db.act(service.refer_hazard, regulator, hazard_id, "重复", department="fire_rescue")
    with pytest.raises(DuplicateError):
        db.act(service.refer_hazard, regulator, hazard_id, "重复", department="fire_rescue")


def test_a_department_user_sees_only_referrals_to_its_department_in_its_jurisdiction(db: Db) -> None:
    regulator = db.user(Role.regulator, division=CITY)
    _, to_housing = referred(db, regulator)
    _, to_transport = referred(db, regulator, department="transport")
    housing = db.user(Role.department, division=CITY, sectors="construction,urban_gas")
    other_city_housing = db.user(Role.department, division="320500", sectors="urban_gas")
    transport = db.user(Role.department, division=COUNTY, sectors="road_transport")
    assert [r.id for r in db.act(service.list_referrals, housing)] == [to_housing]
    assert [r.id for r in db.act(service.list_referrals, transport)] == [to_transport]
    assert db.act(service.list_referrals, other_city_housing) == []
    for user, referral_id in ((housing, to_transport), (other_city_housing, to_housing)):
        with pytest.raises(NotFoundError):
            db.act(service.get_referral, user, referral_id)
        with pytest.raises(NotFoundError):
            db.act(service.acknowledge_referral, user, referral_id)
    assert {r.id for r in db.act(service.list_referrals, regulator)} == {to_housing, to_transport}


def test_an_out_of_jurisdiction_regulator_cannot_find_or_refer_and_only_departments_acknowledge(
    db: Db,
) -> None:
    regulator = db.user(Role.regulator, division=CITY)
    hazard_id, referral_id = referred(db, regulator)
    suzhou = db.user(Role.regulator, division="320500")
    with pytest.raises(NotFoundError):
        db.act(service.get_referral, suzhou, referral_id)
    with pytest.raises(NotFoundError):
        db.act(service.refer_hazard, suzhou, hazard_id, "x", department="fire_rescue")
    with pytest.raises(PermissionDeniedError):
        db.act(service.acknowledge_referral, regulator, referral_id)
    enterprise = db.user(Role.enterprise, enterprise_id=db.enterprise(county=COUNTY))
    with pytest.raises(NotFoundError):
        db.act(service.get_referral, enterprise, referral_id)


def test_an_unacknowledged_referral_becomes_overdue_and_a_late_acknowledgement_is_recorded(db: Db) -> None:
    regulator = db.user(Role.regulator, division=CITY)
    _, referral_id = referred(db, regulator)
    db.clock.advance(timedelta(days=5))
    assert db.act(service.mark_overdue_referrals, SYSTEM) == 0  # at the deadline, not yet past it
    db.clock.advance(timedelta(minutes=1))
    assert db.act(service.mark_overdue_referrals, SYSTEM) == 1
    assert db.act(service.mark_overdue_referrals, SYSTEM) == 0
    housing = db.user(Role.department, division=CITY, sectors="urban_gas")
    assert db.act(service.get_referral, housing, referral_id).state == "overdue"
    late = db.act(service.acknowledge_referral, housing, referral_id)
    assert late.state == "acknowledged" and late.is_late
    assert actions(db, "referral", str(referral_id)) == [
        "chain.refer",
        "chain.referral_overdue",
        "chain.acknowledge",
    ]


def test_the_scheduler_job_marks_overdue_referrals(db: Db) -> None:
    from zhiben.worker.scheduler import run_referral_overdue_job

    regulator = db.user(Role.regulator, division=CITY)
    referred(db, regulator)
    referred(db, regulator, department="fire_rescue")
    db.clock.advance(timedelta(days=6))
    assert run_referral_overdue_job(db.factory, db.clock, batch=1) == 2


def test_a_new_business_type_is_proposed_its_nearest_neighbours_department_and_an_admin_decides(
    db: Db,
) -> None:
    regulator = db.user(Role.regulator, division=CITY)
    proposal = db.act(
        service.propose_business_type,
        regulator,
        "沉浸式剧场",
        "R9019",
        frozenset({"open_to_public", "enclosed_space"}),
    )
    assert proposal.state == "proposed" and proposal.industry_code == "9019"
    assert proposal.proposed_department == "culture_tourism"
    assert "剧本杀" in proposal.reason_zh or "密室逃脱" in proposal.reason_zh
    assert "without legal basis" in proposal.reason_en
    with pytest.raises(PermissionDeniedError):
        db.act(service.decide_business_type, regulator, proposal.id)
    with pytest.raises(InvalidInputError):  # an override needs a note
        db.act(service.decide_business_type, SYSTEM, proposal.id, "fire_rescue")
    decided = db.act(
        service.decide_business_type, SYSTEM, proposal.id, "fire_rescue", "消防部门牵头（地方决定）"
    )
    assert decided.state == "overridden" and decided.department == "fire_rescue"
    with pytest.raises(DuplicateError):
        db.act(service.decide_business_type, SYSTEM, proposal.id)
    assert actions(db, "business_type", str(proposal.id)) == [
        "chain.propose_business_type",
        "chain.decide_business_type",
    ]
    # the decided type is now the nearest neighbour of the next one like it
    follower = db.act(
        service.propose_business_type,
        SYSTEM,
        "沉浸式剧场二",
        "9019",
        frozenset({"open_to_public", "enclosed_space"}),
    )
    assert follower.neighbour == f"local:{proposal.id}" and follower.proposed_department == "fire_rescue"
    confirmed = db.act(service.decide_business_type, SYSTEM, follower.id)
    assert confirmed.state == "confirmed" and confirmed.department == "fire_rescue"


def test_a_business_type_with_a_sourced_neighbour_cites_the_basis(db: Db) -> None:
    proposal = db.act(
        service.propose_business_type, SYSTEM, "特种合金熔炼", "3140", frozenset({"manufacturing"})
    )
    assert proposal.proposed_department == "emergency_management" and proposal.neighbour == "metallurgy"
    assert "应急厅〔2019〕17号" in proposal.reason_zh
    with pytest.raises(DuplicateError):
        db.act(service.propose_business_type, SYSTEM, "特种合金熔炼", "3140", frozenset())
    enterprise = db.user(Role.enterprise, enterprise_id=db.enterprise())
    with pytest.raises(PermissionDeniedError):
        db.act(service.propose_business_type, enterprise, "x", "3140", frozenset())


def test_the_demo_hook_leaves_a_gap_in_suzhou_and_refers_one_hazard(db: Db) -> None:
    db.hazard(db.enterprise(county="320506", sector="urban_gas"))
    made = db.act(service.seed_chain_demo, SYSTEM)
    assert made["referral"] is not None
    report = db.act(service.report_for, SYSTEM, "320500")
    assert ("urban_gas", "sale") in {(c.thing, c.stage.value) for c in report.gaps}
    housing = db.user(Role.department, division="320500", sectors="construction,urban_gas")
    assert [r.id for r in db.act(service.list_referrals, housing)] == [made["referral"]]
    assert db.act(service.seed_chain_demo, SYSTEM)["referral"] is None  # idempotent


def test_referrals_are_paged_in_sql_within_the_callers_scope(db: Db) -> None:
    from zhiben.kit.pagination import PageRequest

    regulator = db.user(Role.regulator, division=CITY)
    for _ in range(3):
        referred(db, regulator)
    referred(db, regulator, department="transport")
    first = db.act(service.page_referrals, regulator, PageRequest(1, 3))
    second = db.act(service.page_referrals, regulator, PageRequest(2, 3))
    assert first.total == 4 and len(first.items) == 3 and len(second.items) == 1
    assert {r.id for r in first.items}.isdisjoint(r.id for r in second.items)
    housing = db.user(Role.department, division=CITY, sectors="urban_gas")
    theirs = db.act(service.page_referrals, housing, PageRequest(1, 10))
    assert theirs.total == 3 and {r.department for r in theirs.items} == {"housing_construction"}
