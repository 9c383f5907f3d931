"""streams/tracing.py: the relay publishes each traced event in a PRODUCER span under its stored
context, whatever that context holds; a worker's CONSUMER span continues the CloudEvent's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind, StatusCode

from ops.recorders import GatedSQLiteRecorder
from streams.relay import StreamUnavailable
from streams.tracing import consuming, parent
from tests.nats_throwaway import nats_server
from tests.otel import by_name, parent_of, recording, span_id, trace_id, traceparent
from tests.streams.support import platform, read_stream, register_enterprises, register_regulator


def test_each_traced_event_is_published_under_its_own_stored_context(tmp_path: Path) -> None:
    with nats_server(tmp_path / "nats") as server:
        p = platform(tmp_path / "home", server.url)
        try:
            register_regulator(p)  # untraced
            with recording() as exported:
                with trace.get_tracer("test").start_as_current_span("a"):
                    register_enterprises(p, 1)
                with trace.get_tracer("test").start_as_current_span("b"):
                    register_enterprises(p, 2, batch=2)
                p.stream.catch_up()
                spans = exported.get_finished_spans()
            events = read_stream(server.url)
        finally:
            p.close()
    stores = by_name(spans, "store")
    publishes = by_name(spans, "publish ANJIAN_EVENTS")
    assert [s.kind for s in publishes] == [SpanKind.PRODUCER] * 3
    a, b = stores  # one store a transaction: 1 event, then a batch of 2
    assert [parent_of(s) for s in publishes] == [span_id(a), span_id(b), span_id(b)]
    traced = [e for _, e in events if "traceparent" in e.get_attributes()]
    assert [e.get_attributes()["traceparent"] for e in traced] == [
        traceparent(s) for s in publishes
    ]
    assert len(events) - len(traced) == 2  # the genesis and the regulator: no trace


def test_a_tampered_stored_context_starts_a_new_trace_and_publishes_all_the_same(
    tmp_path: Path,
) -> None:
    with nats_server(tmp_path / "nats") as server:
        p = platform(tmp_path / "home", server.url)
        try:
            register_regulator(p)
            with recording(), trace.get_tracer("test").start_as_current_span("command"):
                register_enterprises(p, 2)
            recorder: Any = p.records.recorder
            assert isinstance(recorder, GatedSQLiteRecorder)
            with recorder.datastore.transaction(commit=True) as c:
                c.execute(
                    f"UPDATE {recorder.trace_contexts_table_name} SET traceparent = ?",
                    ("00-not-a-trace\n-x",),
                )
            with recording() as exported:
                assert p.stream.catch_up() == 4
                spans = exported.get_finished_spans()
            events = [e for _, e in read_stream(server.url)]
        finally:
            p.close()
    publishes = by_name(spans, "publish ANJIAN_EVENTS")
    assert [s.parent for s in publishes] == [None, None]
    assert len({trace_id(s) for s in publishes}) == 2
    carried = [e.get_attributes().get("traceparent") for e in events[-2:]]
    assert carried == [traceparent(s) for s in publishes]


def test_a_consumer_span_continues_the_trace_of_the_event_it_handles() -> None:
    producer = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    event = {"id": "e:1", "type": "cn.gov.hubei.anjian.hazard.reported.v1", "sequence": 9,
             "traceparent": producer, "subject": "x" * 10_000}  # fmt: skip
    subject = "anjian.events.4201.420102.hazard.reported"
    with recording() as exported:
        with (
            consuming(event, subject=subject, consumer="w"),
            trace.get_tracer("test").start_as_current_span("the module's command"),
        ):
            pass
        with consuming({"traceparent": "ff-garbage"}):
            pass
        spans = exported.get_finished_spans()
    command, continued, fresh = spans
    assert continued.kind == SpanKind.CONSUMER
    assert f"{trace_id(continued):032x}" == "0af7651916cd43dd8448eb211c80319c"
    assert parent_of(continued) == 0xB7AD6B7169203331
    assert parent_of(command) == span_id(continued)
    assert continued.attributes is not None
    assert continued.attributes["cloudevents.event_id"] == "e:1"
    assert continued.attributes["anjian.notification_id"] == 9
    assert continued.attributes["messaging.consumer.group.name"] == "w"
    assert "cloudevents.event_subject" not in continued.attributes  # too long to copy
    assert fresh.parent is None


def test_only_a_valid_w3c_traceparent_names_a_parent() -> None:
    valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    assert parent(valid) is not None
    for bad in [None, 42, "", "00-" + "0" * 32 + "-b7ad6b7169203331-01", valid + "\n", "x" * 4096,
                "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", " " + valid,
                valid + "-extra", valid.upper()]:  # fmt: skip
        assert parent(bad) is None, bad


def test_a_window_that_fails_ends_its_spans_in_error_and_the_retry_is_a_new_span(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with nats_server(tmp_path / "nats") as server:
        p = platform(tmp_path / "home", server.url)
        try:
            register_regulator(p)
            p.stream.catch_up()
            with recording(), trace.get_tracer("test").start_as_current_span("command"):
                register_enterprises(p, 1)

            def refused(messages: Any) -> None:
                raise StreamUnavailable("event x: no PubAck")

            with recording() as exported:
                with monkeypatch.context() as m:
                    m.setattr(p.stream.publisher, "publish", refused)
                    with pytest.raises(StreamUnavailable):
                        p.stream.catch_up()
                assert p.stream.catch_up() == 1
                spans = exported.get_finished_spans()
            (event,) = [e for _, e in read_stream(server.url)][-1:]
        finally:
            p.close()
    failed, published = by_name(spans, "publish ANJIAN_EVENTS")
    assert failed.status.status_code == StatusCode.ERROR
    assert failed.attributes is not None
    assert failed.attributes["error.type"] == "StreamUnavailable"
    assert published.status.status_code == StatusCode.UNSET
    assert parent_of(failed) == parent_of(published)  # both under the stored context
    assert event.get_attributes()["traceparent"] == traceparent(published)
