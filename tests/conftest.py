"""Session-wide fixtures: real services started by the test run itself."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.throwaway import Postgres, create_database, postgres_server

_db_counter = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server_instance() -> Iterator[Postgres]:
    with postgres_server() as server:
        yield server


@pytest.fixture
def postgres(postgres_server_instance: Postgres) -> Postgres:
    """A fresh, empty PostgreSQL database for one test."""
    return create_database(postgres_server_instance, f"t{next(_db_counter)}")


@pytest.fixture
def postgres_url(postgres: Postgres) -> str:
    """SQLAlchemy URL of a fresh PostgreSQL database (postgresql+psycopg://...)."""
    return postgres.url


@pytest.fixture
def postgres_dsn(postgres: Postgres) -> str:
    """libpq conninfo of the same fresh database as `postgres_url` in the same test."""
    return postgres.dsn
