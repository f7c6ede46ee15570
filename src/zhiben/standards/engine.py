"""Determination: which clauses of which pack versions an enterprise's facts meet. Pure, per record.

The packs that apply are chosen by sector and date: a pack applies to a sector, or to the family of a
sub-sector (industry_trade_textile → industry_trade), and is in force from its effective date up to,
not including, its successor's. A clause is met when its condition is true; when it depends on facts
not given, the facts still missing are listed instead (a missing fact is neither true nor false).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from zhiben.enterprise.domain import SECTOR_BY_CODE, sector_family
from zhiben.standards.expr import evaluate
from zhiben.standards.pack import RulePack


@dataclass(frozen=True)
class Met:
    """A clause that the facts meet: a major accident hazard under it."""

    pack: str
    version: str
    checksum: str
    clause: str
    citation: str
    verification: str
    facts: dict[str, Any]  # the facts the clause read, as given


@dataclass(frozen=True)
class Determination:
    met: tuple[Met, ...]
    missing: tuple[str, ...]  # facts that would decide clauses still open, sorted
    packs: tuple[tuple[str, str], ...]  # (pack, version) applied

    @property
    def is_major(self) -> bool:
        return bool(self.met)


def family(sector: str) -> str:
    return (
        sector.split("_", 2)[0] + "_" + sector.split("_", 2)[1]
        if sector.startswith("industry_trade_")
        else sector
    )


def applicable(packs: Iterable[RulePack], sector: str, on: date, *, drafts: bool = False) -> list[RulePack]:
    sectors = {sector, sector_family(sector)} if sector in SECTOR_BY_CODE else {sector}
    return [
        p
        for p in packs
        if sectors & set(p.spec.applies_to.sectors)
        and p.in_force(on)
        and (drafts or p.spec.status == "released")
    ]


def determine(
    packs: Iterable[RulePack], sector: str, facts: Mapping[str, Any], on: date, *, drafts: bool = False
) -> Determination:
    chosen = applicable(packs, sector, on, drafts=drafts)
    met, missing = [], set()
    for pack in chosen:
        for clause in pack.clauses:
            result = evaluate(clause.condition, facts)
            if result is True:
                used = {name: facts.get(name) for name in sorted(clause.facts) if facts.get(name) is not None}
                met.append(
                    Met(
                        pack.id,
                        pack.version,
                        pack.checksum,
                        clause.spec.id,
                        clause.spec.citation,
                        clause.spec.verification,
                        used,
                    )
                )
            elif result is None:
                missing |= {name for name in clause.facts if facts.get(name) is None}
    return Determination(tuple(met), tuple(sorted(missing)), tuple((p.id, p.version) for p in chosen))
