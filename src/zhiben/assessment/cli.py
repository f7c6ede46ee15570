"""`zhiben assessment report|trace`: a division's assessment as PDF and Excel, and the records behind a KPI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from zhiben.assessment import report, service
from zhiben.assessment.domain import check_period, counts_of, kpi_of, value_of
from zhiben.assessment.schemas import assessment_read, traced
from zhiben.cli.runtime import EXIT_INPUT, console, emit_json, fail, runtime_of

assessment_app = typer.Typer(
    help="Assessment of jurisdictions (考核): KPIs, ranking, reports.", no_args_is_help=True
)

Division = Annotated[str, typer.Option(help="GB/T 2260 code of the division, e.g. 320000")]
Start = Annotated[str, typer.Option(help="first day of the period, YYYY-MM-DD (Beijing time)")]
End = Annotated[str, typer.Option(help="last day of the period, YYYY-MM-DD, included")]


def _days(start: str, end: str) -> tuple[date, date]:
    try:
        return date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as exc:
        raise fail(f"--start and --end are YYYY-MM-DD: {exc}", EXIT_INPUT) from exc


@assessment_app.command("report")
def report_command(
    ctx: typer.Context,
    division: Division,
    start: Start,
    end: End,
    pdf: Annotated[Path | None, typer.Option(dir_okay=False, help="write the PDF report here")] = None,
    xlsx: Annotated[Path | None, typer.Option(dir_okay=False, help="write the Excel workbook here")] = None,
) -> None:
    """Assess the division and its direct children; print the JSON, and write the PDF and/or Excel files."""
    period = check_period(*_days(start, end))
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow(write=False) as uow:
        found = service.assess_division(uow.session, actor, division, period)
        traces = service.traces_of(uow.session, actor, found) if xlsx else {}
    if pdf:
        pdf.write_bytes(report.render_pdf(found))
        console.print(f"PDF written: {pdf}")
    if xlsx:
        xlsx.write_bytes(report.render_xlsx(found, traces))
        console.print(f"Excel written: {xlsx}")
    if not (pdf or xlsx):
        emit_json(json.loads(assessment_read(found).model_dump_json()))


@assessment_app.command("trace")
def trace_command(
    ctx: typer.Context,
    division: Division,
    kpi: Annotated[str, typer.Option(help="a KPI code, e.g. overdue_major")],
    start: Start,
    end: End,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List the records behind one KPI of one division, and the value they give."""
    period = check_period(*_days(start, end))
    info = kpi_of(kpi)
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow(write=False) as uow:
        records = service.trace_kpi(uow.session, actor, division, kpi, period)
    counts = counts_of(records)
    value = value_of(info.kind, counts)
    if as_json:
        emit_json(
            {
                "division": division,
                "kpi": kpi,
                "count": counts.n,
                "numerator": counts.numerator,
                "value": value,
                "records": [traced(r).model_dump() for r in records],
            }
        )
        return
    for r in records:
        mark = "*" if r.in_numerator else " "
        extra = f" value={r.value:g}" if r.value is not None else ""
        related = f" inspections={','.join(map(str, r.related))}" if r.related else ""
        console.print(f"{mark} {r.record.value} {r.id} {r.label} ({r.county_code}){extra}{related}")
    console.print(f"{info.name_zh}: {counts.n} records, {counts.numerator} in numerator, value {value}")
