"""The Merkle log follower and its SQL storage (ledger.log): one contract, SQLite and PostgreSQL.

Each backend holds the event store (a toy eventsourcing application, tests/ledger/toyapp.py)
and the ledger tables in the same database, as in production.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import create_engine, text

from ledger import rfc6962
from ledger.errors import (
    LeafError,
    LogConflictError,
    LogError,
    ProofInputError,
    UnknownLeafError,
)
from ledger.keys import KeyPair
from ledger.leaf import leaf_bytes
from ledger.log import MerkleLog
from tests.ledger.toyapp import Toy, ToyApp, new_app, populate, postgres_env, signed, sqlite_env
from tests.throwaway import Postgres


@dataclass
class Backend:
    url: str
    env: dict[str, str]
    make_gap: Callable[[ToyApp], None]


def all_leaves(app: ToyApp) -> tuple[list[int], list[bytes]]:
    """Notification ids and leaf bytes rebuilt from the event store, from scratch."""
    notifications = app.recorder.select_notifications(None, 1_000_000)
    return [n.id for n in notifications], [leaf_bytes(n) for n in notifications]


def assert_log_matches_event_store(log: MerkleLog, app: ToyApp) -> None:
    ids, leaves = all_leaves(app)
    stored = log.leaves(0, len(ids) + 10)
    assert [leaf.index for leaf in stored] == list(range(len(ids)))  # gap-free, no duplicate
    assert [leaf.notification_id for leaf in stored] == ids
    assert [leaf.hash for leaf in stored] == [rfc6962.leaf_hash(x) for x in leaves]
    assert log.size() == len(ids)
    assert log.root() == rfc6962.root_hash(leaves)


class LogContract:
    @pytest.fixture
    def backend(self) -> Backend:
        raise NotImplementedError

    @pytest.fixture
    def app(self, backend: Backend) -> Iterator[ToyApp]:
        app = new_app(backend.env)
        yield app
        app.close()

    @pytest.fixture
    def log(self, backend: Backend) -> Iterator[MerkleLog]:
        log = MerkleLog.open(backend.url)
        yield log
        log.close()

    @pytest.fixture
    def key(self) -> KeyPair:
        return KeyPair.generate()

    def test_follower_appends_one_leaf_per_notification_in_order(
        self, app: ToyApp, log: MerkleLog, key: KeyPair
    ) -> None:
        populate(app, key, 60, events_each=3)
        assert log.catch_up(app.recorder, batch=7) == 180
        assert_log_matches_event_store(log, app)

    def test_catch_up_appends_only_what_is_new(
        self, app: ToyApp, log: MerkleLog, key: KeyPair
    ) -> None:
        populate(app, key, 10)
        assert log.catch_up(app.recorder) == 20
        assert log.catch_up(app.recorder) == 0
        root20 = log.root()
        populate(app, key, 300)
        assert log.catch_up(app.recorder, batch=64) == 600
        assert log.root(20) == root20
        assert_log_matches_event_store(log, app)

    def test_catch_up_stops_after_the_limit(
        self, app: ToyApp, log: MerkleLog, key: KeyPair
    ) -> None:
        populate(app, key, 20)
        assert log.catch_up(app.recorder, batch=3, limit=10) == 10
        assert log.size() == 10
        assert log.catch_up(app.recorder, batch=3) == 30

    def test_leaf_index_stays_gap_free_when_notification_ids_have_gaps(
        self, backend: Backend, app: ToyApp, log: MerkleLog, key: KeyPair
    ) -> None:
        populate(app, key, 5)
        backend.make_gap(app)
        populate(app, key, 5)
        ids, _ = all_leaves(app)
        assert ids != list(range(ids[0], ids[0] + len(ids)))  # the store has a gap
        log.catch_up(app.recorder, batch=4)
        assert_log_matches_event_store(log, app)
        for index, nid in enumerate(ids):
            assert log.leaf_index_of(nid) == index
            assert log.leaf(index).notification_id == nid
        missing = next(i for i in range(ids[0], ids[-1]) if i not in ids)
        with pytest.raises(UnknownLeafError):
            log.leaf_index_of(missing)

    def test_a_reopened_log_resumes_after_the_last_committed_leaf(
        self, backend: Backend, app: ToyApp, key: KeyPair
    ) -> None:
        populate(app, key, 700)  # enough for full level-0 tiles and a partial level-1 tile
        first = MerkleLog.open(backend.url)
        assert first.catch_up(app.recorder, batch=100, limit=555) == 555
        first.close()
        second = MerkleLog.open(backend.url)  # a new process: the frontier comes from storage
        assert second.last_notification_id() == all_leaves(app)[0][554]
        assert second.catch_up(app.recorder, batch=100) == 1400 - 555
        assert_log_matches_event_store(second, app)
        second.close()

    def test_proofs_at_any_size_verify_against_the_root_at_that_size(
        self, app: ToyApp, log: MerkleLog, key: KeyPair
    ) -> None:
        populate(app, key, 400, events_each=2)
        log.catch_up(app.recorder, batch=250)
        _, leaves = all_leaves(app)
        rng = random.Random(9162)
        for size in [1, 256, 257, 511, 512, 800, *rng.sample(range(1, 801), 10)]:
            root = log.root(size)
            assert root == rfc6962.root_hash(leaves[:size])
            for index in {0, size - 1, rng.randrange(size)}:
                proof = log.inclusion(index, size)
                rfc6962.verify_inclusion(index, size, log.leaf(index).hash, proof, root)
            old = rng.randrange(size + 1)
            rfc6962.verify_consistency(old, size, log.root(old), root, log.consistency(old, size))

    def test_a_record_that_cannot_become_a_leaf_stops_the_follower_before_its_batch(
        self, app: ToyApp, log: MerkleLog, key: KeyPair
    ) -> None:
        populate(app, key, 5)  # notifications 1..10
        app.save(Toy("not an envelope", "sig", "kid"))  # the 11th
        populate(app, key, 5)
        with pytest.raises(LeafError) as caught:
            log.catch_up(app.recorder, batch=4)
        bad = app.recorder.select_notifications(None, 100)[10].id
        assert caught.value.notification_id == bad
        assert log.size() == 8  # the batches before; nothing of the failing batch
        with pytest.raises(LeafError):  # and it keeps stopping there, never skipping it
            log.catch_up(app.recorder, batch=4)
        assert log.size() == 8

    @pytest.mark.parametrize("head_start", [0, 3], ids=["new block", "open block"])
    def test_a_second_writer_racing_the_first_fails_loudly_and_forks_nothing(
        self, backend: Backend, app: ToyApp, log: MerkleLog, key: KeyPair, head_start: int
    ) -> None:
        populate(app, key, 10)
        log.catch_up(app.recorder, limit=head_start)
        rival = MerkleLog.open(backend.url)

        class RacingRecorder:
            """Lets the rival append the same notifications while `log` reads them."""

            def select_notifications(self, *args: Any, **kwargs: Any) -> Sequence[Any]:
                rival.catch_up(app.recorder, limit=5)
                return app.recorder.select_notifications(*args, **kwargs)

        with pytest.raises(LogConflictError):
            log.catch_up(RacingRecorder(), batch=8)
        assert log.size() == head_start + 5  # the rival's leaves only
        assert log.catch_up(app.recorder) == 15 - head_start  # a retry resumes after them
        assert_log_matches_event_store(log, app)
        rival.close()

    def test_notification_ids_must_increase(self, log: MerkleLog) -> None:
        log.append([(5, b"five"), (9, b"nine")])
        with pytest.raises(LogError):
            log.append([(9, b"nine again")])
        with pytest.raises(LogError):
            log.append([(12, b"twelve"), (11, b"eleven")])
        assert log.size() == 2
        assert log.last_notification_id() == 9

    def test_unknown_leaves_and_sizes_beyond_the_log_are_refused(
        self, app: ToyApp, log: MerkleLog, key: KeyPair
    ) -> None:
        assert log.size() == 0
        assert log.root() == rfc6962.EMPTY_ROOT
        populate(app, key, 3)
        log.catch_up(app.recorder)
        with pytest.raises(UnknownLeafError):
            log.leaf(6)
        with pytest.raises(ProofInputError):
            log.inclusion(0, 7)
        with pytest.raises(ProofInputError):
            log.inclusion(6, 6)
        with pytest.raises(ProofInputError):
            log.root(7)
        with pytest.raises(ProofInputError):
            log.consistency(2, 7)


class TestSQLite(LogContract):
    @pytest.fixture
    def backend(self, tmp_path: Path) -> Backend:
        path = tmp_path / "anjian.db"

        def make_gap(app: ToyApp) -> None:
            # SQLite numbers rows max(rowid) + 1: a gap is rows deleted below the maximum.
            doomed = Toy(*signed(KeyPair.generate(), uuid4()))
            for _ in range(3):
                doomed.record(*signed(KeyPair.generate(), doomed.id))
            app.save(doomed)
            app.save(Toy(*signed(KeyPair.generate(), uuid4())))
            with create_engine(f"sqlite:///{path}").begin() as conn:
                gone = conn.execute(
                    text("DELETE FROM stored_events WHERE originator_id IN (:hex, :text)"),
                    {"hex": doomed.id.hex, "text": str(doomed.id)},
                )
                assert gone.rowcount == 4

        return Backend(f"sqlite:///{path}", sqlite_env(str(path)), make_gap)


@pytest.mark.postgres
class TestPostgres(LogContract):
    @pytest.fixture
    def backend(self, postgres: Postgres, postgres_url: str) -> Backend:
        def make_gap(app: ToyApp) -> None:
            # A rolled-back insert uses up sequence numbers: save a stale copy of an aggregate.
            (toy,) = populate(app, KeyPair.generate(), 1, events_each=1)
            stale: Toy = app.repository.get(toy.id)
            toy.record(*signed(KeyPair.generate(), toy.id))
            stale.record(*signed(KeyPair.generate(), toy.id))
            app.save(toy)
            with pytest.raises(Exception, match=r"(?i)integrity|conflict|duplicate"):
                app.save(stale)

        env = postgres_env(postgres.host, postgres.port, postgres.user, postgres.dbname)
        return Backend(postgres_url, env, make_gap)
