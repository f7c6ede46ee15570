"""`zhiben monitoring coal-mine-code | coal-import | coal-watch`: coal-mine networking upload files
(CDDY / CDSS / YCBJ) from files or a watched folder. The rules are in `coal_ingest`.

The watched folder (`coal-watch ENTERPRISE DIR`) is worked from its contents alone, so a restart
resumes where it stopped: every scan takes the files directly in DIR in name order (a mine's CDDY
sorts before its CDSS and YCBJ), each in its own transaction, and then moves a stored or unsupported
file to DIR/done and a quarantined one to DIR/quarantine with a `.reason.txt` beside it. A file still
being written (no `||` at its end) stays where it is and is tried again on the next scan, until it has
not changed for 10 minutes (its modification time): then it is quarantined. A crash between the commit
and the move only means the file is read again, which stores nothing twice.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from zhiben.cli.runtime import EXIT_INPUT, Runtime, console, emit_json, runtime_of
from zhiben.monitoring.coal_ingest import (
    INCOMPLETE_GRACE_S,
    MAX_FILE_BYTES,
    CoalFileReport,
    Outcome,
    bind_mine_code,
    ingest_coal_file,
    reason_text,
)
from zhiben.monitoring.ingest import Ingestor

Ingest = Callable[[str, bytes, bool], CoalFileReport]  # (name, data, incomplete_is_final)
SHOWN_PROBLEMS = 20


def _ingest_with(rt: Runtime, enterprise_id: int) -> Ingest:
    actor = rt.principal()
    ingestor = Ingestor()
    quarantine_dir = rt.settings.data_dir / "quarantine"

    def run(name: str, data: bytes, is_final: bool) -> CoalFileReport:
        with rt.uow() as uow:
            return ingest_coal_file(
                uow.session, actor, enterprise_id, name, data, ingestor,
                quarantine_dir=quarantine_dir, incomplete_is_final=is_final,
            )  # fmt: skip

    return run


def _read(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(MAX_FILE_BYTES + 1)  # a larger file is quarantined as too large


def _summary(report: CoalFileReport) -> str:
    parts = {
        "sensors +": report.sensors_created, "sensors ~": report.sensors_updated,
        "readings": report.readings_stored, "duplicates": report.readings_duplicate,
        "alarms opened": report.alarms_opened, "abnormal +": report.abnormal_created,
        "abnormal ~": report.abnormal_updated, "problems": len(report.problems),
    }  # fmt: skip
    text = ", ".join(f"{k} {v}" for k, v in parts.items() if v)
    return text or report.reason or "nothing new"


def _print(report: CoalFileReport) -> None:
    colour = {Outcome.stored: "green", Outcome.quarantined: "red"}.get(report.outcome, "yellow")
    console.print(f"[{colour}]{report.outcome.value}[/{colour}] {report.name}: {_summary(report)}")
    if report.outcome is Outcome.quarantined:
        console.print(f"  reason: {report.reason}")
    for problem in report.problems[:SHOWN_PROBLEMS]:
        console.print(f"  line {problem.line}, record {problem.record}: {problem.reason}")
    if len(report.problems) > SHOWN_PROBLEMS:
        console.print(f"  … and {len(report.problems) - SHOWN_PROBLEMS} more problems")
    for item in report.looser_limits:
        console.print(f"  [yellow]looser than the regulation[/yellow] {item.point_code}: {item.text()}")
    if report.unknown_points:
        console.print(
            f"  points with no sensor (send the CDDY first): {', '.join(report.unknown_points[:10])}"
        )


def coal_mine_code(
    ctx: typer.Context,
    enterprise_id: Annotated[int, typer.Argument(help="the enterprise (its id)")],
    mine_code: Annotated[str, typer.Argument(help="煤矿编码 as the upload files carry it (12 digits)")],
    mine_name: Annotated[str, typer.Option(help="煤矿名称")] = "",
) -> None:
    """Bind a mine code (煤矿编码) to an enterprise, so its upload files are accepted for it."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        row = bind_mine_code(uow.session, actor, enterprise_id, mine_code, mine_name)
        console.print(f"mine code {row.mine_code} is enterprise {row.enterprise_id}'s")


def coal_import(
    ctx: typer.Context,
    enterprise_id: Annotated[int, typer.Argument(help="the enterprise (its id)")],
    files: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, readable=True, help="CDDY / CDSS / YCBJ files"),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="the reports as stable JSON on stdout")] = False,
) -> None:
    """Ingest coal-mine upload files of an enterprise, in the order given (a CDDY before the CDSS that
    uses its points). Exit 0 when every file was stored (or is a type zhiben does not parse), 2 when
    any was quarantined or is still incomplete."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    run = _ingest_with(rt, enterprise_id)
    reports = [run(path.name, _read(path), False) for path in files]
    if as_json:
        emit_json({"files": [r.as_dict() for r in reports]})
    else:
        for report in reports:
            _print(report)
    if any(r.outcome in (Outcome.quarantined, Outcome.incomplete) for r in reports):
        raise typer.Exit(EXIT_INPUT)


def _pending(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    os.replace(path, target)  # a file of the same name there is the same file read again
    return target


def scan_folder(folder: Path, run: Ingest, now_s: float) -> list[CoalFileReport]:
    """One pass over the folder (see the module docstring); `now_s` is the time to age files against."""
    reports = []
    for path in _pending(folder):
        try:
            data, changed_s = _read(path), path.stat().st_mtime
        except FileNotFoundError:  # taken away meanwhile
            continue
        report = run(path.name, data, now_s - changed_s >= INCOMPLETE_GRACE_S)
        reports.append(report)
        if report.outcome is Outcome.incomplete:
            continue
        if report.outcome is Outcome.quarantined:
            moved = _move(path, folder / "quarantine")
            moved.with_name(moved.name + ".reason.txt").write_text(reason_text(report), "utf-8")
        else:
            _move(path, folder / "done")
    return reports


def coal_watch(
    ctx: typer.Context,
    enterprise_id: Annotated[int, typer.Argument(help="the enterprise (its id)")],
    folder: Annotated[
        Path, typer.Argument(exists=True, file_okay=False, help="the folder the mine's files land in")
    ],
    interval: Annotated[float, typer.Option(min=0.1, help="seconds between scans")] = 10.0,
    once: Annotated[bool, typer.Option("--once", help="scan once and exit")] = False,
) -> None:
    """Watch a folder for coal-mine upload files of an enterprise: ingest new complete files in name
    order, move them to DIR/done or DIR/quarantine, retry incomplete ones, and quarantine one still
    incomplete after 10 minutes. Works from the folder's contents, so it survives a restart."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    run = _ingest_with(rt, enterprise_id)
    while True:
        for report in scan_folder(folder, run, rt.clock.now().timestamp()):
            if report.outcome is not Outcome.incomplete:
                _print(report)
        if once:
            return
        time.sleep(interval)
