"""The hazard ledger (隐患台账) as a spreadsheet: export the hazards a filter selects, and import reported
hazards from .xlsx or CSV with every bad row named (row, column, reason) and nothing stored unless every
row is good.

An import checks each row's cells first (pure), then reports each good row through `report_hazard` inside
a savepoint, so the service's own checks (scope, who may report from which source, a major hazard's
citation) are reported per row too; any rejection rolls the whole file back."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal
from zhiben.enterprise import service as enterprises
from zhiben.enterprise.ledger import read_table
from zhiben.enterprise.models import Enterprise
from zhiben.errors import InvalidInputError, ZhibenError
from zhiben.hazard import repository
from zhiben.hazard.domain import HazardLevel, Source
from zhiben.hazard.models import Hazard
from zhiben.hazard.service import HazardReport, report_hazard
from zhiben.kit import sheets
from zhiben.kit.clock import SHANGHAI

MAX_EXPORT_ROWS = 100_000
EXPORT_HEADERS = (
    "隐患编号",
    "统一社会信用代码",
    "企业名称",
    "隐患描述",
    "隐患等级",
    "状态",
    "来源",
    "部位",
    "发现时间",
    "上报时间",
    "整改期限",
    "挂牌督办",
    "逾期",
    "销号时间",
    "判定标准",
    "条款",
)
EXPORT_WIDTHS = (20, 22, 30, 40, 8, 10, 10, 14, 17, 17, 17, 8, 6, 17, 12, 8)
LEVEL_WORDS = {
    "重大": HazardLevel.major,
    "重大事故隐患": HazardLevel.major,
    "major": HazardLevel.major,
    "一般": HazardLevel.general,
    "一般事故隐患": HazardLevel.general,
    "general": HazardLevel.general,
}
SOURCE_WORDS = {
    "企业自查": Source.self_inspection,
    "执法检查": Source.enforcement,
    "技术服务": Source.service,
    "举报": Source.tipoff,
    "监测预警": Source.monitoring,
} | {s.value: s for s in Source}
LEVEL_TEXT = {HazardLevel.major.value: "重大", HazardLevel.general.value: "一般"}
SOURCE_TEXT = {s.value: word for word, s in SOURCE_WORDS.items() if not word.isascii()}


@dataclass(frozen=True)
class ImportColumn:
    field: str
    zh: str
    required: bool = False


IMPORT_COLUMNS = (
    ImportColumn("uscc", "统一社会信用代码", required=True),
    ImportColumn("description", "隐患描述", required=True),
    ImportColumn("source", "来源", required=True),
    ImportColumn("found_at", "发现时间", required=True),
    ImportColumn("location", "部位"),
    ImportColumn("level", "隐患等级"),
    ImportColumn("pack", "判定标准"),
    ImportColumn("clause", "条款"),
)
_BY_HEADER = {c.zh: c for c in IMPORT_COLUMNS} | {c.field: c for c in IMPORT_COLUMNS}


def _local(value: datetime | None) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if value else ""


def export_hazards(session: Session, actor: Principal, flt: repository.HazardFilter) -> tuple[bytes, int]:
    """The hazards in the caller's scope that the filter selects, as an .xlsx ledger (at most 100,000)."""
    hazards = repository.all_matching(session, actor, flt, MAX_EXPORT_ROWS + 1)
    if len(hazards) > MAX_EXPORT_ROWS:
        raise InvalidInputError(
            "filter", "too_many", f"narrow the filter: at most {MAX_EXPORT_ROWS} rows per file"
        )
    firms = {
        e.id: e
        for e in session.scalars(
            select(Enterprise).where(Enterprise.id.in_({h.enterprise_id for h in hazards}))
        )
    }

    def row(h: Hazard) -> list[object]:
        firm = firms.get(h.enterprise_id)
        citation = h.citation or {}
        return [
            h.number,
            firm.uscc if firm else "",
            firm.name if firm else "",
            h.description,
            LEVEL_TEXT.get(h.level or "", ""),
            h.state,
            SOURCE_TEXT.get(h.source, h.source),
            h.location,
            _local(h.found_at),
            _local(h.reported_at),
            _local(h.deadline_at),
            h.listed_level or "",
            "是" if h.is_overdue else "",
            _local(h.closed_at),
            citation.get("pack", ""),
            citation.get("clause", ""),
        ]

    return sheets.write_xlsx("隐患台账", EXPORT_HEADERS, (row(h) for h in hazards), EXPORT_WIDTHS), len(
        hazards
    )


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    reason: str
    message: str


@dataclass
class ImportResult:
    rows: int
    stored: list[str] = field(default_factory=list)  # hazard numbers, when every row was good
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def committed(self) -> bool:
        return not self.problems


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _when(value: object) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        text = re.sub(r"\s+", " ", _text(value)).replace("/", "-")
        moment = datetime.fromisoformat(text)  # ValueError names the row
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _columns(headers: Sequence[str]) -> tuple[dict[str, int], list[RowProblem]]:
    index: dict[str, int] = {}
    for position, header in enumerate(headers):
        column = _BY_HEADER.get(header.strip().rstrip("*＊"))
        if column is not None:
            index.setdefault(column.field, position)
    missing = [c.zh for c in IMPORT_COLUMNS if c.required and c.field not in index]
    problems = [
        RowProblem(1, name, "missing_column", f"the header row has no column {name}") for name in missing
    ]
    return index, problems


def _report_of(
    cells: dict[str, object], firm: int | None, row: int
) -> tuple[HazardReport | None, list[RowProblem]]:
    problems = []
    for column in IMPORT_COLUMNS:
        if column.required and not _text(cells.get(column.field)):
            problems.append(RowProblem(row, column.zh, "required", f"{column.zh} is required"))
    if firm is None and _text(cells.get("uscc")):
        problems.append(
            RowProblem(row, "统一社会信用代码", "unknown", "no enterprise with this code in your scope")
        )
    source = SOURCE_WORDS.get(_text(cells.get("source")))
    if source is None and _text(cells.get("source")):
        problems.append(
            RowProblem(row, "来源", "enum", f"one of {', '.join(w for w in SOURCE_WORDS if not w.isascii())}")
        )
    level_text = _text(cells.get("level"))
    level = LEVEL_WORDS.get(level_text) if level_text else None
    if level_text and level is None:
        problems.append(RowProblem(row, "隐患等级", "enum", "重大 or 一般 (or blank: to be determined)"))
    found_at = None
    if _text(cells.get("found_at")):
        try:
            found_at = _when(cells.get("found_at"))
        except ValueError:
            problems.append(RowProblem(row, "发现时间", "format", "a date and time such as 2026-03-02 10:30"))
    if problems or firm is None or source is None or found_at is None:
        return None, problems
    clause = _text(cells.get("clause"))
    pack, _, version = _text(cells.get("pack")).partition("@")
    citation = {"pack": pack, "version": version, "clause": clause, "text": ""} if clause else None
    report = HazardReport(
        firm, _text(cells.get("description")), source, found_at, _text(cells.get("location")), level, citation
    )
    return report, []


def _problem_of(row: int, error: ZhibenError) -> list[RowProblem]:
    fields = error.details.get("fields") or [
        {"field": "", "reason": error.code, "message": error.message("zh-CN")}
    ]
    names = {c.field: c.zh for c in IMPORT_COLUMNS}
    return [
        RowProblem(row, names.get(str(f["field"]), str(f["field"])), str(f["reason"]), str(f["message"]))
        for f in fields
    ]


def import_hazards(
    session: Session, actor: Principal, data: bytes, progress: Callable[[int, int], Any] | None = None
) -> ImportResult:
    """Report every row of the file, or none: the caller's unit of work rolls back when problems remain."""
    table = read_table(data)
    index, problems = _columns(table.headers)
    result = ImportResult(len(table.rows), problems=problems)
    if problems:
        return result
    usccs = {_text(cells[index["uscc"]]) for _, cells in table.rows if index["uscc"] < len(cells)}
    firms = enterprises.ids_by_uscc(session, actor, usccs)
    for done, (row, cells) in enumerate(table.rows, start=1):
        values = {name: cells[at] if at < len(cells) else None for name, at in index.items()}
        report, found = _report_of(values, firms.get(_text(values.get("uscc"))), row)
        result.problems += found
        if report is not None:
            try:
                with session.begin_nested():  # a refused row leaves nothing behind; the rest go on
                    result.stored.append(report_hazard(session, actor, report).number)
            except ZhibenError as exc:
                result.problems += _problem_of(row, exc)
        if progress is not None:
            progress(done, len(table.rows))
    if result.problems:
        result.stored = []
    return result
