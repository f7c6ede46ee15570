"""Coal-mine upload files into zhiben: CDDY definitions become sensors, CDSS values readings (and the
engine's alarms), YCBJ records evidence; bad files are quarantined with the reason; nothing twice."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tests.builders import Db, auth_header
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import SYSTEM, Role
from zhiben.cli.main import app
from zhiben.errors import DuplicateError, PermissionDeniedError
from zhiben.monitoring import readings
from zhiben.monitoring.coal_ingest import (
    CoalFileReport,
    Outcome,
    bind_mine_code,
    ingest_coal_file,
)
from zhiben.monitoring.coal_models import CoalAbnormalRecord, CoalPoint
from zhiben.monitoring.ingest import Ingestor
from zhiben.monitoring.models import Alarm, DeadLetter, Sensor

DATA = Path(__file__).parent / "data" / "coal"
MINE = "999999999999"
CDDY = f"{MINE}_CDDY_20260105080000.txt"
CDSS = f"{MINE}_CDSS_20260105080000.txt"
YCBJ = f"{MINE}_YCBJ_20260105080000.txt"
METHANE = f"{MINE}01MN000100000001"
CO = f"{MINE}01MN000400000002"
BREAKER = f"{MINE}01KG100900000004"
FAN = f"{MINE}01KG100100000005"


def sample(name: str) -> str:
    return (DATA / name).read_text("utf-8")


@pytest.fixture
def mine(db: Db) -> int:
    enterprise = db.enterprise(county="140213", sector="coal_mine", name="测试煤矿")
    db.act(bind_mine_code, SYSTEM, enterprise, MINE, "测试煤矿")
    return enterprise


def ingest(
    db: Db,
    enterprise: int,
    name: str,
    text: str | bytes,
    *,
    final: bool = False,
    ingestor: Ingestor | None = None,
) -> CoalFileReport:
    data = text.encode() if isinstance(text, str) else text
    return db.act(  # type: ignore[no-any-return]
        ingest_coal_file, SYSTEM, enterprise, name, data, ingestor or Ingestor(),
        quarantine_dir=db.tmp / "quarantine", incomplete_is_final=final,
    )  # fmt: skip


class Reading:
    """Stands for the stored readings in `count`, which live in blocks (monitoring/readings.py)."""


def count(db: Db, model: type) -> int:
    with db.uow(write=False) as uow:
        if model is Reading:
            return readings.count(uow.session)
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def sensor(db: Db, enterprise: int, code: str) -> Sensor:
    with db.uow(write=False) as uow:
        row = uow.session.scalars(
            select(Sensor).where(Sensor.enterprise_id == enterprise, Sensor.code == code)
        ).one()
        uow.session.expunge(row)
        return row


# ---------------------------------------------------------------- CDDY


def test_each_cddy_definition_becomes_a_sensor_with_the_mines_own_limits(db: Db, mine: int) -> None:
    report = ingest(db, mine, CDDY, sample(CDDY))
    assert (report.outcome, report.sensors_created, report.problems, report.looser_limits) == (
        Outcome.stored, 7, [], []
    )  # fmt: skip
    methane = sensor(db, mine, METHANE)
    assert (methane.kind, methane.unit, methane.location_code, methane.range_max) == (
        "methane",
        "%CH4",
        "T1",
        100,
    )
    assert [(x["condition"], x["level"], x["on_at"], x["off_at"], x["source"]) for x in methane.limits] == [
        ("alarm", "hi", 1.0, 0.9, "CDDY"),
        ("power_off", None, 1.5, 1.0, "CDDY"),
    ]
    assert methane.name == "1101工作面回风隅角甲烷T1"
    assert count(db, CoalPoint) == 7
    with db.uow(write=False) as uow:
        actions = uow.session.scalars(
            select(AuditEntry.action).where(AuditEntry.object_type == "sensor")
        ).all()
    assert actions == ["sensor.register"] * 7


def test_a_limit_looser_than_the_regulation_is_kept_for_evaluation_and_flagged(db: Db, mine: int) -> None:
    looser = sample(CDDY).replace("1.00;0.90;;;1.50;1.00;", "1.20;0.90;;;1.50;1.20;", 1)
    report = ingest(db, mine, CDDY, looser)
    flagged = [(x.point_code, x.condition, x.what, x.mine, x.regulation) for x in report.looser_limits]
    assert flagged == [
        (METHANE, "alarm:hi", "setpoint", 1.2, 1.0),
        (METHANE, "power_off", "restore", 1.2, 1.0),
    ]
    assert all("coal_methane_sensor_settings.csv" in x.source for x in report.looser_limits)
    limits = sensor(db, mine, METHANE).limits
    assert [(x["on_at"], x["off_at"]) for x in limits] == [(1.2, 0.9), (1.5, 1.2)]  # the mine's settings
    assert all("looser than the regulation" in x["source"] for x in limits)


def test_a_limit_the_regulation_sets_and_the_file_does_not_is_flagged(db: Db, mine: int) -> None:
    no_power_off = sample(CDDY).replace("1.00;0.90;;;1.50;1.00;", "1.00;0.90;;;;;", 1)
    report = ingest(db, mine, CDDY, no_power_off)
    assert [(x.condition, x.mine, x.regulation) for x in report.looser_limits] == [("power_off", None, 1.5)]


def test_a_newer_cddy_updates_the_sensor_and_bumps_its_version_and_an_older_one_changes_nothing(
    db: Db, mine: int
) -> None:
    ingest(db, mine, CDDY, sample(CDDY))
    newer = sample(CDDY).replace("2026-01-05 08:00:00", "2026-01-06 08:00:00")
    newer = newer.replace("1.00;0.90;;;1.50;1.00;", "0.80;0.70;;;1.50;1.00;", 1)
    report = ingest(db, mine, f"{MINE}_CDDY_20260106080000.txt", newer)
    assert (report.sensors_updated, report.sensors_unchanged) == (1, 6)
    methane = sensor(db, mine, METHANE)
    assert (methane.version, methane.limits[0]["on_at"]) == (2, 0.8)
    older = ingest(db, mine, CDDY, sample(CDDY))
    assert (older.definitions_older, older.sensors_updated) == (7, 0)
    assert sensor(db, mine, METHANE).limits[0]["on_at"] == 0.8
    with db.uow(write=False) as uow:
        updates = uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "sensor.update")).all()
        assert [(u.before["limits"][0]["on_at"], u.after["limits"][0]["on_at"]) for u in updates] == [
            (1.0, 0.8)
        ]


def test_an_updated_sensor_is_evaluated_with_its_new_limits_by_the_same_ingestor(db: Db, mine: int) -> None:
    ingestor = Ingestor()
    ingest(db, mine, CDDY, sample(CDDY), ingestor=ingestor)
    ingest(db, mine, CDSS, sample(CDSS).replace("0.12;%CH4", "0.60;%CH4"), ingestor=ingestor)
    newer = sample(CDDY).replace("2026-01-05 08:00:00", "2026-01-06 08:00:00")
    newer = newer.replace("1.00;0.90;", "0.50;0.40;", 1)
    ingest(db, mine, f"{MINE}_CDDY_20260106080000.txt", newer, ingestor=ingestor)
    later = (
        sample(CDSS).replace("2026-01-05 08:00:00", "2026-01-06 08:10:00").replace("0.12;%CH4", "0.60;%CH4")
    )
    report = ingest(db, mine, f"{MINE}_CDSS_20260106081000.txt", later, ingestor=ingestor)
    assert report.alarms_opened >= 1
    with db.uow(write=False) as uow:
        methane_alarms = uow.session.scalars(
            select(Alarm.condition).join(Sensor, Sensor.id == Alarm.sensor_id).where(Sensor.code == METHANE)
        ).all()
    assert methane_alarms == ["alarm:hi"]  # 0.60 ≥ the new 0.50, not the old 1.00


# ---------------------------------------------------------------- CDSS


def test_cdss_values_become_readings_and_methane_at_the_power_off_level_opens_a_power_off_alarm(
    db: Db, mine: int
) -> None:
    ingest(db, mine, CDDY, sample(CDDY))
    report = ingest(db, mine, CDSS, sample(CDSS).replace("0.12;%CH4", "1.50;%CH4"))
    assert (report.outcome, report.readings_stored, report.readings_no_value) == (Outcome.stored, 6, 1)
    with db.uow(write=False) as uow:
        opened = uow.session.execute(
            select(Sensor.code, Alarm.condition).join(Sensor, Sensor.id == Alarm.sensor_id).order_by(Alarm.id)
        ).all()
        dead = uow.session.scalars(select(DeadLetter)).all()
    assert sorted(opened) == sorted([(METHANE, "alarm:hi"), (METHANE, "power_off"), (CO, "alarm:hi")])
    assert dead == []
    assert report.alarms_opened == 3


def test_switch_points_are_stored_as_0_and_1(db: Db, mine: int) -> None:
    ingest(db, mine, CDDY, sample(CDDY))
    ingest(db, mine, CDSS, sample(CDSS))
    with db.uow(write=False) as uow:
        values = {
            row.code: float(v)
            for row in uow.session.scalars(select(Sensor))
            for v in readings.series(uow.session, row.id)[1].tolist()
        }
    assert (values[BREAKER], values[FAN]) == (0.0, 1.0)


def test_a_value_the_mine_marks_as_calibrating_or_faulty_is_not_a_reading(db: Db, mine: int) -> None:
    ingest(db, mine, CDDY, sample(CDDY))
    calibrating = sample(CDSS).replace("0.12;%CH4;0;", "2.00;%CH4;4;")  # 标校: calibration gas
    report = ingest(db, mine, CDSS, calibrating)
    assert (report.readings_not_measured, report.alarms_opened) == (1, 1)  # only CO's alarm
    assert count(db, Reading) == 5


def test_readings_of_points_with_no_sensor_are_dead_lettered_once(db: Db, mine: int) -> None:
    first = ingest(db, mine, CDSS, sample(CDSS))
    again = ingest(db, mine, CDSS, sample(CDSS))
    assert len(first.unknown_points) == 6 and again.unknown_points == first.unknown_points
    assert count(db, DeadLetter) == 1
    assert count(db, Reading) == 0


# ---------------------------------------------------------------- YCBJ


def test_ycbj_records_are_kept_as_evidence_not_as_zhiben_alarms(db: Db, mine: int) -> None:
    ingest(db, mine, CDDY, sample(CDDY))
    report = ingest(db, mine, YCBJ, sample(YCBJ))
    assert report.abnormal_created == 3
    with db.uow(write=False) as uow:
        rows = uow.session.scalars(select(CoalAbnormalRecord).order_by(CoalAbnormalRecord.id)).all()
        first = rows[0]
        assert (first.point_code, first.abnormal_type, first.abnormal_type_name) == (
            METHANE,
            "001",
            "超限报警",
        )
        assert (first.max_value, first.cause, first.entered_by) == (1.32, "放炮后瓦斯涌出", "张工")
        assert first.sensor_id is not None
        assert rows[1].abnormal_type == "009" and rows[1].ended_at is None
    assert count(db, Alarm) == 0


def test_a_resent_ycbj_record_with_its_end_time_updates_it_and_an_older_copy_does_not_clear_it(
    db: Db, mine: int
) -> None:
    ingest(db, mine, YCBJ, sample(YCBJ))
    ended = sample(YCBJ).replace(";9;2026-01-05 07:59:00;;", ";9;2026-01-05 07:59:00;2026-01-05 08:03:00;", 1)
    ended = ended.replace("2026-01-05 08:00:00", "2026-01-05 08:05:00")
    report = ingest(db, mine, f"{MINE}_YCBJ_20260105080500.txt", ended)
    assert (report.abnormal_created, report.abnormal_updated, report.abnormal_unchanged) == (0, 1, 2)
    older = ingest(db, mine, YCBJ, sample(YCBJ))
    assert (older.abnormal_updated, older.abnormal_unchanged) == (0, 3)
    with db.uow(write=False) as uow:
        co = uow.session.scalars(select(CoalAbnormalRecord).where(CoalAbnormalRecord.point_code == CO)).one()
        assert co.ended_at is not None
    assert count(db, CoalAbnormalRecord) == 3


# ---------------------------------------------------------------- idempotence and verdicts


def test_the_same_files_ingested_twice_store_nothing_twice(db: Db, mine: int) -> None:
    for name in (CDDY, CDSS, YCBJ):
        ingest(db, mine, name, sample(name))
    counts = [
        count(db, m) for m in (Sensor, Reading, CoalAbnormalRecord, CoalPoint, AuditEntry, DeadLetter, Alarm)
    ]
    again = [ingest(db, mine, name, sample(name)) for name in (CDDY, CDSS, YCBJ)]
    assert (again[0].sensors_unchanged, again[0].sensors_updated, again[0].sensors_created) == (7, 0, 0)
    assert (again[1].readings_stored, again[1].readings_duplicate) == (0, 6)
    assert again[2].abnormal_unchanged == 3
    assert [
        count(db, m) for m in (Sensor, Reading, CoalAbnormalRecord, CoalPoint, AuditEntry, DeadLetter, Alarm)
    ] == counts


def test_a_malformed_file_is_quarantined_with_a_dead_letter_a_copy_and_the_reason(db: Db, mine: int) -> None:
    name = f"malformed_{CDSS}"
    data = (DATA / name).read_bytes()
    ingest(db, mine, CDDY, sample(CDDY))
    report = ingest(db, mine, CDSS, data)
    assert report.outcome is Outcome.quarantined
    assert "5 of 7 records are bad" in report.reason
    assert [(p.line, p.record) for p in report.problems] == [(3, 2), (4, 3), (5, 4), (6, 5), (7, 6)]
    assert count(db, Reading) == 0
    with db.uow(write=False) as uow:
        letter = uow.session.scalars(select(DeadLetter)).one()
        assert (letter.channel, letter.origin, letter.reason) == ("file", CDSS, report.reason)
    copy = db.tmp / "quarantine" / report.quarantined_as  # type: ignore[operator]
    assert copy.read_bytes() == data
    reason = copy.with_name(copy.name + ".reason.txt").read_text("utf-8")
    assert "5 of 7 records are bad" in reason and "line 3, record 2: too few fields" in reason


def test_a_file_of_a_mine_not_bound_to_the_enterprise_is_quarantined(db: Db, mine: int) -> None:
    other = sample(CDDY).replace(MINE, "999999999998")
    report = ingest(db, mine, CDDY.replace(MINE, "999999999998"), other)
    assert report.outcome is Outcome.quarantined
    assert "999999999998 is not bound" in report.reason
    assert count(db, Sensor) == 0


def test_an_incomplete_file_stores_nothing_and_is_quarantined_only_when_final(db: Db, mine: int) -> None:
    partial = sample(CDDY).removesuffix("||")
    report = ingest(db, mine, CDDY, partial)
    assert (report.outcome, count(db, Sensor), count(db, DeadLetter)) == (Outcome.incomplete, 0, 0)
    final = ingest(db, mine, CDDY, partial, final=True)
    assert final.outcome is Outcome.quarantined and "still incomplete after 10 minutes" in final.reason
    assert count(db, DeadLetter) == 1


def test_a_file_with_a_few_bad_lines_keeps_the_good_records_and_names_each_bad_line(
    db: Db, mine: int
) -> None:
    ingest(db, mine, CDDY, sample(CDDY))
    text = sample(f"utf8bom_{CDSS}")
    text = text.replace("25.50;ppm;1;", "25.x;ppm;1;")
    report = ingest(db, mine, CDSS, text)
    assert (report.outcome, report.records, report.kept, report.readings_stored) == (Outcome.stored, 7, 6, 5)
    assert [(p.record, p.reason) for p in report.problems] == [
        (2, "field 4 测点值 (value): '25.x' is not a number")
    ]


def test_a_known_type_zhiben_does_not_parse_is_reported_unsupported(db: Db, mine: int) -> None:
    report = ingest(db, mine, f"{MINE}_RYSS_20260105080000.txt", b"anything||")
    assert report.outcome is Outcome.unsupported and count(db, DeadLetter) == 0


def test_a_mine_code_belongs_to_one_enterprise(db: Db, mine: int) -> None:
    other = db.enterprise(county="140213", sector="coal_mine")
    with pytest.raises(DuplicateError):
        db.act(bind_mine_code, SYSTEM, other, MINE)
    assert db.act(bind_mine_code, SYSTEM, mine, MINE).enterprise_id == mine  # binding again is a no-op


def test_only_enterprise_regulator_and_admin_users_upload(db: Db, mine: int) -> None:
    officer = db.user(Role.officer, division="140213")
    with pytest.raises(PermissionDeniedError):
        db.act(
            ingest_coal_file, officer, mine, CDDY, sample(CDDY).encode(), Ingestor(),
            quarantine_dir=db.tmp / "quarantine",
        )  # fmt: skip


# ---------------------------------------------------------------- API


def test_the_upload_endpoint_reports_each_file_and_hides_other_enterprises(db: Db) -> None:
    own = db.enterprise(county="140213", sector="coal_mine")
    other = db.enterprise(county="140213", sector="coal_mine")
    db.user(Role.enterprise, enterprise_id=own, username="mine-user")
    db.user(Role.enterprise, enterprise_id=other, username="other-user")
    client = db.client()
    headers = auth_header(client, "mine-user")
    bound = client.put(
        f"/api/v1/enterprises/{own}/coal-mine-codes/{MINE}", headers=headers, params={"mine_name": "测试煤矿"}
    )
    assert bound.status_code == 200, bound.text
    files = [("files", (name, (DATA / name).read_bytes(), "text/plain")) for name in (CDDY, CDSS)]
    response = client.post(f"/api/v1/enterprises/{own}/coal-files", headers=headers, files=files)
    assert response.status_code == 200, response.text
    reports = response.json()["files"]
    assert [(r["name"], r["outcome"]) for r in reports] == [(CDDY, "stored"), (CDSS, "stored")]
    assert (reports[0]["sensors_created"], reports[1]["readings_stored"], reports[1]["alarms_opened"]) == (
        7,
        6,
        1,
    )
    stranger = auth_header(client, "other-user")
    hidden = client.post(f"/api/v1/enterprises/{own}/coal-files", headers=stranger, files=files)
    assert hidden.status_code == 404
    assert client.get(f"/api/v1/enterprises/{own}/coal-mine-codes", headers=stranger).status_code == 404
    listed = client.get(f"/api/v1/enterprises/{own}/coal-mine-codes", headers=headers).json()
    assert [(c["mine_code"], c["mine_name"]) for c in listed] == [(MINE, "测试煤矿")]


def test_the_upload_endpoint_reports_a_malformed_file_with_its_lines(db: Db, mine: int) -> None:
    db.user(Role.enterprise, enterprise_id=mine, username="uploader")
    client = db.client()
    name = f"malformed_{CDSS}"
    files = [("files", (name, (DATA / name).read_bytes(), "text/plain"))]
    response = client.post(
        f"/api/v1/enterprises/{mine}/coal-files", headers=auth_header(client, "uploader"), files=files
    )
    assert response.status_code == 200, response.text
    (report,) = response.json()["files"]
    assert report["outcome"] == "quarantined"
    assert [p["line"] for p in report["problems"]] == [3, 4, 5, 6, 7]
    assert (db.tmp / "data" / "quarantine" / report["quarantined_as"]).exists()


# ---------------------------------------------------------------- CLI


def test_coal_import_exits_2_when_a_file_is_quarantined(db: Db, mine: int, cli: CliRunner) -> None:
    good = cli.invoke(app, ["monitoring", "coal-import", str(mine), str(DATA / CDDY), "--json"])
    assert good.exit_code == 0, good.output
    bad = cli.invoke(app, ["monitoring", "coal-import", str(mine), str(DATA / f"malformed_{CDSS}")])
    assert bad.exit_code == 2


def test_the_watched_folder_is_processed_in_name_order_moved_and_retried(
    db: Db, mine: int, cli: CliRunner, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in (CDDY, CDSS):
        (inbox / name).write_bytes((DATA / name).read_bytes())
    (inbox / f"{MINE}_YCBJ_20260105080000.txt").write_text(
        sample(YCBJ).removesuffix("||"), "utf-8"
    )  # being written
    stale = inbox / f"{MINE}_CDSS_20260105070000.txt"
    stale.write_text(
        sample(CDSS).replace("2026-01-05 08:00:00", "2026-01-05 07:00:00").removesuffix("||"), "utf-8"
    )
    eleven_minutes_ago = time.time() - 660
    os.utime(stale, (eleven_minutes_ago, eleven_minutes_ago))
    (inbox / f"{MINE}_CDSS_20260105090000.txt").write_bytes((DATA / f"malformed_{CDSS}").read_bytes())

    first = cli.invoke(app, ["monitoring", "coal-watch", str(mine), str(inbox), "--once"])
    assert first.exit_code == 0, first.output
    assert sorted(p.name for p in (inbox / "done").iterdir()) == [CDDY, CDSS]
    assert sorted(p.name for p in (inbox / "quarantine").iterdir()) == [
        f"{MINE}_CDSS_20260105070000.txt",
        f"{MINE}_CDSS_20260105070000.txt.reason.txt",
        f"{MINE}_CDSS_20260105090000.txt",
        f"{MINE}_CDSS_20260105090000.txt.reason.txt",
    ]
    assert [p.name for p in inbox.iterdir() if p.is_file()] == [YCBJ]  # still being written: left for later
    assert count(db, Reading) == 6

    (inbox / YCBJ).write_text(sample(YCBJ), "utf-8")  # the writer finished
    second = cli.invoke(app, ["monitoring", "coal-watch", str(mine), str(inbox), "--once"])
    assert second.exit_code == 0, second.output
    assert YCBJ in [p.name for p in (inbox / "done").iterdir()]
    assert count(db, CoalAbnormalRecord) == 3
