"""A command id is recorded once, on every store: a resubmission is answered with the original
event, a reused id with other content is refused naming it, and the store itself refuses a
repeated id, so it decides between concurrent writers. Notification ids are never reused."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import closing
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import IntegrityError, Notification, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from domain.application import Records
from domain.envelope import SignedCommand
from domain.errors import BatchRejected, DuplicateCommand
from domain.permit import Permit
from domain.stored import Recorded
from ledger.canonical import canonical_text
from ledger.notary import Ed25519Notary
from ops import command_ids
from ops.bootstrap import sqlite_env, store_env
from ops.recorders import GatedSQLiteRecorder
from ops.schemas import CatalogSchemas
from ops.settings import Settings
from tests.store.test_store_contract import StoreFixtures
from tests.store.test_store_contract import registration as register
from tests.support import Harness, new_uscc

REGION = "420102"


def registration(h: Harness) -> SignedCommand:
    return register(h, new_uscc(), "武汉某冶金有限公司")


def resigned(h: Harness, cmd: SignedCommand, **changes: Any) -> SignedCommand:
    """`cmd` with envelope fields changed, signed again by its actor (same command id)."""
    envelope = {**cmd.envelope.parsed, **changes}
    text = canonical_text(envelope)
    key = h.keys[cmd.envelope.actor]
    return SignedCommand.of(text, key.sign_b64(text.encode()), key.key_id)


def count(h: Harness) -> int:
    return sum(1 for _ in h.records.notifications())


class CommandIdContract(StoreFixtures):
    """Subclasses provide `env` (a fresh store) and `nid_column` (the notification id)."""

    nid_column = ""

    def sql(self, h: Harness, statement: str, *params: object) -> list[Any]:
        """Run one statement on the store (`?` placeholders), as an insider could."""
        recorder: Any = h.records.recorder
        if not isinstance(recorder, GatedSQLiteRecorder):
            statement = statement.replace("?", "%s")
        statement = statement.format(
            events=recorder.events_table_name,
            command_ids=command_ids.table_name(recorder.events_table_name),
            nid=self.nid_column,
        )
        with recorder.datastore.transaction(commit=True) as c:
            c.execute(statement, params)
            return list(c.fetchall()) if statement.startswith("SELECT") else []

    def test_a_resubmitted_command_is_answered_with_its_original_event(self, h: Harness) -> None:
        cmd = registration(h)
        first = h.records.execute(cmd)
        before = count(h)
        again = h.records.execute(cmd)
        assert again == first._replace(recorded_before=True)
        assert (again.event_id, again.notification_id) == (first.event_id, first.notification_id)
        assert count(h) == before

    def test_a_reused_command_id_with_other_content_is_refused_naming_the_original(
        self, h: Harness
    ) -> None:
        cmd = registration(h)
        first = h.records.execute(cmd)
        before = count(h)
        other = resigned(h, cmd, occurred_at="2024-03-01T09:30:00+08:00",
                         data={**cmd.envelope.data, "name": "另一家"})  # fmt: skip
        with pytest.raises(DuplicateCommand) as info:
            h.records.execute(other)
        assert str(info.value).startswith(
            f"command {cmd.envelope.id} was already recorded as event {first.event_id}; "
            "this one differs in data.name, occurred_at"
        )
        assert (info.value.original, info.value.field) == (first.event_id, "id")
        assert count(h) == before

    def test_the_same_envelope_under_another_signature_is_refused(self, h: Harness) -> None:
        cmd = registration(h)
        h.records.execute(cmd)
        forged = SignedCommand.of(cmd.text, registration(h).signature, cmd.key_id)
        with pytest.raises(DuplicateCommand, match="differs in signature"):
            h.records.execute(forged)

    def test_replaying_a_creation_never_says_retry(self, h: Harness) -> None:
        cmd = registration(h)
        first = h.records.execute(cmd)
        assert h.records.execute(cmd).event_id == first.event_id
        assert h.records.execute_batch([cmd])[0].event_id == first.event_id
        with pytest.raises(BatchRejected) as info:
            h.records.execute_batch([registration(h), resigned(h, cmd, actor="r-other")])
        assert "retry" not in str(info.value)
        assert isinstance(info.value.cause, DuplicateCommand)

    def test_a_replayed_reinstatement_does_not_reactivate_a_suspended_permit(
        self, h: Harness
    ) -> None:
        uscc = h.enterprise("r-wh")
        permit = uuid4()

        def step(verb: str, data: dict[str, Any]) -> SignedCommand:
            return h.sign("r-wh", f"permit.{verb}", REGION, data, subject=permit)

        h.records.execute(step("apply", {"enterprise": uscc, "industry": "hazardous_chemicals",
                                         "scope": "液氯生产"}))  # fmt: skip
        h.records.execute(step("grant", {"number": "(鄂)WH安许证字[2024]001"}))
        h.records.execute(step("suspend", {"reason": "停产整顿"}))
        reinstate = step("reinstate", {"reason": "整改验收合格"})
        h.records.execute(reinstate)
        h.records.execute(step("suspend", {"reason": "再次停产整顿"}))
        before = count(h)
        assert h.records.execute(reinstate).recorded_before
        assert h.records.load(permit, Permit).status == "suspended"
        assert count(h) == before

    def test_a_batch_answers_recorded_commands_and_stores_the_new_ones_in_order(
        self, h: Harness
    ) -> None:
        old = [registration(h) for _ in range(3)]
        stored = h.records.execute_batch(old)
        new = [registration(h) for _ in range(2)]
        before = count(h)
        mixed = h.records.execute_batch([new[0], old[1], new[1], old[0]])
        assert [r.recorded_before for r in mixed] == [False, True, False, True]
        assert (mixed[1].event_id, mixed[3].event_id) == (stored[1].event_id, stored[0].event_id)
        assert count(h) == before + 2
        assert {n.notification_id for n in mixed[::2]}.isdisjoint(n.notification_id for n in stored)

    def test_a_command_repeated_in_one_batch_is_stored_once(self, h: Harness) -> None:
        cmd, other = registration(h), registration(h)
        before = count(h)
        recorded = h.records.execute_batch([cmd, other, cmd])
        assert recorded[2] == recorded[0]._replace(recorded_before=True)
        assert count(h) == before + 2

    def test_a_batch_reusing_an_id_with_other_content_stores_nothing(self, h: Harness) -> None:
        cmd = registration(h)
        h.records.execute(cmd)
        before = count(h)
        with pytest.raises(BatchRejected) as info:
            h.records.execute_batch([registration(h), resigned(h, cmd, region="420103")])
        assert (info.value.index, type(info.value.cause)) == (1, DuplicateCommand)
        assert "differs in region" in str(info.value)
        twice = registration(h)
        with pytest.raises(BatchRejected) as info:
            h.records.execute_batch([twice, registration(h), resigned(h, twice, region="420103")])
        assert info.value.index == 2
        assert "is also command 1 of this batch" in str(info.value)
        assert count(h) == before

    def test_the_store_refuses_a_repeated_command_id_whoever_inserts_it(self, h: Harness) -> None:
        cmd = registration(h)
        h.records.execute(cmd)
        [first] = h.records.recorder.select_events(cmd.envelope.subject)
        copy = type(first)(uuid4(), 1, first.topic, first.state)  # same state: same command id
        with pytest.raises(IntegrityError):
            h.records.recorder.insert_events([copy])
        with pytest.raises(IntegrityError):  # the ids handed over by Records decide too
            h.records.recorder.insert_events(
                [type(first)(uuid4(), 1, first.topic, b"{}")], command_ids=[cmd.envelope.id]
            )
        assert h.records.recorder.select_events(copy.originator_id) == []
        fine = type(first)(uuid4(), 1, first.topic, b"{}")
        with pytest.raises(IntegrityError):  # in a batch, nothing of it is stored
            h.records.recorder.insert_events([fine, copy], command_ids=[uuid4(), cmd.envelope.id])
        assert h.records.recorder.select_events(fine.originator_id) == []

    @pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
    def test_a_writer_losing_the_race_to_store_the_same_command_gets_its_event(
        self, h: Harness, env: dict[str, str], monkeypatch: pytest.MonkeyPatch, batch: bool
    ) -> None:
        cmd = registration(h)
        elsewhere = Records(Ed25519Notary(), CatalogSchemas(), env=env)
        recorder: Any = h.records.recorder
        insert: Callable[..., Sequence[int] | None] = recorder.insert_events
        won: list[Recorded] = []

        def insert_after_the_other_writer(*args: Any, **kwargs: Any) -> Sequence[int] | None:
            # The other writer commits between this writer's checks and its insert.
            if not won:
                won.append(elsewhere.execute(cmd))
            return insert(*args, **kwargs)

        monkeypatch.setattr(recorder, "insert_events", insert_after_the_other_writer)
        try:
            answer = h.records.execute_batch([cmd])[0] if batch else h.records.execute(cmd)
        finally:
            elsewhere.close()
        assert won
        assert answer == won[0]._replace(recorded_before=True)
        assert [r.type for r in h.records.notifications()].count("enterprise.register") == 1

    def test_a_store_without_command_id_rows_is_back_filled_at_start_up(
        self, h: Harness, env: dict[str, str]
    ) -> None:
        cmd = registration(h)
        first = h.records.execute(cmd)
        self.sql(h, "DELETE FROM {command_ids}")
        reopened = Records(Ed25519Notary(), CatalogSchemas(), env=env)
        try:
            assert reopened.execute(cmd) == first._replace(recorded_before=True)
            again = Records(Ed25519Notary(), CatalogSchemas(), env=env)  # idempotent
            again.close()
        finally:
            reopened.close()
        assert len(self.sql(h, "SELECT * FROM {command_ids}")) == count(h)

    def test_a_deleted_last_event_never_gives_its_notification_id_again(self, h: Harness) -> None:
        last = h.records.execute(registration(h))
        self.sql(h, "DELETE FROM {command_ids} WHERE notification_id = ?", last.notification_id)
        self.sql(h, "DELETE FROM {events} WHERE {nid} = ?", last.notification_id)
        following = h.records.execute(registration(h))
        assert following.notification_id > last.notification_id
        ids = [r.notification_id for r in h.records.notifications()]
        assert last.notification_id not in ids


class TestSQLiteFile(CommandIdContract):
    nid_column = "rowid"

    @pytest.fixture
    def env(self, tmp_path: Path) -> dict[str, str]:
        return store_env(Settings(home=tmp_path))


@pytest.mark.postgres
class TestPostgres(CommandIdContract):
    nid_column = "notification_id"

    @pytest.fixture
    def env(self, postgres_url: str) -> dict[str, str]:
        return store_env(Settings(database_url=postgres_url))


def test_records_refuse_to_start_on_a_recorder_that_does_not_keep_command_ids() -> None:
    plain = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": ":memory:"}
    with pytest.raises(TypeError, match="keeps command ids unique"):
        Records(Ed25519Notary(), CatalogSchemas(), env=plain)


def test_a_store_created_with_the_library_table_keeps_its_ids_and_stops_reusing_them(
    tmp_path: Path,
) -> None:
    """The library's SQLite table (rowids reused after a delete, no command id rows) is rebuilt
    at start-up with every notification id kept; the first event of a repeated id keeps it."""
    source = Harness(store_env(Settings(home=tmp_path)))
    source.actor("r-wh", "regulator", "420100")
    cmds = [registration(source) for _ in range(4)]
    source.records.execute_batch(cmds)
    events = list(source.records.recorder.select_notifications(start=1, limit=100))
    source.close()
    replayed = events[-1]  # stored again under another subject, as before ids were unique
    events.append(Notification(uuid4(), 1, replayed.topic, replayed.state, replayed.id + 1))
    del events[2]  # a gap
    old = tmp_path / "old.sqlite"
    library = SQLiteApplicationRecorder(SQLiteDatastore(str(old)))
    library.create_table()
    library.datastore.close()
    with closing(sqlite3.connect(old)) as db, db:
        db.executemany(
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?, ?)",
            [(n.id, UUID(str(n.originator_id)).hex, n.originator_version, n.topic, n.state)
             for n in events],
        )  # fmt: skip

    records = Records(Ed25519Notary(), CatalogSchemas(), env=sqlite_env(str(old)))
    try:
        kept = records.recorder.select_notifications(start=1, limit=100)
        assert [(n.id, n.state) for n in kept] == [(n.id, n.state) for n in events]
        answer = records.execute(cmds[-1])
        assert (answer.notification_id, answer.recorded_before) == (replayed.id, True)
        last = kept[-1].id
        with closing(sqlite3.connect(old)) as db, db:
            db.execute("DELETE FROM stored_events WHERE rowid = ?", (last,))
            sql = db.execute("SELECT sql FROM sqlite_master WHERE name = 'stored_events'")
            assert "AUTOINCREMENT" in sql.fetchone()[0]
        following = records.recorder.insert_events([StoredEvent(uuid4(), 1, "t", b"{}")])
    finally:
        records.close()
    assert following is not None
    assert following[0] > last
