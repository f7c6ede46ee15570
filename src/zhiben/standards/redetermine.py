"""Re-determination: when a pack version is released, what changes for every enterprise it applies to.

Each enterprise's current facts are evaluated under the new version and under the version it replaces
(its `supersedes`, else the latest released version that took effect before it), with the bulk evaluator,
a chunk of enterprises at a time. The run is stored with its counts, and each enterprise whose answer
changed is stored with the clauses met before and after: newly major, no longer major, or still major
under different clauses. Unchanged enterprises are counted, not listed.

With `apply`, a version that is released and in force re-determines the changed enterprises through the
checklist service, so newly met clauses raise hazards exactly as an answered checklist would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import session_clock
from zhiben.enterprise.domain import SECTORS, sector_family
from zhiben.enterprise.models import Enterprise
from zhiben.errors import ConflictError, NotFoundError, PermissionDeniedError
from zhiben.standards import bulk, checklist, repository
from zhiben.standards.models import Redetermination, RedeterminationChange
from zhiben.standards.pack import RulePack
from zhiben.standards.repository import FactValue

Progress = Callable[[int, int], None]  # (enterprises done, total)


@dataclass(frozen=True)
class Change:
    enterprise_id: int
    change: str  # newly_major | no_longer_major | clauses_changed
    before: tuple[str, ...]
    after: tuple[str, ...]


def find_pack(packs: Sequence[RulePack], pack_id: str, version: str) -> RulePack:
    for pack in packs:
        if pack.id == pack_id and pack.version == version:
            return pack
    raise NotFoundError(kind="rule pack", key=f"{pack_id}/{version}")


def predecessor(packs: Sequence[RulePack], target: RulePack) -> RulePack | None:
    if target.spec.supersedes:
        return find_pack(packs, target.id, target.spec.supersedes.split("/")[-1])
    earlier = [
        p
        for p in packs
        if p.id == target.id
        and p.spec.status == "released"
        and p.spec.effective.from_ < target.spec.effective.from_
    ]
    return max(earlier, key=lambda p: p.spec.effective.from_, default=None)


def sectors_of(pack: RulePack) -> list[str]:
    named = set(pack.spec.applies_to.sectors)
    return [s.code for s in SECTORS if s.code in named or sector_family(s.code) in named]


def met_clauses(pack: RulePack | None, rows: Sequence[dict[str, FactValue]]) -> list[tuple[str, ...]]:
    """For each record, the ids of the pack's clauses its facts meet (bulk evaluation)."""
    if pack is None or not pack.clauses:
        return [()] * len(rows)
    kinds = {name: spec.type for name, spec in pack.spec.facts.items()}
    dtypes = {"number": bulk.NUMBER, "boolean": pl.Boolean(), "text": pl.String()}
    frame = pl.DataFrame(
        [pl.Series(name, [row.get(name) for row in rows], dtype=dtypes[kind]) for name, kind in kinds.items()]
    )
    table = frame.select(bulk.clause_columns(pack))
    ids = [column.split("/", 1)[1] for column in table.columns]
    return [tuple(i for i, hit in zip(ids, record, strict=True) if hit) for record in table.iter_rows()]


def classify(before: tuple[str, ...], after: tuple[str, ...]) -> str | None:
    if bool(before) != bool(after):
        return "newly_major" if after else "no_longer_major"
    return "clauses_changed" if before != after else None


def redetermine(
    session: Session,
    actor: Principal,
    packs: Sequence[RulePack],
    pack_id: str,
    version: str,
    *,
    against: str | None = None,
    apply: bool = False,
    on: date | None = None,
    progress: Progress | None = None,
    chunk: int = 5000,
) -> tuple[Redetermination, list[Change]]:
    if actor.role != Role.admin:
        raise PermissionDeniedError(action="rules.redetermine")
    target = find_pack(packs, pack_id, version)
    previous = find_pack(packs, pack_id, against) if against else predecessor(packs, target)
    on = on or checklist.today(session)
    if apply and not (target.spec.status == "released" and target.in_force(on)):
        raise ConflictError(
            reason=f"{pack_id}/{version} is not released and in force on {on}; nothing to apply"
        )
    sectors = sectors_of(target)
    total = (
        session.scalar(select(func.count()).select_from(Enterprise).where(Enterprise.sector.in_(sectors)))
        or 0
    )
    started = session_clock(session).now()
    changes: list[Change] = []
    counts = {"still_major": 0, "still_not_major": 0}
    done = 0
    for batch in repository.facts_by_enterprise(session, sectors, chunk):
        rows = [facts for _, _, facts in batch]
        for (enterprise_id, _, _), before, after in zip(
            batch, met_clauses(previous, rows), met_clauses(target, rows), strict=True
        ):
            kind = classify(before, after)
            if kind is not None:
                changes.append(Change(enterprise_id, kind, before, after))
            if kind in (None, "clauses_changed"):
                counts["still_major" if after else "still_not_major"] += 1
        done += len(batch)
        if progress:
            progress(done, total)
    run = Redetermination(
        pack=target.id,
        version=target.version,
        checksum=target.checksum,
        against=previous.version if previous else None,
        run_by=actor.audit_name,
        started_at=started,
        finished_at=session_clock(session).now(),
        enterprises=done,
        newly_major=sum(c.change == "newly_major" for c in changes),
        no_longer_major=sum(c.change == "no_longer_major" for c in changes),
        applied=apply,
        **counts,
    )
    session.add(run)
    session.flush()
    session.add_all(
        RedeterminationChange(
            run_id=run.id,
            enterprise_id=c.enterprise_id,
            change=c.change,
            clauses_before=list(c.before),
            clauses_after=list(c.after),
        )
        for c in changes
    )
    audit.record(
        session,
        actor.audit_name,
        "rules.redetermine",
        "redetermination",
        str(run.id),
        after={
            "pack": run.pack,
            "version": run.version,
            "checksum": run.checksum,
            "against": run.against,
            "enterprises": run.enterprises,
            "newly_major": run.newly_major,
            "no_longer_major": run.no_longer_major,
            "applied": apply,
        },
    )
    if apply:
        for c in changes:
            enterprise = session.get(Enterprise, c.enterprise_id)
            assert enterprise is not None
            checklist.determine_enterprise(session, actor, enterprise, packs, on)
    session.flush()
    return run, changes
