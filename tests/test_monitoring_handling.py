"""Alarm handling (ISA-18.2) in the database: operator actions with actor and time, audited and logged;
one open record per point under concurrency; the shelving and escalation timers; sensor health; KPIs."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select, text

from tests.builders import Db
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from zhiben.monitoring import domain, handling
from zhiben.monitoring.ingest import Ingestor, Message
from zhiben.monitoring.models import Alarm, AlarmLogEntry, Sensor, SensorState
from zhiben.monitoring.notify import FakeNotifier, LogNotifier, WebhookNotifier
from zhiben.monitoring.sensors import SensorDraft, register_sensor

COUNTY = "140213"


def draft(code: str = "CH4-T1") -> SensorDraft:
    return SensorDraft(
        code=code,
        kind="methane",
        unit="%CH4",
        location_code="T1",
        range_min=0,
        range_max=4,
        sampling_period_s=600,
    )


def payload(db: Db, values: list[float], code: str = "CH4-T1", ago_s: int = 600) -> bytes:
    """Readings every 10 s, the first `ago_s` before now."""
    base = domain.to_ms(db.clock.now()) - ago_s * 1000
    readings = {"sensor": [code] * len(values), "ts": [base + 10_000 * i for i in range(len(values))]}
    return json.dumps({"readings": {**readings, "value": values}}).encode()


def feed(db: Db, enterprise: int, values: list[float], code: str = "CH4-T1", ago_s: int = 600) -> None:
    db.act(Ingestor().ingest, [Message(enterprise, "http", "test", payload(db, values, code, ago_s))])


@pytest.fixture
def mine(db: Db) -> int:
    enterprise = db.enterprise(county=COUNTY, sector="coal_mine")
    db.act(register_sensor, SYSTEM, enterprise, draft())
    return enterprise


def sensor_id(db: Db, enterprise: int, code: str = "CH4-T1") -> int:
    with db.uow() as uow:
        return uow.session.scalars(
            select(Sensor.id).where(Sensor.enterprise_id == enterprise, Sensor.code == code)
        ).one()


def raise_alarm(db: Db, enterprise: int, values: list[float] | None = None) -> int:
    """Methane at 1.2 %: the `alarm:hi` point (≥ 1.0 %) opens, unacknowledged."""
    feed(db, enterprise, values or [0.3, 1.2])
    with db.uow() as uow:
        return uow.session.scalars(
            select(Alarm.id).where(Alarm.enterprise_id == enterprise, Alarm.condition == "alarm:hi")
        ).one()


def alarm(db: Db, alarm_id: int) -> Alarm:
    with db.uow() as uow:  # committed, not rolled back: the row stays loaded
        row = uow.session.get(Alarm, alarm_id)
        assert row is not None
        return row


def log_actions(db: Db, alarm_id: int) -> list[tuple[str, str, str]]:
    with db.uow() as uow:
        query = select(AlarmLogEntry).where(AlarmLogEntry.alarm_id == alarm_id).order_by(AlarmLogEntry.id)
        return [(e.action, e.actor, e.state_after) for e in uow.session.scalars(query)]


def audit_actions(db: Db, alarm_id: int) -> list[str]:
    with db.uow() as uow:
        query = select(AuditEntry.action).where(
            AuditEntry.object_type == "alarm", AuditEntry.object_id == str(alarm_id)
        )
        return list(uow.session.scalars(query.order_by(AuditEntry.seq)))


@pytest.fixture
def operator(db: Db, mine: int) -> Principal:
    return db.user(Role.enterprise, enterprise_id=mine)


# ---- operator actions ---------------------------------------------------------------------------


def test_acknowledging_records_who_and_when_in_the_alarm_log_and_the_audit_chain(
    db: Db, mine: int, operator: Principal
) -> None:
    alarm_id = raise_alarm(db, mine)
    db.clock.advance(timedelta(minutes=2))
    db.act(handling.acknowledge_alarm, operator, alarm_id)
    row = alarm(db, alarm_id)
    assert (row.state, row.acknowledged_by, row.acknowledged_at) == (
        "acknowledged",
        operator.audit_name,
        db.clock.now(),
    )
    assert log_actions(db, alarm_id)[-1] == ("acknowledge", operator.audit_name, "acknowledged")
    assert audit_actions(db, alarm_id) == ["alarm.process", "alarm.acknowledge"]


def test_every_operator_action_goes_through_the_state_machine(db: Db, mine: int, operator: Principal) -> None:
    alarm_id = raise_alarm(db, mine)
    later = db.clock.now() + timedelta(hours=1)
    steps: list[tuple[Any, tuple[Any, ...], str]] = [
        (handling.comment_on_alarm, ("检查传感器",), "unacknowledged"),
        (handling.assign_alarm, ("张班长",), "unacknowledged"),
        (handling.shelve_alarm, (later, "校准中"), "shelved"),
        (handling.unshelve_alarm, (), "unacknowledged"),  # the methane is still high: annunciated again
        (handling.suppress_alarm, ("停产检修",), "suppressed_by_design"),
        (handling.unsuppress_alarm, (), "unacknowledged"),
        (handling.remove_alarm_from_service, ("更换探头",), "out_of_service"),
        (handling.return_alarm_to_service, (), "unacknowledged"),
        (handling.acknowledge_alarm, (), "acknowledged"),
    ]
    for fn, args, state in steps:
        db.clock.advance(timedelta(seconds=30))
        assert db.act(fn, operator, alarm_id, *args).state == state, fn.__name__
    actions = [a for a, _, _ in log_actions(db, alarm_id)]
    assert actions[1:] == [
        "comment",
        "assign",
        "shelve",
        "unshelve",
        "suppress",
        "unsuppress",
        "remove_from_service",
        "return_to_service",
        "acknowledge",
    ]
    assert len(audit_actions(db, alarm_id)) == 1 + len(steps)
    assert alarm(db, alarm_id).assignee == "张班长"


def test_a_refused_transition_is_a_conflict_naming_the_allowed_actions(
    db: Db, mine: int, operator: Principal
) -> None:
    alarm_id = raise_alarm(db, mine)
    db.act(handling.acknowledge_alarm, operator, alarm_id)
    with pytest.raises(ConflictError) as caught:
        db.act(handling.acknowledge_alarm, operator, alarm_id)
    assert "acknowledge" not in caught.value.details["allowed"]
    assert "shelve" in caught.value.details["allowed"]
    with pytest.raises(ConflictError):
        db.act(handling.unshelve_alarm, operator, alarm_id)
    assert log_actions(db, alarm_id)[-1][0] == "acknowledge"  # nothing logged for the refusals


def test_acknowledging_an_alarm_that_returned_to_normal_closes_it(
    db: Db, mine: int, operator: Principal
) -> None:
    alarm_id = raise_alarm(db, mine, [0.3, 1.2, 0.5])
    row = db.act(handling.acknowledge_alarm, operator, alarm_id)
    assert (row.state, row.open_key, row.closed_by) == ("normal", None, "acknowledge")
    with pytest.raises(ConflictError):
        db.act(handling.comment_on_alarm, operator, alarm_id, "太晚了")


def test_a_stale_version_is_refused(db: Db, mine: int, operator: Principal) -> None:
    alarm_id = raise_alarm(db, mine)
    version = alarm(db, alarm_id).version
    db.act(handling.assign_alarm, operator, alarm_id, "李工", version)
    with pytest.raises(StaleVersionError):
        db.act(handling.acknowledge_alarm, operator, alarm_id, version)


def test_the_shelving_expiry_must_be_after_now(db: Db, mine: int, operator: Principal) -> None:
    alarm_id = raise_alarm(db, mine)
    with pytest.raises(InvalidInputError):
        db.act(handling.shelve_alarm, operator, alarm_id, db.clock.now(), "校准")


@pytest.mark.parametrize(
    ("role", "division", "allowed"),
    [
        (Role.regulator, "140213", True),  # the county
        (Role.regulator, "140000", True),  # the province
        (Role.officer, "140213", True),
        (Role.admin, "", True),
        (Role.department, "140213", False),  # sees it (its sector), may not act
        (Role.service_provider, "", False),
    ],
)
def test_government_with_jurisdiction_may_act_and_others_only_read(
    db: Db, mine: int, role: Role, division: str, allowed: bool
) -> None:
    alarm_id = raise_alarm(db, mine)
    user = db.user(role, division=division, sectors="coal_mine", provider_org="安全技术服务中心")
    if role == Role.service_provider:
        db.contract("安全技术服务中心", mine)
    assert db.act(handling.get_alarm, user, alarm_id).id == alarm_id  # in scope: visible
    if allowed:
        assert db.act(handling.acknowledge_alarm, user, alarm_id).state == "acknowledged"
    else:
        with pytest.raises(PermissionDeniedError):
            db.act(handling.acknowledge_alarm, user, alarm_id)
        assert db.act(handling.get_alarm, user, alarm_id).state == "unacknowledged"


def test_outside_the_scope_an_alarm_is_not_found(db: Db, mine: int) -> None:
    alarm_id = raise_alarm(db, mine)
    other = db.enterprise(county=COUNTY, sector="coal_mine")
    for user in (
        db.user(Role.enterprise, enterprise_id=other),
        db.user(Role.regulator, division="140212"),
        db.user(Role.service_provider, provider_org="无合同机构"),
    ):
        with pytest.raises(NotFoundError):
            db.act(handling.acknowledge_alarm, user, alarm_id)


# ---- actions on alarm points: one open record per point --------------------------------------


def test_shelving_a_point_without_an_open_record_opens_one(db: Db, mine: int, operator: Principal) -> None:
    sensor = sensor_id(db, mine)
    until = db.clock.now() + timedelta(hours=4)
    row = db.act(handling.shelve_point, operator, sensor, "offline", until, "网关迁移")
    assert (row.state, row.condition, row.open_key is not None) == ("shelved", "offline", True)
    assert log_actions(db, row.id) == [("shelve", operator.audit_name, "shelved")]
    assert audit_actions(db, row.id) == ["alarm.shelve"]
    again = db.act(handling.suppress_point, operator, sensor, "offline", "停产")
    assert (again.id, again.state) == (row.id, "suppressed_by_design")  # the open record, not a new one
    with pytest.raises(InvalidInputError):
        db.act(handling.shelve_point, operator, sensor, "alarm:nonsense", until, "x")


def test_an_active_point_shelved_by_sensor_uses_its_open_record(
    db: Db, mine: int, operator: Principal
) -> None:
    alarm_id = raise_alarm(db, mine)
    row = db.act(handling.remove_point_from_service, operator, sensor_id(db, mine), "alarm:hi", "检修")
    assert (row.id, row.state) == (alarm_id, "out_of_service")


def test_the_unique_index_refuses_a_second_open_record_and_the_action_uses_the_first(
    db: Db, mine: int, operator: Principal
) -> None:
    alarm_id, point = raise_alarm(db, mine), sensor_id(db, mine)
    with db.uow() as uow:
        sensor = uow.session.get(Sensor, point)
        assert sensor is not None
        event = handling.isa.Shelve(db.clock.now(), "x", db.clock.now() + timedelta(hours=1), "校准")
        assert handling.insert_open_record(uow.session, sensor, "alarm:hi", event) is None  # IntegrityError
        # the transaction is still usable after the refused insert
        row = handling.shelve_point(
            uow.session, operator, sensor.id, "alarm:hi", db.clock.now() + timedelta(hours=1), "校准"
        )
        assert row.id == alarm_id
    with db.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Alarm)) == 1


@pytest.mark.postgres
def test_two_sessions_opening_one_point_at_once_leave_one_open_record(
    db: Db, mine: int, operator: Principal
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises writers at BEGIN: the race needs PostgreSQL")
    sensor = sensor_id(db, mine)
    until = db.clock.now() + timedelta(hours=2)
    outcome: dict[str, Any] = {}

    def second() -> None:
        try:
            with db.uow() as uow:
                row = handling.suppress_point(uow.session, operator, sensor, "offline", "停产检修")
                outcome["state"], outcome["id"] = row.state, row.id
        except Exception as exc:  # reported to the test below
            outcome["error"] = exc

    with db.uow() as first:
        opened = handling.shelve_point(first.session, operator, sensor, "offline", until, "网关迁移")
        thread = threading.Thread(target=second)
        thread.start()
        _wait_for_lock_wait(db)  # the second insert waits on the unique index
        opened_id = opened.id
    thread.join(timeout=30)
    assert "error" not in outcome, outcome.get("error")
    assert outcome == {"state": "suppressed_by_design", "id": opened_id}
    with db.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Alarm)) == 1


def _wait_for_lock_wait(db: Db) -> None:
    deadline = time.monotonic() + 10
    query = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'")
    while time.monotonic() < deadline:
        with db.engine.connect() as connection:
            if connection.scalar(query):
                return
        time.sleep(0.02)
    raise AssertionError("the second transaction never waited on the unique index")


# ---- timers -------------------------------------------------------------------------------------


def test_shelving_expires_at_its_expiry_and_the_alarm_is_annunciated_again(
    db: Db, mine: int, operator: Principal
) -> None:
    alarm_id = raise_alarm(db, mine)
    until = db.clock.now() + timedelta(hours=1)
    db.act(handling.shelve_alarm, operator, alarm_id, until, "校准")
    normal_point = db.act(
        handling.shelve_point, operator, sensor_id(db, mine), "stuck", until + timedelta(hours=1), "x"
    )
    assert db.act(handling.expire_shelving, until - timedelta(microseconds=1)) == 0
    assert db.act(handling.expire_shelving, until) == 1
    row = alarm(db, alarm_id)
    assert (row.state, row.annunciated_at) == ("unacknowledged", until)  # still active: annunciated again
    assert log_actions(db, alarm_id)[-1] == ("shelving_expired", "timer", "unacknowledged")
    assert audit_actions(db, alarm_id)[-1] == "alarm.shelving_expired"
    assert db.act(handling.expire_shelving, until + timedelta(hours=2)) == 1
    assert alarm(db, normal_point.id).state == "normal"  # the process is normal: the record closes


def test_the_shelving_job_handles_a_bounded_batch(db: Db, mine: int, operator: Principal) -> None:
    sensor = sensor_id(db, mine)
    until = db.clock.now() + timedelta(minutes=5)
    for condition in ("offline", "stuck", "out_of_range"):
        db.act(handling.shelve_point, operator, sensor, condition, until, "x")
    assert db.act(handling.expire_shelving, until, 2) == 2
    assert db.act(handling.expire_shelving, until, 2) == 1
    assert db.act(handling.expire_shelving, until, 2) == 0


def test_escalation_is_due_only_after_the_response_time(db: Db, mine: int) -> None:
    alarm_id = raise_alarm(db, mine)
    row = alarm(db, alarm_id)
    assert row.annunciated_at is not None
    deadline = row.annunciated_at + timedelta(seconds=row.response_s)  # alarm:hi: 1800 s
    notifier = FakeNotifier()
    assert db.act(handling.escalate_due, deadline - timedelta(seconds=1), notifier) == 0
    assert db.act(handling.escalate_due, deadline, notifier) == 0  # at the response time: still in time
    just_after = deadline + timedelta(milliseconds=1)
    assert db.act(handling.escalate_due, just_after, notifier) == 1
    assert [(e.alarm_id, e.condition, e.deadline_at, e.sensor_code) for e in notifier.sent] == [
        (alarm_id, "alarm:hi", deadline, "CH4-T1")
    ]
    assert alarm(db, alarm_id).escalated_at == just_after
    assert log_actions(db, alarm_id)[-1] == ("escalate", "timer", "unacknowledged")
    assert audit_actions(db, alarm_id)[-1] == "alarm.escalate"
    assert db.act(handling.escalate_due, just_after + timedelta(hours=1), notifier) == 0  # once only


def test_an_acknowledged_alarm_is_not_escalated(db: Db, mine: int, operator: Principal) -> None:
    alarm_id = raise_alarm(db, mine)
    db.act(handling.acknowledge_alarm, operator, alarm_id)
    assert db.act(handling.escalate_due, db.clock.now() + timedelta(days=1), FakeNotifier()) == 0


def test_a_failing_notifier_never_undoes_the_escalation(db: Db, mine: int) -> None:
    alarm_id = raise_alarm(db, mine)
    notifier = FakeNotifier(failure="短信网关不可用")
    assert db.act(handling.escalate_due, db.clock.now() + timedelta(days=1), notifier) == 1
    assert alarm(db, alarm_id).escalated_at is not None
    with db.uow() as uow:
        entry = uow.session.scalars(
            select(AlarmLogEntry).where(
                AlarmLogEntry.alarm_id == alarm_id, AlarmLogEntry.action == "escalate"
            )
        ).one()
        assert entry.detail["notified"] is False and "短信网关不可用" in entry.detail["error"]


def test_the_escalation_job_handles_a_bounded_batch_oldest_first(db: Db, mine: int) -> None:
    for code in ("CH4-A", "CH4-B", "CH4-C"):
        db.act(register_sensor, SYSTEM, mine, draft(code))
        feed(db, mine, [0.3, 1.2], code=code)
        db.clock.advance(timedelta(minutes=1))
    notifier = FakeNotifier()
    later = db.clock.now() + timedelta(days=1)
    assert db.act(handling.escalate_due, later, notifier, 2) == 2
    assert db.act(handling.escalate_due, later, notifier, 2) == 1
    assert [e.sensor_code for e in notifier.sent] == ["CH4-A", "CH4-B", "CH4-C"]


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []  # noqa: RUF012

    def do_POST(self) -> None:
        self.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


def test_the_webhook_adapter_posts_the_escalation(db: Db, mine: int, webhook: str) -> None:
    _Hook.received.clear()
    alarm_id = raise_alarm(db, mine)
    assert db.act(handling.escalate_due, db.clock.now() + timedelta(days=1), WebhookNotifier(webhook)) == 1
    assert [(m["event"], m["alarm_id"], m["condition"]) for m in _Hook.received] == [
        ("alarm.escalated", alarm_id, "alarm:hi")
    ]


def test_an_unreachable_webhook_is_recorded_and_the_escalation_kept(db: Db, mine: int) -> None:
    alarm_id = raise_alarm(db, mine)
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    port = server.server_port
    server.server_close()  # nothing listens there now
    notifier = WebhookNotifier(f"http://127.0.0.1:{port}/hook", timeout_s=2)
    assert db.act(handling.escalate_due, db.clock.now() + timedelta(days=1), notifier) == 1
    with db.uow() as uow:
        entry = uow.session.scalars(
            select(AlarmLogEntry).where(
                AlarmLogEntry.alarm_id == alarm_id, AlarmLogEntry.action == "escalate"
            )
        ).one()
    assert entry.detail["notified"] is False
    assert alarm(db, alarm_id).escalated_at is not None


def test_the_log_notifier_writes_a_warning(caplog: pytest.LogCaptureFixture, db: Db, mine: int) -> None:
    raise_alarm(db, mine)
    with caplog.at_level("WARNING"):
        db.act(handling.escalate_due, db.clock.now() + timedelta(days=1), LogNotifier())
    assert any("escalated" in r.getMessage() for r in caplog.records)


def test_a_webhook_takes_only_http_urls() -> None:
    with pytest.raises(ValueError, match="http"):
        WebhookNotifier("file:///etc/passwd")


# ---- sensor health --------------------------------------------------------------------------


def test_a_sensor_is_never_shown_normal_without_fresh_data(db: Db, mine: int) -> None:
    [(sensor, health)] = db.act(handling.sensors_with_health, SYSTEM, mine)
    assert (health.status, health.last_ts) == ("no_data", None)
    feed(db, mine, [0.3, 0.31, 0.29])
    [(sensor, health)] = db.act(handling.sensors_with_health, SYSTEM, mine)
    assert (health.status, health.last_value) == ("normal", 0.29)
    assert health.last_ts is not None
    with db.uow() as uow:
        state = uow.session.get(SensorState, sensor.id)
    deadline = health.last_ts + timedelta(seconds=3 * 600)  # three sampling periods
    assert handling.health_of(sensor, state, deadline).status == "normal"
    assert handling.health_of(sensor, state, deadline + timedelta(milliseconds=1)).status == "offline"


def test_the_engine_flags_show_in_the_health(db: Db, mine: int) -> None:
    feed(db, mine, [0.3, 9.0])  # out of the physical range 0-4
    [(_, health)] = db.act(handling.sensors_with_health, SYSTEM, mine)
    assert health.status == "out_of_range"


# ---- KPIs -----------------------------------------------------------------------------------


def test_annunciations_are_read_from_the_log_so_a_chattering_point_counts_each(db: Db, mine: int) -> None:
    start = db.clock.now()
    # hi on, off, on, off, on within one record (never acknowledged): three annunciations
    feed(db, mine, [1.2, 0.5, 1.2, 0.5, 1.2], ago_s=0)
    with db.uow() as uow:
        row = uow.session.scalars(select(Alarm).where(Alarm.condition == "alarm:hi")).one()
        entries = list(handling.log_of(uow.session, row))
    found = handling.annunciations_of(row, entries)
    assert [(a.raised_at - start, a.cleared_at and a.cleared_at - start) for a in found] == [
        (timedelta(0), timedelta(seconds=10)),
        (timedelta(seconds=20), timedelta(seconds=30)),
        (timedelta(seconds=40), None),
    ]
    report = db.act(handling.alarm_kpis, SYSTEM, mine, start, start + timedelta(hours=1))
    assert report.enterprise_id == mine
    key = handling.isa.AlarmKey(str(row.sensor_id), "alarm:hi")
    assert (report.annunciations, report.top10) == (3, ((key, 3),))
    assert report.results["max_alarms_in_10_min"].value == 3
    assert not report.fleeting  # cleared exactly 10 s after: not fleeting


def test_kpis_of_an_enterprise_without_alarms_are_zero(db: Db, mine: int) -> None:
    start = db.clock.now()
    report = db.act(handling.alarm_kpis, SYSTEM, mine, start, start + timedelta(days=1))
    assert report.annunciations == 0 and report.enterprise_id == mine
