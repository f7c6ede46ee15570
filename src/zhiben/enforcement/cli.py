"""`zhiben enforcement verify-draw`: recompute a double-random draw from its published inputs and seed."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from zhiben.cli.runtime import EXIT_INPUT, console, emit_json, fail, runtime_of
from zhiben.enforcement import draw, service

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
