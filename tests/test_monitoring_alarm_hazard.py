"""Alarm → hazard: a methane power-off held past its set time while the power stays on is coal article 5
item 2 (work continuing after a methane over-limit); the hazard is raised once per alarm record, through the
hazard service, citing the clause of the pack in force, with the alarm history as evidence."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.builders import Db
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import SYSTEM
from zhiben.hazard.models import Hazard
from zhiben.monitoring import domain
from zhiben.monitoring.hazard_link import LINK_ACTION, hazards_from_alarms, packaged_rules
from zhiben.monitoring.ingest import Ingestor, IngestReport, Message
from zhiben.monitoring.models import Alarm, AlarmLogEntry
from zhiben.monitoring.risk import enterprise_risk, recompute_risk
from zhiben.monitoring.sensors import SensorDraft, register_sensor

PERIOD_S = 10


def _mine(db: Db, *, hold_s: int | None = None, power_sensor: str | None = "KD-01") -> int:
    mine = db.enterprise(county="140213", sector="coal_mine", name="大同测试煤矿")
    power_off: dict[str, Any] = {"priority": "emergency", "response_s": 300}
    if hold_s is not None:
        power_off["hazard_after_s"] = hold_s
    if power_sensor is not None:
        power_off["power_sensor"] = power_sensor
    db.act(
        register_sensor,
        SYSTEM,
        mine,
        SensorDraft(
            code="CH4-T1",
            name="1301工作面甲烷",
            kind="methane",
            unit="%CH4",
            location_code="T1",
            range_min=0,
            range_max=4,
            sampling_period_s=PERIOD_S,
            rationale={"power_off": power_off},
        ),
    )
    db.act(
        register_sensor,
        SYSTEM,
        mine,
        SensorDraft(
            code="KD-01",
            name="1301工作面馈电",
            kind="power_on",
            range_min=0,
            range_max=1,
            sampling_period_s=PERIOD_S,
        ),
    )
    return mine


def _gateway(db: Db, start_s: int, methane: list[float], power: list[float]) -> bytes:
    """One gateway message, columnar, readings every 10 s from `start_s` seconds before now."""
    base = domain.to_ms(db.clock.now()) - start_s * 1000
    n = len(methane)
    assert len(power) == n
    ts = [base + PERIOD_S * 1000 * i for i in range(n)]
    return json.dumps(
        {"readings": {"sensor": ["CH4-T1"] * n + ["KD-01"] * n, "ts": ts + ts, "value": methane + power}}
    ).encode()


def _ingest(db: Db, mine: int, payload: bytes) -> IngestReport:
    return db.act(Ingestor().ingest, [Message(mine, "mqtt", f"zhiben/v1/{mine}/readings", payload)])  # type: ignore[no-any-return]


def _episode(db: Db, mine: int, minutes: float, power_value: float = 1.0) -> IngestReport:
    """Methane 0.4 % for a minute, then 1.6 % (≥ 1.5: power-off) for `minutes`, power reading `power_value`."""
    n = int(minutes * 60 / PERIOD_S)
    methane = [0.4] * 6 + [1.6] * n
    power = [1.0] * 6 + [power_value] * n
    return _ingest(db, mine, _gateway(db, PERIOD_S * (len(methane) - 1), methane, power))


def _link(db: Db, source: Any) -> Any:
    return db.act(hazards_from_alarms, source, db.clock.now())


def test_the_rule_names_a_fact_not_a_clause() -> None:
    (rule,) = packaged_rules()
    assert (rule.sensor_kind, rule.condition, rule.fact, rule.hold_default_s) == (
        "methane",
        "power_off",
        "working_after_gas_over_limit",
        600,
    )


def test_power_off_held_past_the_set_time_with_power_on_raises_a_major_hazard_citing_5_2(db: Db) -> None:
    mine = _mine(db)
    report = _episode(db, mine, minutes=12)
    assert report.alarms_opened >= 1
    linked = _link(db, report)
    assert [(r.level, r.pack, r.version, r.clause) for r in linked.raised] == [
        ("major", "coal-mine", "2020.1", "5-2")
    ]
    with db.uow(write=False) as uow:
        hazard = uow.session.get(Hazard, linked.raised[0].hazard_id)
        assert hazard is not None
        assert (hazard.enterprise_id, hazard.source, hazard.level, hazard.state) == (
            mine,
            "monitoring",
            "major",
            "determined",
        )
        assert hazard.citation is not None
        assert (hazard.citation["clause"], hazard.citation["citation"]) == ("5-2", "第五条第（二）项")
        assert json.loads(hazard.citation["facts"]) == {"working_after_gas_over_limit": True}
        evidence = json.loads(hazard.citation["evidence"])
        assert (evidence["sensor"], evidence["power_sensor"], evidence["power_latest"], evidence["max"]) == (
            "CH4-T1",
            "KD-01",
            1.0,
            1.6,
        )
        assert evidence["held_s"] >= 600 and evidence["readings"] == 72
        # the alarm history is in the description, in Beijing time
        assert "井下瓦斯超限后继续作业" in hazard.description
        assert "报警日志" in hazard.description and "condition_active" in hazard.description
        assert "KD-01" in hazard.description and "1301工作面甲烷" in hazard.location
        # found when the set time ran out: power-off since the 7th reading, plus 600 s
        alarm = uow.session.scalars(select(Alarm).where(Alarm.condition == "power_off")).one()
        assert alarm.process_changed_at is not None
        assert hazard.found_at == alarm.process_changed_at + timedelta(seconds=600)
        link = uow.session.scalars(select(AlarmLogEntry).where(AlarmLogEntry.action == LINK_ACTION)).one()
        assert (link.alarm_id, link.detail["hazard_id"], link.detail["clause"]) == (
            alarm.id,
            hazard.id,
            "5-2",
        )
        audit = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "hazard.report")).one()
        assert audit.actor == "admin:monitoring"


def test_one_hazard_per_alarm_record_however_often_it_runs(db: Db) -> None:
    mine = _mine(db)
    first = _link(db, _episode(db, mine, minutes=12))
    db.clock.advance(timedelta(minutes=1))
    again = _ingest(db, mine, _gateway(db, 50, [1.7] * 6, [1.0] * 6))
    assert (len(first.raised), len(_link(db, again).raised), len(_link(db, [1, 2]).raised)) == (1, 0, 0)
    with db.uow(write=False) as uow:
        assert len(uow.session.scalars(select(Hazard)).all()) == 1


def test_a_short_over_limit_raises_nothing_until_the_set_time_has_passed(db: Db) -> None:
    mine = _mine(db)
    report = _episode(db, mine, minutes=5)
    linked = _link(db, report)
    assert (linked.raised, [p.reason for p in linked.pending]) == ([], ["hold"])
    # the gateway keeps sending: methane still 1.6 %, power still on; 6 minutes later the set time is over
    db.clock.advance(timedelta(minutes=6))
    later = _ingest(db, mine, _gateway(db, 350, [1.6] * 36, [1.0] * 36))
    assert later.alarms_opened == 0  # the same alarm record
    assert [r.clause for r in _link(db, later).raised] == ["5-2"]


def test_power_cut_as_required_raises_nothing(db: Db) -> None:
    mine = _mine(db)
    linked = _link(db, _episode(db, mine, minutes=12, power_value=0.0))
    assert (linked.raised, [p.reason for p in linked.pending]) == ([], ["power_off"])


def test_methane_back_below_the_restore_value_raises_nothing(db: Db) -> None:
    mine = _mine(db)
    methane = [0.4] * 6 + [1.6] * 30 + [0.6] * 48  # 5 minutes over, then restored (< 1.0)
    report = _ingest(db, mine, _gateway(db, PERIOD_S * (len(methane) - 1), methane, [1.0] * len(methane)))
    assert _link(db, report).raised == []


def test_without_a_linked_power_sensor_it_cannot_tell_and_raises_nothing(db: Db) -> None:
    mine = _mine(db, power_sensor=None)
    linked = _link(db, _episode(db, mine, minutes=12))
    assert (linked.raised, [p.reason for p in linked.pending]) == ([], ["no_power_sensor"])


def test_the_sensors_own_set_time_is_used(db: Db) -> None:
    mine = _mine(db, hold_s=120)
    assert [r.clause for r in _link(db, _episode(db, mine, minutes=3)).raised] == ["5-2"]


def test_it_runs_for_a_list_of_sensor_ids_too(db: Db) -> None:
    mine = _mine(db)
    _episode(db, mine, minutes=12)
    other = db.enterprise(county="140213", sector="coal_mine")
    assert _link(db, []).raised == []
    with db.uow(write=False) as uow:
        sensor_ids = list(uow.session.scalars(select(Alarm.sensor_id)))
    assert other and len(_link(db, sensor_ids).raised) == 1


def test_with_no_released_coal_pack_in_force_the_hazard_waits_for_a_regulator(db: Db) -> None:
    db.clock.set(
        datetime(2026, 7, 2, 2, 0, tzinfo=UTC)
    )  # coal-mine/2020.1 ended 2026-07-01; 2026.1 is a draft
    mine = _mine(db)
    linked = _link(db, _episode(db, mine, minutes=12))
    assert [(r.level, r.pack, r.clause) for r in linked.raised] == [(None, None, None)]
    with db.uow(write=False) as uow:
        hazard = uow.session.get(Hazard, linked.raised[0].hazard_id)
        assert hazard is not None
        assert (hazard.level, hazard.citation, hazard.state) == (None, None, "reported")
        assert "无已发布的判定标准条款" in hazard.description
        assert "working_after_gas_over_limit" in hazard.description
        assert "coal-mine 2026.1（草案，0 条）" in hazard.description
        assert "请监管部门" in hazard.description


def test_the_raised_hazard_moves_the_mine_to_at_least_orange(db: Db) -> None:
    mine = _mine(db)
    _link(db, _episode(db, mine, minutes=12))
    db.act(recompute_risk, SYSTEM, [mine])
    view = db.act(enterprise_risk, SYSTEM, mine)
    components = {c["name"]: c for c in view.assessment["components"]}
    assert components["hazards_major_open"]["value"] == 1
    assert components["alarms"]["value"]["emergency"] == 1
    assert view.assessment["level"] in ("orange", "red")


@pytest.mark.parametrize("minutes", [9.8, 10.2])
def test_the_default_set_time_is_600_seconds(db: Db, minutes: float) -> None:
    mine = _mine(db)
    raised = _link(db, _episode(db, mine, minutes=minutes)).raised
    assert len(raised) == (1 if minutes > 10 else 0)
