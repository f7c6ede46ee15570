"""The audit log: one entry per state change, in the same transaction, chained by hash; tampering is found."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, select, text, update
from typer.testing import CliRunner

from tests.builders import Db, auth_header, five_implementations
from zhiben.audit import service as audit
from zhiben.audit.domain import ChainBreak, EntryFacts, entry_hash
from zhiben.audit.models import AuditEntry, AuditHead
from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.cli.main import app
from zhiben.config import get_settings
from zhiben.db.uow import UnitOfWork
from zhiben.errors import IllegalTransitionError, InvalidInputError
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, Source
from zhiben.kit.clock import SHANGHAI, FrozenClock

# ---------------------------------------------------------------- helpers


def verify(db: Db, batch: int = 5000) -> tuple[int, ChainBreak | None]:
    with db.uow(write=False) as uow:
        return audit.verify_chain(uow.session, batch=batch)


def head_seq(db: Db) -> int:
    with db.uow(write=False) as uow:
        return int(uow.session.scalars(select(AuditHead.seq)).one())


def all_entries(db: Db) -> list[AuditEntry]:
    with db.uow(write=False) as uow:
        found = list(uow.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        uow.session.expunge_all()
        return found


def history(db: Db) -> tuple[int, Principal, Principal]:
    """A small but ordinary history: an enterprise, two hazards, a plan and a start.
    Returns the planned hazard, its enterprise's user and the county regulator."""
    enterprise_id = db.enterprise("320311")
    own = db.user(Role.enterprise, enterprise_id=enterprise_id)
    county = db.user(Role.regulator, division="320311")
    hazard_id = db.hazard(enterprise_id, HazardLevel.major)
    db.hazard(enterprise_id, HazardLevel.general)
    db.act(hazards.plan_rectification, own, hazard_id, five_implementations(db.clock))
    db.clock.advance(timedelta(hours=1))
    db.act(hazards.start_rectification, own, hazard_id)
    return hazard_id, own, county


def tamper(db: Db, change: Callable[[Connection], object]) -> None:
    """Change the stored log behind the application's back."""
    with db.engine.begin() as connection:
        change(connection)


# ---------------------------------------------------------------- appending


def test_every_state_change_appends_one_chained_entry(db: Db) -> None:
    hazard_id, own, _ = history(db)
    entries = all_entries(db)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1)) and head_seq(db) == len(entries)
    assert all(later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(entries))
    mine = [
        (e.actor, e.action) for e in entries if e.object_type == "hazard" and e.object_id == str(hazard_id)
    ]
    assert mine == [
        (SYSTEM.audit_name, "hazard.report"),
        (SYSTEM.audit_name, "hazard.determine"),
        (own.audit_name, "hazard.plan"),
        (own.audit_name, "hazard.start"),
    ]
    start = entries[-1]
    assert start.before is not None and start.after is not None
    assert (start.before["state"], start.after["state"]) == ("planned", "rectifying")
    assert start.at == db.clock.now()


def test_a_failing_action_leaves_no_entry(db: Db) -> None:
    hazard_id, own, county = history(db)
    before = head_seq(db)
    with pytest.raises(IllegalTransitionError):
        db.act(hazards.verify_hazard, county, hazard_id, "")
    report = hazards.HazardReport(
        enterprise_id=own.enterprise_id or 0,
        description="未经审批动火作业",
        source=Source.self_inspection,
        found_at=db.clock.now(),
        level=HazardLevel.major,  # without the clause it cites: fails after 'hazard.report' was appended
    )
    with pytest.raises(InvalidInputError):
        db.act(hazards.report_hazard, own, report)
    assert head_seq(db) == before
    assert len(all_entries(db)) == before
    assert verify(db) == (before, None)
    seq = db.act(audit.record, "test:writer", "test.after_failure", "test", "1")
    assert seq == before + 1
    assert verify(db) == (before + 1, None)


def test_an_ordinary_history_verifies_in_any_batch_size(db: Db) -> None:
    history(db)
    count = head_seq(db)
    assert count >= 7
    for batch in (1, 3, 5000):
        assert verify(db, batch) == (count, None)


def test_a_freshly_migrated_database_verifies(db: Db) -> None:
    assert verify(db) == (head_seq(db), None)


def test_a_clock_in_shanghai_time_still_gives_a_verifiable_chain(db: Db) -> None:
    local = FrozenClock(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI))
    with UnitOfWork(db.factory, local) as uow:
        seq = audit.record(uow.session, "test:local", "test.local_time", "test", "1")
    assert verify(db) == (seq, None)


# ---------------------------------------------------------------- tampering


def _set_actor(seq: int) -> Callable[[Connection], object]:
    return lambda c: c.execute(
        text("UPDATE audit_entries SET actor = 'admin:nobody' WHERE seq = :s"), {"s": seq}
    )


def _set_after(seq: int) -> Callable[[Connection], object]:
    def change(connection: Connection) -> None:
        after = connection.execute(select(AuditEntry.after).where(AuditEntry.seq == seq)).scalar_one()
        forged = dict(after or {}) | {"deadline_at": "2030-01-01T00:00:00+00:00"}
        connection.execute(update(AuditEntry).where(AuditEntry.seq == seq).values(after=forged))

    return change


def _delete(seq: int) -> Callable[[Connection], object]:
    return lambda c: c.execute(text("DELETE FROM audit_entries WHERE seq = :s"), {"s": seq})


def _swap(a: int, b: int) -> Callable[[Connection], object]:
    def change(connection: Connection) -> None:
        move = text("UPDATE audit_entries SET seq = :to WHERE seq = :from")
        connection.execute(move, {"from": a, "to": -1})
        connection.execute(move, {"from": b, "to": a})
        connection.execute(move, {"from": -1, "to": b})

    return change


@pytest.mark.parametrize(
    ("tampering", "make", "bad"),
    [
        ("edit an entry's actor", lambda n: _set_actor(3), lambda n: 3),
        ("edit an entry's after-state", lambda n: _set_after(n - 1), lambda n: n - 1),
        ("delete an entry in the middle", lambda n: _delete(4), lambda n: 4),
        ("delete the first entry", lambda n: _delete(1), lambda n: 1),
        ("delete the last entry", lambda n: _delete(n), lambda n: n),
        ("swap two entries", lambda n: _swap(2, 5), lambda n: 2),
        ("swap the last two entries", lambda n: _swap(n - 1, n), lambda n: n - 1),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_tampering_is_found_and_the_first_bad_entry_named(
    db: Db,
    tampering: str,
    make: Callable[[int], Callable[[Connection], object]],
    bad: Callable[[int], int],
) -> None:
    history(db)
    n = head_seq(db)
    assert verify(db) == (n, None)
    tamper(db, make(n))
    for batch in (2, 5000):
        _, found = verify(db, batch)
        assert found is not None, tampering
        assert found.seq == bad(n), found.reason


def test_an_edit_that_also_recomputes_the_hash_is_found_at_the_next_link(db: Db) -> None:
    history(db)
    edited = all_entries(db)[2]
    facts = replace(audit._facts(edited), actor="admin:nobody")
    change = text("UPDATE audit_entries SET actor = :a, hash = :h WHERE seq = :s")
    tamper(db, lambda c: c.execute(change, {"a": facts.actor, "h": entry_hash(facts), "s": edited.seq}))
    _, found = verify(db)
    assert found is not None and found.seq == edited.seq + 1, found


def test_rewriting_the_last_entry_and_its_hash_is_found_at_the_last_entry(db: Db) -> None:
    history(db)
    last = all_entries(db)[-1]
    facts = replace(audit._facts(last), after={"state": "closed"})
    tamper(
        db,
        lambda c: c.execute(
            update(AuditEntry)
            .where(AuditEntry.seq == last.seq)
            .values(after=facts.after, hash=entry_hash(facts))
        ),
    )
    _, found = verify(db)
    assert found is not None and found.seq == last.seq, found


def test_an_entry_forged_after_the_head_is_named(db: Db) -> None:
    history(db)
    n = head_seq(db)
    last = all_entries(db)[-1]

    forged = EntryFacts(
        seq=n + 1,
        at=last.at,
        actor="admin:ghost",
        action="hazard.close",
        object_type="hazard",
        object_id="1",
        before=None,
        after=None,
        request_id="",
        prev_hash=last.hash,
    )

    def append(connection: Connection) -> None:  # a well-formed entry, linked and hashed, but past the head
        connection.execute(insert(AuditEntry).values(**asdict(forged), hash=entry_hash(forged)))

    tamper(db, append)
    _, found = verify(db)
    assert found is not None and found.seq == n + 1, found


def test_verifying_while_others_append_reports_no_break(db: Db) -> None:
    history(db)
    appended: list[int] = []

    def someone_appends(_: int) -> None:  # called between batches: the log grows under the verifier
        if len(appended) < 2:
            appended.append(db.act(audit.record, "test:writer", "test.concurrent", "test", "1"))

    with db.uow(write=False) as uow:
        count, found = audit.verify_chain(uow.session, progress=someone_appends, batch=2)
    assert len(appended) == 2
    assert found is None, found
    assert count == appended[0] - 1  # what was there when it started
    assert verify(db) == (appended[-1], None)


# ---------------------------------------------------------------- the CLI and the API


def _cli(db: Db, tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {
        "ZHIBEN_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "ZHIBEN_DATA_DIR": str(tmp_path / "cli-data"),
    }
    get_settings.cache_clear()  # settings are read once per process; this "process" has a new environment
    try:
        result = CliRunner().invoke(app, ["audit", "verify", *args], env=env)
    finally:
        get_settings.cache_clear()
    return result.exit_code, result.stdout


def test_zhiben_audit_verify_exits_0_on_an_intact_chain_and_1_on_a_broken_one(db: Db, tmp_path: Path) -> None:
    history(db)
    n = head_seq(db)
    code, out = _cli(db, tmp_path, "--json")
    with db.uow(write=False) as uow:
        head_hash = uow.session.scalars(select(AuditHead.hash)).one()
    assert (code, json.loads(out)) == (
        0,
        {
            "head_seq": n,
            "head_hash": head_hash,
            "entries": n,
            "intact": True,
            "first_bad_seq": None,
            "reason": None,
        },
    )
    tamper(db, _delete(4))
    code, out = _cli(db, tmp_path, "--json")
    assert code == 1
    assert json.loads(out)["first_bad_seq"] == 4
    code, _ = _cli(db, tmp_path)
    assert code == 1


def test_the_api_reports_the_first_bad_entry_to_administrators_only(db: Db) -> None:
    history(db)
    admin = db.user(Role.admin)
    county = db.user(Role.regulator, division="320311")
    tamper(db, _set_actor(2))
    client = db.client()
    response = client.get("/api/v1/audit/verify", headers=auth_header(client, admin.username))
    assert response.status_code == 200
    assert (response.json()["intact"], response.json()["first_bad_seq"]) == (False, 2)
    denied = client.get("/api/v1/audit/verify", headers=auth_header(client, county.username))
    assert denied.status_code == 403
