"""The Merkle log: a follower of the event store's notification log, stored with SQLAlchemy.

One leaf per notification, in notification order, with the log's own gap-free leaf index
(notification ids may have gaps). Tables, in the event store's database or any other
(SQLite by default, PostgreSQL by URL):

    ledger_leaves  leaf_index (PK, 0, 1, 2, ...) | notification_id (unique) | leaf_hash (32 B)
    ledger_tiles   level t >= 1 | idx | hashes (concatenated 32-byte level-8t subtree hashes)

See ledger/tree.py for the tile layout. The tracked position is the notification id of the
last leaf row, so the leaves, the tiles they complete and the position are written in ONE
transaction per batch: after a crash (kill -9 included) the follower resumes after the last
committed leaf, with no gap and no duplicate. The primary key and the unique notification id
make a concurrent second writer fail loudly (LogConflictError) instead of forking the log.

Reads (size, root, proofs, leaves) always go to the database, so a reader process sees what
the writer has committed; proofs for any size up to the stored size cost O(log n) reads.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    and_,
    create_engine,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError

from ledger.errors import LogConflictError, LogError, ProofInputError, UnknownLeafError
from ledger.record import StoredNotification, leaf_bytes
from ledger.rfc6962 import HASH_SIZE, LEAF_PREFIX
from ledger.tree import (
    TileKey,
    Tree,
    TreeUpdate,
    consistency_proof_at,
    inclusion_proof_at,
    root_at,
)

__all__ = ["Leaf", "MerkleLog", "NotificationSource", "metadata"]

log = logging.getLogger(__name__)

# BIGINT on PostgreSQL; on SQLite the leaf index must be spelled INTEGER to be the rowid.
_BigInt = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

leaves_table = Table(
    "ledger_leaves",
    metadata,
    Column("leaf_index", _BigInt, primary_key=True, autoincrement=False),
    Column("notification_id", _BigInt, nullable=False, unique=True),
    Column("leaf_hash", LargeBinary(HASH_SIZE), nullable=False),
)

tiles_table = Table(
    "ledger_tiles",
    metadata,
    Column("level", Integer, nullable=False),
    Column("idx", _BigInt, nullable=False),
    Column("hashes", LargeBinary, nullable=False),
    PrimaryKeyConstraint("level", "idx"),
)

_sha256 = hashlib.sha256


class NotificationSource(Protocol):
    """The part of eventsourcing's ApplicationRecorder the follower reads."""

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Any]: ...


@dataclass(frozen=True)
class Leaf:
    """One stored leaf. The leaf bytes are rebuilt from the event store (ledger.record)."""

    index: int
    notification_id: int
    hash: bytes


class _SqlTreeStore:
    """TreeStore over one connection (one snapshot for all reads of a proof)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def read_leaf_hashes(self, start: int, stop: int) -> Sequence[bytes]:
        rows = self._conn.execute(
            select(leaves_table.c.leaf_hash)
            .where(leaves_table.c.leaf_index >= start, leaves_table.c.leaf_index < stop)
            .order_by(leaves_table.c.leaf_index)
        )
        return [bytes(r[0]) for r in rows]

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        if not keys:
            return {}
        # OR of equalities, not a row-value IN: SQLite plans the latter as a full table scan.
        rows = self._conn.execute(
            select(tiles_table.c.level, tiles_table.c.idx, tiles_table.c.hashes).where(
                or_(*(and_(tiles_table.c.level == t, tiles_table.c.idx == n) for t, n in keys))
            )
        )
        return {(int(r[0]), int(r[1])): bytes(r[2]) for r in rows}


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers (API, audit) run beside the writer; FULL makes a committed batch
    # survive power loss, not only a process crash; the timeout waits out the event store's
    # own writers, which share the file.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


class MerkleLog:
    """The Merkle log stored in one SQL database (single writer, any number of readers)."""

    def __init__(self, engine: Engine, *, create: bool = True) -> None:
        self._engine = engine
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise LogError(f"unsupported database {engine.dialect.name!r}")
        if create:
            metadata.create_all(engine)
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        # The hot insert goes straight to the driver's executemany: building a parameter dict
        # per row through the Core insert() costs about as much as hashing the leaf.
        self._insert_leaves = (
            "INSERT INTO ledger_leaves (leaf_index, notification_id, leaf_hash) "
            f"VALUES ({mark}, {mark}, {mark})"
        )
        self._tree: Tree | None = None
        self._last_notification_id = 0

    @classmethod
    def open(cls, url: str | URL, **engine_kwargs: Any) -> MerkleLog:
        """Open (creating the tables if needed) the log at a SQLAlchemy URL.

        `sqlite:///path/to/anjian.db` (the event store's file) or
        `postgresql+psycopg://user@host:port/db`.
        """
        url = make_url(url)
        engine = create_engine(url, **engine_kwargs)
        if url.get_backend_name() == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return cls(engine)

    @property
    def engine(self) -> Engine:
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    # -- reading ----------------------------------------------------------------------------

    def size(self) -> int:
        """The number of committed leaves."""
        with self._engine.connect() as conn:
            return self._size(conn)

    @staticmethod
    def _size(conn: Connection) -> int:
        last = conn.execute(select(func.max(leaves_table.c.leaf_index))).scalar()
        return 0 if last is None else int(last) + 1

    def _checked_size(self, conn: Connection, size: int | None) -> int:
        stored = self._size(conn)
        if size is None:
            return stored
        if not 0 <= size <= stored:
            raise ProofInputError(
                "tree size beyond the log", expected=f"<= {stored}", computed=size
            )
        return size

    def root(self, size: int | None = None) -> bytes:
        """The root hash at `size` leaves (default: all committed leaves)."""
        with self._engine.connect() as conn:
            return root_at(_SqlTreeStore(conn), self._checked_size(conn, size))

    def inclusion(self, leaf_index: int, size: int | None = None) -> list[bytes]:
        """The RFC 9162 inclusion proof of `leaf_index` in the tree of `size` leaves."""
        with self._engine.connect() as conn:
            size = self._checked_size(conn, size)
            return inclusion_proof_at(_SqlTreeStore(conn), leaf_index, size)

    def consistency(self, size1: int, size2: int | None = None) -> list[bytes]:
        """The RFC 9162 consistency proof from `size1` to `size2` leaves."""
        with self._engine.connect() as conn:
            size2 = self._checked_size(conn, size2)
            return consistency_proof_at(_SqlTreeStore(conn), size1, size2)

    def leaf(self, index: int) -> Leaf:
        """The stored leaf at `index`; UnknownLeafError if there is none."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(leaves_table.c.notification_id, leaves_table.c.leaf_hash).where(
                    leaves_table.c.leaf_index == index
                )
            ).first()
        if row is None:
            raise UnknownLeafError(f"no leaf at index {index}")
        return Leaf(index, int(row[0]), bytes(row[1]))

    def leaves(self, start: int, stop: int) -> list[Leaf]:
        """The stored leaves with index in [start, stop), in order (for audits and exports)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(
                    leaves_table.c.leaf_index,
                    leaves_table.c.notification_id,
                    leaves_table.c.leaf_hash,
                )
                .where(and_(leaves_table.c.leaf_index >= start, leaves_table.c.leaf_index < stop))
                .order_by(leaves_table.c.leaf_index)
            )
            return [Leaf(int(r[0]), int(r[1]), bytes(r[2])) for r in rows]

    def leaf_index_of(self, notification_id: int) -> int:
        """The leaf index recording `notification_id`; UnknownLeafError if not (yet) logged."""
        with self._engine.connect() as conn:
            index = conn.execute(
                select(leaves_table.c.leaf_index).where(
                    leaves_table.c.notification_id == notification_id
                )
            ).scalar()
        if index is None:
            raise UnknownLeafError(f"notification {notification_id} is not in the log")
        return int(index)

    def last_notification_id(self) -> int:
        """The tracked position: the notification id of the last leaf (0 when empty)."""
        with self._engine.connect() as conn:
            return self._last_nid(conn)

    @staticmethod
    def _last_nid(conn: Connection) -> int:
        nid = conn.execute(
            select(leaves_table.c.notification_id)
            .order_by(leaves_table.c.leaf_index.desc())
            .limit(1)
        ).scalar()
        return 0 if nid is None else int(nid)

    # -- writing ----------------------------------------------------------------------------

    def _writer_tree(self) -> Tree:
        """The frontier, reloaded whenever the stored size is not the one we last wrote."""
        with self._engine.connect() as conn:
            size = self._size(conn)
            if self._tree is None or self._tree.size != size:
                self._tree = Tree.load(_SqlTreeStore(conn), size)
                self._last_notification_id = self._last_nid(conn)
        return self._tree

    def append(self, entries: Sequence[tuple[int, bytes]]) -> int:
        """Append leaves given as (notification id, leaf bytes), in one transaction.

        Notification ids must increase strictly and exceed the last logged one.
        Returns the new size.
        """
        tree = self._writer_tree()
        return self._append(tree, entries)

    def _append(self, tree: Tree, entries: Sequence[tuple[int, bytes]]) -> int:
        if not entries:
            return tree.size
        last = self._last_notification_id
        hashes: list[bytes] = []
        rows: list[tuple[int, int, bytes]] = []
        index = tree.size
        for nid, data in entries:
            if nid <= last:
                raise LogError(f"notification {nid} does not follow {last}")
            h = _sha256(LEAF_PREFIX + data).digest()
            hashes.append(h)
            rows.append((index, nid, h))
            index += 1
            last = nid
        update = tree.prepare(hashes)
        self._store(update, rows)
        tree.commit(update)
        self._last_notification_id = last
        log.debug(
            "ledger batch appended leaves=%d size=%d last_notification_id=%d",
            len(rows),
            update.size,
            last,
        )
        return update.size

    def _store(self, update: TreeUpdate, rows: list[tuple[int, int, bytes]]) -> None:
        tiles = [{"level": t, "idx": n, "hashes": blob} for (t, n), blob in update.tiles.items()]
        # The driver's own IntegrityError escapes from COPY, which SQLAlchemy does not wrap.
        integrity_errors = (IntegrityError, self._engine.dialect.loaded_dbapi.IntegrityError)
        try:
            with self._engine.begin() as conn:
                self._insert_leaf_rows(conn, rows)
                if tiles:
                    conn.execute(self._upsert_tiles(), tiles)
        except integrity_errors as exc:
            self._tree = None  # whatever we believed about the stored tree is stale now
            raise LogConflictError(
                f"leaves from {update.start} or their notifications are already logged "
                "(a second writer?)"
            ) from exc

    def _insert_leaf_rows(self, conn: Connection, rows: list[tuple[int, int, bytes]]) -> None:
        if self._engine.dialect.driver == "psycopg":
            # COPY is about 2.5x faster than psycopg's executemany for these small rows.
            dbapi = cast(Any, conn.connection.dbapi_connection)
            with (
                dbapi.cursor() as cursor,
                cursor.copy(
                    "COPY ledger_leaves (leaf_index, notification_id, leaf_hash) FROM STDIN"
                ) as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            conn.exec_driver_sql(self._insert_leaves, rows)

    def _upsert_tiles(self) -> Any:
        if self._engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            pg = pg_insert(tiles_table)
            return pg.on_conflict_do_update(
                index_elements=["level", "idx"], set_={"hashes": pg.excluded.hashes}
            )
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        lite = sqlite_insert(tiles_table)
        return lite.on_conflict_do_update(
            index_elements=["level", "idx"], set_={"hashes": lite.excluded.hashes}
        )

    def catch_up(
        self, recorder: NotificationSource, batch: int = 1000, *, limit: int | None = None
    ) -> int:
        """Append every notification after the tracked position; returns how many.

        Reads `batch` notifications at a time with `recorder.select_notifications` and commits
        each batch in one transaction. Stops at the end of the log or after `limit` leaves.
        A notification whose state cannot become a leaf raises RecordError and nothing of its
        batch is written: the follower stops rather than skip a record.
        """
        if batch < 1:
            raise ValueError("batch must be at least 1")
        tree = self._writer_tree()
        appended = 0
        while limit is None or appended < limit:
            want = batch if limit is None else min(batch, limit - appended)
            notifications: Sequence[StoredNotification] = recorder.select_notifications(
                self._last_notification_id, want, inclusive_of_start=False
            )
            if not notifications:
                break
            self._append(tree, [(n.id, leaf_bytes(n)) for n in notifications])
            appended += len(notifications)
            if len(notifications) < want:
                break
        if appended:
            log.info(
                "ledger caught up appended=%d size=%d last_notification_id=%d",
                appended,
                tree.size,
                self._last_notification_id,
            )
        return appended
