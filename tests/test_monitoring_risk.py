"""Enterprise risk level (M6): each component, each colour boundary, floors, the explanation, the stored level
and its history (a change recorded once), the roll-up by division, the early-warning list and scope."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from importlib import resources

import pytest
import yaml
from sqlalchemy import func, select

from tests.builders import Db, auth_header
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import SYSTEM, Role
from zhiben.enterprise.models import Enterprise, Facility
from zhiben.errors import PermissionDeniedError
from zhiben.hazard.domain import HazardLevel
from zhiben.hazard.models import Hazard
from zhiben.kit.pagination import PageRequest
from zhiben.monitoring import domain
from zhiben.monitoring.ingest import Ingestor, Message
from zhiben.monitoring.risk import (
    WarningFilter,
    early_warnings,
    enterprise_risk,
    next_enterprise_ids,
    packaged_scheme,
    recompute_risk,
    risk_summary,
)
from zhiben.monitoring.risk_domain import (
    HazardCounts,
    RiskInputs,
    RiskLevel,
    SensorHealth,
    assess,
    scheme_from_mapping,
)
from zhiben.monitoring.risk_models import EnterpriseRisk, RiskLevelChange
from zhiben.monitoring.sensors import SensorDraft, register_sensor

SCHEME = packaged_scheme()
SCHEME_PATH = resources.files("zhiben.monitoring").joinpath("data/risk_scheme.yaml")


def points(inputs: RiskInputs, name: str) -> int:
    return next(c.points for c in assess(inputs, SCHEME).components if c.name == name)


# ---------------------------------------------------------------- the scheme


def test_the_packaged_scheme_is_versioned_and_uses_the_mem_2018_bands() -> None:
    assert SCHEME.version == "2026.1"
    assert [(b.level, b.score_below) for b in SCHEME.levels] == [
        (RiskLevel.red, 60),
        (RiskLevel.orange, 75),
        (RiskLevel.yellow, 90),
        (RiskLevel.blue, None),
    ]


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, RiskLevel.red),
        (59, RiskLevel.red),
        (60, RiskLevel.orange),
        (61, RiskLevel.orange),
        (74, RiskLevel.orange),
        (75, RiskLevel.yellow),
        (76, RiskLevel.yellow),
        (89, RiskLevel.yellow),
        (90, RiskLevel.blue),
        (91, RiskLevel.blue),
        (100, RiskLevel.blue),
    ],
)
def test_each_colour_boundary_at_just_below_and_just_above(score: int, level: RiskLevel) -> None:
    assert SCHEME.level_for_score(score) is level


def _industry(medium_alarms: int) -> RiskInputs:
    """industry_trade 3 + headcount 20..299 1 + 5 general open hazards 5 = 9 points, + 1 per medium alarm."""
    return RiskInputs(
        "industry_trade",
        headcount=50,
        active_alarms={"medium": medium_alarms},
        hazards=HazardCounts(general_open=5),
    )


@pytest.mark.parametrize(("alarms", "score", "level"), [(0, 91, "blue"), (1, 90, "blue"), (2, 89, "yellow")])
def test_the_yellow_boundary_end_to_end(alarms: int, score: int, level: str) -> None:
    result = assess(_industry(alarms), SCHEME)
    assert (result.score, result.level.value) == (score, level)


@pytest.mark.parametrize(
    ("inputs", "score", "level"),
    [
        # hazchem_production 12 + grade 1 15 + 1000+ staff 5 + 1 emergency alarm 8 = 40
        (RiskInputs("hazchem_production", 1500, 1, {"emergency": 1}, SensorHealth(10)), 60, "orange"),
        (
            RiskInputs("hazchem_production", 1500, 1, {"emergency": 1, "medium": 1}, SensorHealth(10)),
            59,
            "red",
        ),
        (RiskInputs("hazchem_production", 1500, 1, {"high": 1, "medium": 3}, SensorHealth(10)), 61, "orange"),
        # coal 12 + 1000+ staff 5 + 2 high alarms 8 = 25
        (RiskInputs("coal_mine", 1200, None, {"high": 2}, SensorHealth(20)), 75, "yellow"),
        (RiskInputs("coal_mine", 1200, None, {"high": 2, "medium": 1}, SensorHealth(20)), 74, "orange"),
        (RiskInputs("coal_mine", 1200, None, {"high": 1, "medium": 3}, SensorHealth(20)), 76, "yellow"),
    ],
)
def test_the_red_and_orange_boundaries_end_to_end(inputs: RiskInputs, score: int, level: str) -> None:
    result = assess(inputs, SCHEME)
    assert (result.score, result.level.value) == (score, level)


def test_a_scheme_with_bands_out_of_order_is_refused() -> None:
    text = (SCHEME_PATH).read_text("utf-8")
    data = yaml.safe_load(text)
    data["levels"][0], data["levels"][1] = data["levels"][1], data["levels"][0]
    with pytest.raises(ValueError, match="levels"):
        scheme_from_mapping(data)
    data = yaml.safe_load(text)
    data["inherent"]["major_hazard_grade"]["points"] = {1: 15, 2: 10}
    with pytest.raises(ValueError, match="grade"):
        scheme_from_mapping(data)


@pytest.mark.parametrize(
    ("inputs", "score", "level"),
    [
        (RiskInputs("industry_trade_textile", 15), 97, "blue"),
        (RiskInputs("coal_mine", 1200, sensors=SensorHealth(10)), 83, "yellow"),
        (RiskInputs("coal_mine", 1200, None, {"emergency": 1}, SensorHealth(10)), 75, "yellow"),
        (
            RiskInputs("coal_mine", 1200, None, {"emergency": 1}, SensorHealth(10), HazardCounts(1)),
            60,
            "orange",
        ),
        (RiskInputs("hazchem_production", 1500, 1, sensors=SensorHealth(10)), 68, "orange"),
        (RiskInputs("hazchem_production", 1500, 1, {}, SensorHealth(10), HazardCounts(1, 1)), 43, "red"),
    ],
)
def test_the_worked_examples_of_the_user_guide(inputs: RiskInputs, score: int, level: str) -> None:
    result = assess(inputs, SCHEME)
    assert (result.score, result.level.value) == (score, level)


# ---------------------------------------------------------------- each component


@pytest.mark.parametrize(
    ("sector", "expected"),
    [("coal_mine", 12), ("hazchem_production", 12), ("industry_trade_textile", 3), ("other", 2)],
)
def test_sector_points(sector: str, expected: int) -> None:
    assert points(RiskInputs(sector), "sector") == expected


def test_an_unlisted_sector_takes_the_default_and_says_so() -> None:
    component = assess(RiskInputs("moon_base"), SCHEME).components[0]
    assert (component.points, "default" in component.why_en) == (SCHEME.sector_default, True)


@pytest.mark.parametrize(("grade", "expected"), [(1, 15), (2, 10), (3, 6), (4, 3), (None, 0)])
def test_the_highest_major_hazard_grade_counts_grade_1_most(grade: int | None, expected: int) -> None:
    assert points(RiskInputs("hazchem_storage", major_hazard_grade=grade), "major_hazard_grade") == expected


@pytest.mark.parametrize(
    ("headcount", "expected"),
    [(5000, 5), (1000, 5), (999, 3), (300, 3), (299, 1), (20, 1), (19, 0), (0, 0), (None, 1)],
)
def test_headcount_bands_and_an_unknown_headcount_is_not_zero(headcount: int | None, expected: int) -> None:
    assert points(RiskInputs("other", headcount=headcount), "headcount") == expected


def test_active_alarms_count_by_priority_up_to_the_cap() -> None:
    assert (
        points(
            RiskInputs("other", active_alarms={"emergency": 1, "high": 1, "medium": 2, "low": 9}), "alarms"
        )
        == 14
    )
    assert points(RiskInputs("other", active_alarms={"emergency": 4}), "alarms") == SCHEME.alarm_cap


@pytest.mark.parametrize(
    ("health", "expected"),
    [
        (SensorHealth(100, 0), 0),
        (SensorHealth(100, 1), 2),  # above 0
        (SensorHealth(100, 4), 2),
        (SensorHealth(100, 5), 4),  # 5 %
        (SensorHealth(100, 19), 4),
        (SensorHealth(100, 20), 8),  # 20 %
        (SensorHealth(100, 49), 8),
        (SensorHealth(100, 50), 12),  # 50 %
        (SensorHealth(100, 99), 12),
        (SensorHealth(100, 100), 15),  # dark
    ],
)
def test_sensor_health_share_bands(health: SensorHealth, expected: int) -> None:
    assert points(RiskInputs("coal_mine", sensors=health), "sensor_health") == expected


def test_an_unmonitored_or_dark_site_never_looks_safe() -> None:
    unmonitored = assess(RiskInputs("coal_mine", headcount=10), SCHEME)
    assert unmonitored.score == 100 - 12 - 15 and unmonitored.level is RiskLevel.orange  # 73
    dark = assess(RiskInputs("other", headcount=10, sensors=SensorHealth(3, 3, offline=3)), SCHEME)
    assert dark.level is RiskLevel.yellow  # score 83 is yellow anyway; the floor holds it there
    small_scheme = replace(SCHEME, dark_points=0, unmonitored_points=0)
    floored = assess(RiskInputs("other", headcount=10, sensors=SensorHealth(3, 3, offline=3)), small_scheme)
    assert (floored.band_level, floored.level) == (RiskLevel.blue, RiskLevel.yellow)
    assert [f.fact for f in floored.floors] == ["sensors_dark"]
    # an enterprise with a major hazard installation is expected to be monitored, whatever its sector
    assert points(RiskInputs("other", major_hazard_grade=4), "sensor_health") == SCHEME.unmonitored_points
    assert points(RiskInputs("other"), "sensor_health") == 0


@pytest.mark.parametrize(
    ("hazards", "name", "expected"),
    [
        (HazardCounts(major_open=1), "hazards_major_open", 15),
        (HazardCounts(major_open=3), "hazards_major_open", 30),  # cap
        (HazardCounts(major_open=1, major_overdue=1), "hazards_major_overdue", 10),
        (HazardCounts(major_open=3, major_overdue=3), "hazards_major_overdue", 20),  # cap
        (HazardCounts(general_open=3), "hazards_general_open", 3),
        (HazardCounts(general_open=9), "hazards_general_open", 5),  # cap
        (HazardCounts(general_open=2, general_overdue=2), "hazards_general_overdue", 4),
        (HazardCounts(general_open=9, general_overdue=9), "hazards_general_overdue", 10),  # cap
    ],
)
def test_hazard_points_and_caps(hazards: HazardCounts, name: str, expected: int) -> None:
    assert points(RiskInputs("other", hazards=hazards), name) == expected


def test_an_overdue_major_hazard_makes_an_enterprise_red_and_an_open_one_orange() -> None:
    overdue = assess(RiskInputs("other", 10, sensors=SensorHealth(1), hazards=HazardCounts(1, 1)), SCHEME)
    assert (overdue.score, overdue.band_level, overdue.level) == (73, RiskLevel.orange, RiskLevel.red)
    assert "past its rectification deadline" in overdue.summary("en")
    open_ = assess(RiskInputs("other", 10, sensors=SensorHealth(1), hazards=HazardCounts(1)), SCHEME)
    assert (open_.score, open_.band_level, open_.level) == (83, RiskLevel.yellow, RiskLevel.orange)


def test_the_explanation_names_every_component_with_its_input_points_and_why() -> None:
    inputs = RiskInputs(
        "hazchem_production",
        headcount=400,
        major_hazard_grade=2,
        active_alarms={"high": 1},
        sensors=SensorHealth(10, 3, offline=2, stuck=1),
        hazards=HazardCounts(major_open=1, general_open=2, general_overdue=1),
    )
    result = assess(inputs, SCHEME)
    table = {c.name: (c.group, c.value, c.points) for c in result.components}
    assert table == {
        "sector": ("inherent", "hazchem_production", 12),
        "major_hazard_grade": ("inherent", 2, 10),
        "headcount": ("inherent", 400, 3),
        "alarms": ("dynamic", {"emergency": 0, "high": 1, "medium": 0, "low": 0}, 4),
        "sensor_health": (
            "dynamic",
            {
                "total": 10,
                "unhealthy": 3,
                "share": 0.3,
                "offline": 2,
                "stuck": 1,
                "out_of_range": 0,
                "never_reported": 0,
            },
            8,
        ),
        "hazards_major_open": ("dynamic", 1, 15),
        "hazards_major_overdue": ("dynamic", 0, 0),
        "hazards_general_open": ("dynamic", 2, 2),
        "hazards_general_overdue": ("dynamic", 1, 2),
    }
    assert (result.points, result.score, result.level) == (56, 44, RiskLevel.red)
    assert all(c.why_zh and c.why_en for c in result.components)
    assert "危险化学品生产" in result.components[0].why_zh
    assert result.summary().startswith("红色（重大风险）：得分 44")
    json.dumps(result.as_json(), ensure_ascii=False)  # storable as is


# ---------------------------------------------------------------- stored levels and history


def _facility(db: Db, enterprise_id: int, grade: int) -> None:
    with db.uow() as uow:
        uow.session.add(
            Facility(
                enterprise_id=enterprise_id,
                name=f"罐区{grade}",
                kind="storage",
                is_major_hazard=True,
                grade=grade,
                s="2.5",
                r="120",
                assessment={},
                assessed_by="test",
                assessed_at=db.clock.now(),
            )
        )


def _headcount(db: Db, enterprise_id: int, headcount: int) -> None:
    with db.uow() as uow:
        row = uow.session.get(Enterprise, enterprise_id)
        assert row is not None
        row.headcount = headcount


def _sensor(db: Db, enterprise_id: int, code: str = "LT-01", period_s: float = 60) -> int:
    return db.act(  # type: ignore[no-any-return]
        register_sensor,
        SYSTEM,
        enterprise_id,
        SensorDraft(
            code=code, kind="liquid_level", unit="m", location_code="tank", sampling_period_s=period_s
        ),
    ).id


def _readings(db: Db, enterprise_id: int, code: str, values: list[float]) -> None:
    base = domain.to_ms(db.clock.now()) - 10_000 * len(values)
    body = {
        "readings": {
            "sensor": [code] * len(values),
            "ts": [base + 10_000 * i for i in range(len(values))],
            "value": values,
        }
    }
    db.act(Ingestor().ingest, [Message(enterprise_id, "http", "test", json.dumps(body).encode())])


def _recompute(db: Db, *ids: int) -> list[int]:
    return db.act(recompute_risk, SYSTEM, list(ids)).changed  # type: ignore[no-any-return]


def test_a_level_change_is_recorded_once_with_an_audit_entry(db: Db) -> None:
    plant = db.enterprise(sector="hazchem_production")
    _headcount(db, plant, 350)
    _facility(db, plant, 2)
    _sensor(db, plant)
    _readings(db, plant, "LT-01", [1.0, 1.1])
    assert _recompute(db, plant) == [plant]  # first assessment: 12 + 10 + 3 = 25 → 75 yellow
    assert _recompute(db, plant) == []  # unchanged: no second change row
    db.clock.advance(timedelta(seconds=30))
    _readings(db, plant, "LT-01", [1.2])
    assert _recompute(db, plant) == []
    db.hazard(plant, level=HazardLevel.general)  # 1 point: 74 → orange
    assert _recompute(db, plant) == [plant]
    with db.uow(write=False) as uow:
        changes = uow.session.scalars(select(RiskLevelChange).order_by(RiskLevelChange.id)).all()
        assert [(c.from_level, c.to_level, c.from_score, c.score) for c in changes] == [
            (None, "yellow", None, 75),
            ("yellow", "orange", 75, 74),
        ]
        assert "一般" in changes[1].reason and "open general" in changes[1].reason_en
        audits = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "risk.level_change")).all()
        assert [(a.object_id, (a.after or {})["level"]) for a in audits] == [
            (str(plant), "yellow"),
            (str(plant), "orange"),
        ]
        stored = uow.session.get(EnterpriseRisk, plant)
        assert stored is not None and (stored.level, stored.score, stored.level_since) == (
            "orange",
            74,
            db.clock.now(),
        )


def test_a_site_whose_gateway_stopped_is_offline_without_any_new_data(db: Db) -> None:
    """The engine raises offline only when data or a batch arrives; the risk job judges staleness itself."""
    plant = db.enterprise(sector="hazchem_storage")
    _headcount(db, plant, 50)
    _sensor(db, plant, "LT-01", period_s=60)
    _sensor(db, plant, "LT-02", period_s=60)
    _readings(db, plant, "LT-01", [1.0])
    _readings(db, plant, "LT-02", [1.0])
    _recompute(db, plant)
    health = db.act(enterprise_risk, SYSTEM, plant).assessment["components"][4]
    assert (health["value"]["unhealthy"], health["points"]) == (0, 0)
    db.clock.advance(timedelta(minutes=10))  # 3 periods of 60 s passed long ago
    _recompute(db, plant)
    health = db.act(enterprise_risk, SYSTEM, plant).assessment["components"][4]
    assert (health["value"]["offline"], health["value"]["unhealthy"], health["points"]) == (2, 2, 15)


def test_a_sensor_that_never_reported_counts_once_its_offline_window_has_passed(db: Db) -> None:
    plant = db.enterprise(sector="hazchem_storage")
    _sensor(db, plant, "LT-01", period_s=60)
    _recompute(db, plant)
    assert db.act(enterprise_risk, SYSTEM, plant).assessment["components"][4]["value"]["never_reported"] == 0
    db.clock.advance(timedelta(minutes=4))
    _recompute(db, plant)
    assert db.act(enterprise_risk, SYSTEM, plant).assessment["components"][4]["value"]["never_reported"] == 1


def test_open_and_overdue_hazards_are_read_from_the_ledger(db: Db) -> None:
    plant = db.enterprise(sector="other")
    db.hazard(plant, level=HazardLevel.major)
    db.hazard(plant, level=None)  # undetermined: counted as general
    general = db.hazard(plant, level=HazardLevel.general)
    with db.uow() as uow:
        row = uow.session.get(Hazard, general)
        assert row is not None
        row.is_overdue = True
    _recompute(db, plant)
    values = {c["name"]: c["value"] for c in db.act(enterprise_risk, SYSTEM, plant).assessment["components"]}
    assert (
        values["hazards_major_open"],
        values["hazards_general_open"],
        values["hazards_general_overdue"],
    ) == (1, 2, 1)


def test_only_the_scheduler_recomputes(db: Db) -> None:
    plant = db.enterprise()
    regulator = db.user(Role.regulator, division="320311")
    with pytest.raises(PermissionDeniedError):
        db.act(recompute_risk, regulator, [plant])


def test_the_job_walks_enterprises_in_batches(db: Db) -> None:
    ids = [db.enterprise() for _ in range(5)]
    seen, after = [], 0
    while batch := db.act(next_enterprise_ids, after, 2):
        db.act(recompute_risk, SYSTEM, batch)
        seen += batch
        after = batch[-1]
    assert seen == ids
    with db.uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(EnterpriseRisk)) == 5


# ---------------------------------------------------------------- roll-up, list, scope, API


@pytest.fixture
def region(db: Db) -> dict[str, int]:
    """Two counties of Xuzhou (江苏徐州) and one Beijing district, with levels red, orange, blue, yellow."""
    ids = {
        "quanshan_red": db.enterprise(county="320311", sector="other"),
        "quanshan_orange": db.enterprise(county="320311", sector="other"),
        "gulou_blue": db.enterprise(county="320302", sector="other"),
        "beijing_yellow": db.enterprise(county="110101", sector="urban_gas"),  # 8 + 1 + unmonitored 15
        "gulou_unassessed": db.enterprise(county="320302", sector="other"),
    }
    for key in ("quanshan_red", "quanshan_orange", "gulou_blue"):
        _headcount(db, ids[key], 10)
    overdue = db.hazard(ids["quanshan_red"])
    with db.uow() as uow:
        row = uow.session.get(Hazard, overdue)
        assert row is not None
        row.is_overdue = True
    db.hazard(ids["quanshan_orange"])
    _recompute(db, *(v for k, v in ids.items() if k != "gulou_unassessed"))
    return ids


def test_levels_of_the_region(db: Db, region: dict[str, int]) -> None:
    with db.uow(write=False) as uow:
        levels = {
            k: (r.level if (r := uow.session.get(EnterpriseRisk, v)) else None) for k, v in region.items()
        }
    assert levels == {
        "quanshan_red": "red",
        "quanshan_orange": "orange",
        "gulou_blue": "blue",
        "beijing_yellow": "yellow",
        "gulou_unassessed": None,
    }


def test_the_roll_up_counts_colours_per_division_one_level_down(db: Db, region: dict[str, int]) -> None:
    nation = db.act(risk_summary, SYSTEM, "")
    assert [(r.division_code, r.name, r.counts["red"], r.counts["yellow"], r.total) for r in nation.rows] == [
        ("110000", "北京市", 0, 1, 1),
        ("320000", "江苏省", 1, 0, 4),
    ]
    assert nation.totals == {"red": 1, "orange": 1, "yellow": 1, "blue": 1, "unassessed": 1}
    city = db.act(risk_summary, SYSTEM, "320300")
    assert [(r.division_code, r.name, r.counts) for r in city.rows] == [
        ("320302", "鼓楼区", {"red": 0, "orange": 0, "yellow": 0, "blue": 1, "unassessed": 1}),
        ("320311", "泉山区", {"red": 1, "orange": 1, "yellow": 0, "blue": 0, "unassessed": 0}),
    ]


def test_the_roll_up_stays_inside_the_callers_scope(db: Db, region: dict[str, int]) -> None:
    county = db.user(Role.regulator, division="320311")
    summary = db.act(risk_summary, county, "")
    assert [(r.division_code, r.total) for r in summary.rows] == [("320000", 2)]
    owner = db.user(Role.enterprise, enterprise_id=region["gulou_blue"])
    assert db.act(risk_summary, owner, "").totals["blue"] == 1
    assert db.act(risk_summary, owner, "").totals["red"] == 0


def test_the_early_warning_list_is_worst_first_filtered_paginated_and_scoped(
    db: Db, region: dict[str, int]
) -> None:
    everything = db.act(early_warnings, SYSTEM, WarningFilter(), PageRequest(1, 2))
    assert (everything.total, [row.level for row, _ in everything.items]) == (4, ["red", "orange"])
    reds = db.act(early_warnings, SYSTEM, WarningFilter(level=RiskLevel.red), PageRequest())
    assert [row.enterprise_id for row, _ in reds.items] == [region["quanshan_red"]]
    city = db.user(Role.regulator, division="320300")
    mine = db.act(early_warnings, city, WarningFilter(), PageRequest())
    assert {row.enterprise_id for row, _ in mine.items} == {
        region["quanshan_red"],
        region["quanshan_orange"],
        region["gulou_blue"],
    }
    gulou = db.act(early_warnings, city, WarningFilter(division="320302"), PageRequest())
    assert [row.enterprise_id for row, _ in gulou.items] == [region["gulou_blue"]]


def test_the_api_explains_a_level_and_hides_other_areas(db: Db, region: dict[str, int]) -> None:
    db.user(Role.regulator, division="320300", username="xuzhou")
    db.user(Role.regulator, division="110000", username="beijing")
    client = db.client()
    headers = auth_header(client, "xuzhou")
    red = region["quanshan_red"]
    body = client.get(f"/api/v1/enterprises/{red}/risk", headers=headers).json()
    assert (body["level"], body["level_name"], body["band_level"], body["is_stored"]) == (
        "red",
        "红色（重大风险）",
        "orange",
        True,
    )
    assert [f["fact"] for f in body["floors"]] == ["hazards_major_overdue"]
    assert {c["name"] for c in body["components"]} >= {
        "sector",
        "alarms",
        "sensor_health",
        "hazards_major_overdue",
    }
    assert [(h["from_level"], h["to_level"]) for h in body["history"]] == [(None, "red")]
    english = client.get(
        f"/api/v1/enterprises/{red}/risk", headers=headers | {"Accept-Language": "en"}
    ).json()
    assert english["level_name"] == "red (major risk)" and "overdue major hazards" in english["summary"]

    beijing = auth_header(client, "beijing")
    response = client.get(f"/api/v1/enterprises/{red}/risk", headers=beijing)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")

    unassessed = client.get(f"/api/v1/enterprises/{region['gulou_unassessed']}/risk", headers=headers).json()
    assert (unassessed["is_stored"], unassessed["history"], unassessed["level"]) == (False, [], "blue")

    summary = client.get("/api/v1/risk/summary?division=3203", headers=headers).json()
    assert [r["division_code"] for r in summary["rows"]] == ["320302", "320311"]
    assert summary["totals"]["total"] == 4
    listed = client.get("/api/v1/risk/enterprises?level=red&size=10", headers=headers).json()
    assert [i["enterprise_id"] for i in listed["items"]] == [red] and listed["total"] == 1
    assert client.get("/api/v1/risk/enterprises?level=red", headers=beijing).json()["total"] == 0
    bad = client.get("/api/v1/risk/enterprises?level=purple", headers=headers)
    assert bad.status_code == 422
