"""`zhiben dualprevention export|import|set-company-code`: the national exchange (数据交换) from and into the
database, and the re-assessment job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from zhiben.cli.runtime import EXIT_INPUT, console, emit_json, fail, runtime_of
from zhiben.dualprevention import service, transfer
from zhiben.dualprevention.exchange import FORMAT, Issue
from zhiben.dualprevention.exchange_codes import RiskLevelEncoding, TimeFormat

dualprevention_app = typer.Typer(
    help="Dual prevention (双重预防机制): the national data exchange.", no_args_is_help=True
)


def _issue(i: Issue) -> dict[str, Any]:
    return {
        "entity": i.entity,
        "position": i.position,
        "id": i.record_id,
        "field": i.field,
        "value": i.value,
        "reason": i.reason,
        "message": i.message,
    }


def _print_issues(title: str, issues: tuple[Issue, ...]) -> None:
    for i in issues:
        where = f"{i.entity}[{i.position}]" if i.position is not None else i.entity
        console.print(f"{title} {where} {i.record_id or ''} {i.field}: {i.reason}: {i.message}")


@dualprevention_app.command("export")
def export(
    ctx: typer.Context,
    enterprise: Annotated[int | None, typer.Option(help="the enterprise id")] = None,
    division: Annotated[
        str | None, typer.Option(help="every enterprise of a division (6-digit code)")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="write the JSON here instead of stdout")] = None,
    company_code: Annotated[
        str | None, typer.Option(help="the 9-digit 危化品登记 code, if none is stored")
    ] = None,
    compact_time: Annotated[bool, typer.Option(help="times as yyyyMMddHHmmss")] = False,
    encoding: Annotated[str, typer.Option(help="risk-level encoding: A (national) or B (Jiangsu)")] = "A",
) -> None:
    """Export the register, check tasks, check records and hazards in the exchange format. Records a receiver
    would refuse are held back and listed on stderr (exit 1 when any was held back)."""
    if (enterprise is None) == (division is None):
        raise fail("give --enterprise ID or --division CODE", EXIT_INPUT)
    if encoding not in ("A", "B"):
        raise fail("--encoding is A or B", EXIT_INPUT)
    options: dict[str, Any] = {
        "time_format": TimeFormat.COMPACT if compact_time else TimeFormat.DASHED,
        "risk_level_encoding": RiskLevelEncoding(encoding),
    }
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow(write=False) as uow:
        if enterprise is not None:
            results = [
                transfer.export_enterprise(
                    uow.session, actor, enterprise, company_code=company_code, **options
                )
            ]
        else:
            assert division is not None
            results = transfer.export_division(uow.session, actor, division, **options)
    document: Any
    if enterprise is not None:
        document = results[0].payload
    else:
        document = {
            "format": FORMAT,
            "division": division,
            "enterprises": [r.payload for r in results if r.payload],
        }
    text = json.dumps(document, ensure_ascii=False, indent=1)
    if out is not None:
        out.write_text(text + "\n", "utf-8")
    else:
        typer.echo(text)
    held = 0
    for r in results:
        counts = ", ".join(f"{k} {v}" for k, v in r.counts.items())
        console.print(f"{r.enterprise_id} {r.name}: {counts}; held back {len(r.held_back)}")
        _print_issues("held back:", r.held_back)
        held += len(r.held_back)
    if held:
        raise typer.Exit(1)


@dualprevention_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="an exchange payload (JSON)")],
    enterprise: Annotated[
        int | None, typer.Option(help="the enterprise id (default: the one the file's USCC names)")
    ] = None,
    encoding: Annotated[
        str | None, typer.Option(help="read risk levels in encoding A or B (default: as the file says)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Store an exchange file's records: all of them, or none when any record has an error (exit 2)."""
    try:
        payload = json.loads(file.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(f"{file.name}: not JSON: {exc}", EXIT_INPUT) from exc
    if encoding not in (None, "A", "B"):
        raise fail("--encoding is A or B", EXIT_INPUT)
    options: dict[str, Any] = {"risk_level_encoding": RiskLevelEncoding(encoding) if encoding else None}
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        if enterprise is None:
            report = transfer.import_for_uscc(uow.session, actor, payload, **options)
        else:
            report = transfer.import_exchange(uow.session, actor, enterprise, payload, **options)
    if as_json:
        emit_json(
            {
                "enterprise_id": report.enterprise_id,
                "stored": report.stored,
                "issues": [_issue(i) for i in report.issues],
                "notices": [_issue(i) for i in report.notices],
            }
        )
    _print_issues("error:", report.issues)
    _print_issues("notice:", report.notices)
    if not report.is_stored:
        console.print(f"[red]nothing stored: {len(report.issues)} error(s)[/red]")
        raise typer.Exit(EXIT_INPUT)
    console.print("stored: " + ", ".join(f"{k} {v}" for k, v in report.stored.items()))


@dualprevention_app.command("set-company-code")
def set_company_code(
    ctx: typer.Context,
    enterprise: Annotated[int, typer.Argument(help="the enterprise id")],
    code: Annotated[str, typer.Argument(help="its 9-digit 危化品登记 code (companyCode)")],
) -> None:
    """Record the enterprise's companyCode for exports (audited)."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        transfer.set_company_code(uow.session, actor, enterprise, code)
    console.print(f"enterprise {enterprise}: companyCode {code}")


@dualprevention_app.command("flag-reassessments")
def flag_reassessments(ctx: typer.Context) -> None:
    """Flag risk units whose hazards (found by their checks) were closed after the last assessment."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        units = service.flag_reassessments(uow.session, actor)
        for unit in units:
            console.print(f"risk unit {unit.id} ({unit.name}): {unit.reassessment_reason}")
    console.print(f"{len(units)} risk unit(s) flagged for re-assessment")
