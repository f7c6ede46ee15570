"""Accident records: Decree 493 grade and the Art. 13 re-grading window at its boundaries, the reporting
deadlines (1 h / 2 h per level), hazards open when it happened, scope, audit, API and CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.builders import Db, auth_header, five_implementations
from tests.test_hazard_lifecycle import tiny_png
from zhiben.accident import service
from zhiben.accident.domain import (
    AccidentKind,
    Figures,
    HazardAtTime,
    decree_493_rules,
    hazards_open_at,
    regrade,
    reporting_steps,
)
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import SYSTEM, Level, Principal, Role
from zhiben.errors import NotFoundError, PermissionDeniedError
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, HazardState
from zhiben.kit.blobs import BlobStore
from zhiben.standards.accident import AccidentGrade as G

RULES = decree_493_rules()
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
TWO_DEAD = Figures(2, 0, Decimal(0))
THREE_DEAD = Figures(3, 0, Decimal(0))
COUNTY, OTHER = "320311", "320312"


# ---------------------------------------------------------------- pure: the window


def test_the_rules_are_data_with_their_citation() -> None:
    assert RULES.window(AccidentKind.other) == timedelta(days=30)
    assert RULES.window(AccidentKind.road_traffic) == RULES.window(AccidentKind.fire) == timedelta(days=7)
    assert "Art. 13" in RULES.window_citation and "Art. 9" in RULES.unit_report_citation


def test_a_third_death_on_the_last_moment_of_the_30_days_regrades_the_accident() -> None:
    result = regrade(TWO_DEAD, THREE_DEAD, T0, AccidentKind.other, T0 + timedelta(days=30), RULES)
    assert (result.grading.grade, result.is_within_window, result.casualties_counted) == (
        G.relatively_serious,
        True,
        True,
    )


def test_a_death_one_second_after_the_30_days_is_kept_but_does_not_change_the_grade() -> None:
    at = T0 + timedelta(days=30, seconds=1)
    result = regrade(TWO_DEAD, THREE_DEAD, T0, AccidentKind.other, at, RULES)
    assert result.grading.grade == G.ordinary
    assert (result.counted.deaths, result.is_within_window, result.casualties_counted) == (2, False, False)


@pytest.mark.parametrize("kind", [AccidentKind.road_traffic, AccidentKind.fire])
def test_road_traffic_and_fire_accidents_regrade_for_7_days_only(kind: AccidentKind) -> None:
    inside = regrade(TWO_DEAD, THREE_DEAD, T0, kind, T0 + timedelta(days=7), RULES)
    outside = regrade(TWO_DEAD, THREE_DEAD, T0, kind, T0 + timedelta(days=7, seconds=1), RULES)
    assert (inside.grading.grade, outside.grading.grade) == (G.relatively_serious, G.ordinary)
    # the same day-8 update of an ordinary production accident still counts
    other = regrade(TWO_DEAD, THREE_DEAD, T0, AccidentKind.other, T0 + timedelta(days=8), RULES)
    assert other.grading.grade == G.relatively_serious


def test_a_corrected_direct_loss_counts_after_the_window() -> None:
    late = T0 + timedelta(days=60)
    result = regrade(TWO_DEAD, Figures(2, 0, Decimal(10_000_000)), T0, AccidentKind.other, late, RULES)
    assert result.grading.grade == G.relatively_serious  # 10 M yuan is 较大 (以上 includes the number)
    assert result.casualties_counted  # the casualties did not change


# ---------------------------------------------------------------- pure: reporting deadlines


def test_an_ordinary_accident_is_reported_by_the_unit_within_1_hour_and_by_the_county_within_2() -> None:
    steps = reporting_steps(T0, T0 + timedelta(minutes=40), T0 + timedelta(hours=3), G.ordinary, {}, RULES)
    assert [(s.from_level, s.to_level) for s in steps] == [
        ("enterprise", Level.county),
        ("county", Level.city),
    ]
    assert steps[0].due_at == T0 + timedelta(hours=1) and not steps[0].is_late
    assert steps[1].due_at == T0 + timedelta(minutes=40, hours=2)
    assert not steps[1].is_overdue(steps[1].due_at)
    assert steps[1].is_overdue(steps[1].due_at + timedelta(seconds=1))


def test_the_report_goes_as_far_up_as_the_grade_requires() -> None:
    def top(grade: G) -> Level:
        return reporting_steps(T0, T0, T0, grade, {}, RULES)[-1].to_level

    assert [top(g) for g in (G.ordinary, G.relatively_serious, G.serious, G.extraordinarily_serious)] == [
        Level.city,
        Level.province,
        Level.national,
        Level.national,
    ]


def test_a_late_unit_report_is_flagged_and_each_level_runs_from_when_it_received_the_report() -> None:
    unit = T0 + timedelta(hours=1, minutes=1)
    city_done = unit + timedelta(hours=3)  # the county was an hour late
    steps = reporting_steps(T0, unit, unit, G.relatively_serious, {Level.city: city_done}, RULES)
    assert steps[0].is_late and steps[1].is_late
    assert steps[2].due_at == city_done + timedelta(hours=2)


# ---------------------------------------------------------------- pure: hazards open at the time


def at_time(hid: int, found: datetime, closed: datetime | None = None, **kw: object) -> HazardAtTime:
    state = kw.get("state", HazardState.closed if closed else HazardState.rectifying)
    level = kw.get("level", HazardLevel.major)
    return HazardAtTime(hid, f"H{hid}", level, state, found, found, closed)  # type: ignore[arg-type]


def test_only_hazards_found_before_and_still_open_at_the_accident_are_linked() -> None:
    day = timedelta(days=1)
    found = hazards_open_at(
        [
            at_time(1, T0 - 10 * day),  # open
            at_time(2, T0 - 10 * day, closed=T0 - day),  # closed before: not linked
            at_time(3, T0 - 10 * day, closed=T0 + day),  # closed after: it was open
            at_time(4, T0 + day),  # found after
            at_time(5, T0 - day, state=HazardState.rejected),  # not a hazard after all
            at_time(6, T0 - day, level=HazardLevel.general),
        ],
        T0,
    )
    assert [h.hazard_id for h in found.hazards] == [1, 3, 6]
    assert [h.hazard_id for h in found.major] == [1, 3] and found.had_open_major_hazard


# ---------------------------------------------------------------- stored


@pytest.fixture
def cast(db: Db) -> dict[str, Principal | int]:
    firm = db.enterprise(county=COUNTY)
    other = db.enterprise(county=OTHER)
    return {
        "firm": firm,
        "other": other,
        "owner": db.user(Role.enterprise, enterprise_id=firm, username="acc-owner"),
        "stranger": db.user(Role.enterprise, enterprise_id=other),
        "county": db.user(Role.regulator, division=COUNTY, username="acc-county"),
        "city": db.user(Role.regulator, division="320300"),
        "far": db.user(Role.regulator, division=OTHER),
    }


def p(cast: dict[str, Principal | int], key: str) -> Principal:
    value = cast[key]
    assert isinstance(value, Principal)
    return value


def firm(cast: dict[str, Principal | int]) -> int:
    value = cast["firm"]
    assert isinstance(value, int)
    return value


def draft(db: Db, enterprise_id: int, hours_ago: float = 0.5, **kw: object) -> service.AccidentDraft:
    fields: dict[str, object] = {
        "enterprise_id": enterprise_id,
        "title": "反应釜爆炸事故",
        "kind": AccidentKind.other,
        "occurred_at": db.clock.now() - timedelta(hours=hours_ago),
        "deaths": 2,
        "serious_injuries": 1,
        "direct_loss_yuan": Decimal("1500000"),
    } | kw
    return service.AccidentDraft(**fields)  # type: ignore[arg-type]


def close_out(db: Db, owner: Principal, county: Principal, hazard_id: int) -> None:
    db.act(hazards.plan_rectification, owner, hazard_id, five_implementations(db.clock))
    db.act(hazards.start_rectification, owner, hazard_id)
    db.act(
        hazards.attach_evidence,
        owner,
        hazard_id,
        tiny_png(),
        "after",
        "a.png",
        BlobStore(db.tmp / "b"),
        1 << 20,
    )
    db.act(hazards.complete_rectification, owner, hazard_id, "验收合格")
    db.act(hazards.verify_hazard, county, hazard_id, "核查合格")
    db.act(hazards.close_out_hazard, county, hazard_id)


def test_an_accident_after_an_open_major_hazard_is_linked_to_it(
    db: Db, cast: dict[str, Principal | int]
) -> None:
    hazard_id = db.hazard(firm(cast))  # a major hazard, found an hour ago
    db.clock.advance(timedelta(days=3))
    accident = db.act(service.record_accident, p(cast, "owner"), draft(db, firm(cast)))
    assert accident.had_open_major_hazard and accident.grade == G.ordinary
    with db.uow(write=False) as uow:
        links = service.repository.links(uow.session, accident.id)
        assert [(link.hazard_id, link.is_major) for link in links] == [(hazard_id, True)]


def test_a_major_hazard_closed_before_the_accident_is_not_linked(
    db: Db, cast: dict[str, Principal | int]
) -> None:
    hazard_id = db.hazard(firm(cast))
    close_out(db, p(cast, "owner"), p(cast, "county"), hazard_id)
    db.clock.advance(timedelta(days=2))
    accident = db.act(service.record_accident, p(cast, "county"), draft(db, firm(cast)))
    assert not accident.had_open_major_hazard
    with db.uow(write=False) as uow:
        assert service.repository.links(uow.session, accident.id) == []


def test_recomputing_the_links_sees_a_hazard_entered_late_with_an_earlier_finding(
    db: Db, cast: dict[str, Principal | int]
) -> None:
    accident = db.act(service.record_accident, p(cast, "county"), draft(db, firm(cast), hours_ago=2))
    assert not accident.had_open_major_hazard
    db.hazard(firm(cast))  # found 1 h ago is after the accident (2 h ago): still not linked
    assert not db.act(service.relink_hazards, p(cast, "county"), accident.id).had_open_major_hazard
    db.clock.advance(timedelta(minutes=1))
    report = hazards.HazardReport(
        firm(cast),
        "防爆电气失效",
        hazards.Source.enforcement,
        db.clock.now() - timedelta(days=5),
        level=HazardLevel.major,
        citation={"clause": "12"},
    )
    late = db.act(hazards.report_hazard, p(cast, "county"), report)
    found = db.act(service.relink_hazards, p(cast, "county"), accident.id)
    assert [h.hazard_id for h in found.major] == [late.id]
    with db.uow(write=False) as uow:
        actions = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "accident").order_by(AuditEntry.seq)
        ).all()
    assert actions == ["accident.record", "accident.link_hazards", "accident.link_hazards"]


def test_a_casualty_update_within_the_window_regrades_and_after_it_only_adds_history(
    db: Db, cast: dict[str, Principal | int]
) -> None:
    accident = db.act(
        service.record_accident, p(cast, "county"), draft(db, firm(cast), kind=AccidentKind.fire)
    )
    occurred = accident.occurred_at
    db.clock.set(occurred + timedelta(days=7))
    db.act(service.update_casualties, p(cast, "owner"), accident.id, Figures(3, 1, Decimal("1500000")))
    db.clock.set(occurred + timedelta(days=7, seconds=1))
    db.act(service.update_casualties, p(cast, "owner"), accident.id, Figures(10, 1, Decimal("1500000")))
    with db.uow(write=False) as uow:
        stored = service.get_accident(uow.session, SYSTEM, accident.id)
        history = service.repository.history(uow.session, accident.id)
        assert (stored.deaths, stored.grade) == (3, G.relatively_serious)
        assert [(h.deaths, h.grade_after, h.is_counted) for h in history] == [
            (2, "ordinary", True),
            (3, "relatively_serious", True),
            (10, "relatively_serious", False),
        ]


def test_reporting_deadlines_are_tracked_and_overdue_reports_flagged(
    db: Db, cast: dict[str, Principal | int]
) -> None:
    accident = db.act(
        service.record_accident,
        p(cast, "county"),
        draft(db, firm(cast), hours_ago=3, unit_reported_at=db.clock.now() - timedelta(hours=2, minutes=30)),
    )
    with db.uow(write=False) as uow:
        steps = service.reporting_status(uow.session, service.get_accident(uow.session, SYSTEM, accident.id))
        overdue = [
            (o.accident.id, o.step.to_level) for o in service.overdue_reports(uow.session, p(cast, "county"))
        ]
    assert not steps[0].is_late  # unit reported 30 min after
    assert overdue == [(accident.id, Level.city)]
    with pytest.raises(PermissionDeniedError):  # the city does not report on the county's behalf
        db.act(service.report_upward, p(cast, "city"), accident.id)
    db.act(service.report_upward, p(cast, "county"), accident.id)
    with db.uow(write=False) as uow:
        assert service.overdue_reports(uow.session, p(cast, "county")) == []
        assert service.get_accident(uow.session, SYSTEM, accident.id).is_reporting_complete
    # a third death within the window makes it 较大: the city now owes the province a report
    db.act(service.update_casualties, p(cast, "county"), accident.id, Figures(3, 1, Decimal("1500000")))
    with db.uow(write=False) as uow:
        assert not service.get_accident(uow.session, SYSTEM, accident.id).is_reporting_complete


def test_accidents_are_scoped_like_the_enterprise(db: Db, cast: dict[str, Principal | int]) -> None:
    accident = db.act(service.record_accident, p(cast, "owner"), draft(db, firm(cast)))
    for who in ("stranger", "far"):
        with pytest.raises(NotFoundError), db.uow(write=False) as uow:
            service.get_accident(uow.session, p(cast, who), accident.id)
    with pytest.raises(NotFoundError):
        db.act(service.record_accident, p(cast, "stranger"), draft(db, firm(cast)))
    with db.uow(write=False) as uow:
        assert service.get_accident(uow.session, p(cast, "city"), accident.id).id == accident.id


def test_the_api_records_an_accident_and_answers_was_a_major_hazard_open(
    db: Db, cast: dict[str, Principal | int]
) -> None:
    db.hazard(firm(cast))
    db.clock.advance(timedelta(days=1))
    client = db.client()
    body = {
        "enterprise_id": firm(cast),
        "title": "中毒窒息事故",
        "kind": "other",
        "occurred_at": (db.clock.now() - timedelta(minutes=20)).isoformat(),
        "deaths": 1,
        "serious_injuries": 0,
        "direct_loss_yuan": "800000",
    }
    created = client.post("/api/v1/accidents", json=body, headers=auth_header(client, "acc-owner"))
    assert created.status_code == 201, created.text
    detail = created.json()
    assert detail["had_open_major_hazard"] and detail["hazards"][0]["is_major"]
    assert [s["to_level"] for s in detail["reporting"]] == ["county", "city"]
    assert detail["unit_reported_at"] is not None
    far = client.get(f"/api/v1/accidents/{detail['id']}", headers=auth_header(client, "acc-county"))
    assert far.status_code == 200
    listed = client.get(
        "/api/v1/accidents?had_open_major_hazard=true", headers=auth_header(client, "acc-county")
    )
    assert listed.json()["total"] == 1
    update = client.post(
        f"/api/v1/accidents/{detail['id']}/casualties",
        json={"deaths": -1, "serious_injuries": 0, "direct_loss_yuan": "0"},
        headers=auth_header(client, "acc-county"),
    )
    assert update.status_code == 422


def test_the_demo_seed_links_an_accident_to_an_earlier_open_major_hazard(
    db: Db, cast: dict[str, Principal | int]
) -> None:
    seeded = db.act(service.seed_accident_demo, SYSTEM, firm(cast))
    assert seeded.hazard_numbers and seeded.enterprise_id == firm(cast)
    with db.uow(write=False) as uow:
        stored = service.get_accident(uow.session, SYSTEM, seeded.accident_id)
        assert stored.had_open_major_hazard and stored.is_reporting_complete
