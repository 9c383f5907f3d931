"""Signed checkpoints of the Merkle log: when to sign, and where they are kept.

A checkpoint is the log's C2SP tlog-checkpoint body (origin, tree size, base64 root) in a C2SP
signed note by the log key (ledger/note.py). Table `ledger_checkpoints`, beside the log's:

    seq (PK, increasing) | tree_size | root (32 B) | origin | note (signed note text)
    | vkey (verifier key of the signer, name+keyid+base64) | created_at (UTC)

Table `ledger_cosignatures` holds what each witness answered for a checkpoint (C2SP
tlog-witness; the lines are C2SP tlog-cosignatures, verified before they are stored):

    checkpoint_seq | witness (its verifier key) (PK together) | line (the cosignature line, or
    NULL) | error (why the witness did not cosign, or NULL) | at (UTC)

Every row keeps the verifier key that signed it, so after a key rotation the old checkpoints
still verify with the old public key (an auditor decides which keys to trust; the stored vkey
only says which one to ask for).

`Checkpointer` signs the current head when `every_leaves` leaves were added since the last
checkpoint, or `every_seconds` passed and the tree grew, or the key changed. Before signing it
checks that the new head is consistent with the last checkpoint (an RFC 9162 consistency proof
from storage): a log never signs a history that contradicts what it signed before, and a
tampered leaf table stops the checkpointer with CheckpointError instead of being anchored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    delete,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from ledger.errors import CheckpointError, ProofError
from ledger.log import MerkleLog
from ledger.note import Checkpoint, Signer, Verifier, open_checkpoint, sign_checkpoint
from ledger.rfc6962 import HASH_SIZE, verify_consistency

__all__ = [
    "CheckpointStore",
    "Checkpointer",
    "StoredCheckpoint",
    "WitnessAnswer",
    "checkpoints_table",
    "cosignatures_table",
]

log = logging.getLogger(__name__)

_BigInt = BigInteger().with_variant(Integer, "sqlite")

metadata = MetaData()

checkpoints_table = Table(
    "ledger_checkpoints",
    metadata,
    Column("seq", _BigInt, primary_key=True, autoincrement=True),
    Column("tree_size", _BigInt, nullable=False, index=True),
    Column("root", LargeBinary(HASH_SIZE), nullable=False),
    Column("origin", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("vkey", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("tree_size", "vkey"),
)

cosignatures_table = Table(
    "ledger_cosignatures",
    metadata,
    Column("checkpoint_seq", _BigInt, primary_key=True),
    Column("witness", Text, primary_key=True),
    Column("line", Text, nullable=True),
    Column("error", Text, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class WitnessAnswer:
    """What one witness answered for one checkpoint: a cosignature line, or why not."""

    checkpoint_seq: int
    witness: str
    line: str | None
    error: str | None
    at: datetime


@dataclass(frozen=True)
class StoredCheckpoint:
    """One stored signed checkpoint."""

    seq: int
    size: int
    root: bytes
    origin: str
    note: str
    vkey: str
    created_at: datetime

    def verify(self, trusted: Iterable[str] | None = None) -> Checkpoint:
        """Open the note with the `trusted` verifier keys (default: the stored vkey only) and
        check that it says what the row says. Raises NoteError or CheckpointError."""
        vkeys = [self.vkey] if trusted is None else list(trusted)
        checkpoint, _ = open_checkpoint(
            self.note, [Verifier.from_vkey(k) for k in vkeys], origin=self.origin
        )
        if checkpoint.size != self.size or checkpoint.root != self.root:
            raise CheckpointError(f"checkpoint {self.seq}: the note and the row disagree")
        return checkpoint


def _row(row: Sequence[Any]) -> StoredCheckpoint:
    created = row[6]
    if created.tzinfo is None:  # SQLite keeps no offset; we only ever store UTC
        created = created.replace(tzinfo=UTC)
    return StoredCheckpoint(
        int(row[0]), int(row[1]), bytes(row[2]), row[3], row[4], row[5], created
    )


def _answer(row: Sequence[Any]) -> WitnessAnswer:
    at = row[4] if row[4].tzinfo is not None else row[4].replace(tzinfo=UTC)
    return WitnessAnswer(int(row[0]), row[1], row[2], row[3], at)


_columns = (
    checkpoints_table.c.seq,
    checkpoints_table.c.tree_size,
    checkpoints_table.c.root,
    checkpoints_table.c.origin,
    checkpoints_table.c.note,
    checkpoints_table.c.vkey,
    checkpoints_table.c.created_at,
)


class CheckpointStore:
    """The `ledger_checkpoints` table (created if missing)."""

    def __init__(self, engine: Engine, *, create: bool = True) -> None:
        self._engine = engine
        if create:
            metadata.create_all(engine)

    def add(
        self, checkpoint: Checkpoint, note: str, vkey: str, created_at: datetime
    ) -> StoredCheckpoint:
        try:
            with self._engine.begin() as conn:
                key = conn.execute(
                    insert(checkpoints_table).values(
                        tree_size=checkpoint.size,
                        root=checkpoint.root,
                        origin=checkpoint.origin,
                        note=note,
                        vkey=vkey,
                        created_at=created_at,
                    )
                ).inserted_primary_key
        except IntegrityError as exc:
            raise CheckpointError(
                f"a checkpoint of size {checkpoint.size} by this key is already stored"
            ) from exc
        if key is None:
            raise CheckpointError("the database returned no sequence number")
        return StoredCheckpoint(
            int(key[0]), checkpoint.size, checkpoint.root, checkpoint.origin, note, vkey, created_at
        )

    def latest(self) -> StoredCheckpoint | None:
        """The most recent checkpoint, or None."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(*_columns).order_by(checkpoints_table.c.seq.desc()).limit(1)
            ).first()
        return None if row is None else _row(row)

    def get(self, seq: int) -> StoredCheckpoint:
        with self._engine.connect() as conn:
            row = conn.execute(select(*_columns).where(checkpoints_table.c.seq == seq)).first()
        if row is None:
            raise CheckpointError(f"no checkpoint {seq}")
        return _row(row)

    def covering(self, size: int) -> StoredCheckpoint | None:
        """The first checkpoint whose tree has at least `size` leaves (for a proof bundle of
        leaf `size - 1`), or None if no checkpoint covers it yet."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(*_columns)
                .where(checkpoints_table.c.tree_size >= size)
                .order_by(checkpoints_table.c.seq)
                .limit(1)
            ).first()
        return None if row is None else _row(row)

    def record_answer(self, answer: WitnessAnswer) -> None:
        """Store a witness's answer for a checkpoint, replacing an earlier one."""
        c = cosignatures_table.c
        with self._engine.begin() as conn:
            conn.execute(
                delete(cosignatures_table).where(
                    c.checkpoint_seq == answer.checkpoint_seq, c.witness == answer.witness
                )
            )
            conn.execute(
                insert(cosignatures_table).values(
                    checkpoint_seq=answer.checkpoint_seq,
                    witness=answer.witness,
                    line=answer.line,
                    error=answer.error,
                    at=answer.at,
                )
            )

    def answers(self, seq: int) -> list[WitnessAnswer]:
        """Every witness's stored answer for checkpoint `seq`."""
        c = cosignatures_table.c
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(c.checkpoint_seq, c.witness, c.line, c.error, c.at)
                .where(c.checkpoint_seq == seq)
                .order_by(c.witness)
            ).all()
        return [_answer(r) for r in rows]

    def cosigned(self, witness: str) -> list[int]:
        """The seqs of the checkpoints `witness` cosigned, oldest first."""
        c = cosignatures_table.c
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(c.checkpoint_seq)
                .where(c.witness == witness, c.line.is_not(None))
                .order_by(c.checkpoint_seq)
            ).all()
        return [int(r[0]) for r in rows]

    def cosigned_note(self, checkpoint: StoredCheckpoint) -> str:
        """The checkpoint's note with every stored cosignature line appended."""
        lines = [a.line for a in self.answers(checkpoint.seq) if a.line is not None]
        return checkpoint.note + "".join(lines)

    def since(self, seq: int = 0, limit: int = 1000) -> list[StoredCheckpoint]:
        """Checkpoints with seq > `seq`, oldest first (for anchoring and audits)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(*_columns)
                .where(checkpoints_table.c.seq > seq)
                .order_by(checkpoints_table.c.seq)
                .limit(limit)
            )
            return [_row(r) for r in rows]


class Checkpointer:
    """Signs the log's head every `every_leaves` leaves or `every_seconds` seconds."""

    def __init__(
        self,
        log: MerkleLog,
        signer: Signer,
        origin: str,
        *,
        every_leaves: int,
        every_seconds: float,
        store: CheckpointStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if every_leaves < 1 or every_seconds <= 0:
            raise ValueError("every_leaves must be >= 1 and every_seconds > 0")
        Checkpoint(origin, 0, bytes(HASH_SIZE))  # validates the origin early
        self._log = log
        self._signer = signer
        self._origin = origin
        self._every_leaves = every_leaves
        self._every_seconds = every_seconds
        self._clock = clock
        self.store = store if store is not None else CheckpointStore(log.engine)

    @property
    def signer(self) -> Signer:
        return self._signer

    def rotate(self, signer: Signer) -> None:
        """Sign from now on with `signer`; stored checkpoints keep their own vkey."""
        self._signer = signer

    def leaves_until_due(self) -> int:
        """How many leaves the log may grow by before a checkpoint is due by size."""
        latest = self.store.latest()
        if latest is None:
            return self._every_leaves
        return self._every_leaves - (self._log.size() - latest.size)

    def due(self, now: float | None = None) -> bool:
        """Whether `maybe_checkpoint` would sign now."""
        return self._due(self._log.size(), self.store.latest(), now)

    def _due(self, size: int, latest: StoredCheckpoint | None, now: float | None) -> bool:
        if latest is None:
            return size > 0
        if latest.vkey != self._signer.vkey:
            return True  # a new key: give verifiers of the new key a checkpoint at once
        grown = size - latest.size
        if grown >= self._every_leaves:
            return True
        now = self._clock() if now is None else now
        return grown > 0 and now - latest.created_at.timestamp() >= self._every_seconds

    def maybe_checkpoint(self, now: float | None = None) -> StoredCheckpoint | None:
        """Sign and store a checkpoint of the current head if one is due."""
        size, latest = self._log.size(), self.store.latest()
        if not self._due(size, latest, now):
            return None
        return self._sign(size, latest, now)

    def checkpoint(self, now: float | None = None) -> StoredCheckpoint:
        """Sign and store a checkpoint of the current head now (unless the latest one already
        is that head, signed by this key: then return it)."""
        size, latest = self._log.size(), self.store.latest()
        if latest is not None and latest.size == size and latest.vkey == self._signer.vkey:
            return latest
        return self._sign(size, latest, now)

    def _sign(
        self, size: int, latest: StoredCheckpoint | None, now: float | None
    ) -> StoredCheckpoint:
        root = self._log.root(size)
        if latest is not None:
            if size < latest.size:
                raise CheckpointError(
                    f"the log has {size} leaves, fewer than checkpoint {latest.seq} "
                    f"({latest.size}): refusing to sign a shorter history"
                )
            try:
                verify_consistency(
                    latest.size, size, latest.root, root, self._log.consistency(latest.size, size)
                )
            except ProofError as exc:
                raise CheckpointError(
                    f"the stored tree at size {size} is not consistent with checkpoint "
                    f"{latest.seq} (size {latest.size}): {exc}"
                ) from exc
        checkpoint = Checkpoint(self._origin, size, root)
        note = sign_checkpoint(checkpoint, self._signer)
        when = self._clock() if now is None else now
        stored = self.store.add(
            checkpoint, note, self._signer.vkey, datetime.fromtimestamp(when, UTC)
        )
        log.info(
            "ledger checkpoint signed seq=%d size=%d root=%s key=%s",
            stored.seq,
            size,
            root.hex(),
            self._signer.vkey.split("+", 2)[1],
        )
        return stored
