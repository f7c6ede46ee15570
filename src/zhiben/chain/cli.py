"""`zhiben chain`: the gap and overlap report of the whole chain, seeding the national matrix, and the
overdue-referral job."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from zhiben.chain import service
from zhiben.chain.domain import Assignment, CellReport, ChainReport
from zhiben.cli.runtime import console, emit_json, runtime_of

chain_app = typer.Typer(
    help="One thing, whole chain (一件事全链条): departments per stage.", no_args_is_help=True
)


def _cell_json(cell: CellReport) -> dict[str, Any]:
    def one(a: Assignment) -> dict[str, str]:
        return {
            "department": a.department,
            "role": a.role.value,
            "division": a.division_code,
            "basis": a.basis,
        }

    return {
        "thing": cell.thing,
        "stage": cell.stage.value,
        "leads": [one(a) for a in cell.leads],
        "supports": [one(a) for a in cell.supports],
    }


def report_json(report: ChainReport) -> dict[str, Any]:
    return {
        "division": report.division_code,
        "gaps": [_cell_json(c) for c in report.gaps],
        "overlaps": [_cell_json(c) for c in report.overlaps],
        "cells": [_cell_json(c) for c in report.cells],
    }


@chain_app.command("report")
def report(
    ctx: typer.Context,
    division: Annotated[str, typer.Option(help="2, 4 or 6 digits; default: the nation")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """List the stages nobody leads (gaps) and the stages two or more departments lead (overlaps)."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    with rt.uow(write=False) as uow:
        result = service.report_for(uow.session, rt.principal(), division)
    if as_json:
        emit_json(report_json(result))
        return
    ref = service.reference()
    stage_zh = {s.code: s.zh for s in ref.stages}
    table = Table(title=f"一件事全链条 {result.division_code or '全国 national'}")
    for column in ("thing 事项", "stage 环节", "lead 牵头", "support 配合", "finding"):
        table.add_column(column)
    for cell in result.cells:
        finding = (
            "[red]gap 无人牵头[/red]"
            if cell.is_gap
            else "[yellow]overlap 多头牵头[/yellow]"
            if cell.is_overlap
            else ""
        )
        table.add_row(
            ref.things[cell.thing].zh,
            stage_zh[cell.stage.value],
            ", ".join(ref.departments[a.department].zh for a in cell.leads) or "—",
            ", ".join(ref.departments[a.department].zh for a in cell.supports) or "—",
            finding,
        )
    console.print(table)
    console.print(f"{len(result.gaps)} gaps, {len(result.overlaps)} overlaps of {len(result.cells)} stages")


@chain_app.command("seed")
def seed(ctx: typer.Context) -> None:
    """Store the national default matrix (data/things.yaml) as national assignments (idempotent, audited)."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    with rt.uow() as uow:
        count = service.seed_national_matrix(uow.session, rt.principal())
    console.print(f"{count} national assignments stored")


@chain_app.command("mark-overdue")
def mark_overdue(ctx: typer.Context) -> None:
    """Mark referrals not acknowledged by their deadline as overdue (what the scheduler runs)."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    total = 0
    while True:
        with rt.uow() as uow:
            done = service.mark_overdue_referrals(uow.session, rt.principal())
        total += done
        if done < 500:
            break
    console.print(f"{total} referrals newly overdue")
