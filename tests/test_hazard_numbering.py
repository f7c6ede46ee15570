"""Hazard numbers <county>-<year>-<sequence>: unique and gap-free per county and Shanghai year."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.builders import Db
from zhiben.auth.domain import SYSTEM
from zhiben.errors import InvalidInputError
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, Source
from zhiben.hazard.models import Hazard

THREADS, REPORTS_EACH = 8, 10


def draft(db: Db, enterprise_id: int, **changes: object) -> hazards.HazardReport:
    fields: dict[str, object] = {
        "enterprise_id": enterprise_id,
        "description": "防爆电气设备失效",
        "source": Source.enforcement,
        "found_at": db.clock.now() - timedelta(minutes=5),
    }
    fields.update(changes)
    return hazards.HazardReport(**fields)  # type: ignore[arg-type]


def report(db: Db, enterprise_id: int, **changes: object) -> str:
    return str(db.act(hazards.report_hazard, SYSTEM, draft(db, enterprise_id, **changes)).number)


def parts(number: str) -> tuple[str, int, int]:
    county, year, sequence = number.split("-")
    return county, int(year), int(sequence)


def test_numbers_run_from_one_without_gaps_per_county_and_year(db: Db) -> None:
    here, there = db.enterprise("320311"), db.enterprise("320312")
    numbers = [report(db, here), report(db, there), report(db, here), report(db, here), report(db, there)]
    assert [parts(n) for n in numbers] == [
        ("320311", 2026, 1),
        ("320312", 2026, 1),
        ("320311", 2026, 2),
        ("320311", 2026, 3),
        ("320312", 2026, 2),
    ]


def test_concurrent_reports_get_every_number_exactly_once(db: Db) -> None:
    enterprise_id = db.enterprise("320311")
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def reporter() -> None:
        try:
            start.wait()
            for _ in range(REPORTS_EACH):
                with db.uow() as uow:
                    number = hazards.report_hazard(uow.session, SYSTEM, draft(db, enterprise_id)).number
                with lock:
                    numbers.append(number)
        except BaseException as error:  # surfaced below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=reporter) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(parts(n)[2] for n in numbers) == list(range(1, THREADS * REPORTS_EACH + 1))
    with db.uow(write=False) as uow:
        stored = uow.session.scalars(select(Hazard.number)).all()
    assert sorted(stored) == sorted(numbers)


def test_a_rolled_back_report_does_not_use_up_a_number(db: Db) -> None:
    enterprise_id = db.enterprise("320311")
    assert parts(report(db, enterprise_id))[2] == 1
    # A major determination without its clause fails after the number was taken: all of it rolls back.
    with pytest.raises(InvalidInputError):
        report(db, enterprise_id, level=HazardLevel.major, citation=None)

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), db.uow() as uow:
        hazards.report_hazard(uow.session, SYSTEM, draft(db, enterprise_id))
        raise Abandoned
    assert parts(report(db, enterprise_id))[2] == 2


def test_the_year_is_the_shanghai_year_and_a_new_year_restarts_at_one(db: Db) -> None:
    enterprise_id = db.enterprise("320311")
    db.clock.set(datetime(2026, 12, 31, 15, 59, tzinfo=UTC))  # 23:59 in Shanghai
    assert parts(report(db, enterprise_id))[1:] == (2026, 1)
    assert parts(report(db, enterprise_id))[1:] == (2026, 2)
    db.clock.set(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))  # 01:00 on 1 January 2027 in Shanghai
    assert report(db, enterprise_id) == "320311-2027-000001"
    assert parts(report(db, enterprise_id))[1:] == (2027, 2)
