"""`zhiben demo`: the demo platform on the embedded default; `zhiben demo seed`: a data set of a chosen scale."""

from __future__ import annotations

import json
from datetime import datetime, time
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import func, select

from zhiben.auth.models import User
from zhiben.cli.runtime import Runtime, console, runtime_of
from zhiben.db.engine import make_session_factory, vacuum_analyze
from zhiben.db.schema import upgrade
from zhiben.demo import generate, load
from zhiben.demo.governance import seed_governance
from zhiben.division import service as divisions
from zhiben.kit.clock import SHANGHAI
from zhiben.monitoring import domain, simulate

demo_app = typer.Typer(help="The demo platform and synthetic data sets.")
LIVE_TICK_S = 5.0
LIVE_FAULTS = simulate.Faults(dropout=0.003, stuck=0.002, spike=0.0002)  # sensors that died stay silent
BACKFILL_MS = 3_600_000  # after a pause, readings missed are sent late, up to an hour of them


def _prepare(rt: Runtime) -> None:
    upgrade(rt.engine)
    with rt.uow() as uow:
        divisions.load_divisions(uow.session, rt.principal())


def _seed(rt: Runtime, scale: str, seed: int, as_of: datetime) -> dict[str, Any]:
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(pulse_style="cyan"),
        TextColumn("{task.completed:,}"),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(table: str, written: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(f"写入 {table}", total=None)
            bar.update(tasks[table], completed=written)

        with rt.uow() as uow:
            counts: dict[str, Any] = dict(load.seed(uow.session, rt.principal(), scale, seed, as_of, progress))
            if not uow.session.scalar(select(func.count()).select_from(User)):
                load.create_accounts(uow.session, rt.principal(), as_of)
                made = seed_governance(uow.session, rt.principal())
                counts["governance"] = made.counts
                console.print(f"demo tip-off receipt code (follow it at /tipoff/status): {made.receipt_code}")
        vacuum_analyze(rt.engine)
    return counts


def _print_accounts() -> None:
    table = Table("用户名 username", "密码 password", "角色 role", "说明 who")
    for account in load.ACCOUNTS:
        table.add_row(account.username, load.DEMO_PASSWORD, account.role.value, account.description)
    console.print(table)


def _as_of(rt: Runtime, value: str | None) -> datetime:
    if value:
        day = datetime.strptime(value, "%Y-%m-%d").date()
        return datetime.combine(day, time(9, 0), SHANGHAI)
    return rt.clock.now()


def _start_simulator(rt: Runtime, seed: int) -> simulate.Feeder | None:
    """A background thread feeding the demo's sensors through the Ingestor every few seconds."""
    with rt.uow(write=False) as uow:
        points = simulate.stored_points(uow.session, offline_silent=True)
        last = simulate.latest_reading_ms(uow.session)
    if not points:
        return None
    now = domain.to_ms(rt.clock.now())
    start = max(min(last or now, now), now - BACKFILL_MS)
    sim = simulate.Simulator(points, seed, faults=LIVE_FAULTS, excursions_per_day=load.DEMO_EXCURSIONS)
    feeder = simulate.Feeder(
        make_session_factory(rt.engine), rt.clock, sim, tick_s=LIVE_TICK_S, start_ms=start
    )
    feeder.start()
    console.print(
        f"simulating {len(points)} sensors (~{sim.readings_per_s:.0f} readings/s); --no-simulate to stop it"
    )
    return feeder


@demo_app.callback(invoke_without_command=True)
def demo(
    ctx: typer.Context,
    host: str = "127.0.0.1",
    port: int = 8000,
    serve: Annotated[bool, typer.Option(help="serve after seeding")] = True,
    simulate_live: Annotated[
        bool, typer.Option("--simulate/--no-simulate", help="feed the demo's sensors live while serving")
    ] = True,
) -> None:
    """Migrate, seed the small data set if the database is empty, print the accounts and serve (with
    the sensor simulator feeding the demo's sensors in-process)."""
    if ctx.invoked_subcommand is not None:
        return
    rt = runtime_of(ctx)
    console.print(f"database: {rt.engine.url.render_as_string(hide_password=True)}")
    _prepare(rt)
    with rt.uow(write=False) as uow:
        seeded = bool(uow.session.scalar(select(func.count()).select_from(User)))
    if not seeded:
        counts = _seed(rt, "small", 2026, rt.clock.now())
        console.print(f"seeded: {json.dumps(counts)}")
    _print_accounts()
    if serve:
        import uvicorn

        from zhiben.web.app import create_app

        feeder = _start_simulator(rt, 2026) if simulate_live else None
        console.print(f"serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
        try:
            uvicorn.run(create_app(rt.settings, engine=rt.engine), host=host, port=port, log_level="warning")
        finally:
            if feeder is not None:
                feeder.stop()


@demo_app.command("seed")
def seed_command(
    ctx: typer.Context,
    scale: Annotated[str, typer.Option(help="small | province | nation")] = "small",
    seed: Annotated[int, typer.Option(help="the random seed; the same seed gives the same data")] = 2026,
    as_of: Annotated[
        str | None, typer.Option(help="the data set's 'today', YYYY-MM-DD (default: now)")
    ] = None,
) -> None:
    """Seed an empty database with a synthetic data set over the real divisions."""
    if scale not in generate.SCALES:
        raise typer.BadParameter(f"scale is one of {', '.join(generate.SCALES)}", param_hint="--scale")
    rt = runtime_of(ctx)
    _prepare(rt)
    counts = _seed(rt, scale, seed, _as_of(rt, as_of))
    console.print(json.dumps(counts))
