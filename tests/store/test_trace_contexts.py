"""The trace context of each stored event, kept beside it in the transaction that stores it
(ops/trace_contexts.py), on every store: written only under a span, rolled back with a refused
command, never inside what is signed or hashed, and added to a store that predates it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

from domain.application import Records
from domain.envelope import SignedCommand
from domain.errors import SignatureRejected
from domain.ids import enterprise_id
from ledger.notary import Ed25519Notary
from ops import trace_contexts
from ops.bootstrap import store_env
from ops.recorders import GatedSQLiteRecorder
from ops.schemas import CatalogSchemas
from ops.settings import Settings
from tests.otel import by_name, parent_of, recording, span_id, traceparent
from tests.store.test_store_contract import StoreFixtures, registration
from tests.support import Harness, new_uscc

CALLER = SpanContext(
    0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, True, TraceFlags(TraceFlags.SAMPLED)
)


def last(h: Harness, subject: object) -> int | None:
    """The notification id of the last event of the store, checking it is `subject`'s."""
    *_, rec = h.records.notifications()
    assert rec.subject == subject
    return rec.notification_id


class TraceContextContract(StoreFixtures):
    """Subclasses provide `env` (a fresh store)."""

    def rows(self, h: Harness) -> dict[int, str]:
        recorder: Any = h.records.recorder
        return dict(recorder.trace_contexts(0, 2**62))

    def test_nothing_is_written_without_a_span(self, h: Harness) -> None:
        h.enterprise("r-wh")
        assert self.rows(h) == {}

    def test_each_event_keeps_the_context_of_the_store_span_that_inserted_it(
        self, h: Harness
    ) -> None:
        with recording() as exported:
            with trace.get_tracer("test").start_as_current_span("command") as command:
                uscc = h.enterprise("r-wh")
            spans = exported.get_finished_spans()
        (store,) = by_name(spans, "store")
        assert store.kind == SpanKind.CLIENT
        assert parent_of(store) == command.get_span_context().span_id
        nid = last(h, enterprise_id(uscc))
        assert self.rows(h) == {nid: traceparent(store)}
        assert len(traceparent(store)) == 55
        assert store.attributes is not None
        assert store.attributes["anjian.notification.last"] == nid

    @pytest.mark.parametrize("installed", [False, True])
    def test_a_callers_context_is_kept_without_a_tracer_provider(
        self, h: Harness, installed: bool, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """None installed (the recorder skips its span), or the API's no-op installed."""
        monkeypatch.setattr(trace_contexts, "tracing", lambda: installed)
        with trace.use_span(NonRecordingSpan(CALLER)):
            uscc = h.enterprise("r-wh")
        nid = last(h, enterprise_id(uscc))
        expected = f"00-{CALLER.trace_id:032x}-{CALLER.span_id:016x}-01"
        assert self.rows(h) == {nid: expected}

    def test_the_context_is_outside_the_stored_event(self, h: Harness) -> None:
        with recording(), trace.get_tracer("test").start_as_current_span("command"):
            h.enterprise("r-wh")
        (context,) = self.rows(h).values()
        for rec in h.records.notifications():
            recorder: Any = h.records.recorder
            (n,) = recorder.select_notifications(start=rec.notification_id, limit=1)
            assert context.split("-")[1].encode() not in n.state
            assert b"traceparent" not in n.state

    def test_a_refused_command_leaves_no_context(self, h: Harness) -> None:
        """SQLite inserts before the signature's verdict and rolls back on it."""
        cmd = registration(h, new_uscc(), "签名无效")
        forged = SignedCommand.of(cmd.text, h.keys["r-wh"].sign_b64(b"other"), cmd.key_id)
        with (
            recording() as exported,
            trace.get_tracer("test").start_as_current_span("command"),
            pytest.raises(SignatureRejected),
        ):
            h.records.execute(forged)
        assert self.rows(h) == {}
        assert h.records.recorded_command(cmd.envelope.id) is None
        if isinstance(h.records.recorder, GatedSQLiteRecorder):
            assert len(by_name(exported.get_finished_spans(), "store")) == 1  # it did insert

    def test_a_batch_keeps_one_context_for_each_of_its_events(self, h: Harness) -> None:
        cmds = [registration(h, new_uscc(), "批量") for _ in range(5)]
        with recording() as exported, trace.get_tracer("test").start_as_current_span("batch"):
            recorded = h.records.execute_batch(cmds)
        (store,) = by_name(exported.get_finished_spans(), "store")
        assert span_id(store)
        assert self.rows(h) == {r.notification_id: traceparent(store) for r in recorded}


class TestSQLiteFile(TraceContextContract):
    @pytest.fixture
    def env(self, tmp_path: Path) -> dict[str, str]:
        return store_env(Settings(home=tmp_path))

    def test_a_store_from_before_the_table_gets_it_at_start_up(self, tmp_path: Path) -> None:
        env = store_env(Settings(home=tmp_path))
        h = Harness(env)
        try:
            h.actor("r-wh", "regulator", "420100")
            recorder = h.records.recorder
            assert isinstance(recorder, GatedSQLiteRecorder)
            table = trace_contexts.table_name(recorder.events_table_name)
            with recorder.datastore.transaction(commit=True) as c:
                c.execute(f"DROP TABLE {table}")
            reopened = Records(Ed25519Notary(), CatalogSchemas(), env=env)  # this version
            try:
                with recording(), trace.get_tracer("test").start_as_current_span("command"):
                    recorded = reopened.execute(registration(h, new_uscc(), "升级之后"))
                contexts: Any = reopened.recorder
                assert list(contexts.trace_contexts(0, 2**62)) == [recorded.notification_id]
            finally:
                reopened.close()
        finally:
            h.close()


@pytest.mark.postgres
class TestPostgres(TraceContextContract):
    @pytest.fixture
    def env(self, postgres_url: str) -> dict[str, str]:
        return store_env(Settings(database_url=postgres_url))
