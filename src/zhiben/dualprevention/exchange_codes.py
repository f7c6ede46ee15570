"""Code tables and the conflicting encodings of the dual-prevention data exchange (数据交换规范).

The tables are data: `data/dp_code_tables.csv`, copied from the reference note
`shared/reference/data-standards/dp_code_tables.csv` (rebuilt from public uploader / receiver code;
the specification text itself was not found in public). Each row keeps its verification level.

Two encodings conflict in the reference and are mapped here, never stored:

* **Risk level** (风险等级): encoding A `0 重大 / 1 较大 / 2 一般 / 3 低` (national-style uploader,
  S-DP2, V) and encoding B `1 重大 … 4 低` (Jiangsu receiver, S-DP3, V). Codes 1-3 exist in both
  with different meanings, so a code cannot be decoded without knowing which side wrote it: the
  caller (or the payload header) names the encoding. zhiben holds the level as a word
  (`major` / `high` / `moderate` / `low` = red / orange / yellow / blue) and writes encoding A.
* **Time format**: `yyyy-MM-dd HH:mm:ss` (S-DP1, the pasted interface document) and
  `yyyyMMddHHmmss` (S-DP2, S-DP3). The two shapes cannot be confused, so both are read; zhiben
  writes the first unless told otherwise. Neither source states a time zone; the strings carry no
  offset and are read and written as Beijing time (UTC+8), which is our inference (I).

The module also holds the `FieldSpec` type and one codec per kind of field (UUID, 9-digit company
code, bounded text, code, time, cycle, base64 attachment); `exchange.py` declares the fields.

Pure module: no I/O beyond reading the packaged CSV, no clock.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Literal
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")  # UTC+8 all year (no DST since 1991)


@dataclass(frozen=True)
class Code:
    table: str
    code: str
    label_zh: str
    confidence: str


@cache
def code_tables() -> Mapping[str, Mapping[str, Code]]:
    """Every code table of `data/dp_code_tables.csv`: table name -> code -> Code."""
    text = resources.files("zhiben.dualprevention").joinpath("data/dp_code_tables.csv").read_text("utf-8")
    tables: dict[str, dict[str, Code]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        entry = Code(row["code_table"], row["code"], row["label_zh"], row["confidence"])
        tables.setdefault(entry.table, {})[entry.code] = entry
    return tables


def code_table(name: str) -> Mapping[str, Code]:
    return code_tables()[name]


class CodeError(ValueError):
    """A value is not in its code table; `reason` is a stable machine word."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


# --- risk level: the conflicting encodings ------------------------------------------------------


class RiskLevelEncoding(StrEnum):
    """Who wrote a risk-level code. A is the one zhiben writes (national-style naming, S-DP2)."""

    NATIONAL = "A"  # 0 重大 / 1 较大 / 2 一般 / 3 低
    JIANGSU = "B"  # 1 重大 / 2 较大 / 3 一般 / 4 低


RISK_LEVELS = ("major", "high", "moderate", "low")  # red / orange / yellow / blue
_RISK_WORD_BY_LABEL = {"重大风险": "major", "较大风险": "high", "一般风险": "moderate", "低风险": "low"}


def _risk_table(encoding: RiskLevelEncoding) -> Mapping[str, str]:
    """code -> zhiben word, built from the CSV rows of that encoding."""
    rows = code_table(f"risk_level_encoding_{encoding.value}")
    return {code: _RISK_WORD_BY_LABEL[entry.label_zh] for code, entry in rows.items()}


def encode_risk_level(level: str, encoding: RiskLevelEncoding = RiskLevelEncoding.NATIONAL) -> str:
    for code, word in _risk_table(encoding).items():
        if word == level:
            return code
    raise CodeError("bad_code", f"{level!r} is not a risk level (one of {', '.join(RISK_LEVELS)})")


def decode_risk_level(code: str, encoding: RiskLevelEncoding) -> str:
    table = _risk_table(encoding)
    if code not in table:
        known = ", ".join(sorted(table))
        raise CodeError("bad_code", f"{code!r} is not a risk level in encoding {encoding.value} ({known})")
    return table[code]


# --- time formats: the other conflict -----------------------------------------------------------


class TimeFormat(StrEnum):
    DASHED = "yyyy-MM-dd HH:mm:ss"  # S-DP1 (interface document); zhiben's default
    COMPACT = "yyyyMMddHHmmss"  # S-DP2 uploader, S-DP3 receiver


_STRFTIME = {TimeFormat.DASHED: "%Y-%m-%d %H:%M:%S", TimeFormat.COMPACT: "%Y%m%d%H%M%S"}
_DASHED_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")
_COMPACT_RE = re.compile(r"\d{14}")
_DATE_RES = ((re.compile(r"\d{4}-\d{2}-\d{2}"), "%Y-%m-%d"), (re.compile(r"\d{8}"), "%Y%m%d"))
_TIME_OF_DAY_RE = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})")


def format_time(moment: datetime, fmt: TimeFormat = TimeFormat.DASHED) -> str:
    """An aware datetime as Beijing wall-clock text; sub-second parts are not representable."""
    if moment.tzinfo is None:
        raise ValueError("exchange times must be timezone-aware")
    if moment.microsecond:
        raise ValueError("exchange times carry whole seconds only")
    return moment.astimezone(BEIJING).strftime(_STRFTIME[fmt])


def parse_time(text: str) -> datetime:
    """Either format -> an aware datetime in Beijing time; CodeError('bad_time') otherwise."""
    for pattern, fmt in ((_DASHED_RE, TimeFormat.DASHED), (_COMPACT_RE, TimeFormat.COMPACT)):
        if pattern.fullmatch(text):
            try:
                return datetime.strptime(text, _STRFTIME[fmt]).replace(tzinfo=BEIJING)
            except ValueError as exc:
                raise CodeError("bad_time", f"{text!r} is not a real date and time: {exc}") from exc
    raise CodeError("bad_time", f"{text!r} is neither yyyy-MM-dd HH:mm:ss nor yyyyMMddHHmmss")


def parse_deadline(text: str) -> datetime:
    """A deadline may be a date only (S-DP3 stores a date). The reference does not say which moment
    of the day a date-only deadline means; we read it as the end of that day (23:59:59 Beijing),
    the reading that never makes a hazard overdue early."""
    for pattern, fmt in _DATE_RES:
        if pattern.fullmatch(text):
            try:
                day = datetime.strptime(text, fmt).date()
            except ValueError as exc:
                raise CodeError("bad_time", f"{text!r} is not a real date: {exc}") from exc
            return end_of_day(day)
    return parse_time(text)


def end_of_day(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=BEIJING)


def format_time_of_day(value: time) -> str:
    """`H:mm:ss` (S-DP2 workStartTime / workEndTime)."""
    return f"{value.hour}:{value.minute:02d}:{value.second:02d}"


def parse_time_of_day(text: str) -> time:
    match = _TIME_OF_DAY_RE.fullmatch(text)
    if not match:
        raise CodeError("bad_time", f"{text!r} is not a time of day H:mm:ss")
    hour, minute, second = (int(part) for part in match.groups())
    if hour > 23 or minute > 59 or second > 59:
        raise CodeError("bad_time", f"{text!r} is not a real time of day")
    return time(hour, minute, second)


def whole_seconds(moment: datetime) -> datetime:
    """Drop sub-second parts, which the exchange cannot carry."""
    return moment - timedelta(microseconds=moment.microsecond)


# --- field specifications and value codecs (one per kind of field) ---------------------------

Kind = Literal[
    "uuid", "link", "company_code", "text", "code", "code_number", "risk_level", "datetime",
    "deadline", "time_of_day", "cycle", "integer", "deleted", "image", "file",
]  # fmt: skip


@dataclass(frozen=True)
class FieldSpec:
    attr: str  # zhiben-side name
    wire: str  # name in the exchange JSON, as the reference spells it
    kind: Kind
    required: bool
    max_len: int | None = None
    table: str | None = None  # code table, or the entity a link points to
    confidence: str = "V3"
    aliases: tuple[str, ...] = ()  # other spellings read on import, never written
    default: object = None  # used when an optional-with-default field is absent


class FieldError(Exception):
    """One value fails its field's rule; `reason` is a stable machine word."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024  # "base64 PNG/JPEG <= 5 MB" (S-DP1, S-DP2, S-DP3)
_UUID_RE = re.compile(
    r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)
COMPANY_CODE_RE = re.compile(r"\d{9}")
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


@dataclass(frozen=True)
class Options:
    time_format: TimeFormat
    risk_encoding: RiskLevelEncoding


def need_str(value: object) -> str:
    if not isinstance(value, str):
        raise FieldError("bad_type", f"expected a string, got {type(value).__name__}")
    return value


def _code_text(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise FieldError("bad_type", f"expected a code (string or integer), got {type(value).__name__}")
    return str(value)


def _decode_code(spec: FieldSpec, value: object) -> str:
    code = _code_text(value)
    table = code_table(spec.table or "")
    if code not in table:
        raise FieldError("bad_code", f"{code!r} is not in code table {spec.table} ({', '.join(table)})")
    return code


def _decode_cycle(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise FieldError("bad_type", f"expected a number, got {type(value).__name__}")
    try:
        number = Decimal(str(value))
    except InvalidOperation as exc:
        raise FieldError("bad_number", f"{value!r} is not a number") from exc
    if not number.is_finite() or number <= 0:
        raise FieldError("out_of_range", "the check cycle must be a number greater than 0")
    if number != number.quantize(Decimal("0.01")) or number >= 100:
        raise FieldError(
            "out_of_range", "the check cycle must fit decimal(4,2): below 100, two decimals at most"
        )
    return number


def _decode_integer(value: object) -> int:
    if isinstance(value, bool):
        raise FieldError("bad_type", "expected an integer, got bool")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    raise FieldError("bad_type", f"expected an integer, got {value!r}")


def _decode_base64(spec: FieldSpec, value: object) -> bytes:
    try:
        data = base64.b64decode(need_str(value), validate=True)
    except binascii.Error as exc:
        raise FieldError("bad_base64", f"not base64: {exc}") from exc
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise FieldError("too_long", f"{len(data)} bytes; attachments are limited to 5 MB")
    if spec.kind == "image" and not data.startswith(_IMAGE_MAGIC):
        raise FieldError("bad_image_type", "photos must be PNG or JPEG")
    return data


def _decode_text(spec: FieldSpec, value: object) -> str:
    text = need_str(value)
    if spec.max_len is not None and len(text) > spec.max_len:
        raise FieldError("too_long", f"{len(text)} characters; at most {spec.max_len}")
    return text


def decode_value(spec: FieldSpec, value: object, options: Options) -> object:
    kind = spec.kind
    try:
        if kind in ("uuid", "link"):
            if not _UUID_RE.fullmatch(need_str(value)):
                raise FieldError(
                    "bad_uuid", "expected a UUID of 32 hex digits, or 36 characters with hyphens"
                )
            return value
        if kind == "company_code":
            if not COMPANY_CODE_RE.fullmatch(need_str(value)):
                raise FieldError("bad_company_code", "the registration-platform company code is 9 digits")
            return value
        if kind == "text":
            return _decode_text(spec, value)
        if kind in ("code", "code_number"):
            return _decode_code(spec, value)
        if kind == "risk_level":
            return decode_risk_level(_code_text(value), options.risk_encoding)
        if kind == "datetime":
            return parse_time(need_str(value))
        if kind == "deadline":
            return parse_deadline(need_str(value))
        if kind == "time_of_day":
            return parse_time_of_day(need_str(value))
        if kind == "cycle":
            return _decode_cycle(value)
        if kind == "integer":
            return _decode_integer(value)
        if kind == "deleted":
            return _decode_code(replace(spec, table="deleted"), value) == "1"
        return _decode_base64(spec, value)
    except CodeError as exc:
        raise FieldError(exc.reason, str(exc)) from exc


def encode_value(spec: FieldSpec, value: object, options: Options) -> object:
    """Python value -> JSON value. A value of the wrong type is passed through for the validator."""
    kind = spec.kind
    if kind == "risk_level" and isinstance(value, str):
        try:
            return encode_risk_level(value, options.risk_encoding)
        except CodeError:
            return value
    if kind in ("datetime", "deadline") and isinstance(value, datetime):
        try:
            return format_time(value, options.time_format)
        except ValueError as exc:
            return f"<{exc}>"
    if kind == "time_of_day" and isinstance(value, time):
        return format_time_of_day(value)
    if kind == "cycle" and isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if kind == "code_number" and isinstance(value, str) and value.isdigit():
        return int(value)
    if kind == "deleted" and isinstance(value, bool):
        return "1" if value else "0"
    if kind in ("image", "file") and isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value
