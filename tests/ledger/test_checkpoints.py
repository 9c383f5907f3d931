"""Signed checkpoints of the Merkle log (ledger.checkpoints), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ledger import rfc6962
from ledger.checkpoints import Checkpointer, CheckpointStore
from ledger.errors import (
    CheckpointError,
    InvalidSignatureError,
    LogConflictError,
    UnverifiedNoteError,
)
from ledger.log import MerkleLog
from ledger.note import Checkpoint, Signer, Verifier, open_checkpoint

ORIGIN = "anjian.example/hubei"
T0 = 1_714_550_400.0  # 2024-05-01T08:00:00Z; the tests pass `now` explicitly


class FakeClock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def grow(log: MerkleLog, n: int) -> None:
    start = log.last_notification_id() + 1
    log.append([(nid, b"event %d" % nid) for nid in range(start, start + n)])


def forge_leaf_hash(log: MerkleLog, index: int) -> None:
    """Replace one stored leaf hash behind the log's back."""
    block, offset = divmod(index, 256)
    with log.engine.begin() as conn:
        hashes = conn.execute(
            text("SELECT leaf_hashes FROM ledger_leaves WHERE block = :b"), {"b": block}
        ).scalar_one()
        forged = hashes[: offset * 32] + rfc6962.leaf_hash(b"forged") + hashes[offset * 32 + 32 :]
        conn.execute(
            text("UPDATE ledger_leaves SET leaf_hashes = :h WHERE block = :b"),
            {"h": forged, "b": block},
        )


class CheckpointContract:
    @pytest.fixture
    def url(self) -> str:
        raise NotImplementedError

    @pytest.fixture
    def log(self, url: str) -> Iterator[MerkleLog]:
        log = MerkleLog.open(url)
        yield log
        log.close()

    @pytest.fixture
    def clock(self) -> FakeClock:
        return FakeClock()

    @pytest.fixture
    def key(self) -> Signer:
        return Signer.generate(ORIGIN)

    @pytest.fixture
    def checkpointer(self, log: MerkleLog, key: Signer, clock: FakeClock) -> Checkpointer:
        return Checkpointer(log, key, ORIGIN, every_leaves=100, every_seconds=60, clock=clock)

    def test_an_empty_log_is_not_checkpointed(self, checkpointer: Checkpointer) -> None:
        assert checkpointer.maybe_checkpoint() is None
        assert checkpointer.store.latest() is None

    def test_first_leaves_are_checkpointed_at_once_as_a_c2sp_checkpoint(
        self, log: MerkleLog, checkpointer: Checkpointer, key: Signer
    ) -> None:
        grow(log, 3)
        stored = checkpointer.maybe_checkpoint()
        assert stored is not None
        assert (stored.size, stored.root, stored.vkey) == (3, log.root(), key.vkey)
        checkpoint, note = open_checkpoint(stored.note, [Verifier.from_vkey(key.vkey)])
        assert checkpoint == Checkpoint(ORIGIN, 3, log.root())
        assert stored.note.startswith(f"{ORIGIN}\n3\n")
        assert [s.name for s in note.signatures] == [ORIGIN]

    def test_checkpoint_is_due_every_n_leaves(
        self, log: MerkleLog, checkpointer: Checkpointer
    ) -> None:
        grow(log, 1)
        checkpointer.maybe_checkpoint()
        grow(log, 99)
        assert checkpointer.maybe_checkpoint() is None  # 99 new leaves, 0 s: not yet
        grow(log, 1)
        stored = checkpointer.maybe_checkpoint()
        assert stored is not None
        assert stored.size == 101

    def test_checkpoint_is_due_after_t_seconds_if_the_tree_grew(
        self, log: MerkleLog, checkpointer: Checkpointer, clock: FakeClock
    ) -> None:
        grow(log, 1)
        checkpointer.maybe_checkpoint()
        clock.now += 600
        assert checkpointer.maybe_checkpoint() is None  # no growth: nothing new to sign
        grow(log, 2)
        clock.now = T0 + 59
        assert checkpointer.maybe_checkpoint() is None
        clock.now = T0 + 60
        stored = checkpointer.maybe_checkpoint()
        assert stored is not None
        assert stored.size == 3
        assert stored.created_at.timestamp() == T0 + 60

    def test_explicit_checkpoint_of_an_unchanged_head_returns_the_latest(
        self, log: MerkleLog, checkpointer: Checkpointer
    ) -> None:
        grow(log, 5)
        first = checkpointer.checkpoint()
        assert checkpointer.checkpoint() == first
        assert len(checkpointer.store.since()) == 1

    def test_after_key_rotation_old_checkpoints_still_verify_with_the_old_key(
        self, log: MerkleLog, checkpointer: Checkpointer, key: Signer
    ) -> None:
        grow(log, 10)
        old = checkpointer.checkpoint()
        new_key = Signer.generate(ORIGIN)
        checkpointer.rotate(new_key)
        assert checkpointer.due()  # a checkpoint by the new key is due at once
        rotated = checkpointer.maybe_checkpoint()
        assert rotated is not None
        assert (rotated.size, rotated.vkey) == (10, new_key.vkey)
        grow(log, 100)
        newest = checkpointer.maybe_checkpoint()
        assert newest is not None
        both = [key.vkey, new_key.vkey]
        assert [c.vkey for c in checkpointer.store.since()] == [key.vkey] + [new_key.vkey] * 2
        for stored in checkpointer.store.since():
            assert stored.verify(both).size == stored.size
            assert stored.verify().size == stored.size  # with the key named in the row
        old.verify([key.vkey])
        with pytest.raises(UnverifiedNoteError):
            old.verify([new_key.vkey])
        with pytest.raises(UnverifiedNoteError):
            newest.verify([key.vkey])

    def test_a_tampered_subtree_hash_stops_the_checkpointer(
        self, log: MerkleLog, checkpointer: Checkpointer
    ) -> None:
        grow(log, 300)  # a full block (leaves 0..255) and an open one
        signed = checkpointer.checkpoint()
        with log.engine.begin() as conn:  # rewrite history below the signed size: the stored
            conn.execute(  # hash of leaves 0..255, which proofs use instead of the leaves
                text("UPDATE ledger_tiles SET hashes = :h WHERE level = 1 AND idx = 0"),
                {"h": rfc6962.leaf_hash(b"forged")},
            )
        grow(log, 100)
        with pytest.raises(CheckpointError, match="not consistent"):
            checkpointer.maybe_checkpoint()
        assert checkpointer.store.latest() == signed

    def test_a_tampered_open_block_stops_the_writer(self, log: MerkleLog) -> None:
        grow(log, 300)
        forge_leaf_hash(log, 290)  # in the block the writer is still filling
        with pytest.raises(LogConflictError):
            grow(log, 10)
        assert log.size() == 300

    def test_a_note_that_disagrees_with_its_row_is_reported(
        self, log: MerkleLog, checkpointer: Checkpointer
    ) -> None:
        grow(log, 4)
        stored = checkpointer.checkpoint()
        with log.engine.begin() as conn:
            conn.execute(text("UPDATE ledger_checkpoints SET tree_size = 5"))
        with pytest.raises(CheckpointError):
            checkpointer.store.get(stored.seq).verify()
        with log.engine.begin() as conn:
            conn.execute(
                text("UPDATE ledger_checkpoints SET tree_size = 4, note = :n"),
                {"n": stored.note.replace("\n4\n", "\n5\n")},
            )
        with pytest.raises(InvalidSignatureError):
            checkpointer.store.get(stored.seq).verify()

    def test_covering_finds_the_first_checkpoint_that_includes_a_leaf(
        self, log: MerkleLog, checkpointer: Checkpointer
    ) -> None:
        grow(log, 100)
        a = checkpointer.checkpoint()
        grow(log, 100)
        b = checkpointer.checkpoint()
        store = CheckpointStore(log.engine)
        assert store.covering(1) == a
        assert store.covering(100) == a
        assert store.covering(101) == b
        assert store.covering(201) is None
        assert store.since(a.seq) == [b]

    def test_invalid_cadence_is_refused(self, log: MerkleLog, key: Signer) -> None:
        with pytest.raises(ValueError, match="every_leaves"):
            Checkpointer(log, key, ORIGIN, every_leaves=0, every_seconds=1)
        with pytest.raises(ValueError, match="every_seconds"):
            Checkpointer(log, key, ORIGIN, every_leaves=1, every_seconds=0)


class TestSQLite(CheckpointContract):
    @pytest.fixture
    def url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'anjian.db'}"


@pytest.mark.postgres
class TestPostgres(CheckpointContract):
    @pytest.fixture
    def url(self, postgres_url: str) -> str:
        return postgres_url
