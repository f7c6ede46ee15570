from __future__ import annotations

from sqlalchemy import inspect

from tests.builders import Db
from zhiben.db.schema import current_revision, drift, head_revision
from zhiben.models import metadata


def test_the_migrated_schema_matches_the_models(db: Db) -> None:
    assert current_revision(db.engine) == head_revision(db.engine)
    assert drift(db.engine, metadata) == []


def test_every_model_table_exists_after_migration(db: Db) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_the_division_table_is_the_complete_gbt2260_edition(db: Db) -> None:
    from zhiben.division import service

    with db.uow(write=False) as uow:
        assert service.count(uow.session) == 33 + 333 + 2845
        dataset = service.dataset(uow.session)
        assert dataset is not None and dataset.data_as_of == "2025-12-31"
