"""`zhiben simulate`: live readings for the registered sensors, into the database through the Ingestor
(the embedded default: no broker) or published to an MQTT broker for the ingestion workers."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated, Any, Protocol

import typer
from rich.console import Console
from sqlalchemy import Engine

from zhiben.db.engine import make_session_factory
from zhiben.db.uow import UnitOfWork
from zhiben.kit.clock import Clock
from zhiben.monitoring import simulate

console = Console(stderr=True)
EXIT_INPUT = 2


class CliRuntime(Protocol):
    """What this command needs of the CLI's runtime (zhiben.cli.runtime.Runtime)."""

    engine: Engine
    clock: Clock

    def require_migrated(self) -> None: ...

    def uow(self, write: bool = True) -> UnitOfWork: ...


def _runtime(ctx: typer.Context) -> CliRuntime:
    rt: Any = ctx.find_root().obj
    if rt is None:
        raise RuntimeError("zhiben simulate runs under the zhiben command")
    rt.require_migrated()
    return rt  # type: ignore[no-any-return]


def simulate_command(
    ctx: typer.Context,
    mqtt: Annotated[
        str | None,
        typer.Option(
            help="publish to this broker (mqtt://host:port), QoS 1, instead of ingesting in-process"
        ),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            min=0.001, help="readings per second in all (default: each sensor at its sampling period)"
        ),
    ] = None,
    duration: Annotated[
        float | None, typer.Option(min=0.1, help="seconds to run (default: until Ctrl-C)")
    ] = None,
    seed: Annotated[int, typer.Option(help="the random seed; the same seed gives the same streams")] = 2026,
    tick: Annotated[float, typer.Option(min=0.05, help="seconds between batches")] = 1.0,
    enterprise: Annotated[
        list[int] | None, typer.Option(help="only this enterprise's sensors (repeatable; default: all)")
    ] = None,
) -> None:
    """Stream simulated readings for the registered sensors (methane with shifts and excursions, tank
    fill/drain cycles, dropouts, flat lines, spikes) until Ctrl-C or --duration."""
    rt = _runtime(ctx)
    with rt.uow(write=False) as uow:
        points = simulate.stored_points(uow.session, enterprise)
    if not points:
        console.print("[red]error:[/red] no sensors to simulate; seed the demo (`zhiben demo seed`) first")
        raise typer.Exit(EXIT_INPUT)
    if rate is not None:
        points = simulate.at_rate(points, rate)
    sim = simulate.Simulator(points, seed)
    firms = len({p.enterprise_id for p in points})
    target = mqtt or "the database (in-process)"
    console.print(
        f"simulating {len(points)} sensors of {firms} enterprises, ~{sim.readings_per_s:,.1f} readings/s, into {target}"
    )
    if mqtt is not None:
        totals = _publish(mqtt, sim, rt.clock, tick, duration)
    else:
        totals = _ingest(rt, sim, tick, duration)
    report = totals.ingest
    console.print(
        f"stopped: {totals.batches} batches, {totals.readings:,} readings, {totals.messages:,} messages"
        + ("" if mqtt else f"; {report.stored:,} stored, {report.alarms_opened} alarms opened")
    )


def _ingest(rt: CliRuntime, sim: simulate.Simulator, tick: float, duration: float | None) -> simulate.Totals:
    feeder = simulate.Feeder(make_session_factory(rt.engine), rt.clock, sim, tick_s=tick, duration_s=duration)
    feeder.start()
    try:
        while feeder.is_alive():
            feeder.join(0.25)
    except KeyboardInterrupt:
        console.print("stopping…")
    finally:
        feeder.stop()
    return feeder.totals


def _publish(
    url: str, sim: simulate.Simulator, clock: Clock, tick: float, duration: float | None
) -> simulate.Totals:
    try:
        import aiomqtt
    except ModuleNotFoundError as exc:
        console.print("[red]error:[/red] publishing needs aiomqtt: pip install 'zhiben[mqtt]'")
        raise typer.Exit(1) from exc
    try:
        simulate.BrokerAddress.of(url)
    except ValueError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(EXIT_INPUT) from exc
    totals = simulate.Totals()
    client_id = f"zhiben-simulator-{os.getpid()}"
    try:
        asyncio.run(
            simulate.publish(
                url, sim, clock, tick_s=tick, duration_s=duration, client_id=client_id, totals=totals
            )
        )
    except KeyboardInterrupt:
        console.print("stopping…")
    except aiomqtt.MqttError as exc:
        console.print(f"[red]error:[/red] the broker at {url}: {exc}")
        raise typer.Exit(1) from exc
    return totals
