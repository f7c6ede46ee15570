"""The enterprise ledger (企业台账): reading CSV and XLSX, checking rows, importing, exporting."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, delete, event, func, select
from typer.testing import CliRunner

from tests.builders import Db, auth_header
from zhiben.audit import service as audit
from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.cli.main import app
from zhiben.enterprise import ledger, service
from zhiben.enterprise.domain import EnterpriseDraft
from zhiben.enterprise.ledger import ImportMode, ImportReport
from zhiben.enterprise.models import Enterprise
from zhiben.errors import DuplicateError, InvalidInputError, PermissionDeniedError
from zhiben.kit import uscc

HEADERS = [c.zh for c in ledger.COLUMNS]
FIELDS = [c.field for c in ledger.COLUMNS]


def code(serial: int, county: str = "320311") -> str:
    return uscc.make(f"91{county}MA{serial:07d}")


def row(serial: int, county: str = "320311", **cells: Any) -> list[Any]:
    values: dict[str, Any] = {
        "uscc": code(serial, county),
        "name": f"徐州测试化工有限公司{serial}",
        "county_code": county,
        "sector": "危险化学品生产",
        "address": "徐州市泉山区化工园区1号",
        "longitude": 117.18,
        "latitude": 34.26,
        "gbt4754_code": "C2614",
        "headcount": 120,
        "main_responsible_person": "张伟",
        "safety_manager": "李娜",
    }
    values.update(cells)
    return [values[f] for f in FIELDS]


def csv_bytes(
    rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS, encoding: str = "utf-8"
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(["" if v is None else v for v in r] for r in rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: Sequence[Sequence[Any]], headers: Sequence[str] = HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(headers))
    for values in rows:
        sheet.append(list(values))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def checked(data: bytes) -> ledger.Checked:
    table = ledger.read_table(data)
    return ledger.check_rows(table, ledger.map_columns(table.headers))


def problems(data: bytes) -> list[tuple[int, str, str]]:
    return [(r.row, r.field, r.reason) for r in checked(data).rejections]


def file_error(data: bytes) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as caught:
        table = ledger.read_table(data)
        ledger.map_columns(table.headers)
    problem: dict[str, str] = caught.value.details["fields"][0]
    assert problem["field"] == "file"
    return problem


def run_import(db: Db, data: bytes, mode: ImportMode, actor: Principal = SYSTEM) -> ImportReport:
    report: ImportReport = db.act(ledger.import_ledger, actor, data, mode, service.register_enterprises)
    return report


def count(db: Db, model: type[Any]) -> int:
    with db.uow(write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


# ------------------------------------------------------------------------------------- reading a file


def test_headers_in_chinese_or_english_name_the_same_fields() -> None:
    columns = ledger.map_columns(["统一社会信用代码", "Name", "county code", "SECTOR", "*地址", "备注"])
    assert columns.index == {"uscc": 0, "name": 1, "county_code": 2, "sector": 3, "address": 4}
    assert columns.ignored == ("备注",)


def test_a_ledger_without_a_required_column_is_refused_naming_the_column() -> None:
    data = csv_bytes([row(1)[:3]], headers=HEADERS[:3])
    problem = file_error(data)
    assert problem["reason"] == "missing_columns"
    assert "行业 (sector)" in problem["message"]


def test_two_columns_for_one_field_are_refused() -> None:
    problem = file_error(csv_bytes([[*row(1), "x"]], headers=[*HEADERS, "name"]))
    assert problem["reason"] == "duplicate_column"
    assert "columns B and L" in problem["message"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b" \r\n \n", "empty"),
        (b",,,\r\n", "no_header"),
        (csv_bytes([]), "no_rows"),
        (csv_bytes([["", "", ""]]), "no_rows"),
    ],
)
def test_an_empty_ledger_gets_a_clear_error(data: bytes, reason: str) -> None:
    assert file_error(data)["reason"] == reason


def test_a_file_that_is_neither_xlsx_nor_csv_is_refused() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64)
    assert file_error(png)["reason"] == "format"
    old_xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512)
    assert ".xls" in file_error(old_xls)["message"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    assert file_error(buffer.getvalue())["message"] == "the file is not a readable .xlsx workbook"
    truncated = xlsx_bytes([row(1)])[:300]
    assert file_error(truncated)["reason"] == "format"


def test_a_csv_saved_by_excel_in_gbk_is_read() -> None:
    result = checked(csv_bytes([row(1, name="江苏某化工有限公司")], encoding="gb18030"))
    assert [d.name for d in result.good] == ["江苏某化工有限公司"]


def test_a_tab_separated_utf16_file_is_read() -> None:
    text = "\t".join(HEADERS) + "\r\n" + "\t".join(str(v) for v in row(1)) + "\r\n"
    result = checked(text.encode("utf-16"))
    assert [d.uscc for d in result.good] == [code(1)]


def test_row_numbers_are_those_the_spreadsheet_shows() -> None:
    data = xlsx_bytes([row(1), [None] * len(HEADERS), row(2, uscc="91320311MA00000020")])
    rejection = checked(data).rejections[0]
    assert (rejection.row, rejection.cell, rejection.column) == (4, "A4", "统一社会信用代码")
    assert rejection.reason == "check_digit"


def test_every_bad_cell_of_a_row_is_reported_not_only_the_first() -> None:
    bad = row(1, uscc="91320311MA00000011", sector="矿泉水", latitude=None, headcount="很多", name=" ")
    assert problems(csv_bytes([bad])) == [
        (2, "uscc", "check_digit"),
        (2, "name", "required"),
        (2, "sector", "unknown"),
        (2, "longitude", "pair"),
        (2, "headcount", "format"),
    ]


def test_a_rejection_carries_the_domain_checks_field_reason_and_message() -> None:
    [rejection] = checked(csv_bytes([row(1, longitude=150.0)])).rejections
    assert (rejection.field, rejection.reason, rejection.column, rejection.cell) == (
        "longitude",
        "range",
        "经度",
        "F2",
    )
    assert rejection.message == "longitude must lie within China, 73-136 °E"


def test_numbers_in_xlsx_cells_are_read_as_the_fields_need_them() -> None:
    data = xlsx_bytes([row(1, county_code=320311, headcount=120.0, gbt4754_code=2614, longitude=117)])
    [draft] = checked(data).good
    assert (draft.county_code, draft.headcount, draft.gbt4754_code, draft.longitude) == (
        "320311",
        120,
        "2614",
        117.0,
    )


def test_a_uscc_that_excel_turned_into_a_number_is_rejected_not_guessed() -> None:
    digits_only = next(c for n in range(100) if (c := uscc.make(f"913203110000000{n:02d}")).isdigit())
    data = xlsx_bytes([row(1, uscc=float(digits_only))])
    assert problems(data) == [(2, "uscc", "stored_as_number")]


def test_headcount_accepts_thousands_separators_and_refuses_fractions_and_absurd_numbers() -> None:
    assert [d.headcount for d in checked(csv_bytes([row(1, headcount="1,200")])).good] == [1200]
    assert problems(csv_bytes([row(1, headcount="12.5")])) == [(2, "headcount", "format")]
    assert problems(csv_bytes([row(1, headcount=10**12)])) == [(2, "headcount", "range")]


def test_a_name_longer_than_the_register_holds_is_rejected() -> None:
    assert problems(csv_bytes([row(1, name="企" * 201)])) == [(2, "name", "too_long")]
    assert problems(csv_bytes([row(1, safety_manager="李" * 61)])) == [(2, "safety_manager", "too_long")]


def test_a_code_repeated_in_the_file_is_rejected_naming_the_first_row() -> None:
    result = checked(csv_bytes([row(1), row(2), row(1, name="另一家")]))
    [rejection] = result.rejections
    assert (rejection.row, rejection.field, rejection.reason) == (4, "uscc", "duplicate_in_file")
    assert rejection.message == "row 2 already holds this code"
    assert [d.uscc for d in result.good] == [code(1), code(2)]


def test_sectors_may_be_given_as_code_chinese_or_english_name() -> None:
    rows = [row(1, sector="冶金"), row(2, sector="industry_trade_textile"), row(3, sector="urban gas")]
    assert [d.sector for d in checked(csv_bytes(rows)).good] == [
        "industry_trade_metallurgy",
        "industry_trade_textile",
        "urban_gas",
    ]


def test_optional_columns_may_be_left_out() -> None:
    data = csv_bytes([row(1)[:4]], headers=["uscc", "name", "county_code", "sector"])
    [draft] = checked(data).good
    assert (draft.address, draft.longitude, draft.headcount) == ("", None, None)


def test_formula_like_text_is_exported_as_text_and_read_back_unchanged() -> None:
    values = row(1, name='=HYPERLINK("http://x")', address="+86 路", safety_manager="@李")
    data = ledger.write_csv([values])
    assert "'=HYPERLINK" in data.decode("utf-8-sig")
    assert checked(data).good[0].name == '=HYPERLINK("http://x")'
    workbook = load_workbook(io.BytesIO(ledger.write_xlsx([values])))
    sheet = workbook.active
    assert sheet is not None
    assert (sheet["B2"].data_type, sheet["B2"].value) == ("s", '=HYPERLINK("http://x")')
    [draft] = checked(ledger.write_xlsx([values])).good
    assert (draft.name, draft.address, draft.safety_manager) == ('=HYPERLINK("http://x")', "+86 路", "@李")


# ------------------------------------------------------------------------------------------ importing


def test_all_or_nothing_imports_nothing_when_any_row_is_rejected(db: Db) -> None:
    entries = count(db, AuditEntry)
    data = csv_bytes([row(1), row(2, county_code="320300"), row(3)])
    report = run_import(db, data, ImportMode.all_or_nothing)
    assert (report.rows, report.valid, report.imported, report.committed) == (3, 2, 0, False)
    assert [(r.row, r.field, r.reason) for r in report.rejections] == [(3, "county_code", "unknown")]
    assert count(db, Enterprise) == 0
    assert count(db, AuditEntry) == entries


def test_good_rows_imports_the_good_rows_each_with_one_audit_entry(db: Db) -> None:
    data = xlsx_bytes([row(1), row(2, sector="火锅"), row(3, county_code="440305", uscc=code(3, "440305"))])
    report = run_import(db, data, ImportMode.good_rows)
    assert (report.rows, report.valid, report.imported, report.rejected_rows) == (3, 2, 2, 1)
    assert report.as_dict()["rejections"] == [
        {
            "row": 3,
            "field": "sector",
            "column": "行业",
            "cell": "D3",
            "reason": "unknown",
            "message": report.rejections[0].message,
        }
    ]
    with db.uow(write=False) as uow:
        firms = uow.session.scalars(select(Enterprise).order_by(Enterprise.uscc)).all()
        assert [(f.uscc, f.city_code, f.province_code) for f in firms] == [
            (code(1), "3203", "32"),
            (code(3, "440305"), "4403", "44"),
        ]
        for firm in firms:
            [entry] = audit.history(uow.session, "enterprise", str(firm.id))
            assert (entry.action, entry.actor, entry.after) == (
                "enterprise.register",
                "admin:system",
                service.snapshot(firm),
            )
        assert audit.verify_chain(uow.session)[1] is None


def test_a_code_already_registered_is_rejected_as_a_duplicate(db: Db) -> None:
    run_import(db, csv_bytes([row(1)]), ImportMode.all_or_nothing)
    report = run_import(db, csv_bytes([row(2), row(1, name="重名")]), ImportMode.good_rows)
    assert [(r.row, r.field, r.reason) for r in report.rejections] == [(3, "uscc", "duplicate")]
    assert report.rejections[0].message == f"already exists: enterprise {code(1)}"
    assert count(db, Enterprise) == 2


def test_a_row_with_a_bad_cell_is_still_checked_against_the_register(db: Db) -> None:
    report = run_import(db, csv_bytes([row(1, county_code="320300", sector="?")]), ImportMode.good_rows)
    assert [(r.field, r.reason) for r in report.rejections] == [
        ("county_code", "unknown"),
        ("sector", "unknown"),
    ]


def test_a_regulator_imports_only_within_their_jurisdiction(db: Db) -> None:
    xuzhou = db.user(Role.regulator, division="320300")
    rows = [row(1), row(2, county_code="320506", uscc=code(2, "320506"))]
    report = run_import(db, csv_bytes(rows), ImportMode.good_rows, actor=xuzhou)
    assert [(r.row, r.field, r.reason) for r in report.rejections] == [(3, "county_code", "out_of_scope")]
    assert report.imported == 1


@pytest.mark.parametrize("role", [Role.officer, Role.department, Role.enterprise, Role.service_provider])
def test_only_administrators_and_regulators_may_import(db: Db, role: Role) -> None:
    actor = db.user(role, division="320000")
    with pytest.raises(PermissionDeniedError):
        run_import(db, csv_bytes([row(1)]), ImportMode.good_rows, actor=actor)
    assert count(db, Enterprise) == 0


def test_checking_a_ledger_against_the_register_takes_the_same_few_queries_however_long(db: Db) -> None:
    run_import(db, csv_bytes([row(3)]), ImportMode.all_or_nothing)
    for size in (5, 450):
        rows = checked(csv_bytes([row(n) for n in range(size)]))
        with db.uow(write=False) as uow, statements(db.engine) as seen:
            result = ledger.check_database(uow.session, SYSTEM, rows)
        queries = [s for s in seen if not s.startswith("BEGIN")]
        assert len(queries) == 2, queries  # the counties, and the registered codes among the file's
        assert [(r.row, r.reason) for r in result.rejections] == [(5, "duplicate")]


def test_importing_takes_the_same_few_statements_for_ten_rows_or_four_hundred(db: Db) -> None:
    entries = count(db, AuditEntry)
    counts = []
    for first, size in ((0, 10), (100, 400)):
        data = csv_bytes([row(n) for n in range(first, first + size)])
        with statements(db.engine) as seen:
            report = run_import(db, data, ImportMode.all_or_nothing)
        assert report.imported == size
        counts.append(len([s for s in seen if not s.startswith(("BEGIN", "COMMIT"))]))
    assert counts[0] == counts[1] <= 10, counts
    assert count(db, AuditEntry) - entries == 410  # one per enterprise


def test_registering_many_writes_nothing_when_one_draft_fails(db: Db) -> None:
    run_import(db, csv_bytes([row(1)]), ImportMode.all_or_nothing)
    drafts = [
        EnterpriseDraft(uscc=code(n), name=f"企业{n}", county_code="320311", sector="other") for n in (2, 1)
    ]
    with pytest.raises(DuplicateError):
        db.act(service.register_enterprises, SYSTEM, drafts)
    with pytest.raises(DuplicateError):
        db.act(service.register_enterprises, SYSTEM, [drafts[0], drafts[0]])
    outside = db.user(Role.regulator, division="440000")
    with pytest.raises(PermissionDeniedError):
        db.act(service.register_enterprises, outside, drafts[:1])
    assert count(db, Enterprise) == 1


def test_registering_many_writes_the_entries_registering_one_would(db: Db) -> None:
    draft = EnterpriseDraft(uscc=code(1), name="单个", county_code="320311", sector="coal_mine")
    one = db.act(lambda s: service.snapshot(service.register_enterprise(s, SYSTEM, draft)))
    many = db.act(
        lambda s: [
            service.snapshot(e)
            for e in service.register_enterprises(s, SYSTEM, [replace_uscc(draft, 2), replace_uscc(draft, 3)])
        ]
    )
    assert [m | {"uscc": ""} for m in many] == [one | {"uscc": ""}] * 2
    db.act(service.register_enterprise, SYSTEM, replace_uscc(draft, 4))
    with db.uow(write=False) as uow:
        entries = uow.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        assert [e.after["uscc"] for e in entries[-4:] if e.after] == [code(n) for n in (1, 2, 3, 4)]
        assert [e.action for e in entries[-4:]] == ["enterprise.register"] * 4
        assert audit.verify_chain(uow.session)[1] is None


def replace_uscc(draft: EnterpriseDraft, serial: int) -> EnterpriseDraft:
    return replace(draft, uscc=code(serial))


# ------------------------------------------------------------------------------------------ exporting


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_reimports_to_the_same_register(db: Db, file_format: str) -> None:
    rows = [
        row(1),
        row(2, name="=SUM(A1)", sector="industry_trade_light", longitude=None, latitude=None),
        row(3, gbt4754_code="", headcount=None, address="", main_responsible_person="王五 "),
        row(4, county_code="110101", uscc=code(4, "110101"), sector="冶金", headcount=0),
    ]
    report = run_import(db, csv_bytes(rows), ImportMode.all_or_nothing)
    assert report.imported == 4
    before = db.act(lambda s: [_fields(e) for e in s.scalars(select(Enterprise).order_by(Enterprise.uscc))])
    data, exported = db.act(ledger.export_ledger, SYSTEM, ledger.repository.EnterpriseFilter(), file_format)
    assert exported == 4
    db.act(lambda s: s.execute(delete(Enterprise)))
    again = run_import(db, data, ImportMode.all_or_nothing)
    assert (again.imported, again.rejections, again.ignored_columns) == (4, (), ())
    after = db.act(lambda s: [_fields(e) for e in s.scalars(select(Enterprise).order_by(Enterprise.uscc))])
    assert after == before


def _fields(enterprise: Enterprise) -> dict[str, Any]:
    return {k: v for k, v in service.snapshot(enterprise).items() if k != "version"}


def test_the_export_has_the_chinese_headers_import_reads() -> None:
    data = ledger.write_xlsx([])
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == HEADERS
    assert ledger.write_csv([]).decode("utf-8-sig").strip() == ",".join(HEADERS)


# ---------------------------------------------------------------------------------------- the API


def _upload(db: Db, username: str, data: bytes, mode: str = "good-rows", name: str = "台账.xlsx") -> Any:
    client = db.client()
    return client.post(
        "/api/v1/enterprises/import",
        files={"file": (name, data, "application/octet-stream")},
        data={"mode": mode},
        headers=auth_header(client, username),
    )


def test_the_import_endpoint_answers_with_the_report(db: Db) -> None:
    regulator = db.user(Role.regulator, division="320300")
    response = _upload(db, regulator.username, xlsx_bytes([row(1), row(2, headcount=-3)]))
    assert response.status_code == 200, response.text
    body = response.json()
    assert {k: body[k] for k in ("mode", "format", "rows", "valid", "imported", "committed")} == {
        "mode": "good-rows",
        "format": "xlsx",
        "rows": 2,
        "valid": 1,
        "imported": 1,
        "committed": True,
    }
    assert [(r["row"], r["cell"], r["reason"]) for r in body["rejections"]] == [(3, "I3", "range")]
    assert count(db, Enterprise) == 1


def test_the_import_endpoint_answers_a_bad_file_with_a_422_naming_the_file(db: Db) -> None:
    admin = db.user(Role.admin)
    response = _upload(db, admin.username, b"%PDF-1.7\n\x00\x01binary", name="ledger.pdf")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["details"]["fields"][0] == {
        "field": "file",
        "reason": "format",
        "message": "the file is neither an .xlsx workbook nor a CSV file",
    }
    response = _upload(
        db, admin.username, csv_bytes([row(1)[:2]], headers=HEADERS[:2]), mode="all-or-nothing"
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"][0]["reason"] == "missing_columns"


def test_an_enterprise_user_may_not_import(db: Db) -> None:
    firm = db.enterprise()
    user = db.user(Role.enterprise, enterprise_id=firm)
    assert _upload(db, user.username, csv_bytes([row(1)])).status_code == 403


def test_the_export_endpoint_keeps_to_the_callers_scope_and_filters(db: Db) -> None:
    db.enterprise("320311", sector="hazchem_production", name="泉山化工")
    db.enterprise("320312", sector="industry_trade_metallurgy", name="铜山钢铁")
    db.enterprise("320506", sector="hazchem_production", name="吴中化工")
    regulator = db.user(Role.regulator, division="320300")
    client = db.client()
    headers = auth_header(client, regulator.username)
    response = client.get("/api/v1/enterprises/export", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == ledger.XLSX_MEDIA_TYPE
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert sorted(str(r[1]) for r in sheet.iter_rows(min_row=2, values_only=True)) == ["泉山化工", "铜山钢铁"]
    response = client.get(
        "/api/v1/enterprises/export", params={"format": "csv", "sector": "冶金"}, headers=headers
    )
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert [line.split(",")[1] for line in lines[1:]] == ["铜山钢铁"]
    response = client.get("/api/v1/enterprises/export", params={"sector": "火锅"}, headers=headers)
    assert response.status_code == 422


# ---------------------------------------------------------------------------------------- the CLI


def test_the_import_command_reports_in_json_and_exits_2_on_any_rejection(db: Db, cli: CliRunner) -> None:
    path = db.tmp / "台账.csv"
    path.write_bytes(csv_bytes([row(1), row(2, uscc="91320311MA0000002X")]))
    result = cli.invoke(app, ["enterprises", "import", str(path), "--mode", "good-rows", "--json"])
    assert result.exit_code == 2, result.output
    body = json.loads(result.stdout)
    assert (body["imported"], body["rejected_rows"]) == (1, 1)
    assert body["rejections"][0]["cell"] == "A3"
    path.write_bytes(csv_bytes([row(3)]))
    result = cli.invoke(app, ["enterprises", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 enterprises imported" in result.output
    assert count(db, Enterprise) == 2


def test_the_import_command_refuses_a_bad_file_with_a_message_not_a_traceback(db: Db, cli: CliRunner) -> None:
    path = db.tmp / "empty.xlsx"
    path.write_bytes(b"")
    result = cli.invoke(app, ["enterprises", "import", str(path)])
    assert result.exit_code == 2
    assert "file: the file is empty" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_export_command_writes_the_acting_users_enterprises(db: Db, cli: CliRunner) -> None:
    db.enterprise("320311", name="泉山化工")
    db.enterprise("440305", name="南山化工")
    db.user(Role.regulator, division="320000", username="jiangsu")
    target: Path = db.tmp / "out.csv"
    result = cli.invoke(app, ["--as", "jiangsu", "enterprises", "export", str(target)])
    assert result.exit_code == 0, result.output
    lines = target.read_bytes().decode("utf-8-sig").splitlines()
    assert [line.split(",")[1] for line in lines[1:]] == ["泉山化工"]
    result = cli.invoke(app, ["enterprises", "export", str(db.tmp / "out.txt")])
    assert result.exit_code == 2
    assert "name the file .xlsx or .csv" in result.output
