"""Coal-mine networking upload files (煤矿安全监控联网上传文件) into zhiben: the use case behind the
upload endpoint, `zhiben monitoring coal-import` and the watched folder (`coal-watch`).

`ingest_coal_file` takes one file of one enterprise (a coal mine), parses it with `coalfiles.parse_file`
and follows that module's recommended policy:

- the enterprise: the caller must see it (404 otherwise) and be an enterprise, regulator or admin
  user (403). The file's mine code (煤矿编码, in its name and header) must be bound to the enterprise
  in `coal_mine_codes` (`bind_mine_code`; one mine code belongs to one enterprise). A file of
  another mine is quarantined, so a misrouted file never lands on the wrong enterprise.
- `CDDY` 测点定义: each definition becomes (or updates) a sensor of the enterprise whose code is the
  point code, with the mine's own limits from the file (`coalfiles.to_sensor`). The definition and
  its data time are kept in `coal_points`; an older file never overwrites a newer definition. A
  changed sensor gets a new version, so every `Ingestor` rebuilds its engine view, and each sensor
  created or changed is audited (`sensor.register` / `sensor.update`).
- Limits looser than the regulation's (`limits.limits_for`; a setpoint beyond the table's, a restore
  value above it, or a limit the table has and the file does not) are reported per point and marked
  in the limit's `source`. Decision: zhiben evaluates the mine's own settings, not the table's, so
  its alarms match what the mine's system did (power-off and the mine's YCBJ records line up with
  zhiben's alarms); the looser settings are a finding to act on, reported on every CDDY file.
- `CDSS` 实时数据: the values become readings through the `Ingestor` as one pre-parsed message
  (channel `file`, origin the file name), so they are stored once per (sensor, time) and evaluated by
  the alarm engine. Switch and multi-state values are already numbers (0/1, the state). A value the
  mine's own system marks as not a measurement (status 标校 calibrating, 分站故障, 不巡检, 暂停,
  传感器故障) is not ingested: calibration gas would otherwise raise methane alarms. An empty value
  (no signal) is not a reading either. Points without a sensor (no CDDY yet) are counted and
  dead-lettered once.
- `YCBJ` 异常报警: the mine system's own records are kept as evidence in `coal_abnormal_records`, one
  row per (enterprise, point, type, start); a re-sent record updates its row (e.g. with its end
  time), an older copy changes nothing, and an end time once known is never cleared. They are not
  zhiben alarms.
- verdicts: `incomplete` is reported (`outcome` incomplete, nothing stored) so the caller retries,
  and quarantined when the caller says it has waited long enough (`incomplete_is_final`).
  `quarantine`, a bad record ratio above `coalfiles.MAX_BAD_RATIO`, or a mine code that is not the
  enterprise's: a dead letter (channel `file`, the reason) and a copy of the file under
  `quarantine_dir/<enterprise id>/` with a `.reason.txt` beside it (written after commit). `accept`
  with problems: the good records are kept and every problem is reported with its line and reason.
  `unsupported` (a known type zhiben does not parse): nothing stored, reported as such.

Idempotent: the same file twice stores nothing twice (sensors unchanged, readings keyed by (sensor,
time), abnormal records by their key, the same dead letter not written again).

This file is longer than the usual 500 lines: the three file kinds share the report, the verdict
handling, the quarantine and the lookups by point code; split it by kind if one of them grows.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import after_commit, session_clock
from zhiben.enterprise import service as enterprises
from zhiben.enterprise.models import Enterprise
from zhiben.errors import DuplicateError, InvalidInputError, PermissionDeniedError
from zhiben.monitoring import coalfiles, domain, limits
from zhiben.monitoring.coal_models import CoalAbnormalRecord, CoalMineCode, CoalPoint
from zhiben.monitoring.coalfiles import FileKind, ParseResult, PointDefinition, PointStatus, Verdict
from zhiben.monitoring.ingest import Ingestor, Message, Parsed
from zhiben.monitoring.models import DeadLetter, Sensor
from zhiben.monitoring.sensors import limit_json, snapshot

MAX_FILE_BYTES = 32 * 1024 * 1024
INCOMPLETE_GRACE_S = 600  # the reference's parser fails a file still incomplete after ~10 minutes
UPLOADERS = {Role.enterprise, Role.regulator, Role.admin}
# 标校, 分站故障, 不巡检, 暂停, 传感器故障: the value is not a measurement of the air
NOT_MEASURED = (
    PointStatus.calibrating
    | PointStatus.substation_fault
    | PointStatus.not_polled
    | PointStatus.paused
    | PointStatus.sensor_fault
)
MINE_CODE_RE = re.compile(r"^[0-9A-Za-z]{6,24}$")
MAX_LETTER_CHARS = 64 * 1024
_CHUNK = 1000
Row = TypeVar("Row", Sensor, CoalPoint, CoalAbnormalRecord)


class Outcome(StrEnum):
    stored = "stored"  # read; the good records are kept (problems, if any, are listed)
    incomplete = "incomplete"  # still being written: nothing stored, try again later
    quarantined = "quarantined"  # nothing stored; dead-lettered and copied aside with the reason
    unsupported = "unsupported"  # a known file type zhiben does not parse: nothing stored


@dataclass(frozen=True)
class FileProblem:
    line: int  # physical line where the record starts (1-based); 0 for the file as a whole
    record: int  # record number (1-based); 0 for the header or the file
    reason: str
    reason_zh: str
    raw: str = ""


@dataclass(frozen=True)
class LooserLimit:
    """A mine setting looser than the regulation's table: `mine` is None when the file sets none."""

    point_code: str
    condition: str  # alarm:hi, alarm:lo, power_off
    what: str  # setpoint | restore
    mine: float | None
    regulation: float
    source: str  # the table row

    def text(self) -> str:
        mine = "none" if self.mine is None else f"{self.mine:g}"
        return f"{self.condition} {self.what} {mine}, regulation {self.regulation:g} ({self.source})"


@dataclass
class CoalFileReport:
    name: str
    sha256: str
    outcome: Outcome = Outcome.stored
    kind: str | None = None
    mine_code: str | None = None
    reason: str = ""
    reason_zh: str = ""
    encoding: str | None = None
    records: int = 0  # records in the file, good and bad
    kept: int = 0  # good records
    problems: list[FileProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sensors_created: int = 0
    sensors_updated: int = 0
    sensors_unchanged: int = 0
    definitions_older: int = 0  # older than the definition already kept: ignored
    looser_limits: list[LooserLimit] = field(default_factory=list)
    readings_stored: int = 0
    readings_duplicate: int = 0
    readings_late: int = 0  # stored, but earlier than the sensor's latest: not evaluated
    readings_no_value: int = 0  # empty value: no signal
    readings_not_measured: int = 0  # status says calibrating, fault, not polled or paused
    readings_out_of_service: int = 0
    unknown_points: list[str] = field(default_factory=list)  # no sensor with that code
    alarms_opened: int = 0
    alarms_closed: int = 0
    abnormal_created: int = 0
    abnormal_updated: int = 0
    abnormal_unchanged: int = 0
    quarantined_as: str | None = None  # relative to the quarantine folder

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# ---------------------------------------------------------------- mine codes


def bind_mine_code(
    session: Session, actor: Principal, enterprise_id: int, mine_code: str, mine_name: str = ""
) -> CoalMineCode:
    """Declare that files with this mine code (煤矿编码) are the enterprise's. Binding it again to the
    same enterprise changes nothing; a code bound to another enterprise is a conflict."""
    enterprise = _uploadable(session, actor, enterprise_id, "coal_mine_code.bind")
    code = mine_code.strip()
    if not MINE_CODE_RE.match(code):
        raise InvalidInputError(
            "mine_code", "format", "a mine code is 6 to 24 letters or digits (12 digits since 2019)"
        )
    if len(mine_name) > 200:
        raise InvalidInputError("mine_name", "too_long", "at most 200 characters")
    row = session.scalar(select(CoalMineCode).where(CoalMineCode.mine_code == code))
    if row is not None:
        if row.enterprise_id != enterprise.id:
            raise DuplicateError(kind="coal mine code", key=code)
        return row
    row = CoalMineCode(
        enterprise_id=enterprise.id, county_code=enterprise.county_code, city_code=enterprise.city_code,
        province_code=enterprise.province_code, sector=enterprise.sector, mine_code=code,
        mine_name=mine_name.strip(), bound_at=session_clock(session).now(), bound_by=actor.audit_name,
    )  # fmt: skip
    session.add(row)
    session.flush()
    after = {"enterprise_id": enterprise.id, "mine_code": code, "mine_name": row.mine_name}
    audit.record(session, actor.audit_name, "coal_mine_code.bind", "coal_mine_code", str(row.id), after=after)
    return row


def mine_codes_of(session: Session, actor: Principal, enterprise_id: int) -> list[CoalMineCode]:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    query = select(CoalMineCode).where(CoalMineCode.enterprise_id == enterprise.id)
    return list(session.scalars(query.order_by(CoalMineCode.mine_code)))


def _uploadable(session: Session, actor: Principal, enterprise_id: int, action: str) -> Enterprise:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)  # 404 outside the scope
    if actor.role not in UPLOADERS:
        raise PermissionDeniedError(action=action)
    return enterprise


# ---------------------------------------------------------------- the use case


def ingest_coal_file(
    session: Session,
    actor: Principal,
    enterprise_id: int,
    name: str,
    data: bytes,
    ingestor: Ingestor,
    *,
    quarantine_dir: Path,
    incomplete_is_final: bool = False,
) -> CoalFileReport:
    """Ingest one upload file for the enterprise; see the module docstring. Flushes, never commits."""
    enterprise = _uploadable(session, actor, enterprise_id, "coal_file.ingest")
    base = clean_name(name)
    report = CoalFileReport(name=base, sha256=hashlib.sha256(data).hexdigest())
    target = _Target(session, enterprise, base, data, quarantine_dir, report)
    if len(data) > MAX_FILE_BYTES:
        return target.quarantine(
            f"the file is larger than {MAX_FILE_BYTES // 2**20} MB", f"文件超过 {MAX_FILE_BYTES // 2**20} MB"
        )
    result = coalfiles.parse_file(data, base)
    _describe(report, result)
    if result.verdict is Verdict.incomplete:
        if incomplete_is_final:
            return target.quarantine(
                f"still incomplete after {INCOMPLETE_GRACE_S // 60} minutes: {result.reason}",
                f"{INCOMPLETE_GRACE_S // 60} 分钟后仍未写完：{result.reason_zh}",
            )
        report.outcome, report.reason, report.reason_zh = Outcome.incomplete, result.reason, result.reason_zh
        return report
    if result.verdict is Verdict.unsupported:
        report.outcome, report.reason, report.reason_zh = Outcome.unsupported, result.reason, result.reason_zh
        return report
    if result.verdict is Verdict.quarantine or result.header is None:
        return target.quarantine(result.reason, result.reason_zh)
    if result.header.mine_code not in _bound_codes(session, enterprise.id):
        return target.quarantine(
            f"mine code {result.header.mine_code} is not bound to enterprise {enterprise.id}",
            f"煤矿编码 {result.header.mine_code} 未登记为该企业（{enterprise.name}）的煤矿编码",
        )
    if not result.keep_good_records():
        bad = result.record_count - len(result.records)
        return target.quarantine(
            f"{bad} of {result.record_count} records are bad (more than {coalfiles.MAX_BAD_RATIO:.0%}): "
            "the layout is probably not one zhiben knows",
            f"{result.record_count} 条记录中有 {bad} 条有误（超过 {coalfiles.MAX_BAD_RATIO:.0%}），文件格式可能不符",
        )
    kind = FileKind(result.kind or "")
    if kind is FileKind.CDDY:
        _store_definitions(session, actor, enterprise, result, data, report)
    elif kind is FileKind.CDSS:
        _store_readings(target, result, ingestor)
    else:
        _store_abnormal(session, enterprise, result, base, report)
    return report


def clean_name(name: str) -> str:
    """The file name without directories or control characters (it is kept and shown)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c if c.isprintable() else "_" for c in base).strip()
    return base[:200] or "upload"


def _describe(report: CoalFileReport, result: ParseResult) -> None:
    report.kind, report.encoding, report.notes = result.kind, result.encoding, list(result.notes)
    if result.header is not None:
        report.mine_code = result.header.mine_code
    elif result.name is not None:
        report.mine_code = result.name.mine_code
    report.records, report.kept = result.record_count, len(result.records)
    report.problems = [
        FileProblem(p.line, p.record, p.reason, p.reason_zh, p.raw[:500]) for p in result.problems
    ]


def _bound_codes(session: Session, enterprise_id: int) -> set[str]:
    query = select(CoalMineCode.mine_code).where(CoalMineCode.enterprise_id == enterprise_id)
    return set(session.scalars(query))


@dataclass
class _Target:
    """The file being ingested, where it goes when quarantined, and its report."""

    session: Session
    enterprise: Enterprise
    name: str
    data: bytes
    quarantine_dir: Path
    report: CoalFileReport

    def quarantine(self, reason: str, reason_zh: str) -> CoalFileReport:
        report = self.report
        report.outcome, report.reason, report.reason_zh = Outcome.quarantined, reason, reason_zh
        dead_letter(self.session, self.name, self.data, reason)
        path = _quarantine_path(self.quarantine_dir / str(self.enterprise.id), self.name, self.data)
        report.quarantined_as = str(path.relative_to(self.quarantine_dir))
        sidecar = reason_text(report)
        after_commit(self.session, lambda: write_quarantined(path, self.data, sidecar))
        return report


def dead_letter(session: Session, origin: str, data: bytes, reason: str) -> None:
    """A dead letter on channel `file`, unless the same one is already kept (the same file again)."""
    origin, reason = origin[:300], reason[:500]
    exists = session.scalar(
        select(DeadLetter.id)
        .where(DeadLetter.channel == "file", DeadLetter.origin == origin, DeadLetter.reason == reason)
        .limit(1)
    )
    if exists is not None:
        return
    decoded = coalfiles.decode(data[: MAX_LETTER_CHARS * 4])
    text = decoded[0] if decoded else data[: MAX_LETTER_CHARS * 4].decode("utf-8", errors="replace")
    text = text.replace("\x00", "\ufffd")[:MAX_LETTER_CHARS]  # PostgreSQL text cannot hold NUL
    now = session_clock(session).now()
    session.add(DeadLetter(received_at=now, channel="file", origin=origin, reason=reason, payload=text))


def _quarantine_path(folder: Path, name: str, data: bytes) -> Path:
    safe = re.sub(r"[^0-9A-Za-z._-]", "_", name).lstrip(".") or "upload"
    path = folder / safe
    if path.exists() and path.read_bytes() != data:  # another file of that name: keep both
        path = folder / f"{path.stem}.{hashlib.sha256(data).hexdigest()[:8]}{path.suffix}"
    return path


def reason_text(report: CoalFileReport) -> str:
    """The `.reason.txt` beside a quarantined file: the reason, then every problem with its line."""
    lines = [f"file: {report.name}", f"sha256: {report.sha256}", f"reason: {report.reason}"]
    lines.append(f"原因：{report.reason_zh}")
    for p in report.problems:
        where = f"line {p.line}, record {p.record}" if p.record else f"line {p.line}"
        lines.append(f"{where}: {p.reason} / {p.reason_zh}" + (f" | {p.raw}" if p.raw else ""))
    return "\n".join(lines) + "\n"


def write_quarantined(path: Path, data: bytes, reason: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.with_name(path.name + ".reason.txt").write_text(reason, "utf-8")


def _rows_by_code(
    session: Session,
    model: type[Row],
    column: InstrumentedAttribute[str],
    enterprise_id: int,
    codes: Iterable[str],
) -> list[Row]:
    listed = sorted(set(codes))
    rows: list[Row] = []
    for start in range(0, len(listed), _CHUNK):
        part = listed[start : start + _CHUNK]
        rows += session.scalars(select(model).where(model.enterprise_id == enterprise_id, column.in_(part)))
    return rows


# ---------------------------------------------------------------- CDDY: definitions -> sensors


def _store_definitions(
    session: Session, actor: Principal, enterprise: Enterprise, result: ParseResult, data: bytes,
    report: CoalFileReport,
) -> None:  # fmt: skip
    definitions = result.definitions
    codes = [d.point.code for d in definitions]
    sensors = {s.code: s for s in _rows_by_code(session, Sensor, Sensor.code, enterprise.id, codes)}
    points = {
        p.point_code: p for p in _rows_by_code(session, CoalPoint, CoalPoint.point_code, enterprise.id, codes)
    }
    decoded = coalfiles.decode(data)
    text = decoded[0] if decoded else ""
    for number, definition in zip(_record_numbers(result), definitions, strict=True):
        code = definition.point.code
        point = points.get(code)
        if point is not None and point.defined_at > definition.data_at:
            report.definitions_older += 1
            continue
        try:
            engine_view = coalfiles.to_sensor(definition)
        except ValueError as exc:
            report.problems.append(
                FileProblem(_line_of(text, code), number, str(exc), f"测点 {code} 的门限值相互矛盾：{exc}")
            )
            continue
        looser = looser_than_regulation(engine_view)
        report.looser_limits += looser
        sensor = _apply_definition(
            session, actor, enterprise, sensors.get(code), engine_view, definition, looser, report
        )
        _keep_point(session, enterprise, point, sensor, definition, report.name)


def _record_numbers(result: ParseResult) -> list[int]:
    """The record number (1-based) of each good record: the numbers the problems do not take."""
    bad = {p.record for p in result.problems if p.record > 0}
    numbers = [n for n in range(1, result.record_count + 1) if n not in bad]
    return numbers[: len(result.records)]


def _line_of(text: str, code: str) -> int:
    """The line where the record of this point starts (a record starts the text or follows `~`)."""
    match = re.search(rf"(?:^|~)[\s\ufeff]*{re.escape(code)};", text)
    return text.count("\n", 0, match.end()) + 1 if match else 0


def looser_than_regulation(sensor: domain.Sensor) -> list[LooserLimit]:
    """The mine's limits that are looser than the regulation's table for the sensor's kind, location
    and unit: a setpoint beyond the table's (higher for a high limit, lower for a low one), a power-off
    restore value above the table's, or a limit the table has and the mine does not set."""
    try:
        table = limits.limits_for(sensor.kind, sensor.location_code, sensor.unit)
    except limits.LimitLookupError:
        return []  # no table for this unit: nothing to compare with
    out: list[LooserLimit] = []
    for reg in table:
        label = reg.condition.value + (f":{reg.level}" if reg.level else "")
        mine = [m for m in sensor.limits if m.condition is reg.condition and m.direction is reg.direction]
        if not mine:
            out.append(LooserLimit(sensor.sensor_id, label, "setpoint", None, reg.on_at, reg.source))
            continue
        strictest = min(mine, key=lambda m: m.direction * m.on_at)
        if reg.direction * (strictest.on_at - reg.on_at) > 0:
            out.append(
                LooserLimit(sensor.sensor_id, label, "setpoint", strictest.on_at, reg.on_at, reg.source)
            )
        if (
            reg.condition is domain.Condition.power_off
            and reg.direction * (strictest.off_at - reg.off_at) > 0
        ):
            out.append(
                LooserLimit(sensor.sensor_id, label, "restore", strictest.off_at, reg.off_at, reg.source)
            )
    return out


def _marked(sensor: domain.Sensor, looser: Sequence[LooserLimit]) -> list[dict[str, Any]]:
    """The sensor's limits as stored, each looser one's source saying so."""
    out = []
    for lim in sensor.limits:
        label = lim.condition.value + (f":{lim.level}" if lim.level else "")
        notes = [item.text() for item in looser if item.condition == label and item.mine is not None]
        if notes:
            lim = replace(lim, source=f"{lim.source}; looser than the regulation: " + "; ".join(notes))
        out.append(limit_json(lim))
    return out


def _sensor_fields(
    sensor: domain.Sensor, definition: PointDefinition, looser: Sequence[LooserLimit]
) -> dict[str, Any]:
    return {
        "kind": sensor.kind,
        "unit": sensor.unit[:16],
        "location_code": sensor.location_code,
        "name": definition.location[:120],
        "range_min": sensor.range_min,
        "range_max": sensor.range_max,
        "limits": _marked(sensor, looser),
    }


def _apply_definition(
    session: Session, actor: Principal, enterprise: Enterprise, row: Sensor | None, sensor: domain.Sensor,
    definition: PointDefinition, looser: Sequence[LooserLimit], report: CoalFileReport,
) -> Sensor:  # fmt: skip
    fields = _sensor_fields(sensor, definition, looser)
    now = session_clock(session).now()
    extra = {"file": report.name, "looser_than_regulation": [item.text() for item in looser]}
    if row is None:
        row = Sensor(
            enterprise_id=enterprise.id, county_code=enterprise.county_code, city_code=enterprise.city_code,
            province_code=enterprise.province_code, sector=enterprise.sector, code=sensor.sensor_id,
            offline_periods=3, stuck_tolerance=0.0, rationale={}, in_service=True, created_at=now,
            updated_at=now, version=1, **fields,
        )  # fmt: skip
        session.add(row)
        session.flush()
        audit.record(
            session, actor.audit_name, "sensor.register", "sensor", str(row.id), after=snapshot(row) | extra
        )
        report.sensors_created += 1
        return row
    if all(getattr(row, key) == value for key, value in fields.items()):
        report.sensors_unchanged += 1
        return row
    before = snapshot(row)
    for key, value in fields.items():
        setattr(row, key, value)
    row.version, row.updated_at = row.version + 1, now
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "sensor.update",
        "sensor",
        str(row.id),
        before=before,
        after=snapshot(row) | extra,
    )
    report.sensors_updated += 1
    return row


def _definition_json(definition: PointDefinition) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in vars(definition).items():
        if key == "point":
            out["point_code"] = value.code
        elif isinstance(value, datetime):
            out[key] = value.isoformat()
        else:
            out[key] = None if value is None else str(value)
    return out


def _keep_point(
    session: Session, enterprise: Enterprise, point: CoalPoint | None, sensor: Sensor,
    definition: PointDefinition, file_name: str,
) -> None:  # fmt: skip
    now = session_clock(session).now()
    body = _definition_json(definition)
    if point is None:
        session.add(
            CoalPoint(
                enterprise_id=enterprise.id, county_code=enterprise.county_code, city_code=enterprise.city_code,
                province_code=enterprise.province_code, sector=enterprise.sector, sensor_id=sensor.id,
                point_code=definition.point.code, definition=body, defined_at=definition.data_at,
                file_name=file_name[:300], updated_at=now,
            )
        )  # fmt: skip
    elif point.definition != body or point.defined_at != definition.data_at:
        point.definition, point.defined_at = body, definition.data_at
        point.file_name, point.updated_at = file_name[:300], now


# ---------------------------------------------------------------- CDSS: values -> readings


def _store_readings(target: _Target, result: ParseResult, ingestor: Ingestor) -> None:
    session, enterprise, report = target.session, target.enterprise, target.report
    readings = result.readings
    sensors = {
        s.code: s
        for s in _rows_by_code(session, Sensor, Sensor.code, enterprise.id, (r.point.code for r in readings))
    }
    codes: list[str] = []
    stamps: list[int] = []
    values: list[float] = []
    unknown: set[str] = set()
    for reading in readings:
        sensor = sensors.get(reading.point.code)
        if reading.value is None:
            report.readings_no_value += 1
        elif reading.status & NOT_MEASURED:
            report.readings_not_measured += 1
        elif sensor is None:
            unknown.add(reading.point.code)
        elif not sensor.in_service:
            report.readings_out_of_service += 1
        else:
            codes.append(sensor.code)
            stamps.append(domain.to_ms(reading.data_at))
            values.append(float(reading.value))
    if unknown:
        report.unknown_points = sorted(unknown)
        listed = ", ".join(report.unknown_points[:20])
        dead_letter(
            session,
            target.name,
            target.data,
            f"points with no sensor (ingest the mine's CDDY first): {listed}",
        )
    if not codes:
        return
    parsed = Parsed(codes, np.array(stamps, dtype=np.int64), np.array(values, dtype=np.float64))
    outcome = ingestor.ingest(
        session, [Message(enterprise.id, "file", target.name[:300], target.data, parsed)]
    )
    report.readings_stored, report.readings_duplicate = outcome.stored, outcome.duplicates
    report.readings_late = outcome.late
    report.alarms_opened, report.alarms_closed = outcome.alarms_opened, outcome.alarms_closed


# ---------------------------------------------------------------- YCBJ: the mine's abnormal records


def _abnormal_fields(record: coalfiles.AbnormalRecord, sensor: Sensor | None) -> dict[str, Any]:
    def number(value: Any) -> float | None:
        return None if value is None else float(value)

    return {
        "sensor_id": sensor.id if sensor is not None else None,
        "abnormal_type_name": record.abnormal_type.meaning_zh[:60],
        "type_name": record.type_name[:60],
        "location": record.location[:200],
        "unit": record.unit[:16],
        "ended_at": record.ended_at,
        "max_value": number(record.max_value),
        "max_at": record.max_at,
        "min_value": number(record.min_value),
        "min_at": record.min_at,
        "avg_value": number(record.avg_value),
        "cause": record.cause[:500],
        "measures": record.measures[:500],
        "entered_at": record.entered_at,
        "entered_by": record.entered_by[:60],
    }


def _store_abnormal(
    session: Session, enterprise: Enterprise, result: ParseResult, file_name: str, report: CoalFileReport
) -> None:
    records = result.abnormal_records
    codes = [r.point.code for r in records]
    sensors = {s.code: s for s in _rows_by_code(session, Sensor, Sensor.code, enterprise.id, codes)}
    existing = {
        (row.point_code, row.abnormal_type, row.started_at): row
        for row in _rows_by_code(
            session, CoalAbnormalRecord, CoalAbnormalRecord.point_code, enterprise.id, codes
        )
    }
    now = session_clock(session).now()
    for record in records:
        key = (record.point.code, record.abnormal_type.code, record.started_at)
        fields = _abnormal_fields(record, sensors.get(record.point.code))
        row = existing.get(key)
        if row is None:
            row = CoalAbnormalRecord(
                enterprise_id=enterprise.id, county_code=enterprise.county_code, city_code=enterprise.city_code,
                province_code=enterprise.province_code, sector=enterprise.sector, point_code=key[0],
                abnormal_type=key[1], started_at=record.started_at, data_at=record.data_at,
                file_name=file_name[:300], received_at=now, updated_at=now, **fields,
            )  # fmt: skip
            session.add(row)
            existing[key] = row
            report.abnormal_created += 1
            continue
        if record.data_at < row.data_at:
            report.abnormal_unchanged += 1  # an older copy
            continue
        if fields["ended_at"] is None:
            fields["ended_at"] = row.ended_at  # an end time once known is kept
        changed = {k: v for k, v in fields.items() if getattr(row, k) != v}
        if not changed:
            report.abnormal_unchanged += 1
            continue
        for k, v in changed.items():
            setattr(row, k, v)
        row.data_at, row.file_name, row.updated_at = record.data_at, file_name[:300], now
        report.abnormal_updated += 1
    session.flush()
