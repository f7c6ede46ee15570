"""The vectorised province roll-up equals the plain per-record reference, on random registers and checks
across days where every cycle opens; and stored, for a regulator, scoped to the division."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from tests.builders import Db
from zhiben.auth.domain import Role
from zhiben.dualprevention import rollup, service
from zhiben.dualprevention.tasks import CYCLES
from zhiben.errors import NotFoundError, PermissionDeniedError

DAYS = (date(2026, 3, 2), date(2024, 7, 1), date(2025, 12, 31), date(2026, 1, 1))


def random_columns(seed: int, day: date) -> tuple[rollup.Columns, list, list, list]:
    rng = np.random.default_rng(seed)
    n_events, n_measures, n_records = 400, 300, 900
    ent = rng.integers(1, 30, n_events)
    unit = ent * 100 + rng.integers(0, 5, n_events)
    level = rng.integers(0, 4, n_events)
    m_ent = rng.integers(1, 35, n_measures)  # some enterprises have measures and no events
    cycle = rng.integers(0, len(CYCLES), n_measures)
    r_measure = rng.integers(0, n_measures, n_records)
    start = int(datetime.combine(day, datetime.min.time(), UTC).timestamp()) - 8 * 3600
    r_at = start + rng.integers(0, 3 * 86400, n_records)
    cols = rollup.Columns(ent, unit, level, m_ent, cycle, r_measure, r_at)
    events = [
        (int(e), int(u), rollup.LEVELS[int(lv)].value) for e, u, lv in zip(ent, unit, level, strict=True)
    ]
    measures = [(int(e), CYCLES[int(c)].value) for e, c in zip(m_ent, cycle, strict=True)]
    records = [(int(m), datetime.fromtimestamp(int(t), UTC)) for m, t in zip(r_measure, r_at, strict=True)]
    return cols, events, measures, records


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_vectorised_rollup_equals_the_plain_reference(day: date, seed: int) -> None:
    cols, events, measures, records = random_columns(seed, day)
    now = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9)
    fast = rollup.rollup(cols, day, now)
    rows, units = rollup.rollup_plain(events, measures, records, day, now)
    assert fast.rows() == rows
    assert fast.unit_rows() == units
    totals = fast.totals()
    assert totals["due"] == sum(r["due"] for r in rows.values()) > 0
    assert 0 < totals["missed"] < totals["due"] and totals["done"] > 0


def test_nothing_to_roll_up() -> None:
    empty = np.zeros(0, dtype=np.int64)
    got = rollup.rollup(rollup.Columns(*([empty] * 7)), DAYS[0], datetime(2026, 3, 2, tzinfo=UTC))
    assert got.rows() == {} and got.totals()["due"] == 0


def test_the_stored_rollup_for_a_regulator(db: Db) -> None:
    firm = db.enterprise(county="320311")
    owner = db.user(Role.enterprise, enterprise_id=firm)
    unit = db.act(service.create_unit, owner, firm, service.UnitDraft("罐区", "area", "生产部", "李强"))
    event = db.act(
        service.create_event,
        owner,
        unit.id,
        service.EventDraft("泄漏", "火灾", "lec", {"L": 6, "E": 6, "C": 15}),
    )
    measure = db.act(
        service.add_measure,
        owner,
        event.id,
        service.MeasureDraft("读表", "engineering", "hourly", "operator"),
    ).measures[0]
    nine = datetime(2026, 3, 2, 1, tzinfo=UTC)
    db.act(service.record_check, owner, measure.id, service.CheckDraft(nine, nine, "normal"))
    county = db.user(Role.regulator, division="320311")
    got = db.act(service.province_rollup, county, "320311", date(2026, 3, 2))
    assert got.rows() == {
        firm: {"colours": {"red": 1, "orange": 0, "yellow": 0, "blue": 0}, "units": 1, "due": 24, "done": 1,
               "missed": 9}
    }  # fmt: skip
    assert got.unit_rows() == {unit.id: {"red": 1, "orange": 0, "yellow": 0, "blue": 0}}
    with pytest.raises(NotFoundError):
        db.act(
            service.province_rollup, db.user(Role.regulator, division="320312"), "320311", date(2026, 3, 2)
        )
    with pytest.raises(PermissionDeniedError):
        db.act(service.province_rollup, owner, "320311", date(2026, 3, 2))
