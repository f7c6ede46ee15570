"""Readings storage: blocks of readings per sensor, not a row per reading.

Each ingested batch stores, per sensor, one block: the times (int64 epoch milliseconds) and values
(float64) as little-endian arrays, with the first and last time and the count. A national system takes
hundreds of millions of readings a day; a row each, with its primary-key index, is what limits
ingestion (measured in bench/results/ingest.md), while a block costs one row per sensor and batch.

Stored once per (sensor, time): a block holds only readings later than the sensor's last evaluated
one, which the engine state committed with it records, so a redelivered message adds nothing. A reading
earlier than that (late) goes to `late_readings`, one row each, after checking it is not stored yet;
late readings are rare. Reading back merges both, in time order.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

import numpy as np
import numpy.typing as npt
from sqlalchemy import Table, func, insert, select
from sqlalchemy.orm import Session

from zhiben.monitoring import domain
from zhiben.monitoring.models import LateReading, ReadingBlock

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
LE_I64, LE_F64 = np.dtype("<i8"), np.dtype("<f8")


def store_blocks(session: Session, sensor_ids: Sequence[int], idx: I64, ts: I64, val: F64) -> int:
    """One block per sensor of readings already known to be new (later than the sensor's last), in the
    order given. `idx` indexes `sensor_ids`. Returns the number of blocks."""
    if len(idx) == 0:
        return 0
    order = np.argsort(idx, kind="stable")
    s_idx, s_ts, s_val = idx[order], ts[order], val[order]
    starts = np.flatnonzero(np.r_[True, s_idx[1:] != s_idx[:-1]])
    ends = np.r_[starts[1:], len(s_idx)]
    rows = [
        {
            "sensor_id": sensor_ids[int(s_idx[a])],
            "first_ms": int(s_ts[a]),
            "last_ms": int(s_ts[b - 1]),
            "count": int(b - a),
            "ts_ms": s_ts[a:b].astype(LE_I64).tobytes(),
            "values": s_val[a:b].astype(LE_F64).tobytes(),
        }
        for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
    ]
    session.execute(insert(cast(Table, ReadingBlock.__table__)), rows)  # Core: no ORM bookkeeping
    return len(rows)


def _in_blocks(session: Session, sensor_id: int, ts_ms: int) -> bool:
    query = select(ReadingBlock.ts_ms).where(
        ReadingBlock.sensor_id == sensor_id, ReadingBlock.first_ms <= ts_ms, ReadingBlock.last_ms >= ts_ms
    )
    return any(ts_ms in np.frombuffer(blob, dtype=LE_I64) for blob in session.scalars(query))


def store_late(session: Session, sensor_ids: Sequence[int], idx: I64, ts: I64, val: F64) -> int:
    """Late readings, each unless it is stored already (in a block or as a late row). Returns how many
    were new."""
    stored, seen = 0, set[tuple[int, int]]()
    for i, t, v in zip(idx.tolist(), ts.tolist(), val.tolist(), strict=True):
        key = (sensor_ids[i], t)
        if key in seen or session.get(LateReading, key) is not None or _in_blocks(session, *key):
            continue
        seen.add(key)
        session.add(LateReading(sensor_id=key[0], ts_ms=t, value=v))
        stored += 1
    session.flush()
    return stored


def series(
    session: Session, sensor_id: int, since: datetime | None = None, until: datetime | None = None
) -> tuple[I64, F64]:
    """One sensor's readings in [since, until), oldest first: epoch milliseconds and values."""
    low = domain.to_ms(since) if since else None
    high = domain.to_ms(until) if until else None
    blocks = select(ReadingBlock.ts_ms, ReadingBlock.values).where(ReadingBlock.sensor_id == sensor_id)
    late = select(LateReading.ts_ms, LateReading.value).where(LateReading.sensor_id == sensor_id)
    if low is not None:
        blocks, late = blocks.where(ReadingBlock.last_ms >= low), late.where(LateReading.ts_ms >= low)
    if high is not None:
        blocks, late = blocks.where(ReadingBlock.first_ms < high), late.where(LateReading.ts_ms < high)
    ts_parts, val_parts = [], []
    for ts_blob, val_blob in session.execute(blocks):
        ts_parts.append(np.frombuffer(ts_blob, dtype=LE_I64).astype(np.int64))
        val_parts.append(np.frombuffer(val_blob, dtype=LE_F64).astype(np.float64))
    late_rows = session.execute(late).all()
    if late_rows:
        ts_parts.append(np.array([r[0] for r in late_rows], dtype=np.int64))
        val_parts.append(np.array([r[1] for r in late_rows], dtype=np.float64))
    if not ts_parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    ts, val = np.concatenate(ts_parts), np.concatenate(val_parts)
    keep = np.ones(len(ts), dtype=bool)
    if low is not None:
        keep &= ts >= low
    if high is not None:
        keep &= ts < high
    ts, val = ts[keep], val[keep]
    order = np.argsort(ts, kind="stable")
    return ts[order], val[order]


def count(session: Session, sensor_ids: Sequence[int] | None = None) -> int:
    """How many readings are stored (for these sensors)."""
    blocks = select(func.coalesce(func.sum(ReadingBlock.count), 0))
    late = select(func.count()).select_from(LateReading)
    if sensor_ids is not None:
        blocks = blocks.where(ReadingBlock.sensor_id.in_(sensor_ids))
        late = late.where(LateReading.sensor_id.in_(sensor_ids))
    return int(session.scalar(blocks) or 0) + int(session.scalar(late) or 0)
