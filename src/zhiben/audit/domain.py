"""How an audit entry is hashed and how a chain is checked. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from zhiben.kit.hashing import canonical_json, sha256_hex

GENESIS_HASH = "0" * 64


@dataclass(frozen=True)
class EntryFacts:
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str
    prev_hash: str


def entry_hash(facts: EntryFacts) -> str:
    body = {
        "seq": facts.seq,
        # The instant in UTC, as stored: a clock in another zone must not change the hash on read-back.
        "at": facts.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": facts.actor,
        "action": facts.action,
        "object_type": facts.object_type,
        "object_id": facts.object_id,
        "before": facts.before,
        "after": facts.after,
        "request_id": facts.request_id,
        "prev_hash": facts.prev_hash,
    }
    return sha256_hex(canonical_json(body))


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def find_break(entries: Iterable[tuple[EntryFacts, str]], head_seq: int, head_hash: str) -> ChainBreak | None:
    """Walk (facts, stored hash) in seq order; name the first entry that was edited, removed or moved."""
    expected_seq, prev = 1, GENESIS_HASH
    for facts, stored in entries:
        if facts.seq != expected_seq:
            return ChainBreak(expected_seq, f"entry {expected_seq} is missing (next found is {facts.seq})")
        if facts.prev_hash != prev:
            return ChainBreak(
                facts.seq, "its link to the previous entry does not match (deleted or reordered)"
            )
        if entry_hash(facts) != stored:
            return ChainBreak(facts.seq, "its content no longer matches its hash (edited)")
        expected_seq, prev = facts.seq + 1, stored
    last = expected_seq - 1
    if last != head_seq:  # short of the head: the first missing entry; past it: the first extra one
        return ChainBreak(min(last, head_seq) + 1, f"the chain ends at {last} but the head says {head_seq}")
    if prev != head_hash:
        return ChainBreak(last, "its hash does not match the head's (the last entry was rewritten)")
    return None
