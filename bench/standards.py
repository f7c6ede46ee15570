"""Standards benchmark: bulk determination of 1,000,000 synthetic enterprises against every applicable pack,
and the per-record engine on a sample of the same rows, in one run."""

from __future__ import annotations

import time
from datetime import date

import polars as pl

from zhiben.demo.generate import SECTOR_WEIGHTS
from zhiben.standards.bulk import determine_table
from zhiben.standards.engine import applicable, determine
from zhiben.standards.pack import RulePack, load_all

ON = date(2025, 6, 1)
SAMPLE = 2_000


def _facts_frame(packs: list[RulePack], rows: int, seed: int) -> pl.DataFrame:
    """Random but reproducible facts: numbers with two decimals, yes/no mostly no, about 5 % missing."""
    index = pl.int_range(0, rows, eager=True)
    columns: dict[str, pl.Series] = {}
    for pack in packs:
        for number, (name, fact) in enumerate(pack.spec.facts.items()):
            h = (index * 2654435761 + (seed * 1000 + number) * 40503) % 1_000_003
            missing = (h % 20) == 0
            if fact.type == "number":
                values = (h % 2_000_000).cast(pl.Float64) / 100
            elif fact.type == "boolean":
                values = (h % 40) == 1
            else:
                values = (h % 3).cast(pl.String)
            columns[name] = pl.select(pl.when(missing).then(None).otherwise(values)).to_series().alias(name)
    return pl.DataFrame(list(columns.values())) if columns else pl.DataFrame({"_": index})


def run(total: int = 1_000_000) -> str:
    packs = load_all()
    weight_sum = sum(SECTOR_WEIGHTS.values())
    lines = [
        "| sector | rows | clauses | bulk s | major rows | per-record µs/row | bulk µs/row | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    bulk_total = per_record_total = 0.0
    rows_total = 0
    for seed, (sector, weight) in enumerate(sorted(SECTOR_WEIGHTS.items())):
        rows = max(1, round(total * weight / weight_sum))
        chosen = applicable(packs, sector, ON, drafts=True)
        clauses = sum(len(p.clauses) for p in chosen)
        frame = _facts_frame(chosen, rows, seed)
        start = time.perf_counter()
        table = determine_table(chosen, sector, frame, ON, drafts=True)
        bulk_s = time.perf_counter() - start
        major = table.select(pl.any_horizontal(pl.all().fill_null(False)).sum()).item() if table.width else 0
        sample = frame.head(SAMPLE).to_dicts()
        start = time.perf_counter()
        for record in sample:
            determine(chosen, sector, record, ON, drafts=True)
        per_row = (time.perf_counter() - start) / len(sample)
        bulk_row = bulk_s / rows
        bulk_total += bulk_s
        per_record_total += per_row * rows
        rows_total += rows
        ratio = f"{per_row / bulk_row:.0f}×" if bulk_row else "—"
        lines.append(
            f"| {sector} | {rows:,} | {clauses} | {bulk_s:.2f} | {major:,} | {per_row * 1e6:.1f} | "
            f"{bulk_row * 1e6:.2f} | {ratio} |"
        )
    head = [
        "# Standards benchmark",
        "",
        f"Run `make bench` (this table: `python -m bench.run standards`). {rows_total:,} synthetic enterprises, "
        f"sectors in the demo's proportions, facts drawn reproducibly (about 5 % missing), every pack (drafts included) in force "
        f"on {ON}; 2 cores. Per-record time is measured on the first {SAMPLE:,} rows of each sector in the same run.",
        "",
        f"- bulk (polars, exact decimals): **{bulk_total:.1f} s** for all {rows_total:,} enterprises (goal ≤ 10 s)",
        f"- per-record engine, extrapolated from the samples: {per_record_total:.0f} s "
        f"(**{per_record_total / bulk_total:.0f}×** the bulk time)",
        "",
    ]
    return "\n".join(head + lines) + "\n"
