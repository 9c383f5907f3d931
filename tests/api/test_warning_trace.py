"""One trace from an API command to the warning it caused: an enterprise reports an accident
through POST /v1/commands, the relay publishes it to a real nats-server, the warning module's
real worker (the durable consumer `warning`) consumes it and records a red warning; the spans,
read from an in-memory exporter, form one trace from the HTTP request to the warning's store."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient
from opentelemetry.trace import SpanKind

from api.app import create_app
from ops.modules import warning_worker
from tests.api.conftest import World, bearer
from tests.nats_throwaway import NatsProcess
from tests.otel import by_name, parent_of, recording, span_id, trace_id, traceparent
from tests.streams.support import read_stream


def test_one_trace_links_an_api_command_to_the_warning_it_caused(
    nats: NatsProcess, world: World
) -> None:
    p = world.platform
    p.stream.catch_up()  # the fixture's own events, untraced
    worker = warning_worker(p, tick_seconds=3600)
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    now = datetime.now(UTC)
    accident = {
        "type": "accident.report",
        "actor": "e-wh",
        "region": "420102",
        "subject": str(uuid4()),
        "data": {
            "enterprise": world.wuhan,
            "happened_at": (now - timedelta(minutes=30)).isoformat(),
            "kind": "fall_from_height",
            "summary": "脚手架坍塌",
            "deaths": 1,
            "serious_injuries": 0,
            "direct_loss": 0,
        },
    }
    with recording() as exported, TestClient(create_app(world.backend)) as client:
        thread.start()
        try:
            answer = client.post("/v1/commands", json=accident, headers=bearer("ent-wh"))
            assert answer.status_code == 200, answer.text
            (reported,) = answer.json()["event_ids"]
            p.stream.catch_up()  # the relay (in `serve`, its own thread)
            deadline = time.monotonic() + 60
            while not by_name(exported.get_finished_spans(), "record warning.issue"):
                assert time.monotonic() < deadline, worker.status()
                time.sleep(0.05)
        finally:
            stop.set()
            thread.join(30)
        spans = exported.get_finished_spans()
    (published,) = [e for _, e in read_stream(nats.url) if e.get_id() == reported]
    (server,) = by_name(spans, "POST /v1/commands")
    (reported_span,) = by_name(spans, "record accident.report")
    publish = [
        s
        for s in by_name(spans, "publish ANJIAN_EVENTS")
        if s.attributes and s.attributes.get("messaging.message.id") == reported
    ]
    assert len(publish) == 1
    (process,) = [
        s
        for s in by_name(spans, "process ANJIAN_EVENTS")
        if s.attributes and s.attributes.get("cloudevents.event_id") == reported
    ]
    (warning,) = by_name(spans, "record warning.issue")
    assert {trace_id(s) for s in (server, reported_span, publish[0], process, warning)} == {
        trace_id(server)
    }
    assert process.kind == SpanKind.CONSUMER
    assert parent_of(process) == span_id(publish[0])
    assert parent_of(warning) == span_id(process)
    assert published.get_attributes()["traceparent"] == traceparent(publish[0])
    assert worker.status().recorded >= 1
