"""`zhiben monitoring replay`: readings from a CSV or Parquet file into the database, through the same
ingestion as MQTT (idempotent, so a replay that stopped half-way can simply be run again).

Columns: `sensor` (the point code registered for the enterprise), `ts` (ISO 8601 with an offset, or epoch
milliseconds) and `value`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import polars as pl
import typer

from zhiben.cli.runtime import EXIT_INPUT, console, fail, progress_bar, runtime_of
from zhiben.enterprise import service as enterprises
from zhiben.monitoring import domain
from zhiben.monitoring.ingest import Ingestor, IngestReport, Message, Parsed

CHUNK = 200_000


def _frame(path: Path) -> pl.DataFrame:
    try:
        frame = (
            pl.read_parquet(path)
            if path.suffix.lower() == ".parquet"
            else pl.read_csv(path, infer_schema=False)
        )
    except (pl.exceptions.PolarsError, OSError, UnicodeDecodeError) as exc:
        raise fail(f"{path.name}: cannot be read: {exc}", EXIT_INPUT) from exc
    missing = {"sensor", "ts", "value"} - set(frame.columns)
    if missing:
        raise fail(f"{path.name}: missing columns {sorted(missing)} (sensor, ts, value)", EXIT_INPUT)
    return frame.select("sensor", "ts", "value")


def _epoch_ms(column: pl.Series) -> pl.Series:
    if column.dtype.is_integer():
        return column.cast(pl.Int64)
    if column.dtype == pl.Datetime or isinstance(column.dtype, pl.Datetime):
        return column.dt.epoch("ms")
    text = column.cast(pl.String)
    if text.str.contains(r"^\d+$").all():
        return text.cast(pl.Int64)
    parsed = text.str.to_datetime(time_zone="UTC", strict=False)
    bad = parsed.is_null() | ~text.str.contains(r"(Z|[+-]\d{2}:?\d{2})$")
    if bad.any():
        row = int(bad.arg_max() or 0)
        raise ValueError(f"row {row + 2}: ts {text[row]!r} is not ISO 8601 with an offset, nor epoch ms")
    return parsed.dt.epoch("ms")


def replay(
    ctx: typer.Context,
    enterprise: Annotated[int, typer.Option(help="the enterprise whose sensors the readings are")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="a .csv or .parquet file")],
) -> None:
    """Ingest a file of readings (CSV or Parquet: sensor, ts, value) as if a gateway had sent them."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    principal = rt.principal()
    with rt.uow(write=False) as uow:
        enterprises.get_enterprise(uow.session, principal, enterprise)  # in the caller's scope
    frame = _frame(file)
    try:
        ts = _epoch_ms(frame["ts"]).to_numpy()
        values = frame["value"].cast(pl.Float64, strict=True).to_numpy()
    except (ValueError, pl.exceptions.PolarsError) as exc:
        raise fail(f"{file.name}: {exc}", EXIT_INPUT) from exc
    if not np.isfinite(values).all():
        raise fail(f"{file.name}: every value must be a finite number", EXIT_INPUT)
    codes = frame["sensor"].cast(pl.String).to_list()
    ingestor, total = Ingestor(), IngestReport()
    with progress_bar("replaying") as bar:
        task = bar.add_task("readings", total=len(codes))
        for start in range(0, len(codes), CHUNK):
            part = slice(start, start + CHUNK)
            parsed = Parsed(codes[part], ts[part].astype(np.int64), values[part].astype(np.float64))
            message = Message(enterprise, "file", file.name, b"", parsed)
            end = domain.from_ms(int(parsed.ts_ms.max()))  # history: judge silence by the file's clock
            with rt.uow() as uow:
                total.add(ingestor.ingest(uow.session, [message], until=end))
            bar.update(task, advance=len(parsed.codes))
    console.print(
        f"{total.readings} readings: {total.stored} stored, {total.duplicates} already stored, "
        f"{total.late} late, {total.unknown} of unknown sensors; {total.alarms_opened} alarms opened"
    )
    if total.unknown:
        raise typer.Exit(EXIT_INPUT)
