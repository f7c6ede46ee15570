"""Append audit entries and verify the chain."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from zhiben.audit.domain import GENESIS_HASH, ChainBreak, EntryFacts, entry_hash, find_break
from zhiben.audit.models import AuditEntry, AuditHead
from zhiben.db.uow import session_clock, session_request_id

HEAD_ID = 1
Change = tuple[str, dict[str, Any] | None, dict[str, Any] | None]  # (object id, before, after)


def record(
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> int:
    """Append one entry to the chain, in the caller's transaction; returns its seq."""
    return _append(session, actor, action, object_type, [(object_id, before, after)])


def record_many(
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    changes: Sequence[Change],
) -> int:
    """Append one entry per (object_id, before, after), in order, in the caller's transaction: the same
    entries as calling `record` for each, with one read and one write of the head instead of one each."""
    if changes:
        _append(session, actor, action, object_type, changes)
    return len(changes)


def _append(
    session: Session,
    actor: str,
    action: str,
    object_type: str,
    changes: Sequence[Change],
) -> int:
    """Take len(changes) seqs from the head (its row lock serialises appenders), chain and insert them."""
    session.flush()
    session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(seq=AuditHead.seq + len(changes)))
    last_seq, prev_hash = session.execute(
        select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == HEAD_ID)
    ).one()
    at, request_id = session_clock(session).now(), session_request_id(session)
    rows: list[dict[str, Any]] = []
    for seq, (object_id, before, after) in enumerate(changes, start=last_seq - len(changes) + 1):
        facts = EntryFacts(
            seq=seq,
            at=at,
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            before=before,
            after=after,
            request_id=request_id,
            prev_hash=prev_hash,
        )
        prev_hash = entry_hash(facts)
        rows.append({**facts.__dict__, "hash": prev_hash})
    session.execute(insert(AuditEntry), rows)
    session.execute(update(AuditHead).where(AuditHead.id == HEAD_ID).values(hash=prev_hash))
    return int(last_seq)


def _facts(entry: AuditEntry) -> EntryFacts:
    return EntryFacts(
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        object_type=entry.object_type,
        object_id=entry.object_id,
        before=entry.before,
        after=entry.after,
        request_id=entry.request_id,
        prev_hash=entry.prev_hash,
    )


def head_of(session: Session) -> tuple[int, str]:
    """The chain's last seq and hash: written down outside the database, they anchor the chain, since
    someone able to rewrite the tables could also rewrite the head."""
    head = session.get(AuditHead, HEAD_ID)
    return (head.seq, head.hash) if head else (0, GENESIS_HASH)


def verify_chain(
    session: Session, progress: Callable[[int], None] | None = None, batch: int = 5000
) -> tuple[int, ChainBreak | None]:
    """Recompute the whole chain. Returns (entries checked, first break or None).

    The head and every batch are read in one snapshot, so entries appended meanwhile are neither walked
    nor mistaken for tampering: SQLite's read transaction is one snapshot already; PostgreSQL's default
    (READ COMMITTED) takes a new one per statement, so a fresh session is switched to REPEATABLE READ."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    head = session.get(AuditHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    count = 0

    def stream() -> Iterator[tuple[EntryFacts, str]]:
        nonlocal count
        last = 0
        while True:
            rows = session.scalars(
                select(AuditEntry).where(AuditEntry.seq > last).order_by(AuditEntry.seq).limit(batch)
            ).all()
            if not rows:
                return
            for row in rows:
                count += 1
                yield _facts(row), row.hash
            last = rows[-1].seq
            session.expunge_all()
            if progress:
                progress(count)

    found = find_break(stream(), head_seq, head_hash)
    return count, found


def history(session: Session, object_type: str, object_id: str) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.seq)
        )
    )
