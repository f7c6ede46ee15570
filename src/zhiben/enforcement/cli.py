"""`zhiben enforcement verify-draw`: recompute a double-random draw from its published inputs and seed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from zhiben.cli.runtime import EXIT_INPUT, console, emit_json, fail, runtime_of
from zhiben.enforcement import draw, officers, programmes, service

enforcement_app = typer.Typer(help="Enforcement (执法): plans, draws and inspections.", no_args_is_help=True)


@enforcement_app.command("verify-draw")
def verify_draw(
    ctx: typer.Context,
    draw_id: Annotated[int | None, typer.Argument(help="the plan whose draw to verify")] = None,
    record: Annotated[
        Path | None,
        typer.Option(exists=True, dir_okay=False, help="a draw record (JSON) given to you instead"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Recompute the draw (commitment, inputs hash, every selection) and say what differs; exit 1 if any."""
    if (draw_id is None) == (record is None):
        raise fail("give a plan id, or --record FILE", EXIT_INPUT)
    if record is not None:
        try:
            result = draw.verify_json(record.read_text("utf-8"))
        except (ValueError, KeyError, UnicodeDecodeError) as exc:
            raise fail(f"{record.name}: not a draw record: {exc}", EXIT_INPUT) from exc
    else:
        assert draw_id is not None
        rt = runtime_of(ctx)
        rt.require_migrated()
        with rt.uow(write=False) as uow:
            result = service.verify_plan(uow.session, draw_id)
    if as_json:
        emit_json({"valid": result.is_valid, "problems": list(result.problems)})
    elif result.is_valid:
        console.print("the draw verifies: commitment, inputs and every selection recomputed")
    else:
        for problem in result.problems:
            console.print(f"[red]{problem}[/red]")
    if not result.is_valid:
        raise typer.Exit(1)


@enforcement_app.command("officer-profile")
def officer_profile(
    ctx: typer.Context,
    user: Annotated[str, typer.Argument(help="the officer's user id or username")],
    certificate: Annotated[str, typer.Option(help="the enforcement certificate number (执法证号)")],
    valid_until: Annotated[str, typer.Option(help="the certificate's last valid day, YYYY-MM-DD")],
    sectors: Annotated[str, typer.Option(help="sector codes the officer is qualified for, a,b")] = "",
    home: Annotated[str | None, typer.Option(help="where the officer is based: LON,LAT")] = None,
    cap_per_week: Annotated[int, typer.Option(help="inspections a week at most")] = 2,
) -> None:
    """Record an officer's certificate, sectors, home and weekly cap (audited); teams need it."""
    try:
        until = date.fromisoformat(valid_until)
        lon, lat = (float(v) for v in home.split(",")) if home else (None, None)
    except ValueError as exc:
        raise fail(f"--valid-until is YYYY-MM-DD and --home is LON,LAT: {exc}", EXIT_INPUT) from exc
    draft = officers.ProfileDraft(
        certificate, until, tuple(s.strip() for s in sectors.split(",") if s.strip()), lon, lat, cap_per_week
    )
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        saved = officers.set_profile(uow.session, actor, officers.officer_id_of(uow.session, user), draft)
        document = officers.document(saved)
    emit_json(document)


@enforcement_app.command("programmes")
def list_programmes(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The emphasis programmes (专项检查) a plan may name: code, sectors, selection rule, questions."""
    catalogue = programmes.load_catalogue()
    if as_json:
        emit_json(
            {"version": catalogue.version, "items": [programmes.document(p) for p in catalogue.programmes]}
        )
        return
    table = Table(title=f"专项检查 emphasis programmes {catalogue.version}")
    table.add_column("code 编号", no_wrap=True)
    for column in ("title 名称", "status", "sectors 行业", "selects 选取", "questions 问题"):
        table.add_column(column)
    for p in catalogue.programmes:
        rule = (
            "all 全部"
            if p.selects_all
            else "open hazards 未销号隐患: "
            + "; ".join(
                f"{r.pack} {','.join(sorted(r.clauses, key=programmes.clause_order)) if r.clauses else '*'}"
                for r in p.open_hazards
            )
        )
        status = "example 平台示例" if p.status == "example" else f"official {p.document}"
        table.add_row(p.code, p.title.zh, status, "\n".join(p.sectors), rule, str(len(p.questions)))
    console.print(table)
