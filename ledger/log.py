"""The Merkle log: a follower of the event store's notification log, stored with SQLAlchemy.

One leaf per notification, in notification order, with the log's own gap-free leaf index
(notification ids may have gaps). Tables, in the event store's database or any other
(SQLite by default, PostgreSQL by URL):

    ledger_leaves  one row per block of 256 consecutive leaves (the level-0 tiles):
                   block (PK; leaves block*256 ...) | first_notification_id (unique)
                   | count (1..256) | notification_ids (count x 8-byte big-endian signed)
                   | leaf_hashes (count x 32 bytes)
    ledger_tiles   level t >= 1 | idx | hashes (concatenated 32-byte level-8t subtree hashes)

See ledger/tree.py for the tile layout. Leaf i is entry i mod 256 of block i // 256. Packing
256 leaves in a row is what lets the log append at a good fraction of the SHA-256 rate: a
batch of 1000 leaves writes about five rows, not a thousand. Each batch rewrites the open
block (at most 255 earlier leaves) and the partial upper tiles it extends, so a batch of b
leaves writes O(b + 256) hashes: amortised O(1) per leaf for batches of any useful size.

The tracked position is the last notification id of the last block, so the leaves, the tiles
they complete and the position are written in ONE transaction per batch: after a crash
(kill -9 included) the follower resumes after the last committed leaf, with no gap and no
duplicate. A second writer cannot fork the log: new blocks are inserted (a taken block number
is an IntegrityError) and the open block is only rewritten where it still holds exactly the
leaves this writer last saw; either way the loser gets LogConflictError and nothing of its
batch is kept. Full blocks are never written again.

Reads (size, root, proofs, leaves) always go to the database, so a reader process sees what
the writer has committed; proofs for any size up to the stored size cost O(log n) reads.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import operator
import struct
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

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
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import IntegrityError

from domain.following import Runner
from domain.log_reader import LogReader, NotificationSource
from ledger.errors import (
    LogConflictError,
    LogCorruptError,
    LogError,
    ProofInputError,
    UnknownLeafError,
)
from ledger.rfc6962 import HASH_SIZE, LEAF_PREFIX
from ledger.tree import (
    TILE_WIDTH,
    TileKey,
    Tree,
    TreeUpdate,
    consistency_proof_at,
    inclusion_proof_at,
    root_at,
)

__all__ = ["Leaf", "MerkleLog", "NotificationSource", "log_engine", "metadata"]

log = logging.getLogger(__name__)

# BIGINT on PostgreSQL; on SQLite the block number must be spelled INTEGER to be the rowid.
_BigInt = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

leaves_table = Table(
    "ledger_leaves",
    metadata,
    Column("block", _BigInt, primary_key=True, autoincrement=False),
    Column("first_notification_id", _BigInt, nullable=False, unique=True),
    Column("count", Integer, nullable=False),
    Column("notification_ids", LargeBinary, nullable=False),
    Column("leaf_hashes", LargeBinary, nullable=False),
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


def _pack_ids(ids: Sequence[int]) -> bytes:
    return struct.pack(f">{len(ids)}q", *ids)


def _unpack_ids(blob: bytes) -> tuple[int, ...]:
    return struct.unpack(f">{len(blob) // 8}q", blob)


@dataclass(frozen=True)
class Leaf:
    """One stored leaf. The leaf bytes are rebuilt from the event store (ledger.leaf)."""

    index: int
    notification_id: int
    hash: bytes


@dataclass(frozen=True)
class _Block:
    block: int
    ids: tuple[int, ...]
    hashes: bytes

    @classmethod
    def of(cls, row: Sequence[Any]) -> _Block:
        block, count, ids, hashes = int(row[0]), int(row[1]), bytes(row[2]), bytes(row[3])
        if not 0 < count <= TILE_WIDTH or len(ids) != 8 * count or len(hashes) != 32 * count:
            raise LogCorruptError(f"leaf block {block} does not hold {count} leaves")
        return cls(block, _unpack_ids(ids), hashes)

    def leaf(self, offset: int) -> Leaf:
        start = offset * HASH_SIZE
        return Leaf(
            self.block * TILE_WIDTH + offset, self.ids[offset], self.hashes[start : start + 32]
        )


_block_columns = (
    leaves_table.c.block,
    leaves_table.c.count,
    leaves_table.c.notification_ids,
    leaves_table.c.leaf_hashes,
)


def _blocks(conn: Connection, first: int, last: int) -> list[_Block]:
    rows = conn.execute(
        select(*_block_columns)
        .where(leaves_table.c.block >= first, leaves_table.c.block <= last)
        .order_by(leaves_table.c.block)
    )
    return [_Block.of(r) for r in rows]


def _last_block(conn: Connection) -> _Block | None:
    row = conn.execute(
        select(*_block_columns).order_by(leaves_table.c.block.desc()).limit(1)
    ).first()
    return None if row is None else _Block.of(row)


def _size_of(last: _Block | None) -> int:
    return 0 if last is None else last.block * TILE_WIDTH + len(last.ids)


class _SqlTreeStore:
    """TreeStore over one connection (one snapshot for all reads of a proof)."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def read_leaf_hashes(self, start: int, stop: int) -> Sequence[bytes]:
        if stop <= start:
            return []
        first = start // TILE_WIDTH
        blob = b"".join(b.hashes for b in _blocks(self._conn, first, (stop - 1) // TILE_WIDTH))
        base = first * TILE_WIDTH
        return [
            blob[i * HASH_SIZE : (i + 1) * HASH_SIZE]
            for i in range(start - base, min(stop - base, len(blob) // HASH_SIZE))
        ]

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        """One query for all of them: level-0 tiles are the leaf blocks (the open one
        included), the others are rows of ledger_tiles."""
        blocks = [n for t, n in keys if t == 0]
        upper = [(t, n) for t, n in keys if t > 0]
        parts = []
        if blocks:
            parts.append(
                select(
                    literal(0, Integer).label("level"),
                    leaves_table.c.block.label("idx"),
                    leaves_table.c.leaf_hashes.label("hashes"),
                ).where(leaves_table.c.block.in_(blocks))
            )
        if upper:
            # OR of equalities, not a row-value IN: SQLite plans the latter as a table scan.
            parts.append(
                select(tiles_table.c.level, tiles_table.c.idx, tiles_table.c.hashes).where(
                    or_(*(and_(tiles_table.c.level == t, tiles_table.c.idx == n) for t, n in upper))
                )
            )
        if not parts:
            return {}
        query = parts[0] if len(parts) == 1 else union_all(*parts)
        return {(int(r[0]), int(r[1])): bytes(r[2]) for r in self._conn.execute(query)}


def _sqlite_pragmas(synchronous: str) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # WAL lets readers (API, audit) run beside the writer; the timeout waits out the
        # event store's own writers, which share the file.
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    return on_connect


def log_engine(url: str | URL, *, synchronous: str = "NORMAL", **engine_kwargs: Any) -> Engine:
    """An engine on the log's database (see MerkleLog.open for `synchronous`); on SQLite its
    connections use WAL and wait out the event store's own writers."""
    if synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
        raise ValueError(f"unknown SQLite synchronous mode {synchronous!r}")
    url = make_url(url)
    engine = create_engine(url, **engine_kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas(synchronous.upper()))
    return engine


class MerkleLog:
    """The Merkle log stored in one SQL database (single writer, any number of readers)."""

    def __init__(self, engine: Engine, *, create: bool = True) -> None:
        if engine.dialect.name not in ("sqlite", "postgresql"):
            raise LogError(f"unsupported database {engine.dialect.name!r}")
        self._engine = engine
        if create:
            metadata.create_all(engine)
        # The writer's view of the stored log; reloaded whenever the stored size differs.
        self._tree: Tree | None = None
        self._open_ids: tuple[int, ...] = ()  # notification ids of the open block
        self._last_notification_id = 0
        self._known_size = 0  # a size the log is known to have reached (it never shrinks)

    @classmethod
    def open(
        cls, url: str | URL, *, synchronous: str = "NORMAL", **engine_kwargs: Any
    ) -> MerkleLog:
        """Open (creating the tables if needed) the log at a SQLAlchemy URL.

        `sqlite:///path/to/anjian.db` (the event store's file) or
        `postgresql+psycopg://user@host:port/db`.

        `synchronous` is SQLite's pragma for the log's own connections. NORMAL (in WAL mode)
        loses nothing on a process crash; on power loss it may drop the last committed
        batches, never corrupt or reorder them. That is safe here because the log is
        derived: leaves are a pure function of events that were durable before them (same
        file, same write-ahead log, earlier frames), so the follower re-derives the lost tail
        byte for byte, with the same roots. FULL adds an fsync per batch (about 4 ms here).
        """
        return cls(log_engine(url, synchronous=synchronous, **engine_kwargs))

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
        row = conn.execute(
            select(leaves_table.c.block, leaves_table.c.count)
            .order_by(leaves_table.c.block.desc())
            .limit(1)
        ).first()
        return 0 if row is None else int(row[0]) * TILE_WIDTH + int(row[1])

    def _checked_size(self, conn: Connection, size: int | None) -> int:
        if size is not None and 0 <= size <= self._known_size:
            return size  # the log only grows: no need to ask again
        stored = self._size(conn)
        self._known_size = max(self._known_size, stored)
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
        found = self.leaves(index, index + 1) if index >= 0 else []
        if not found:
            raise UnknownLeafError(f"no leaf at index {index}")
        return found[0]

    def leaves(self, start: int, stop: int) -> list[Leaf]:
        """The stored leaves with index in [start, stop), in order (for audits and exports)."""
        start = max(start, 0)
        if stop <= start:
            return []
        with self._engine.connect() as conn:
            blocks = _blocks(conn, start // TILE_WIDTH, (stop - 1) // TILE_WIDTH)
        return [
            b.leaf(offset)
            for b in blocks
            for offset in range(len(b.ids))
            if start <= b.block * TILE_WIDTH + offset < stop
        ]

    def leaf_index_of(self, notification_id: int) -> int:
        """The leaf index recording `notification_id`; UnknownLeafError if not (yet) logged."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(*_block_columns)
                .where(leaves_table.c.first_notification_id <= notification_id)
                .order_by(leaves_table.c.first_notification_id.desc())
                .limit(1)
            ).first()
        if row is not None:
            block = _Block.of(row)
            offset = bisect.bisect_left(block.ids, notification_id)
            if offset < len(block.ids) and block.ids[offset] == notification_id:
                return block.block * TILE_WIDTH + offset
        raise UnknownLeafError(f"notification {notification_id} is not in the log")

    def tile(self, level: int, index: int) -> bytes:
        """The stored hashes of tile (level, index) as they stand (ledger/tree.py layout; level
        0 is the leaf block, the open one included): up to 256 hashes, b"" if none is stored.
        Stored hashes never change, so a prefix of it is the tile of every smaller tree."""
        if not 0 <= level < 64 or not 0 <= index < 1 << 63:  # no such tile in any log
            return b""
        with self._engine.connect() as conn:
            return _SqlTreeStore(conn).read_tiles([(level, index)]).get((level, index), b"")

    def last_notification_id(self) -> int:
        """The tracked position: the notification id of the last leaf (0 when empty)."""
        with self._engine.connect() as conn:
            last = _last_block(conn)
        return 0 if last is None else last.ids[-1]

    # -- writing ----------------------------------------------------------------------------

    def _writer_tree(self) -> Tree:
        """The writer's frontier, reloaded whenever the stored size is not the one we wrote."""
        with self._engine.connect() as conn:
            last = _last_block(conn)
            size = _size_of(last)
            if self._tree is None or self._tree.size != size:
                self._tree = Tree.load(_SqlTreeStore(conn), size)
                self._open_ids = last.ids if last is not None and size % TILE_WIDTH else ()
                self._last_notification_id = 0 if last is None else last.ids[-1]
        return self._tree

    def append(self, entries: Sequence[tuple[int, bytes]], *, after: int | None = None) -> int:
        """Append leaves given as (notification id, leaf bytes), in one transaction.

        Notification ids must increase strictly and exceed the last logged one. With `after`
        (a follower's position: the notification id it read the entries after), the log must
        still end at that id: if another writer appended since, LogConflictError and nothing
        is written. Returns the new size.
        """
        if after is None or self._tree is None or self._last_notification_id != after:
            self._writer_tree()
        if after is not None and self._last_notification_id != after:
            raise LogConflictError(
                f"the log ends at notification {self._last_notification_id}, not {after} "
                "(a second writer?)"
            )
        assert self._tree is not None
        return self._append(self._tree, entries)

    def _append(self, tree: Tree, entries: Sequence[tuple[int, bytes]]) -> int:
        if not entries:
            return tree.size
        ids = [nid for nid, _ in entries]
        last = self._last_notification_id
        if ids[0] <= last or not all(map(operator.lt, ids, ids[1:])):
            raise LogError(f"notification ids must increase after {last}: {ids[:3]}...")
        sha, prefix = _sha256, LEAF_PREFIX
        hashes = [sha(prefix + data).digest() for _, data in entries]
        pending = tree.prepare(hashes)
        open_ids = self._store(tree, pending, ids)
        tree.commit(pending)
        self._open_ids = open_ids
        self._last_notification_id = ids[-1]
        log.debug(
            "ledger batch appended leaves=%d size=%d last_notification_id=%d",
            len(ids),
            pending.size,
            ids[-1],
        )
        return pending.size

    def _store(self, tree: Tree, pending: TreeUpdate, ids: list[int]) -> tuple[int, ...]:
        """Write the touched leaf blocks and the upper tiles in one transaction; returns the
        notification ids of the new open block."""
        old_count = tree.size % TILE_WIDTH
        all_ids = [*self._open_ids, *ids]
        all_hashes = [*tree.open_block, *pending.leaf_hashes]
        first_block = tree.size // TILE_WIDTH
        rows = []
        for i in range(0, len(all_ids), TILE_WIDTH):
            chunk = all_ids[i : i + TILE_WIDTH]
            rows.append(
                {
                    "block": first_block + i // TILE_WIDTH,
                    "first_notification_id": chunk[0],
                    "count": len(chunk),
                    "notification_ids": _pack_ids(chunk),
                    "leaf_hashes": b"".join(all_hashes[i : i + TILE_WIDTH]),
                }
            )
        tiles = [
            {"level": t, "idx": n, "hashes": blob}
            for (t, n), blob in pending.tiles.items()
            if t > 0  # level-0 tiles are the leaf blocks written here
        ]
        try:
            with self._engine.begin() as conn:
                if old_count:
                    # The open block grows in place, only if it still holds exactly what this
                    # writer believes: not grown by another writer, not altered by anyone.
                    head, *rows = rows
                    changed = conn.execute(
                        update(leaves_table)
                        .where(
                            leaves_table.c.block == head["block"],
                            leaves_table.c.count == old_count,
                            leaves_table.c.notification_ids == _pack_ids(self._open_ids),
                            leaves_table.c.leaf_hashes == b"".join(tree.open_block),
                        )
                        .values(
                            count=head["count"],
                            notification_ids=head["notification_ids"],
                            leaf_hashes=head["leaf_hashes"],
                        )
                    ).rowcount
                    if changed != 1:
                        raise LogConflictError(
                            f"leaf block {head['block']} changed under this writer "
                            "(a second writer, or tampering)"
                        )
                if rows:
                    conn.execute(insert(leaves_table), rows)
                if tiles:
                    conn.execute(self._upsert_tiles(), tiles)
        except (IntegrityError, LogConflictError) as exc:
            self._tree = None  # whatever we believed about the stored tree is stale now
            raise LogConflictError(
                f"leaves from {pending.start} are already logged (a second writer?)"
            ) from exc
        size = pending.size
        return tuple(all_ids[len(all_ids) - size % TILE_WIDTH :]) if size % TILE_WIDTH else ()

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

        The log as a follower (ledger.log_follower) driven by the one runner
        (domain.following) over `recorder`'s notification log, `batch` notifications a
        transaction, up to the end of the log or `limit` leaves. Each batch is read once the
        one before is kept (reading ahead gains nothing here: bench/ledger). A notification
        whose state cannot become a leaf raises LeafError and nothing of its batch is
        written: the follower stops rather than skip a record.
        """
        from ledger.log_follower import LeafFollower  # it builds on this module

        runner = Runner(LogReader(recorder), LeafFollower(self), batch, read_ahead=False)
        appended = runner.catch_up(limit=limit)
        if appended:
            log.info(
                "ledger caught up appended=%d size=%d last_notification_id=%d",
                appended,
                self.size(),
                self.last_notification_id(),
            )
        return appended
