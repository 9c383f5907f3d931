"""Traces through the stream: the relay's PRODUCER spans and the modules' CONSUMER spans.

One trace runs from an HTTP request through the command and its store (services/ingest,
ops/recorders.py) to the stream and on to what a module records in answer:

    POST /v1/commands (SERVER) ─ record hazard.report ─ store ┄┄ publish ANJIAN_EVENTS (PRODUCER)
        ┄┄ process ANJIAN_EVENTS (CONSUMER, in a worker) ─ record sensor_alarm.raise ─ store ┄┄ …

The relay runs later, on another thread or in another process, so the context crosses the gap
through the store: the recorder keeps the traceparent of its `store` span beside each event
(ops/trace_contexts.py; `TraceContexts` here is what the relay reads it through), the relay
publishes the event inside a PRODUCER span whose parent is that context, and the CloudEvent's
`traceparent` extension is the PRODUCER span's. A worker wraps its handling of each event in
`consuming(event)`: a CONSUMER span whose parent is that traceparent, current while the worker
records its own command, so the command's spans and stored context join the same trace.

    with consuming(event, consumer="warning"):
        ingest.record([...], principal)

A traceparent that is not valid W3C trace context (from a tampered store or message) is
ignored: the span's parent is then the span current, if any (a new trace otherwise).
Messaging attributes follow the OpenTelemetry semantic conventions (messaging.system `nats`,
the subject as messaging.destination.name, the event id as messaging.message.id and
cloudevents.event_id).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from streams.stream import STREAM

__all__ = ["TraceContexts", "consuming", "parent", "producer_span", "traceparent_of"]

_tracer = trace.get_tracer("anjian")
_propagator = TraceContextTextMapPropagator()
_TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}")
MAX_ATTRIBUTE = 256  # characters of a consumed event's attribute copied onto its span


@runtime_checkable
class TraceContexts(Protocol):
    """Where the stored trace contexts are read (ops.recorders' recorders)."""

    def trace_contexts(self, first: int, last: int) -> Mapping[int, str]:
        """notification id → traceparent, for the ids from `first` to `last` that have one."""
        ...


def parent(traceparent: object) -> Context | None:
    """The context whose span is the remote parent `traceparent` names, None if it is not a
    valid W3C traceparent of version 00 exactly as written (no blanks, no line end around it,
    no field after it), the only form the platform writes."""
    if not isinstance(traceparent, str) or not _TRACEPARENT.fullmatch(traceparent):
        return None
    context = _propagator.extract({"traceparent": traceparent})
    if not trace.get_current_span(context).get_span_context().is_valid:
        return None
    return context


def traceparent_of(span: Span) -> str | None:
    """The W3C traceparent naming `span`, None if its context is not valid."""
    ctx = span.get_span_context()
    if not ctx.is_valid:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def producer_span(stored: str, event_id: str, sequence: int) -> Span:
    """The PRODUCER span publishing one event, child of its `stored` trace context (a new
    trace if that is not valid); the caller ends it once the PubAck is in."""
    return _tracer.start_span(
        f"publish {STREAM}",
        context=parent(stored),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "nats",
            "messaging.operation.type": "send",
            "messaging.operation.name": "publish",
            "messaging.message.id": event_id,
            "cloudevents.event_id": event_id,
            "anjian.notification_id": sequence,
        },
    )


def _attributes(event: Any) -> Mapping[str, Any]:
    if isinstance(event, Mapping):
        return event
    return dict(event.get_attributes())  # a cloudevents CloudEvent


def _short(value: object) -> str | None:
    return value if isinstance(value, str) and len(value) <= MAX_ATTRIBUTE else None


@contextmanager
def consuming(
    event: Any, *, subject: str | None = None, consumer: str | None = None
) -> Iterator[Span]:
    """A CONSUMER span, current for the block, whose parent is the `traceparent` of `event`
    (a CloudEvent of streams.cloudevent.read, or its attributes as a mapping); `subject` the
    NATS subject it came on, `consumer` the durable consumer's name."""
    attributes = _attributes(event)
    span_attributes: dict[str, Any] = {
        "messaging.system": "nats",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
    }
    for name, key in (
        ("messaging.message.id", "id"),
        ("cloudevents.event_id", "id"),
        ("cloudevents.event_type", "type"),
        ("cloudevents.event_subject", "subject"),
    ):
        value = _short(attributes.get(key))
        if value is not None:
            span_attributes[name] = value
    if _short(subject) is not None:
        span_attributes["messaging.destination.name"] = subject
    if _short(consumer) is not None:
        span_attributes["messaging.consumer.group.name"] = consumer
    sequence = attributes.get("sequence")
    if isinstance(sequence, int) and not isinstance(sequence, bool):
        span_attributes["anjian.notification_id"] = sequence
    with _tracer.start_as_current_span(
        f"process {STREAM}",
        context=parent(attributes.get("traceparent")),
        kind=SpanKind.CONSUMER,
        attributes=span_attributes,
    ) as span:
        yield span
