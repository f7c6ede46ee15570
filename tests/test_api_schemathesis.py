"""Every operation in the OpenAPI document, fed generated input by schemathesis, never answers 5xx.

Run as an administrator (who may do everything, so requests reach deep into the services) and as a
provincial regulator, over a small seeded data set whose ids are small numbers that generated path
parameters often hit.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from sqlalchemy import Engine, insert, text

from tests.builders import Db, auth_header, five_implementations
from zhiben.audit.models import AuditHead
from zhiben.auth.domain import SYSTEM, Role
from zhiben.config import Settings
from zhiben.db.engine import make_engine
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel
from zhiben.kit.blobs import BlobStore
from zhiben.kit.clock import FrozenClock
from zhiben.models import metadata
from zhiben.web.app import create_app

START = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
KEEP_TABLES = {"divisions", "division_datasets", "alembic_version"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def seed(db: Db) -> None:
    """Enterprises in and out of Jiangsu; hazards reported, determined and planned; evidence; an extension."""
    inside = [db.enterprise("320311"), db.enterprise("320115", "coal_mine")]
    outside = db.enterprise("440305")
    db.contract("平安财险", inside[0])
    store = BlobStore(db.settings().evidence_dir())
    for enterprise_id in (*inside, outside):
        db.hazard(enterprise_id, level=None)
        db.hazard(enterprise_id, level=HazardLevel.general)
        planned = db.hazard(enterprise_id)
        db.act(hazards.plan_rectification, SYSTEM, planned, five_implementations(db.clock))
        db.act(hazards.attach_evidence, SYSTEM, planned, PNG, "before", "before.png", store, 1 << 20)
        later = db.clock.now() + timedelta(days=60)
        db.act(hazards.request_extension, SYSTEM, planned, later, "设备到货延迟")


@dataclass(frozen=True)
class Api:
    app: FastAPI
    admin: dict[str, str]
    regulator: dict[str, str]  # a provincial regulator in Jiangsu: one seeded enterprise is outside


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Api]:
    """One seeded database per module and database kind, shared by every operation's test: the tests
    only look for 5xx, so what earlier operations changed does not matter, and setting up a database
    per operation would cost more than the testing."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("schemathesis") / "test.db"
        shutil.copy(sqlite_template, path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = request.getfixturevalue("pg_engine")
        empty(engine)
    db = Db(engine, FrozenClock(START), tmp_path_factory.mktemp("data"))
    seed(db)
    app = create_app(
        db.settings().model_copy(update={"overdue_job_minutes": 0}), clock=db.clock, engine=db.engine
    )
    client = TestClient(app)
    yield Api(
        app,
        admin=auth_header(client, db.user(Role.admin).username),
        regulator=auth_header(client, db.user(Role.regulator, division="320000").username),
    )
    if request.param == "sqlite":
        engine.dispose()


def empty(engine: Engine) -> None:
    """Empty the shared PostgreSQL schema but for the divisions, numbering ids from 1 again (generated
    path parameters are mostly small numbers, so small ids get found)."""
    tables = [t.name for t in metadata.sorted_tables if t.name not in KEEP_TABLES]
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        connection.execute(insert(AuditHead.__table__).values(id=1, seq=0, hash="0" * 64))


def _document() -> dict[str, Any]:
    """The OpenAPI document does not depend on the database: build it once, from an app never called."""
    settings = Settings(data_dir=Path(tempfile.gettempdir()), secret_key="-" * 32, database_url="sqlite://")
    return create_app(settings).openapi()


# The administrator gets every phase: examples, boundary and negative coverage, and fuzzing.
everything = schemathesis.openapi.from_dict(_document())
# The regulator's requests end in scope checks, which fuzzing with valid input reaches; the coverage
# phase's malformed input is refused before scope is consulted, as the administrator's run shows.
fuzzing = schemathesis.openapi.from_dict(
    _document(), config=SchemathesisConfig.from_str("[phases.coverage]\nenabled = false\n")
)
BOUNDED = settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))


@everything.parametrize()
@BOUNDED
def test_no_operation_fails_with_a_server_error_for_an_administrator(case: Case, api: Api) -> None:
    case.call_and_validate(app=api.app, headers=api.admin, checks=[not_a_server_error])


@fuzzing.parametrize()
@BOUNDED
def test_no_operation_fails_with_a_server_error_for_a_regulator(case: Case, api: Api) -> None:
    case.call_and_validate(app=api.app, headers=api.regulator, checks=[not_a_server_error])
