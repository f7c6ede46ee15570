"""Fixtures: every database test runs on SQLite and, when ZHIBEN_TEST_DATABASE_URL is set, on PostgreSQL."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from tests.builders import Db
from zhiben.auth.domain import SYSTEM
from zhiben.config import get_settings
from zhiben.db.engine import make_engine
from zhiben.db.schema import upgrade
from zhiben.db.uow import UnitOfWork
from zhiben.division.service import load_divisions
from zhiben.kit.clock import FrozenClock
from zhiben.models import metadata

PG_URL = os.environ.get("ZHIBEN_TEST_DATABASE_URL", "")
KEEP_TABLES = {"divisions", "division_datasets", "alembic_version"}
START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


def _prepare(engine: Engine) -> None:
    upgrade(engine)
    with UnitOfWork(_factory(engine), FrozenClock(START)) as uow:
        load_divisions(uow.session, SYSTEM)


def _factory(engine: Engine):  # type: ignore[no-untyped-def]
    from zhiben.db.engine import make_session_factory

    return make_session_factory(engine)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    _prepare(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """A schema of its own per test run (so concurrent runs on one server never meet), dropped at the end."""
    if not PG_URL:
        pytest.skip("PostgreSQL tests need ZHIBEN_TEST_DATABASE_URL (set by .ci/run)")
    schema = f"zhiben_test_{os.getpid()}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    engine = make_engine(url.render_as_string(hide_password=False))
    _prepare(engine)
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def _reset_pg(engine: Engine) -> None:
    tables = [t.name for t in metadata.sorted_tables if t.name not in KEEP_TABLES]
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        connection.execute(text("INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, :h)"), {"h": "0" * 64})


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
        yield engine
        engine.dispose()
    else:
        engine = request.getfixturevalue("pg_engine")
        _reset_pg(engine)
        yield engine


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def db(engine: Engine, clock: FrozenClock, tmp_path: Path) -> Db:
    return Db(engine, clock, tmp_path)


@pytest.fixture
def cli(db: Db, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A CLI runner whose `zhiben` uses the database under test (settings are read once per process)."""
    monkeypatch.setenv("ZHIBEN_DATABASE_URL", db.engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("ZHIBEN_DATA_DIR", str(db.tmp / "data"))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()
