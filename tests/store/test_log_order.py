"""The PostgreSQL gap question, settled: a follower never passes a notification id that
commits later (domain.log_reader).

Records' recorder (ops.recorders, eventsourcing's plain insert path) locks the events table
before it draws ids, so ids become visible in id order and a gap a reader sees is final; with
the library's insert function (POSTGRES_ENABLE_DB_FUNCTIONS=y) they need not, and the reader
waits at a gap for as long as an insert that may fill it is in flight, and no longer.
"""

from __future__ import annotations

import contextlib
import random
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any, cast
from uuid import uuid4

import psycopg
import pytest
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow

from domain.application import Records
from domain.envelope import SignedCommand
from domain.errors import DomainError
from domain.following import Batch, Runner
from domain.ids import enterprise_id
from domain.log_reader import LogReader, Raw
from ledger.keys import KeyPair
from ledger.notary import Ed25519Notary
from ops.bootstrap import store_env
from ops.recorders import PostgresRecordsRecorder
from ops.schemas import CatalogSchemas
from ops.settings import Settings
from tests.ledger.toyapp import Toy, ToyApp, new_app, postgres_env, signed
from tests.support import Harness, new_uscc
from tests.throwaway import Postgres

pytestmark = pytest.mark.postgres


def registration(h: Harness, uscc: str | None = None) -> SignedCommand:
    uscc = uscc or new_uscc("420102")
    return h.sign(
        "r-wh",
        "enterprise.register",
        "420102",
        {
            "uscc": uscc,
            "name": f"企业{uscc[-6:]}",
            "industry": "metallurgy",
            "standardisation": "level3",
        },
        subject=enterprise_id(uscc),
    )


class Remembering:
    """A follower that keeps every id it handled, its position in memory."""

    name = "remembering"

    def __init__(self) -> None:
        self.handled: list[int] = []

    def position(self) -> int:
        return self.handled[-1] if self.handled else 0

    def decode(self, rows: Sequence[Raw]) -> list[int]:
        return [r.id for r in rows]

    def handle(self, batch: Batch[list[int]]) -> None:
        self.handled.extend(batch.items)


def stored_ids(records: Records) -> list[int]:
    return [n.id for n in records.recorder.select_notifications(None, 1_000_000)]


@pytest.fixture
def env(postgres_url: str) -> dict[str, str]:
    return store_env(Settings(database_url=postgres_url))


@pytest.fixture
def h(env: dict[str, str]) -> Iterator[Harness]:
    harness = Harness(env)
    harness.actor("r-wh", "regulator", "420100")
    yield harness
    harness.close()


def test_concurrent_writers_never_let_a_follower_pass_an_id_that_commits_later(
    h: Harness, env: dict[str, str]
) -> None:
    # Each writer thread has its own Records (its own connections). Some commands are sent
    # by two writers (one answer is "recorded before"), some enterprises are registered twice
    # under different command ids (the loser's insert rolls back: its ids become gaps).
    commands = [registration(h) for _ in range(240)]
    rivals = [registration(h, c.envelope.data["uscc"]) for c in commands[::20]]
    rng = random.Random(9)
    shares: list[list[SignedCommand]] = [commands[i::4] for i in range(4)]
    for i, share in enumerate(shares):
        share.extend(rng.sample(commands, 15))
        share.extend(rivals[i::4])
        rng.shuffle(share)
    follower = Remembering()
    runner = Runner(LogReader(h.records.recorder), follower, batch_size=7)
    stop = threading.Event()
    failures: list[BaseException] = []

    def write(records: Records, share: list[SignedCommand]) -> None:
        try:
            for command in share:
                with contextlib.suppress(DomainError):  # its rival registered it first
                    records.execute(command)
        except BaseException as exc:
            failures.append(exc)

    following = threading.Thread(target=runner.run, args=(stop, 0.001))
    stores = [Records(Ed25519Notary(), CatalogSchemas(), env=env) for _ in shares]
    writers = [threading.Thread(target=write, args=z) for z in zip(stores, shares, strict=True)]
    following.start()
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    stop.set()
    runner.wake()
    following.join()
    for records in stores:
        records.close()
    assert failures == []
    runner.catch_up()
    ids = stored_ids(h.records)
    assert ids[-1] - ids[0] + 1 > len(ids), "the writers left no gap to pass"
    assert follower.handled == ids  # every id, once, in order: none was passed over


class PausingRecorder(PostgresRecordsRecorder):
    """Records' recorder, halted inside its transaction (ids drawn, lock held) until released."""

    inside = threading.Event()
    release = threading.Event()

    def _insert_command_ids(self, curs: Cursor[DictRow], rows: list[Any]) -> None:
        super()._insert_command_ids(curs, rows)
        type(self).inside.set()
        assert type(self).release.wait(60)


def waiting_for_the_table(dsn: str, table: str) -> bool:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE relation = to_regclass(%s) AND NOT granted",
            (table,),
        ).fetchone()
    return bool(row and row[0])


def test_an_insert_waits_for_the_one_before_it_so_ids_become_visible_in_order(
    h: Harness, env: dict[str, str], postgres_dsn: str
) -> None:
    paused = Records(
        Ed25519Notary(),
        CatalogSchemas(),
        env={**env, "APPLICATION_RECORDER_TOPIC": get_topic(PausingRecorder)},
    )
    reader = LogReader(h.records.recorder)
    assert reader.commits_in_order
    table = cast(PostgresRecordsRecorder, paused.recorder).events_table_name
    before = stored_ids(h.records)[-1]
    first, second = registration(h), registration(h)
    results: dict[str, int] = {}
    PausingRecorder.inside.clear()
    PausingRecorder.release.clear()
    a = threading.Thread(target=lambda: results.update(a=paused.execute(first).notification_id))
    b = threading.Thread(target=lambda: results.update(b=h.records.execute(second).notification_id))
    try:
        a.start()
        assert PausingRecorder.inside.wait(60)
        b.start()
        for _ in range(6000):  # until the second insert queues behind the first's lock
            if waiting_for_the_table(postgres_dsn, table):
                break
            time.sleep(0.01)
        else:
            pytest.fail("the second insert did not wait for the first")
        assert reader.after(before, 100) == []
    finally:
        PausingRecorder.release.set()
        a.join()
        b.join()
        paused.close()
    assert results["a"] < results["b"]
    assert [r.id for r in reader.after(before, 100)] == [results["a"], results["b"]]


@pytest.fixture
def toy(postgres: Postgres) -> Iterator[ToyApp]:
    """A plain eventsourcing application inserting through the library's insert function."""
    app = new_app(postgres_env(postgres.host, postgres.port, postgres.user, postgres.dbname))
    yield app
    app.close()


def save_toy(app: ToyApp) -> None:
    app.save(Toy(*signed(KeyPair.generate(), uuid4())))


def insert_in_flight(app: ToyApp, dsn: str) -> tuple[psycopg.Connection[Any], int]:
    """An insert with no table lock, as the insert function makes it, left uncommitted."""
    conn = psycopg.connect(dsn)
    table: Any = app.recorder
    row = conn.execute(
        f"INSERT INTO {table.events_table_name} "
        "(originator_id, originator_version, topic, state) "
        "VALUES (%s, 1, 'in:flight', '{}') RETURNING notification_id",
        (uuid4(),),
    ).fetchone()
    assert row is not None
    return conn, int(row[0])


def test_without_the_table_lock_the_reader_waits_at_a_gap_while_its_insert_is_in_flight(
    toy: ToyApp, postgres_dsn: str
) -> None:
    reader = LogReader(toy.recorder, gap_grace=3600)  # no waiting on the clock
    assert not reader.commits_in_order
    save_toy(toy)
    start = reader.after(0, 100)[-1].id
    conn, late = insert_in_flight(toy, postgres_dsn)
    save_toy(toy)  # commits after `late` was drawn: its id is higher and visible first
    assert reader.after(start, 100) == []
    conn.commit()
    conn.close()
    assert [r.id for r in reader.after(start, 100)] == [late, late + 1]


def test_without_the_table_lock_a_rolled_back_insert_is_passed_once_it_has_ended(
    toy: ToyApp, postgres_dsn: str
) -> None:
    reader = LogReader(toy.recorder, gap_grace=3600)
    save_toy(toy)
    start = reader.after(0, 100)[-1].id
    conn, gone = insert_in_flight(toy, postgres_dsn)
    save_toy(toy)
    assert reader.after(start, 100) == []
    conn.rollback()
    conn.close()
    assert [r.id for r in reader.after(start, 100)] == [gone + 1]
