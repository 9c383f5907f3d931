"""One trace from an HTTP request to what a module records in answer, through a real
nats-server; the commands and rejections counters; the SERVER span's attributes."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient
from opentelemetry.trace import SpanKind, StatusCode

from api.app import create_app
from streams.tracing import consuming
from tests.api.conftest import World, bearer, hazard, record
from tests.nats_throwaway import NatsProcess
from tests.otel import (
    by_name,
    collect,
    install,
    parent_of,
    recording,
    span_id,
    trace_id,
    traceparent,
)
from tests.streams.support import read_stream


def _event(url: str, event_id: str) -> tuple[str, Any]:
    (found,) = [(s, e) for s, e in read_stream(url) if e.get_id() == event_id]
    return found


def test_one_trace_links_an_api_command_to_the_command_a_module_records_in_answer(
    nats: NatsProcess, world: World
) -> None:
    p = world.platform
    p.stream.catch_up()  # the fixture's own events, untraced
    with recording() as exported, TestClient(create_app(world.backend)) as client:
        answer = client.post(
            "/v1/commands", json=hazard(world.wuhan, "420102", "e-wh"), headers=bearer("ent-wh")
        )
        assert answer.status_code == 200, answer.text
        (reported,) = answer.json()["event_ids"]
        p.stream.catch_up()  # the relay, later (in `serve`: its own thread or process)
        subject, event = _event(nats.url, reported)
        with consuming(event, subject=subject, consumer="warning"):  # a module's worker
            (answered,) = record(p, "e-wh", [hazard(world.wuhan, "420102", "e-wh", "报警联动")])
        p.stream.catch_up()
        _, second = _event(nats.url, answered)
        spans = exported.get_finished_spans()

    (server,) = by_name(spans, "POST /v1/commands")  # FastAPI's own SERVER span
    (endpoint,) = by_name(spans, "fastapi.endpoint")
    first_record, second_record = by_name(spans, "record hazard.report")
    first_store, second_store = by_name(spans, "store")
    first_publish, second_publish = by_name(spans, "publish ANJIAN_EVENTS")
    (process,) = by_name(spans, "process ANJIAN_EVENTS")
    chain = [
        server, endpoint, first_record, first_store, first_publish,
        process, second_record, second_store, second_publish,
    ]  # fmt: skip
    assert {trace_id(s) for s in chain} == {trace_id(server)}
    assert server.parent is None
    for child, parent in zip(chain[1:], chain, strict=False):
        assert parent_of(child) == span_id(parent), (child.name, parent.name)
    kinds = [s.kind for s in chain]
    assert kinds == [
        SpanKind.SERVER, SpanKind.INTERNAL, SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.PRODUCER,
        SpanKind.CONSUMER, SpanKind.INTERNAL, SpanKind.CLIENT, SpanKind.PRODUCER,
    ]  # fmt: skip
    # The CloudEvents carry the PRODUCER spans as their traceparent.
    assert event.get_attributes()["traceparent"] == traceparent(first_publish)
    assert second.get_attributes()["traceparent"] == traceparent(second_publish)
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/v1/commands"
    assert server.attributes["http.response.status_code"] == 200
    assert first_record.attributes is not None
    assert first_record.attributes["anjian.command.outcome"] == "accepted"
    assert first_publish.attributes is not None
    assert first_publish.attributes["messaging.message.id"] == reported
    assert first_publish.attributes["messaging.destination.name"] == subject
    assert process.attributes is not None
    assert process.attributes["cloudevents.event_id"] == reported


def test_commands_are_counted_by_type_and_outcome_and_refusals_by_rule(
    world: World, client: TestClient
) -> None:
    before = collect()
    command = {**hazard(world.wuhan, "420102", "e-wh"), "id": str(uuid4())}
    for _ in range(2):  # the second time: a duplicate, answered with the first event
        assert (
            client.post("/v1/commands", json=command, headers=bearer("ent-wh")).status_code == 200
        )
    refused = client.post(  # bound to the Wuhan enterprise, reporting for Yichang's
        "/v1/commands", json=hazard(world.yichang, "420502", "e-wh"), headers=bearer("ent-wh")
    )
    assert refused.status_code == 403
    after = collect()
    hazards = {"anjian.command.type": "hazard.report"}
    for outcome in ("accepted", "duplicate", "refused"):
        counted = after.delta(
            before, "anjian.commands", **hazards, **{"anjian.command.outcome": outcome}
        )
        assert counted == 1, outcome
    rejections = after.named("anjian.rejections")
    assert {
        dict(a)["error.type"]: v - before.named("anjian.rejections").get(a, 0)
        for a, v in rejections.items()
    }.get("NotAuthorized") == 1


def test_a_type_a_caller_invents_is_counted_as_unknown(world: World, client: TestClient) -> None:
    before = collect()
    invented = "x" * 500
    body = {"type": invented, "actor": "e-wh", "region": "420102", "data": {}}
    assert client.post("/v1/commands", json=body, headers=bearer("ent-wh")).status_code == 422
    after = collect()
    assert not any(
        dict(a).get("anjian.command.type") == invented for a in after.named("anjian.commands")
    )
    unknown = {"anjian.command.type": "unknown", "anjian.command.outcome": "refused"}
    assert after.delta(before, "anjian.commands", **unknown) == 1


def test_one_server_span_a_request_continues_a_callers_trace(
    world: World, client: TestClient
) -> None:
    caller = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    with recording() as exported:
        client.get(
            f"/v1/enterprises/{world.wuhan}", headers={**bearer("reg-wh"), "traceparent": caller}
        )
        client.get("/v1/catalog", headers={"traceparent": "00-zz-not-a-trace-01"})
        client.request("BREW", "/v1/catalog")
        client.get("/no/such/route")
        spans = [s for s in exported.get_finished_spans() if s.kind == SpanKind.SERVER]
    continued, malformed, brewed, lost = spans
    assert continued.name == "GET /v1/enterprises/{uscc}"
    assert f"{trace_id(continued):032x}" == "0af7651916cd43dd8448eb211c80319c"
    assert parent_of(continued) == 0xB7AD6B7169203331
    assert malformed.parent is None  # a malformed traceparent starts a new trace
    assert brewed.name == "HTTP /v1/catalog"
    assert brewed.attributes is not None
    assert brewed.attributes["http.request.method"] == "_OTHER"
    assert lost.name == "GET"
    assert [s.attributes["http.response.status_code"] for s in spans if s.attributes] == [
        200, 200, 405, 404,
    ]  # fmt: skip
    assert {s.status.status_code for s in spans} == {StatusCode.UNSET}


def test_a_callers_trace_context_is_stored_with_its_command_even_when_no_span_is_recorded(
    world: World, client: TestClient
) -> None:
    """A tracer provider installed that records nothing (here the API's no-op; a sampler
    that leaves the request out does the same): the caller's context still reaches the store."""
    install()
    caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    answer = client.post(
        "/v1/commands",
        json=hazard(world.wuhan, "420102", "e-wh"),
        headers={**bearer("ent-wh"), "traceparent": caller},
    )
    assert answer.status_code == 200, answer.text
    (nid,) = answer.json()["notification_ids"]
    recorder: Any = world.platform.records.recorder
    assert recorder.trace_contexts(nid, nid) == {nid: caller}
