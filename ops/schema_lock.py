"""One process at a time creates the platform's tables in a fresh PostgreSQL database.

The stores create their tables when first opened (`CREATE TABLE IF NOT EXISTS`, SQLAlchemy's
`create_all`, the read models' Alembic upgrade). Several processes started together on an empty
database (API replicas and workers of the scale-out shape) would run that DDL concurrently, and
PostgreSQL refuses the loser with "tuple concurrently updated": the process dies at start-up.
`schema_lock(settings)` holds a session-level advisory lock of the event store's database for
the block in which a process opens its stores; the others wait for it, then find the tables.
SQLite needs none (its writers are serialised by the file lock).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text

from ops.settings import Settings

__all__ = ["SCHEMA_LOCK", "schema_lock"]

SCHEMA_LOCK = 0x616E6A69616E  # "anjian": the advisory lock key of the schema's creation


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Hold the schema lock of the settings' PostgreSQL database for the block (nothing on
    SQLite)."""
    if not settings.is_postgres:
        yield
        return
    engine = create_engine(settings.sqlalchemy_url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": SCHEMA_LOCK})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": SCHEMA_LOCK})
    finally:
        engine.dispose()
