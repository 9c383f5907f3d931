"""The Alembic revisions build exactly the tables the projections declare, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import projections.registry  # noqa: F401  (declares every table)
from projections.store import VERSION_TABLE, metadata, migrate, open_store


class MigrationContract:
    url: str

    def test_migrations_build_the_declared_schema(self) -> None:
        engine = open_store(self.url)
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            assert compare_metadata(ctx, metadata) == []
            assert ctx.get_current_revision() is not None
        engine.dispose()

    def test_migrating_twice_changes_nothing(self) -> None:
        engine = open_store(self.url)
        before = sorted(inspect(engine).get_table_names())
        migrate(engine)
        assert sorted(inspect(engine).get_table_names()) == before
        assert VERSION_TABLE in before
        engine.dispose()


class TestSQLite(MigrationContract):
    @pytest.fixture(autouse=True)
    def _url(self, tmp_path: Path) -> None:
        self.url = f"sqlite:///{tmp_path / 'readmodels.sqlite'}"


@pytest.mark.postgres
class TestPostgres(MigrationContract):
    @pytest.fixture(autouse=True)
    def _url(self, postgres_url: str) -> None:
        self.url = postgres_url
