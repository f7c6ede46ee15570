"""Coal-mine networking upload files (煤矿安全监控联网上传文件): pure parsers and formatters.

Safety-monitoring systems in Chinese coal mines already write, periodically (the CDSS cadence was
not found in any source), text files for the regulator's network (the "family A" national format of 煤安监办〔2019〕42号, continued
by MT/T 1201.1-2023; layouts from `shared/reference/coal-data-formats.md` §2, whose confidence tags
V2 / V / I are repeated where they matter). This module reads three of them:

- `CDDY` 测点定义 point definitions -> `PointDefinition` (a sensor with its range and limits;
  `to_sensor` gives the alarm engine's `domain.Sensor`);
- `CDSS` 测点实时数据 real-time values -> `Reading` (a value with decoded status bits);
- `YCBJ` 异常报警 abnormal/alarm records -> `AbnormalRecord` (the mine's own alarm log).

`FZDY`, `FZSS`, `TJSJ` and the personnel-positioning files (`RY*`, `JZSS`) and the "N" variant
(`NCDDY` ...) are recognised by name and answered `Verdict.unsupported`: their layouts are only
partly confirmed in the reference, and none of them feeds sensors, readings or alarms.

File shape (V2): name `<煤矿编码>_<TYPE>_<yyyyMMddHHmmss>.txt`; text `header~record~...~||`; fields
separated by ASCII `;` with empty fields kept; times `yyyy-MM-dd HH:mm:ss` in Beijing time with no
offset, returned as aware datetimes in Asia/Shanghai. Tolerated writer quirks: a UTF-8 BOM, CR/LF
anywhere (one writer adds them after each `~`), one pair of enclosing JSON quotes. Encoding: strict
UTF-8 first, then GB18030 (a superset of GBK), named in `ParseResult.encoding`. Values are `Decimal`.

Errors never raise. `parse_file` returns a `ParseResult` with a `Verdict`:

- `accept`: the file as a whole is readable; `records` are the good records and `problems` lists
  every bad one (line, record number, raw text, reason in English and Chinese);
- `incomplete`: no `||` at the end, so the writer has not finished; leave it and retry;
- `quarantine`: unreadable as a whole (undecodable bytes, unknown type, bad header, mine code in
  the name and the header disagree); `reason` says why;
- `unsupported`: a known file type this module does not parse; archive it, it is not malformed.

Recommended policy for callers (the ingestion worker decides; this module only reports):

1. `incomplete`: retry later; quarantine the file if it is still incomplete after 10 minutes
   (the reference's parser does this).
2. `quarantine`: move the file to the quarantine folder with `reason`; store nothing.
3. `accept`: if `keep_good_records()` (bad records at most 20 % of all records, the threshold of
   the one parser that was checked against real vendor files), store `records` in one transaction
   and log `problems`; otherwise quarantine the whole file with its problems: a file that bad
   usually has a layout we do not know, and its "good" lines may be misread.
4. CDDY is a full snapshot: newer files replace a point's definition, an older file never
   overwrites a newer one. CDSS is a time series, idempotent on (point code, data time). YCBJ is
   re-sent with an end time once the abnormality is over: key it on (point, type, start time).

Where the reference is unsure or silent, this module chooses and says so: the CDSS field order
is seen in one writer only (V); an empty CDSS value is read as "no signal" (I); the CDDY header's
sixth field (probably the 安标 certificate expiry, I) is kept as text; the point coordinate system
is not stated; status bits are from one source (V) and combined values are decoded bitwise (I);
relation strings are parsed leniently and kept raw. Records must have exactly the documented
field count (the reference does not say whether writers add trailing `;`). Only the 12-digit mine
code's point codes are confirmed (V2); other lengths are split on the value-type letters.

Sensor kinds (`coal_sensor_types.csv`, column `zhiben_kind`) use the names of `limits.py` where it
has them (methane, co, o2, co2, no2, so2, h2s, nh3); the others are this module's own.

This file is longer than the usual 500 lines: the record types of three layouts, their field
converters, and the formatters that reuse those layouts belong to one format and change together.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import IntFlag, StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

from zhiben.kit.clock import SHANGHAI
from zhiben.monitoring.domain import Condition, Direction, Limit, Sensor
from zhiben.monitoring.limits import COAL_TAGS

MAX_BAD_RATIO = Decimal("0.2")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
NAME_TIME_FORMAT = "%Y%m%d%H%M%S"
_NAME_RE = re.compile(r"^(?P<mine>[0-9A-Za-z]+)_(?P<kind>[A-Za-z]+)_(?P<at>\d{14})\.txt$", re.IGNORECASE)
# <mine code><system 2 digits><value type><sensor type 4 digits><serial>. The mine code is 12 digits
# in 2019+ files (V2) but 9, 11 and 20-character codes exist (V), so the split anchors on the value
# type letters unless the file's own mine code is known. Serial length: 8 digits with a 12-digit
# mine code (V, real IDs); not enforced, the reference does not state it as a rule.
_POINT_RE = re.compile(
    r"^(?P<mine>[0-9A-Za-z]+?)(?P<system>\d{2})(?P<vt>MN|KG|LJ|DT)(?P<type>\d{4})(?P<serial>[0-9A-Za-z]+)$"
)
_TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_DECIMAL_RE = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
# The location text of a methane sensor often ends with its 规程 tag, e.g. "...激光甲烷T1" or
# "...甲烷T1&<巷道>&<工作面>" (real platform values, samples/coal). Inferred (I), not a field rule.
_TAG_RE = re.compile(r"(?<![0-9A-Za-z])(T[0-9])$")


class FileKind(StrEnum):
    CDDY = "CDDY"
    CDSS = "CDSS"
    YCBJ = "YCBJ"


# Named in the reference but not parsed here (layouts partly inferred, or not about sensors).
UNSUPPORTED_KINDS = frozenset(
    {"FZDY", "FZSS", "TJSJ", "RYXX", "RYQY", "RYJZ", "RYSS", "JZSS", "RYCS", "RYCY", "RYXZ", "RYQJ"}
    | {"RYYJCS", "NCDDY", "NCDSS", "NRYSS"}
)


class Verdict(StrEnum):
    accept = "accept"
    incomplete = "incomplete"
    quarantine = "quarantine"
    unsupported = "unsupported"


class ValueType(StrEnum):
    """数值类型 (CDDY field 5 and the point code)."""

    analog = "MN"  # 模拟量
    switch = "KG"  # 开关量
    cumulative = "LJ"  # 累计量
    multi_state = "DT"  # 多态量


class PointStatus(IntFlag):
    """测点状态 (CDSS field 6): a decimal sum of bits. 0 is 正常. Table V (one source)."""

    alarm = 1  # 报警
    power_off = 2  # 断电
    calibrating = 4  # 标校
    over_range = 8  # 超量程
    substation_fault = 16  # 分站故障
    not_polled = 32  # 不巡检
    paused = 64  # 暂停
    sensor_fault = 128  # 传感器故障


# ---------------------------------------------------------------- code tables (data/*.csv)


@dataclass(frozen=True)
class Code:
    table: str
    code: str
    name: str
    meaning_zh: str
    confidence: str


@dataclass(frozen=True)
class SensorType:
    """传感器类型 (4 digits). `kind` is zhiben's measurand name; `default_unit` fills an empty unit."""

    code: str
    name_zh: str
    value_type: ValueType
    kind: str
    default_unit: str
    states: tuple[tuple[int, str], ...]
    confidence: str

    def state_text(self, value: Decimal | int | None) -> str | None:
        """The generic text of a switch or multi-state value (prefer CDDY's own 开/停描述)."""
        if value is None:
            return None
        return dict(self.states).get(int(value))


def _read_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("zhiben.monitoring").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache(maxsize=1)
def sensor_types() -> Mapping[str, SensorType]:
    """`data/coal_sensor_types.csv`, keyed by the 4-digit code."""
    out: dict[str, SensorType] = {}
    for row in _read_csv("coal_sensor_types.csv"):
        states = tuple(
            (int(v), text) for v, text in (item.split("=", 1) for item in row["states"].split("|") if item)
        )
        out[row["code"]] = SensorType(
            row["code"], row["name_zh"], ValueType(row["value_type"]), row["zhiben_kind"],
            row["default_unit"], states, row["confidence"],
        )  # fmt: skip
    return out


@lru_cache(maxsize=1)
def code_tables() -> Mapping[str, Mapping[str, Code]]:
    """`data/coal_code_tables.csv`: system, value_type, status_bit, abnormal_type, relation."""
    out: dict[str, dict[str, Code]] = {}
    for row in _read_csv("coal_code_tables.csv"):
        out.setdefault(row["table"], {})[row["code"]] = Code(**row)
    return out


# ---------------------------------------------------------------- records


@dataclass(frozen=True)
class FileName:
    mine_code: str
    kind: str  # upper case, as written; may be a kind this module does not parse
    at: datetime


@dataclass(frozen=True)
class PointCode:
    """测点编码, decoded."""

    code: str
    mine_code: str
    system_code: str  # 01 安全监控系统, 02 瓦斯抽放系统
    value_type: ValueType
    sensor_type: SensorType
    serial: str


@dataclass(frozen=True)
class Header:
    """The first `~` segment. CDSS/YCBJ: mine code; mine name; upload time (V2). CDDY adds system
    model, system name, vendor and a date before the upload time (V); that date is most likely the
    safety-certificate (安标) expiry, but the reference only infers it, so it is kept as text."""

    mine_code: str
    mine_name: str
    uploaded_at: datetime
    system_model: str = ""
    system_name: str = ""
    vendor: str = ""
    cddy_date_text: str = ""


@dataclass(frozen=True)
class Relation:
    """One item of 传感器关联关系 (CDDY field 23), e.g. `D-<point code>`; syntax V, one source."""

    code: str  # B G K H Z D T
    point_code: str
    device: str = ""


@dataclass(frozen=True)
class PointDefinition:
    """One CDDY record (24 fields, V2). Limits that do not apply are None."""

    point: PointCode
    substation_code: str
    unit: str
    range_high: Decimal | None
    range_low: Decimal | None
    alarm_high: Decimal | None  # 上限报警门限
    alarm_high_release: Decimal | None  # 上限解报门限
    alarm_low: Decimal | None  # 下限报警门限
    alarm_low_release: Decimal | None  # 下限解报门限
    power_off_high: Decimal | None  # 上限断电门限
    power_restore_high: Decimal | None  # 上限复电门限
    power_off_low: Decimal | None  # 下限断电门限
    power_restore_low: Decimal | None  # 下限复电门限
    on_text: str  # 开描述
    off_text: str  # 停描述
    location: str
    x: Decimal | None  # coordinate system for points not stated (CGCS2000 for substations, V)
    y: Decimal | None
    z: Decimal | None
    relations_text: str
    data_at: datetime

    @property
    def kind(self) -> str:
        return self.point.sensor_type.kind

    @property
    def effective_unit(self) -> str:
        return self.unit or self.point.sensor_type.default_unit

    @property
    def location_tag(self) -> str:
        """The coal-mine methane location tag (T0...T9) at the end of the location, or ""."""
        match = _TAG_RE.search(self.location.split("&", 1)[0].strip())
        return match.group(1) if match else ""

    @property
    def relations(self) -> tuple[Relation, ...]:
        return parse_relations(self.relations_text)


@dataclass(frozen=True)
class Reading:
    """One CDSS record (7 fields; set V2, order V). `value` is None when the field is empty (no
    signal, I); a switch value is 0 or 1."""

    point: PointCode
    type_name: str  # 传感器类型名称 as written (not always the table's name)
    location: str
    value: Decimal | None
    unit: str
    status: PointStatus
    data_at: datetime

    @property
    def state_text(self) -> str | None:
        if self.point.value_type in (ValueType.switch, ValueType.multi_state):
            return self.point.sensor_type.state_text(self.value)
        return None


@dataclass(frozen=True)
class AbnormalRecord:
    """One YCBJ record (17 fields, V2). `ended_at` is None while the abnormality lasts."""

    point: PointCode
    type_name: str
    location: str
    unit: str
    abnormal_type: Code  # 异常类型, table abnormal_type
    started_at: datetime
    ended_at: datetime | None
    max_value: Decimal | None
    max_at: datetime | None
    min_value: Decimal | None
    min_at: datetime | None
    avg_value: Decimal | None
    cause: str  # 异常原因, entered by mine staff
    measures: str  # 处理措施
    entered_at: datetime | None  # 录入时间
    entered_by: str  # 录入人
    data_at: datetime


Record = PointDefinition | Reading | AbnormalRecord


@dataclass(frozen=True)
class Problem:
    line: int  # physical line where the record starts (1-based); 0 for the file as a whole
    record: int  # record number (1-based; 0 for the header or the file)
    raw: str
    reason: str
    reason_zh: str


@dataclass(frozen=True)
class ParseResult:
    verdict: Verdict
    kind: str | None
    name: FileName | None
    header: Header | None
    records: tuple[Record, ...]
    problems: tuple[Problem, ...]
    encoding: str | None
    reason: str = ""  # why the file is not `accept`
    reason_zh: str = ""
    notes: tuple[str, ...] = ()  # tolerated quirks (GB18030, JSON quotes, ...)

    @property
    def record_count(self) -> int:
        return len(self.records) + sum(1 for p in self.problems if p.record > 0)

    @property
    def bad_ratio(self) -> Decimal:
        total = self.record_count
        bad = total - len(self.records)
        return Decimal(bad) / Decimal(total) if total else Decimal(0)

    def keep_good_records(self, max_bad_ratio: Decimal = MAX_BAD_RATIO) -> bool:
        """The recommended policy: keep the good records when at most `max_bad_ratio` are bad."""
        return self.verdict is Verdict.accept and self.bad_ratio <= max_bad_ratio

    @property
    def definitions(self) -> tuple[PointDefinition, ...]:
        return tuple(r for r in self.records if isinstance(r, PointDefinition))

    @property
    def readings(self) -> tuple[Reading, ...]:
        return tuple(r for r in self.records if isinstance(r, Reading))

    @property
    def abnormal_records(self) -> tuple[AbnormalRecord, ...]:
        return tuple(r for r in self.records if isinstance(r, AbnormalRecord))


class FieldError(ValueError):
    """A field that cannot be read; carries the English and Chinese reasons."""

    def __init__(self, reason: str, reason_zh: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.reason_zh = reason_zh


# ---------------------------------------------------------------- field converters


def parse_time(text: str) -> datetime:
    """`yyyy-MM-dd HH:mm:ss`, Beijing time -> aware datetime in Asia/Shanghai."""
    if not _TIME_RE.match(text):
        raise FieldError(
            f"'{text}' is not a time yyyy-MM-dd HH:mm:ss", f"“{text}”不是 yyyy-MM-dd HH:mm:ss 格式的时间"
        )
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=SHANGHAI)
    except ValueError:
        raise FieldError(f"'{text}' is not a valid date and time", f"“{text}”不是有效的日期时间") from None


def parse_decimal(text: str) -> Decimal | None:
    if text == "":
        return None
    if not _DECIMAL_RE.match(text):
        raise FieldError(f"'{text}' is not a number", f"“{text}”不是数字")
    return Decimal(text)


def parse_point_code(code: str, mine_code: str | None = None) -> PointCode:
    """Decode 测点编码; with `mine_code`, the code must start with it."""
    if mine_code is not None:
        if not code.startswith(mine_code):
            raise FieldError(
                f"point code '{code}' does not start with the file's mine code {mine_code}",
                f"测点编码“{code}”不以本文件的煤矿编码 {mine_code} 开头",
            )
        match = _POINT_RE.match("0" + code[len(mine_code) :])  # a one-character stand-in mine code
    else:
        match = _POINT_RE.match(code)
    if match is None:
        raise FieldError(
            f"point code '{code}' is not <mine><system 2><MN|KG|LJ|DT><type 4><serial>",
            f"测点编码“{code}”不符合 煤矿编码+系统编码(2)+数值类型+传感器类型(4)+序号 的结构",
        )
    sensor_type = _sensor_type(match["type"])
    value_type = ValueType(match["vt"])
    if sensor_type.value_type is not value_type:
        raise FieldError(
            f"point code '{code}': sensor type {sensor_type.code} is {sensor_type.value_type.name}, "
            f"not {value_type.value}",
            f"测点编码“{code}”：传感器类型 {sensor_type.code} 的数值类型是 {sensor_type.value_type.value}，"
            f"不是 {value_type.value}",
        )
    _system(match["system"])
    mine = mine_code if mine_code is not None else match["mine"]
    return PointCode(code, mine, match["system"], value_type, sensor_type, match["serial"])


def _sensor_type(code: str) -> SensorType:
    found = sensor_types().get(code)
    if found is None:
        raise FieldError(f"unknown sensor type '{code}'", f"未知的传感器类型“{code}”")
    return found


def _system(code: str) -> str:
    if code not in code_tables()["system"]:
        raise FieldError(f"unknown system code '{code}'", f"未知的系统编码“{code}”")
    return code


def _abnormal_type(text: str) -> Code:
    # [NAO] zero-pads the code to three digits, so unpadded codes are accepted too.
    code = text.zfill(3) if text.isdigit() else text
    found = code_tables()["abnormal_type"].get(code)
    if found is None:
        raise FieldError(f"unknown abnormal type '{text}'", f"未知的异常类型“{text}”")
    return found


def _status(text: str) -> PointStatus:
    if not text.isdigit():
        raise FieldError(f"status '{text}' is not a non-negative integer", f"测点状态“{text}”不是非负整数")
    value = int(text)
    if value & ~0xFF:
        raise FieldError(
            f"status {value} has bits outside the status table", f"测点状态 {value} 含状态表以外的位"
        )
    return PointStatus(value)


def _value(text: str, point: PointCode) -> Decimal | None:
    value = parse_decimal(text)
    if value is None or point.value_type in (ValueType.analog, ValueType.cumulative):
        return value
    if point.value_type is ValueType.switch and value not in (0, 1):
        raise FieldError(f"switch value '{text}' is not 0 or 1", f"开关量测点值“{text}”不是 0 或 1")
    if value != value.to_integral_value():
        raise FieldError(f"state value '{text}' is not an integer", f"多态量测点值“{text}”不是整数")
    return value


def _optional_time(text: str) -> datetime | None:
    return None if text == "" else parse_time(text)


def parse_relations(text: str) -> tuple[Relation, ...]:
    """Lenient: groups split on `◇`, items on `:`; each item `<code>-<point>[-<device>]`. Items
    that do not fit are skipped (the raw text stays on the definition)."""
    out = []
    for item in re.split(r"[◇:\n]", text):
        parts = item.strip().split("-", 2)
        if len(parts) >= 2 and parts[0] in code_tables()["relation"] and parts[1]:
            out.append(Relation(parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
    return tuple(out)


# ---------------------------------------------------------------- layouts

# A layout is the field list in file order: (attribute or check, Chinese name, converter). The
# converter gets the raw text and the point code read so far. "_system", "_type" and "_vt" are
# the CDDY fields that repeat parts of the point code; they must agree with it and are not stored.
Converter = Callable[[str, PointCode | None], Any]


def _text(raw: str, _: PointCode | None) -> str:
    return raw


def _dec(raw: str, _: PointCode | None) -> Decimal | None:
    return parse_decimal(raw)


def _time(raw: str, _: PointCode | None) -> datetime:
    return parse_time(raw)


def _opt_time(raw: str, _: PointCode | None) -> datetime | None:
    return _optional_time(raw)


def _same(part: str) -> Converter:
    def check(raw: str, point: PointCode | None) -> None:
        assert point is not None
        expected = {
            "system": point.system_code,
            "type": point.sensor_type.code,
            "vt": point.value_type.value,
        }[part]
        if raw != expected:
            raise FieldError(
                f"'{raw}' disagrees with the point code, which says '{expected}'",
                f"“{raw}”与测点编码中的“{expected}”不一致",
            )

    return check


_POINT: Converter = _text  # replaced by the parser, which knows the mine code

LAYOUTS: dict[FileKind, tuple[tuple[str, str, Converter], ...]] = {
    FileKind.CDDY: (
        ("point", "测点编码", _POINT), ("_system", "系统编码", _same("system")),
        ("substation_code", "分站编码", _text), ("_type", "传感器类型", _same("type")),
        ("_vt", "数值类型", _same("vt")), ("unit", "数值单位", _text),
        ("range_high", "高量程", _dec), ("range_low", "低量程", _dec),
        ("alarm_high", "上限报警门限", _dec), ("alarm_high_release", "上限解报门限", _dec),
        ("alarm_low", "下限报警门限", _dec), ("alarm_low_release", "下限解报门限", _dec),
        ("power_off_high", "上限断电门限", _dec), ("power_restore_high", "上限复电门限", _dec),
        ("power_off_low", "下限断电门限", _dec), ("power_restore_low", "下限复电门限", _dec),
        ("on_text", "开描述", _text), ("off_text", "停描述", _text), ("location", "测点安装位置", _text),
        ("x", "X坐标", _dec), ("y", "Y坐标", _dec), ("z", "Z坐标", _dec),
        ("relations_text", "传感器关联关系", _text), ("data_at", "数据时间", _time),
    ),
    FileKind.CDSS: (
        ("point", "测点编码", _POINT), ("type_name", "传感器类型名称", _text),
        ("location", "测点安装位置", _text), ("value", "测点值", lambda raw, p: _value(raw, _need(p))),
        ("unit", "测点值单位", _text), ("status", "测点状态", lambda raw, _: _status(raw)),
        ("data_at", "数据时间", _time),
    ),
    FileKind.YCBJ: (
        ("point", "测点编码", _POINT), ("type_name", "传感器类型名称", _text),
        ("location", "测点安装位置", _text), ("unit", "测点数值单位", _text),
        ("abnormal_type", "异常类型", lambda raw, _: _abnormal_type(raw)),
        ("started_at", "异常开始时间", _time), ("ended_at", "异常结束时间", _opt_time),
        ("max_value", "异常期间最大值", _dec), ("max_at", "最大值时刻", _opt_time),
        ("min_value", "异常期间最小值", _dec), ("min_at", "最小值时刻", _opt_time),
        ("avg_value", "异常期间平均值", _dec), ("cause", "异常原因", _text), ("measures", "处理措施", _text),
        ("entered_at", "录入时间", _opt_time), ("entered_by", "录入人", _text), ("data_at", "数据时间", _time),
    ),
}  # fmt: skip
RECORD_TYPES: dict[FileKind, type[Record]] = {
    FileKind.CDDY: PointDefinition,
    FileKind.CDSS: Reading,
    FileKind.YCBJ: AbnormalRecord,
}
HEADER_FIELDS = {FileKind.CDDY: 7, FileKind.CDSS: 3, FileKind.YCBJ: 3}


def _need(point: PointCode | None) -> PointCode:
    assert point is not None  # the point code is always the first field
    return point


# ---------------------------------------------------------------- parsing


def parse_file_name(name: str) -> FileName | None:
    """`<mine>_<TYPE>_<yyyyMMddHHmmss>.txt` (any directory part is ignored), or None."""
    match = _NAME_RE.match(name.replace("\\", "/").rsplit("/", 1)[-1])
    if match is None:
        return None
    try:
        at = datetime.strptime(match["at"], NAME_TIME_FORMAT).replace(tzinfo=SHANGHAI)
    except ValueError:
        return None
    return FileName(match["mine"], match["kind"].upper(), at)


def decode(data: bytes) -> tuple[str, str] | None:
    """(text, encoding): strict UTF-8 (BOM stripped), else GB18030; None when neither fits."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None  # UTF-16 was not seen in any source; refuse rather than guess
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            return None
        return text, "utf-8" if encoding == "utf-8-sig" else encoding
    return None


def parse_file(data: bytes, name: str | None = None, *, kind: FileKind | None = None) -> ParseResult:
    """Parse one upload file. `name` (the file name) gives the kind and the mine code to check;
    without it, `kind` or the shape of the header and first record decide."""
    decoded = decode(data)
    file_name = parse_file_name(name) if name else None
    if decoded is None:
        return _verdict(
            Verdict.quarantine, file_name, "the bytes are neither UTF-8 nor GB18030/GBK text",
            "文件既不是 UTF-8 也不是 GB18030/GBK 编码的文本", kind=file_name.kind if file_name else None,
        )  # fmt: skip
    text, encoding = decoded
    return parse_text(text, name, kind=kind, encoding=encoding)


def parse_text(
    text: str, name: str | None = None, *, kind: FileKind | None = None, encoding: str | None = None
) -> ParseResult:
    """Parse already-decoded text; see `parse_file`."""
    notes = [] if encoding in (None, "utf-8") else [f"decoded as {encoding}, not UTF-8"]
    file_name = parse_file_name(name) if name else None
    if name and file_name is None:
        notes.append(f"file name '{name}' is not <mine>_<TYPE>_<yyyyMMddHHmmss>.txt")
    body, note = _unwrap(text)
    notes += note
    if not body.endswith("||"):
        return _verdict(
            Verdict.incomplete, file_name, "no '||' at the end: the file is still being written",
            "文件末尾没有“||”：文件尚未写完", encoding=encoding, notes=notes,
        )  # fmt: skip
    segments = _segments(body[:-2])
    if "||" in body[:-2]:
        return _quarantine(
            file_name,
            "'||' appears before the end of the file",
            "文件结束符“||”出现在文件中间",
            encoding,
            notes,
        )
    resolved = _resolve_kind(kind, file_name, segments)
    if isinstance(resolved, ParseResult):
        return replace(resolved, encoding=encoding, notes=tuple(notes))
    header = _header(resolved, segments[0][1], file_name)
    if isinstance(header, tuple):
        return _quarantine(file_name, *header, encoding, notes, kind=resolved)
    records, problems = _records(resolved, segments[1:], header.mine_code)
    return ParseResult(
        Verdict.accept, resolved.value, file_name, header, records, problems, encoding, notes=tuple(notes)
    )


def _unwrap(text: str) -> tuple[str, list[str]]:
    body = text.lstrip("\ufeff").strip()
    if len(body) >= 2 and body[0] == body[-1] == '"':
        try:
            inner = json.loads(body)
        except ValueError:
            inner = body[1:-1]
        if isinstance(inner, str):
            return inner.strip(), ["the text was wrapped in JSON quotes"]
    return body, []


def _segments(body: str) -> list[tuple[int, str]]:
    """Split on `~`: (line where the segment's content starts, text without CR/LF). The trailing
    empty segment of `...~||` and blank segments are dropped (the header always stays)."""
    out: list[tuple[int, str]] = []
    line = 1
    for index, part in enumerate(body.split("~")):
        lead = len(part) - len(part.lstrip())
        clean = part.replace("\r", "").replace("\n", "").strip()
        if clean or index == 0:
            out.append((line + part.count("\n", 0, lead), clean))
        line += part.count("\n")
    return out


def _resolve_kind(
    kind: FileKind | None, file_name: FileName | None, segments: list[tuple[int, str]]
) -> FileKind | ParseResult:
    if kind is None and file_name is not None:
        if file_name.kind in UNSUPPORTED_KINDS:
            return _verdict(
                Verdict.unsupported, file_name, f"{file_name.kind} files are not parsed by zhiben",
                f"zhiben 不解析 {file_name.kind} 文件", kind=file_name.kind,
            )  # fmt: skip
        if file_name.kind not in FileKind.__members__:
            return _quarantine(
                file_name,
                f"unknown file type '{file_name.kind}'",
                f"未知的文件类型“{file_name.kind}”",
                None,
                [],
                kind=file_name.kind,
            )
        return FileKind(file_name.kind)
    if kind is not None:
        return kind
    header_fields = segments[0][1].count(";") + 1
    first = segments[1][1].count(";") + 1 if len(segments) > 1 else 0
    by_shape = {(7, 24): FileKind.CDDY, (3, 7): FileKind.CDSS, (3, 17): FileKind.YCBJ}
    found = by_shape.get((header_fields, first))
    if found is None:
        return _quarantine(
            None,
            "cannot tell the file type from its name or its fields",
            "无法从文件名或字段判断文件类型",
            None,
            [],
        )
    return found


def _header(kind: FileKind, text: str, file_name: FileName | None) -> Header | tuple[str, str]:
    parts = [p.strip() for p in text.split(";")]
    if "；" in text:
        return "the header uses a full-width '；' as separator", "文件头使用了全角分号“；”"
    if len(parts) != HEADER_FIELDS[kind]:
        hint = (
            " (the Sichuan KJ1031X CDDY header is not supported)" if parts[0].upper().startswith("KJ") else ""
        )
        return (
            f"the {kind} header has {len(parts)} fields, expected {HEADER_FIELDS[kind]}{hint}",
            f"{kind} 文件头有 {len(parts)} 个字段，应为 {HEADER_FIELDS[kind]} 个",
        )
    if not parts[0]:
        return "the header has no mine code", "文件头缺少煤矿编码"
    if file_name is not None and file_name.mine_code != parts[0]:
        return (
            f"the file name says mine {file_name.mine_code}, the header says {parts[0]}",
            f"文件名中的煤矿编码 {file_name.mine_code} 与文件头中的 {parts[0]} 不一致",
        )
    try:
        uploaded_at = parse_time(parts[-1])
    except FieldError as error:
        return f"header upload time: {error.reason}", f"文件头数据上传时间：{error.reason_zh}"
    if kind is FileKind.CDDY:
        return Header(parts[0], parts[1], uploaded_at, parts[2], parts[3], parts[4], parts[5])
    return Header(parts[0], parts[1], uploaded_at)


def _records(
    kind: FileKind, segments: Sequence[tuple[int, str]], mine_code: str
) -> tuple[tuple[Record, ...], tuple[Problem, ...]]:
    records: list[Record] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for number, (line, raw) in enumerate(segments, start=1):
        try:
            record = _record(kind, raw, mine_code)
            if kind is FileKind.CDDY and record.point.code in seen:
                raise FieldError(
                    f"point {record.point.code} is defined twice in this file; the first one is kept",
                    f"测点 {record.point.code} 在本文件中重复定义，保留第一条",
                )
        except FieldError as error:
            problems.append(Problem(line, number, raw, error.reason, error.reason_zh))
            continue
        seen.add(record.point.code)
        records.append(record)
    return tuple(records), tuple(problems)


def _record(kind: FileKind, raw: str, mine_code: str) -> Record:
    layout = LAYOUTS[kind]
    if "；" in raw:
        raise FieldError("a full-width '；' is used as separator", "使用了全角分号“；”作分隔符")
    parts = [p.strip() for p in raw.split(";")]
    if len(parts) != len(layout):
        few = "too few" if len(parts) < len(layout) else "too many"
        raise FieldError(
            f"{few} fields for {kind}: {len(parts)}, expected {len(layout)}",
            f"{kind} 记录字段数为 {len(parts)}，应为 {len(layout)}",
        )
    values: dict[str, Any] = {}
    point: PointCode | None = None
    for number, ((attr, zh, convert), text) in enumerate(zip(layout, parts, strict=True), start=1):
        try:
            value = parse_point_code(text, mine_code) if attr == "point" else convert(text, point)
        except FieldError as error:
            raise FieldError(
                f"field {number} {zh} ({attr.lstrip('_')}): {error.reason}",
                f"第 {number} 字段 {zh}：{error.reason_zh}",
            ) from None
        if attr == "point":
            point = value
        if not attr.startswith("_"):
            values[attr] = value
    return RECORD_TYPES[kind](**values)


def _verdict(
    verdict: Verdict, file_name: FileName | None, reason: str, reason_zh: str, *,
    kind: str | None = None, encoding: str | None = None, notes: Iterable[str] = (),
) -> ParseResult:  # fmt: skip
    problem = Problem(0, 0, "", reason, reason_zh)
    problems = (problem,) if verdict is Verdict.quarantine else ()
    kind = kind if kind is not None else (file_name.kind if file_name else None)
    return ParseResult(
        verdict, kind, file_name, None, (), problems, encoding, reason, reason_zh, tuple(notes)
    )


def _quarantine(
    file_name: FileName | None, reason: str, reason_zh: str, encoding: str | None, notes: list[str],
    kind: str | None = None,
) -> ParseResult:  # fmt: skip
    return _verdict(
        Verdict.quarantine, file_name, reason, reason_zh, kind=kind, encoding=encoding, notes=notes
    )


# ---------------------------------------------------------------- formatting


def format_file_name(mine_code: str, kind: FileKind, at: datetime) -> str:
    return f"{mine_code}_{kind.value}_{at.astimezone(SHANGHAI).strftime(NAME_TIME_FORMAT)}.txt"


def format_cddy(header: Header, definitions: Iterable[PointDefinition], *, line_breaks: bool = False) -> str:
    return _format(FileKind.CDDY, header, definitions, line_breaks)


def format_cdss(header: Header, readings: Iterable[Reading], *, line_breaks: bool = False) -> str:
    return _format(FileKind.CDSS, header, readings, line_breaks)


def _format(kind: FileKind, header: Header, records: Iterable[Record], line_breaks: bool) -> str:
    head = [header.mine_code, header.mine_name]
    if kind is FileKind.CDDY:
        head += [header.system_model, header.system_name, header.vendor, header.cddy_date_text]
    head.append(_format_value(header.uploaded_at))
    segments = [_join(head)]
    for record in records:
        point = record.point
        parts = {"_system": point.system_code, "_type": point.sensor_type.code, "_vt": point.value_type.value}
        segments.append(
            _join(parts.get(a) or _format_value(getattr(record, a, None)) for a, _, _ in LAYOUTS[kind])
        )
    separator = "~\r\n" if line_breaks else "~"
    return separator.join([*segments, "||"])


def _join(parts: Iterable[str]) -> str:
    items = list(parts)
    for item in items:
        if any(c in item for c in ";~|\r\n；"):
            raise ValueError(f"field {item!r} contains a separator and cannot be written")
    return ";".join(items)


def _format_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(SHANGHAI).strftime(TIME_FORMAT)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, PointCode):
        return value.code
    if isinstance(value, Code):
        return value.code
    if isinstance(value, PointStatus):
        return str(int(value))
    return str(value)


# ---------------------------------------------------------------- to the alarm engine


def to_sensor(definition: PointDefinition) -> Sensor:
    """The alarm engine's sensor for a CDDY definition: the mine's own limits from the file (alarm
    high/low with their release values as the hysteresis, power-off high/low with their restore
    values; a missing release value means no deadband), its range, kind and unit. The location
    code is the methane tag at the end of the location text when it is one of `limits.COAL_TAGS`,
    else `coal`, so `limits.limits_for(sensor.kind, sensor.location_code, sensor.unit)` gives the
    regulation's limits to compare with the mine's. Raises ValueError when the file's values are
    inconsistent (e.g. a release value above its alarm)."""
    d = definition
    pairs = (
        (Condition.alarm, "hi", Direction.high, d.alarm_high, d.alarm_high_release),
        (Condition.alarm, "lo", Direction.low, d.alarm_low, d.alarm_low_release),
        (Condition.power_off, None, Direction.high, d.power_off_high, d.power_restore_high),
        (Condition.power_off, None, Direction.low, d.power_off_low, d.power_restore_low),
    )
    limits = []
    for condition, level, direction, on_at, off_at in pairs:
        if on_at is None:
            continue
        off = on_at if off_at is None else off_at
        try:
            limits.append(Limit(condition, level, direction, float(on_at), float(off), source="CDDY"))
        except ValueError as error:
            raise ValueError(f"point {d.point.code}: {error}") from None
    return Sensor(
        sensor_id=d.point.code,
        kind=d.kind,
        unit=d.effective_unit,
        limits=tuple(limits),
        range_min=None if d.range_low is None else float(d.range_low),
        range_max=None if d.range_high is None else float(d.range_high),
        location_code=d.location_tag if d.location_tag in COAL_TAGS else "coal",
    )


__all__ = [
    "AbnormalRecord", "Code", "FieldError", "FileKind", "FileName", "Header", "ParseResult",
    "PointCode", "PointDefinition", "PointStatus", "Problem", "Reading", "Relation", "SensorType",
    "ValueType", "Verdict", "code_tables", "decode", "format_cddy", "format_cdss", "format_file_name",
    "parse_decimal", "parse_file", "parse_file_name", "parse_point_code", "parse_relations",
    "parse_text", "parse_time", "sensor_types", "to_sensor",
]  # fmt: skip
