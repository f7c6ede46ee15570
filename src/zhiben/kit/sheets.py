"""Writing a table as an .xlsx workbook that Excel opens safely: a bold header row, column widths, and text
that stays text (a cell starting with '=' is not a formula, '#N/A' is not an error)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def text_cell(sheet: Any, value: object) -> object:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
    cell.data_type = "s"
    return cell


def write_xlsx(
    title: str, headers: Sequence[str], rows: Iterable[Sequence[object]], widths: Sequence[int] = ()
) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    for position, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(position)].width = width
    bold = Font(bold=True)
    header = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([text_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
