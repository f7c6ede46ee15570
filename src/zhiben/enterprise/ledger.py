"""The enterprise ledger (企业台账): read it from CSV or XLSX, check every row, register the good rows,
and write the ledger back out in the same columns.

Reading and checking a row is pure. The database checks that `service.check_new` makes for one
enterprise (the county exists, the USCC is not registered yet) are made here for the whole file at
once, in a few queries, so that every rejected row can be reported with its row, column and reason.
Registration then goes through the service's `register_enterprises` (passed in by the entry point:
this module sits beside the service, not above it), which checks again and writes one audit entry per
enterprise.

Row numbers are those the spreadsheet shows: the header is row 1, and blank rows keep their numbers."""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import String, select
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, Role
from zhiben.division.models import Division
from zhiben.enterprise import repository
from zhiben.enterprise.domain import SECTOR_BY_CODE, EnterpriseDraft, check_draft
from zhiben.enterprise.models import Enterprise
from zhiben.errors import DuplicateError, InvalidInputError, PermissionDeniedError
from zhiben.kit import sheets, uscc

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 100_000
MAX_HEADCOUNT = 10_000_000  # as EnterpriseCreate allows
REGISTRARS = (Role.admin, Role.regulator)  # who may register enterprises (service._require_registrar)

XLSX_MEDIA_TYPE = sheets.XLSX_MEDIA_TYPE
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
MEDIA_TYPES = {"xlsx": XLSX_MEDIA_TYPE, "csv": CSV_MEDIA_TYPE}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would take for a formula


class ImportMode(StrEnum):
    all_or_nothing = "all-or-nothing"  # any rejected row → nothing is committed
    good_rows = "good-rows"  # commit the good rows, report the rest


@dataclass(frozen=True)
class Column:
    field: str
    zh: str
    required: bool = False
    kind: str = "text"  # text, code, number or whole


COLUMNS: tuple[Column, ...] = (
    Column("uscc", "统一社会信用代码", required=True, kind="code"),
    Column("name", "企业名称", required=True),
    Column("county_code", "区县代码", required=True, kind="code"),
    Column("sector", "行业", required=True),
    Column("address", "地址"),
    Column("longitude", "经度", kind="number"),
    Column("latitude", "纬度", kind="number"),
    Column("gbt4754_code", "国民经济行业代码", kind="code"),
    Column("headcount", "从业人数", kind="whole"),
    Column("main_responsible_person", "主要负责人"),
    Column("safety_manager", "安全管理人员"),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
_FREE_TEXT = ("name", "address", "main_responsible_person", "safety_manager")


def _header_key(text: object) -> str:
    """Headers match ignoring case, spaces, underscores, hyphens and a required-field star."""
    return re.sub(r"[\s*＊_\-]+", "", str(text if text is not None else "")).casefold()


_COLUMN_BY_HEADER = {_header_key(c.zh): c for c in COLUMNS} | {_header_key(c.field): c for c in COLUMNS}


def _max_length(name: str) -> int:
    column_type = Enterprise.__table__.c[name].type
    assert isinstance(column_type, String) and column_type.length
    return column_type.length


MAX_LENGTH = {name: _max_length(name) for name in _FREE_TEXT}

# Values that pass check_draft: a field found bad is replaced by its neutral value and the draft is
# checked again, so every bad field of a row is reported, not only the first.
_NEUTRAL: dict[str, dict[str, Any]] = {
    "uscc": {"uscc": uscc.make("91110000MA0000001")},
    "name": {"name": "-"},
    "county_code": {"county_code": "110101"},
    "sector": {"sector": "other"},
    "longitude": {"longitude": None, "latitude": None},
    "latitude": {"longitude": None, "latitude": None},
    "gbt4754_code": {"gbt4754_code": None},
    "headcount": {"headcount": None},
}
_NEUTRAL.update({name: {name: "-"} for name in _FREE_TEXT if name != "name"})


def file_error(reason: str, message: str) -> InvalidInputError:
    return InvalidInputError("file", reason, message)


# ---------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Table:
    """A sheet as read: the header row and the non-blank rows with their spreadsheet row numbers."""

    file_format: str  # "xlsx" or "csv"
    headers: tuple[str, ...]
    rows: tuple[tuple[int, tuple[object, ...]], ...]


def _is_blank(cells: Sequence[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _collect(file_format: str, records: Iterable[Sequence[object]]) -> Table:
    headers: tuple[str, ...] | None = None
    rows: list[tuple[int, tuple[object, ...]]] = []
    for number, cells in enumerate(records, start=1):
        if headers is None:
            if _is_blank(cells):
                raise file_error("no_header", "the first row must hold the column headers")
            headers = tuple("" if c is None else str(c).strip() for c in cells)
            continue
        if _is_blank(cells):
            continue
        if len(rows) == MAX_ROWS:
            raise file_error("too_many_rows", f"a ledger may hold at most {MAX_ROWS} rows; split the file")
        rows.append((number, tuple(cells)))
    if headers is None:
        raise file_error("empty", "the file is empty")
    if not rows:
        raise file_error("no_rows", "the file has a header row but no enterprises")
    return Table(file_format, headers, tuple(rows))


def read_table(data: bytes) -> Table:
    """Read the first sheet of an .xlsx workbook, or a CSV file; the kind is told from the content."""
    if len(data) > MAX_FILE_BYTES:
        raise file_error("too_large", f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        raise file_error("empty", "the file is empty")
    if data.startswith(_OLE_MAGIC):
        raise file_error("format", "this is an old .xls workbook; save it as .xlsx or .csv and try again")
    if data.startswith(_ZIP_MAGIC):
        return _read_xlsx(data)
    return _read_csv(data)


def _read_xlsx(data: bytes) -> Table:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "workbook contains no default style"
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                sheet.reset_dimensions()  # some writers record a wrong used range
                return _collect("xlsx", sheet.iter_rows(values_only=True))
            finally:
                workbook.close()
    except InvalidInputError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook or a foreign zip
        raise file_error("format", "the file is not a readable .xlsx workbook") from exc


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise file_error("encoding", "the file is not valid UTF-16 text") from exc
    if b"\x00" in data[:8192]:
        raise file_error("format", "the file is neither an .xlsx workbook nor a CSV file")
    for encoding in ("utf-8", "gb18030"):  # Excel in China saves CSV in GBK, a subset of GB18030
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise file_error("encoding", "a CSV file must be in UTF-8 or GB18030 (GBK)")


def _read_csv(data: bytes) -> Table:
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if first_line.count("\t") > first_line.count(",") else ","
    try:
        return _collect("csv", csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise file_error("format", f"the CSV file cannot be read: {exc}") from exc


# --------------------------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class Rejection:
    """One reason a row was not imported; a row with several bad cells has several."""

    row: int
    field: str
    column: str  # the header as the file spells it
    cell: str  # e.g. "C7"; "" when the file has no such column
    reason: str
    message: str


@dataclass(frozen=True)
class ColumnMap:
    index: dict[str, int]  # field → column position
    headers: tuple[str, ...]
    ignored: tuple[str, ...]

    def order(self, rejection: Rejection) -> tuple[int, int]:
        """Rejections sort by row, then by the column's place in the file."""
        return rejection.row, self.index.get(rejection.field, len(self.headers))

    def rejection(self, row: int, field_name: str, reason: str, message: str) -> Rejection:
        position = self.index.get(field_name)
        if position is None:
            return Rejection(row, field_name, "", "", reason, message)
        letter = get_column_letter(position + 1)
        return Rejection(row, field_name, self.headers[position], f"{letter}{row}", reason, message)


def map_columns(headers: Sequence[str]) -> ColumnMap:
    """Match headers in Chinese or English to fields; name any required column that is missing."""
    index: dict[str, int] = {}
    ignored: list[str] = []
    for position, header in enumerate(headers):
        column = _COLUMN_BY_HEADER.get(_header_key(header))
        if column is None:
            if header:
                ignored.append(header)
            continue
        if column.field in index:
            first = get_column_letter(index[column.field] + 1)
            raise file_error(
                "duplicate_column",
                f"columns {first} and {get_column_letter(position + 1)} both hold "
                f"{column.zh} ({column.field})",
            )
        index[column.field] = position
    missing = [f"{c.zh} ({c.field})" for c in COLUMNS if c.required and c.field not in index]
    if missing:
        raise file_error(
            "missing_columns",
            f"missing required column(s): {', '.join(missing)}; the first row must hold the headers",
        )
    return ColumnMap(index, tuple(headers), tuple(ignored))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _code(name: str, value: object) -> str:
    if isinstance(value, float):
        if name == "uscc" or not value.is_integer():
            raise InvalidInputError(
                name,
                "stored_as_number",
                "the code is stored as a number, which loses digits; format the column as text",
            )
        return str(int(value))
    return _text(value)


def _number(name: str, value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = _text(value)
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InvalidInputError(name, "format", f"{text!r} is not a number") from None


def _whole(name: str, value: object) -> int | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = _text(value).replace(",", "")
        if not text:
            return None
        try:
            number = int(text)
        except ValueError:
            raise InvalidInputError(name, "format", f"{text!r} is not a whole number") from None
    if number > MAX_HEADCOUNT:
        raise InvalidInputError(name, "range", f"headcount is at most {MAX_HEADCOUNT}")
    return number


def _free_text(name: str, value: object, file_format: str) -> str:
    text = _text(value)
    if file_format == "csv" and text[:1] == "'" and text[1:2] in _FORMULA_START:
        text = text[1:]  # undo the escape that export puts before formula-like text
    if len(text) > MAX_LENGTH[name]:
        raise InvalidInputError(name, "too_long", f"at most {MAX_LENGTH[name]} characters")
    return text


def _convert(column: Column, value: object, file_format: str) -> Any:
    if column.kind == "code":
        return _code(column.field, value)
    if column.kind == "number":
        return _number(column.field, value)
    if column.kind == "whole":
        return _whole(column.field, value)
    if column.field in MAX_LENGTH:
        return _free_text(column.field, value, file_format)
    return _text(value)


def _problem(exc: InvalidInputError) -> dict[str, str]:
    first: dict[str, str] = exc.details["fields"][0]
    return first


def check_row(
    cells: Sequence[object], columns: ColumnMap, file_format: str = "xlsx"
) -> tuple[EnterpriseDraft | None, list[dict[str, str]]]:
    """The row as a checked draft, or every problem with it as {field, reason, message}. Pure."""
    values: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for name, position in columns.index.items():
        cell = cells[position] if position < len(cells) else None
        try:
            values[name] = _convert(COLUMN_BY_FIELD[name], cell, file_format)
        except InvalidInputError as exc:
            problems.append(_problem(exc))
    for problem in problems:
        values.update(_NEUTRAL[problem["field"]])
    draft = EnterpriseDraft(**values)
    reported = {p["field"] for p in problems}
    for _ in range(len(_NEUTRAL) + 1):
        try:
            clean = check_draft(draft)
        except InvalidInputError as exc:
            problem = _problem(exc)
            neutral = _NEUTRAL.get(problem["field"])
            if problem["field"] not in reported:
                problems.append(problem)
                reported.add(problem["field"])
            if neutral is None:
                break
            draft = replace(draft, **neutral)
        else:
            return (clean if not problems else None), problems
    return None, problems


@dataclass(frozen=True)
class CheckedRow:
    row: int
    draft: EnterpriseDraft | None  # None when anything in the row is wrong
    uscc: str | None  # the code when it is valid, even if other cells are not
    county_code: str | None  # six digits, even if other cells are wrong


@dataclass(frozen=True)
class Checked:
    rows: list[CheckedRow]
    rejections: list[Rejection]
    columns: ColumnMap

    @property
    def good(self) -> list[EnterpriseDraft]:
        return [r.draft for r in self.rows if r.draft is not None]


def _cell(cells: Sequence[object], columns: ColumnMap, name: str) -> object:
    position = columns.index[name]
    return cells[position] if position < len(cells) else None


def _identity(cells: Sequence[object], columns: ColumnMap) -> tuple[str | None, str | None]:
    """The USCC and county of a row that failed other checks, when they are well formed themselves."""
    try:
        code: str | None = uscc.validate(_text(_cell(cells, columns, "uscc")))
    except uscc.UsccError:
        code = None
    try:
        county: str | None = _code("county_code", _cell(cells, columns, "county_code"))
    except InvalidInputError:
        county = None
    return code, county if county and len(county) == 6 and county.isdigit() else None


def check_rows(table: Table, columns: ColumnMap) -> Checked:
    """Check every row on its own, and reject a USCC that an earlier row already holds. Pure."""
    rows: list[CheckedRow] = []
    rejections: list[Rejection] = []
    first_row_of: dict[str, int] = {}
    for number, cells in table.rows:
        draft, problems = check_row(cells, columns, table.file_format)
        found = [columns.rejection(number, p["field"], p["reason"], p["message"]) for p in problems]
        rejections += sorted(found, key=columns.order)
        code, county = (draft.uscc, draft.county_code) if draft else _identity(cells, columns)
        if code is not None and code in first_row_of:
            message = f"row {first_row_of[code]} already holds this code"
            rejections.append(columns.rejection(number, "uscc", "duplicate_in_file", message))
            draft = None
        elif code is not None:
            first_row_of[code] = number
        rows.append(CheckedRow(number, draft, code, county))
    return Checked(rows, rejections, columns)


def check_database(session: Session, actor: Principal, checked: Checked) -> Checked:
    """The database checks of service.check_new for every row at once (one query for the counties, one
    per 500 codes for the registered USCCs), and the actor's jurisdiction."""
    counties = set(session.scalars(select(Division.code).where(Division.level == 3)))
    registered = repository.registered_usccs(session, (r.uscc for r in checked.rows if r.uscc))
    reject = checked.columns.rejection
    rows: list[CheckedRow] = []
    rejections = list(checked.rejections)
    for item in checked.rows:
        problems = []
        if item.county_code is not None and item.county_code not in counties:
            message = f"{item.county_code} is not a county-level division"
            problems.append(reject(item.row, "county_code", "unknown", message))
        elif item.county_code is not None and not actor.has_jurisdiction_over(item.county_code):
            problems.append(reject(item.row, "county_code", "out_of_scope", "outside your jurisdiction"))
        if item.uscc is not None and item.uscc in registered:
            message = DuplicateError(kind="enterprise", key=item.uscc).message("en")
            problems.append(reject(item.row, "uscc", "duplicate", message))
        rejections += problems
        rows.append(replace(item, draft=None) if problems else item)
    return Checked(rows, rejections, checked.columns)


# -------------------------------------------------------------------------------------------- importing

RegisterMany = Callable[[Session, Principal, Sequence[EnterpriseDraft]], Sequence[object]]
Progress = Callable[[int, int], None]
BATCH = 1000  # rows registered per call, so a progress bar moves


@dataclass(frozen=True)
class ImportReport:
    mode: ImportMode
    file_format: str
    rows: int  # non-blank rows below the header
    valid: int  # rows that passed every check
    imported: int  # enterprises registered (committed with the caller's unit of work)
    rejections: tuple[Rejection, ...]
    ignored_columns: tuple[str, ...]

    @property
    def rejected_rows(self) -> int:
        return len({r.row for r in self.rejections})

    @property
    def committed(self) -> bool:
        return self.imported > 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode.value,
            "format": self.file_format,
            "rows": self.rows,
            "valid": self.valid,
            "imported": self.imported,
            "rejected_rows": self.rejected_rows,
            "committed": self.committed,
            "rejections": [asdict(r) for r in self.rejections],
            "ignored_columns": list(self.ignored_columns),
        }


def import_ledger(
    session: Session,
    actor: Principal,
    data: bytes,
    mode: ImportMode,
    register: RegisterMany,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the whole file, then register the good rows through `register` (the service's
    register_enterprises): all of them only when no row was rejected, or in good-rows mode. The caller's
    unit of work commits. A file that cannot be read at all raises InvalidInputError (field "file")."""
    if actor.role not in REGISTRARS:
        raise PermissionDeniedError(action="enterprise.import")
    table = read_table(data)
    columns = map_columns(table.headers)
    checked = check_database(session, actor, check_rows(table, columns))
    imported = 0
    if mode is ImportMode.good_rows or not checked.rejections:
        drafts = checked.good
        for start in range(0, len(drafts), BATCH):
            imported += len(register(session, actor, drafts[start : start + BATCH]))
            if progress is not None:
                progress(imported, len(drafts))
    rejections = sorted(checked.rejections, key=columns.order)
    return ImportReport(
        mode=mode,
        file_format=table.file_format,
        rows=len(checked.rows),
        valid=len(checked.good),
        imported=imported,
        rejections=tuple(rejections),
        ignored_columns=columns.ignored,
    )


# -------------------------------------------------------------------------------------------- exporting


def ledger_row(enterprise: Enterprise) -> list[object]:
    """An enterprise in the ledger's columns, as import reads them back."""
    sector = SECTOR_BY_CODE.get(enterprise.sector)
    return [
        enterprise.uscc,
        enterprise.name,
        enterprise.county_code,
        sector.zh if sector else enterprise.sector,
        enterprise.address,
        enterprise.longitude,
        enterprise.latitude,
        enterprise.gbt4754_code or "",
        enterprise.headcount,
        enterprise.main_responsible_person,
        enterprise.safety_manager,
    ]


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text  # a spreadsheet opening the CSV must not run it as a formula
    return text


def write_csv(rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel in China opens it without garbling the Chinese."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.zh for c in COLUMNS])
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8")


_WIDTHS = (22, 36, 10, 16, 40, 12, 12, 16, 10, 14, 14)


def write_xlsx(rows: Iterable[Sequence[object]]) -> bytes:
    return sheets.write_xlsx("企业台账", [c.zh for c in COLUMNS], rows, _WIDTHS)


def export_ledger(
    session: Session, principal: Principal, flt: repository.EnterpriseFilter, file_format: str
) -> tuple[bytes, int]:
    """The enterprises in the principal's scope (and the filter) as a ledger file, and how many."""
    if file_format not in MEDIA_TYPES:
        raise InvalidInputError("format", "unknown", "the ledger is written as xlsx or csv")
    rows = [ledger_row(e) for e in repository.all_in_scope(session, principal, flt)]
    data = write_xlsx(rows) if file_format == "xlsx" else write_csv(rows)
    return data, len(rows)
