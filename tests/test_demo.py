from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from tests.builders import Db
from zhiben.accident.models import Accident
from zhiben.audit.service import verify_chain
from zhiben.auth.domain import SYSTEM
from zhiben.chain.service import report_for
from zhiben.db.engine import make_engine, make_session_factory
from zhiben.db.uow import UnitOfWork
from zhiben.demo.governance import seed_governance
from zhiben.demo.load import create_accounts, seed
from zhiben.enterprise.models import Enterprise
from zhiben.hazard.models import Hazard
from zhiben.kit.clock import FrozenClock
from zhiben.tipoff.service import status_by_receipt

AS_OF = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)


def test_the_small_demo_has_hazards_in_every_state_and_a_verifiable_audit_chain(db: Db) -> None:
    db.clock.set(AS_OF)
    with db.uow() as uow:
        counts = seed(uow.session, SYSTEM, "small", 7, AS_OF)
        create_accounts(uow.session, SYSTEM, AS_OF)
        governance = seed_governance(uow.session, SYSTEM)
    with db.uow(write=False) as uow:  # the governance must-shows: a linked accident, a followed tip-off
        assert uow.session.get_one(Accident, governance.accident_id).had_open_major_hazard is True
        assert status_by_receipt(uow.session, governance.receipt_code.replace("-", "")).state == "substantiated"
        gaps = report_for(uow.session, SYSTEM, "320500").gaps
        assert any(g.thing == "urban_gas" and g.stage == "sale" for g in gaps)
    assert counts["enterprises"] == 3_000 and counts["hazards"] > 8_000
    with db.uow(write=False) as uow:
        states = set(uow.session.scalars(select(Hazard.state).distinct()))
        assert states >= {
            "reported",
            "determined",
            "planned",
            "rectifying",
            "rectified",
            "verified",
            "closed",
            "rejected",
            "reopened",
        }
        assert uow.session.scalar(select(func.count()).where(Hazard.is_overdue.is_(True))) > 0
        assert uow.session.scalar(select(func.count()).where(Hazard.listed_level.is_not(None))) > 0
        assert uow.session.scalar(select(func.count()).where(Enterprise.county_code == "320506")) >= 100
        years = set(uow.session.scalars(select(func.substr(Hazard.number, 8, 4)).distinct()))
        assert years == {"2023", "2024", "2025", "2026"}
        assert verify_chain(uow.session)[1] is None
        last = uow.session.scalar(select(func.max(Hazard.number)).where(Hazard.number.like("320506-2026-%")))
        firm = uow.session.scalar(select(Enterprise.id).where(Enterprise.county_code == "320506").limit(1))
    assert last is not None and firm is not None
    new = db.hazard(firm)
    with db.uow(write=False) as uow:
        number = uow.session.get_one(Hazard, new).number
    assert int(number.rsplit("-", 1)[1]) == int(last.rsplit("-", 1)[1]) + 1


def test_seeding_is_deterministic_for_a_seed(sqlite_template: Path, tmp_path: Path) -> None:
    digests = []
    for name in ("a", "b"):
        path = tmp_path / f"{name}.db"
        shutil.copy(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        with UnitOfWork(make_session_factory(engine), FrozenClock(AS_OF)) as uow:
            seed(uow.session, SYSTEM, "small", 11, AS_OF)
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT e.uscc, e.name, h.number, h.state, h.level, h.deadline_at FROM hazards h "
                "JOIN enterprises e ON e.id = h.enterprise_id ORDER BY h.id"
            ).all()
        digests.append(hashlib.sha256(repr(rows).encode()).hexdigest())
        engine.dispose()
    assert digests[0] == digests[1]
