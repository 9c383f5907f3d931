"""The read-model store: SQLAlchemy engine, the shared metadata and Alembic migrations.

Where read models live: with the SQLite event store, in a sibling file `readmodels.sqlite`
next to it. SQLite admits one writer per database file; a follower committing batches into the
event store's file would hold that lock against every command being recorded. In a separate
file the follower never blocks a writer, and what must be atomic — a batch's read-model rows and
its tracking position — lives in that one file. With PostgreSQL the read models go into the
same database (MVCC: no writer contention), all tables prefixed `rm_`.

Schema changes go through Alembic revisions in projections/migrations, run at start-up by
`open_store` (version table `rm_alembic_version`, so other packages' migrations do not collide).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    DateTime,
    Engine,
    MetaData,
    String,
    Table,
    create_engine,
    event,
)
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from domain.regions import scope_prefix, validate_region

MIGRATIONS = Path(__file__).parent / "migrations"
VERSION_TABLE = "rm_alembic_version"
READMODELS_FILE = "readmodels.sqlite"

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    }
)

# Each projection's position in the notification log, written in the same transaction as its
# rows. `version` is the projection's logic version (or rulebook version): a different one in
# code than in the table means the rows were made by other rules and must be rebuilt.
tracking = Table(
    "rm_tracking",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("position", BigInteger, nullable=False),
    Column("version", String(100), nullable=False),
    Column("updated_at", DateTime, nullable=False),
)


def readmodels_url(event_store_url: str) -> str:
    """The read-model database for an event store URL (sqlite:///PATH or postgresql...)."""
    if event_store_url.startswith("postgresql"):
        if event_store_url.startswith("postgresql://"):
            return event_store_url.replace("postgresql://", "postgresql+psycopg://", 1)
        return event_store_url
    path = Path(event_store_url.removeprefix("sqlite:///"))
    return f"sqlite:///{path.parent / READMODELS_FILE}"


def create_store_engine(url: str) -> Engine:
    """An engine for the read-model store; SQLite gets WAL and real BEGIN/COMMIT."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    path = url.removeprefix("sqlite:///")
    if path and path != url:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # pysqlite's own implicit BEGIN comes only before DML, so a batch's reads would run
        # outside its transaction; switch it off and emit BEGIN ourselves (below).
        dbapi.isolation_level = None
        cur = dbapi.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL survives a process crash (kill -9) losing nothing committed; an OS
        # crash may lose the last batches, but rows and tracking go together, so the
        # follower just re-applies them.
        cur.execute("PRAGMA synchronous=NORMAL")
        # Rebuilds touch indexes of millions of rows: a 256 MB page cache (not the 2 MB
        # default) keeps them in memory instead of re-reading pages for every batch.
        cur.execute("PRAGMA cache_size=-262144")
        cur.execute("PRAGMA temp_store=MEMORY")
        # Checkpoint the WAL every ~80 MB rather than every 4 MB: hot index pages are then
        # copied into the database file once per many batches instead of once per batch.
        cur.execute("PRAGMA wal_autocheckpoint=20000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def migrate(engine: Engine) -> None:
    """Bring the read-model schema to the newest Alembic revision."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_store(url: str) -> Engine:
    """The read-model engine, migrated to the newest schema."""
    engine = create_store_engine(url)
    migrate(engine)
    return engine


def within(column: ColumnElement[Any], jurisdiction: str) -> ColumnElement[bool]:
    """SQL condition: `column` (a region code) lies in `jurisdiction` (GB/T 2260 code)."""
    validate_region(jurisdiction, field="jurisdiction")
    prefix = scope_prefix(jurisdiction)
    # Region codes are digits only, so LIKE needs no escaping.
    return column.like(prefix + "%")
