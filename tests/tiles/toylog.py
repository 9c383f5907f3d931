"""A Merkle log over a real event store, filled fast, with signed checkpoints: enough to serve
tiles of tens of thousands of leaves without the domain's write path (tests/ledger/toyapp.py
has the same event shape; here the events are inserted in bulk, unsigned by any actor, since
tiles only need their leaf bytes)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from sqlalchemy import text

from ledger.checkpoints import Checkpointer, CheckpointStore, StoredCheckpoint
from ledger.log import MerkleLog
from ledger.note import Signer
from services.ledger.tiles import TileServer
from tests.ledger.toyapp import ToyApp, new_app, postgres_env, sqlite_env
from tests.throwaway import Postgres

ORIGIN = "anjian.example/tiles"
_TOPIC = "tests.ledger.toyapp:Toy.Created"
_CHUNK = 10_000


def _state(n: int, data: str) -> bytes:
    envelope = json.dumps(
        {"actor": "inspector-0042", "data": {"n": n, "note": data}, "id": str(uuid4())},
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    return json.dumps(
        {
            "envelope": envelope,
            "key_id": "ab" * 16,
            "signature": "c2ln" * 22,
            "timestamp": {"_type_": "datetime_iso", "_data_": "2024-05-01T02:00:00.123456+00:00"},
        }
    ).encode()


def toy_events(first: int, count: int, data: str) -> list[StoredEvent]:
    """`count` stored events of fresh aggregates, numbered from `first` in their data."""
    return [StoredEvent(uuid4(), 1, _TOPIC, _state(first + i, data)) for i in range(count)]


def bundle_entries(bundle: bytes) -> list[bytes]:
    """The entries of an entry bundle (each a big-endian uint16 length and its bytes)."""
    out, at = [], 0
    while at < len(bundle):
        length = int.from_bytes(bundle[at : at + 2], "big")
        out.append(bundle[at + 2 : at + 2 + length])
        at += 2 + length
    assert at == len(bundle), "a truncated entry"
    return out


@dataclass
class ToyLog:
    """An event store and the Merkle log following it, in one database (SQLite or
    PostgreSQL)."""

    env: Mapping[str, str]
    url: str
    signer: Signer = field(default_factory=lambda: Signer.generate(ORIGIN))
    events: int = 0

    @classmethod
    def sqlite(cls, path: Path) -> ToyLog:
        return cls(sqlite_env(str(path)), f"sqlite:///{path}")

    @classmethod
    def postgres(cls, db: Postgres) -> ToyLog:
        return cls(postgres_env(db.host, db.port, db.user, db.dbname), db.url)

    def __post_init__(self) -> None:
        self.app: ToyApp = new_app(self.env)
        self.log = MerkleLog.open(self.url)
        self.checkpoints = CheckpointStore(self.log.engine)
        self.checkpointer = Checkpointer(
            self.log, self.signer, ORIGIN, every_leaves=1, every_seconds=1.0
        )

    def close(self) -> None:
        self.log.close()

    def server(self) -> TileServer:
        return TileServer(self.log, self.checkpoints, self.app.recorder)

    def record(self, count: int, data: str = 'quoted " back \\ 隐患\nline') -> None:
        """Store `count` more events (not logged yet)."""
        self.insert(toy_events(self.events, count, data))

    def insert(self, events: list[StoredEvent]) -> None:
        for start in range(0, len(events), _CHUNK):
            self.app.recorder.insert_events(events[start : start + _CHUNK])
        self.events += len(events)

    def log_events(self) -> int:
        """Append every stored event to the Merkle log (no checkpoint); the new size."""
        self.log.catch_up(self.app.recorder, 10_000)
        return self.log.size()

    def sync(self) -> StoredCheckpoint:
        """Log every stored event and sign a checkpoint of the head."""
        self.log_events()
        return self.checkpointer.checkpoint()

    def grow(self, count: int) -> StoredCheckpoint:
        self.record(count)
        return self.sync()

    def tamper_event(self, notification_id: int) -> None:
        """Change a logged event's stored state behind the log's back."""
        column = "rowid" if self.log.engine.dialect.name == "sqlite" else "notification_id"
        table = getattr(self.app.recorder, "events_table_name", "stored_events")
        with self.log.engine.begin() as conn:
            conn.execute(
                text(f"UPDATE {table} SET state = :s WHERE {column} = :n"),
                {"s": _state(-1, "changed"), "n": notification_id},
            )
