"""`zhiben enterprises import|export`: the enterprise ledger (企业台账) as .xlsx or .csv."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TaskID
from rich.table import Table

from zhiben.cli.runtime import EXIT_INPUT, console, emit_json, progress_bar, runtime_of
from zhiben.enterprise import ledger, repository, service
from zhiben.enterprise.domain import parse_sector
from zhiben.errors import InvalidInputError

enterprises_app = typer.Typer(
    help="Enterprises (生产经营单位) and their ledger (企业台账).", no_args_is_help=True
)

SHOWN_REJECTIONS = 100


@enterprises_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="an .xlsx or .csv ledger")
    ],
    mode: Annotated[
        ledger.ImportMode,
        typer.Option(
            help="all-or-nothing: any rejected row → nothing is imported; good-rows: import the rest"
        ),
    ] = ledger.ImportMode.all_or_nothing,
    as_json: Annotated[bool, typer.Option("--json", help="the report as stable JSON on stdout")] = False,
) -> None:
    """Register the enterprises of a ledger. Headers may be Chinese (统一社会信用代码, 企业名称, 区县代码,
    行业, ...) or English field names (uscc, name, county_code, sector, ...). Every rejected row is reported
    with its row, column and reason. Exit 0 when every row was imported, 2 when any row was rejected."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    if file.stat().st_size > ledger.MAX_FILE_BYTES:
        raise ledger.file_error("too_large", f"the file is larger than {ledger.MAX_FILE_BYTES // 2**20} MB")
    data = file.read_bytes()
    actor = rt.principal()
    with rt.uow() as uow, progress_bar("登记企业 registering") as bar:
        tasks: list[TaskID] = []

        def progress(done: int, total: int) -> None:
            if not tasks:  # shown only once checking is over and there is something to register
                tasks.append(bar.add_task("register", total=total))
            bar.update(tasks[0], completed=done)

        report = ledger.import_ledger(uow.session, actor, data, mode, service.register_enterprises, progress)
    if as_json:
        emit_json(report.as_dict())
    else:
        _print_report(report)
    if report.rejections:
        raise typer.Exit(EXIT_INPUT)


def _print_report(report: ledger.ImportReport) -> None:
    if report.rejections:
        table = Table("行 row", "列 column", "原因 reason", "说明 message")
        for r in report.rejections[:SHOWN_REJECTIONS]:
            table.add_row(str(r.row), f"{r.column} ({r.field})" if r.column else r.field, r.reason, r.message)
        console.print(table)
        hidden = len(report.rejections) - SHOWN_REJECTIONS
        if hidden > 0:
            console.print(f"… and {hidden} more; --json lists them all")
    if report.ignored_columns:
        console.print(f"ignored columns: {', '.join(report.ignored_columns)}")
    if report.rejections and not report.committed:
        console.print(
            f"[red]nothing imported[/red]: {report.rejected_rows} of {report.rows} rows rejected"
            + (" (all-or-nothing)" if report.mode is ledger.ImportMode.all_or_nothing else "")
        )
    else:
        console.print(
            f"{report.imported} enterprises imported; {report.rejected_rows} of {report.rows} rows rejected"
        )


@enterprises_app.command("export")
def export_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(dir_okay=False, help="where to write: a name ending .xlsx or .csv")],
    division: Annotated[str, typer.Option(help="2, 4 or 6 digits; empty for all in your scope")] = "",
    sector: Annotated[str | None, typer.Option(help="a sector code or its Chinese or English name")] = None,
) -> None:
    """Write the enterprises in the acting user's scope as a ledger that `import` reads back."""
    file_format = file.suffix.lower().lstrip(".")
    if file_format not in ledger.MEDIA_TYPES:
        raise InvalidInputError("file", "format", "name the file .xlsx or .csv")
    if division and (not division.isdigit() or len(division) not in (2, 4, 6)):
        raise InvalidInputError("division", "format", "a division is 2, 4 or 6 digits")
    flt = repository.EnterpriseFilter(
        division=division.ljust(6, "0") if division else "",
        sector=parse_sector(sector) if sector else None,
    )
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow(write=False) as uow:
        data, count = ledger.export_ledger(uow.session, actor, flt, file_format)
    file.write_bytes(data)
    console.print(f"{count} enterprises written to {file}")
