"""Every published event is a CloudEvents 1.0 event in structured JSON mode that the SDK parses,
on the subject of its region and kind, carrying what an integrator needs to rebuild the signed
envelope and verify the actor's signature with nothing but the event and the actor's key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cloudevents.core.formats.json import JSONFormat

from domain.catalog import CATALOG
from domain.log_reader import LogReader
from domain.stored import StoredRecord
from ledger.canonical import canonical_text
from ops.bootstrap import Platform
from streams.cloudevent import CONTENT_TYPE, read
from streams.subjects import event_type, subject_of
from tests.nats_throwaway import NatsProcess, nats_server
from tests.streams.support import (
    example,
    platform,
    raw_messages,
    read_stream,
    record_province,
    write_keys,
)

Published = tuple[Platform, NatsProcess, list[StoredRecord], list[Any]]


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    base = tmp_path_factory.mktemp("published")
    with nats_server(base / "nats") as server:
        p = platform(base / "home", server.url)
        try:
            record_province(p, enterprises=6, months=6)
            p.stream.catch_up()
            yield p, server, list(p.records.notifications()), raw_messages(server.url)
        finally:
            p.close()


def test_the_stream_holds_every_stored_event_once_in_log_order(published: Published) -> None:
    _, _, stored, messages = published
    assert [read(m.data).get_id() for m in messages] == [r.event_id for r in stored]


def test_each_event_is_on_the_subject_of_its_region_and_kind(published: Published) -> None:
    _, _, stored, messages = published
    for rec, msg in zip(stored, messages, strict=True):
        assert msg.subject == subject_of(rec.envelope["region"], rec.type)
        assert msg.headers["Nats-Msg-Id"] == rec.event_id
        assert msg.headers["content-type"] == CONTENT_TYPE == "application/cloudevents+json"


def test_the_attributes_of_every_kind(published: Published) -> None:
    p, _, stored, messages = published
    kinds = set()
    for rec, msg in zip(stored, messages, strict=True):
        event = read(msg.data)
        a = event.get_attributes()
        env = rec.envelope
        kinds.add(rec.type.split(".")[0])
        assert a["specversion"] == "1.0"
        assert a["id"] == rec.event_id
        assert a["source"] == f"{p.settings.log_origin}/{env['region']}"
        assert a["type"] == event_type(rec.type)
        assert a["subject"] == str(rec.subject)
        assert a["time"] == datetime.fromisoformat(env["occurred_at"])
        assert a["time"].utcoffset() is not None
        assert a["dataschema"] == f"{p.settings.public_url}/v1/catalog/{rec.type}"
        assert a["datacontenttype"] == "application/json"
        assert event.get_data() == env["data"]
        assert a["sequence"] == rec.notification_id
        assert (a["actor"], a["role"], a["region"]) == (env["actor"], env["role"], env["region"])
        assert (a["signature"], a["keyid"]) == (rec.signature, rec.key_id)
        assert a["occurredat"] == env["occurred_at"]
        assert a["recordedat"] == rec.recorded_at
        assert a.get("channel") == env.get("channel")
        assert all(len(name) <= 20 for name in a)
        assert "traceparent" not in a  # no trace was active
    # The modules' records (warning, emergency) come from their workers, not the demo's build.
    modules = {"warning", "emergency"}
    assert kinds == {t.split(".")[0] for t in CATALOG} - {"person", "credit", *modules}


def test_the_payload_is_what_the_sdk_writes_for_the_event(published: Published) -> None:
    for msg in published[3]:
        event = read(msg.data)  # the SDK validates every attribute and extension name
        assert JSONFormat().write(event) == msg.data


def test_previous_names_the_event_before_in_the_log(published: Published) -> None:
    _, _, stored, messages = published
    previous = [read(m.data).get_attributes()["previous"] for m in messages]
    assert previous == [0] + [r.notification_id for r in stored[:-1]]


def test_the_signed_envelope_is_rebuilt_from_the_event_alone(published: Published) -> None:
    _, _, stored, messages = published
    consumer = example()
    for rec, msg in zip(stored, messages, strict=True):
        event = read(msg.data)
        assert consumer.signed_text(event) == rec.envelope_text.encode()


def test_every_signature_verifies_with_the_actors_key(published: Published, tmp_path: Path) -> None:
    p, server, _, _ = published
    consumer = example()
    keys = consumer.load_keys(str(write_keys(p, tmp_path / "keys.json")))
    verdicts = {consumer.verify(event, keys) for _, event in read_stream(server.url)}
    assert verdicts == {"ok"}


def test_a_tampered_event_fails_verification(published: Published, tmp_path: Path) -> None:
    p, _, _, messages = published
    consumer = example()
    keys = consumer.load_keys(str(write_keys(p, tmp_path / "keys.json")))
    original = json.loads(messages[-1].data)
    assert consumer.verify(read(messages[-1].data), keys) == "ok"
    for name, value in [
        ("data", {**original["data"], "extra": 1}),
        ("occurredat", original["occurredat"].replace("+08:00", "+00:00")),
        ("region", "420102" if original["region"] != "420102" else "420103"),
        ("actor", "someone-else"),
    ]:
        forged = read(json.dumps({**original, name: value}).encode())
        assert consumer.verify(forged, keys) in ("BAD SIGNATURE", "unknown key"), name


@pytest.mark.parametrize(
    "value",
    [0, -0.0, 1.0, 1.5, -2.25, 1e21, 1e-7, 123456789012.5, 5e-324, 1.7976931348623157e308,
     0.000001, 100.0, 2**53 - 1, "日本\u2028\x00\x1f", {"b": [1, {"a": None}], "a": True}],
)  # fmt: skip
def test_the_example_canonical_form_is_rfc_8785(value: Any) -> None:
    assert example().canonical(value) == canonical_text(value)


def test_the_example_sorts_keys_by_utf16_code_units() -> None:
    value = {"\ue000": 1, "\U0001f600": 2, "a": 3}
    assert example().canonical(value) == canonical_text(value)


def test_a_trace_active_at_publishing_is_carried_as_traceparent(published: Published) -> None:
    from opentelemetry.sdk.trace import TracerProvider

    p = published[0]
    rows = LogReader(p.records.recorder).after(0, 3)
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("relay") as span:
        _, traced = p.stream.decode(rows)
        ctx = span.get_span_context()
    _, untraced = p.stream.decode(rows)
    expected = f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"
    assert [read(m.payload).get_attributes()["traceparent"] for m in traced] == [expected] * 2
    assert ["traceparent" in read(m.payload).get_attributes() for m in untraced] == [False] * 2
