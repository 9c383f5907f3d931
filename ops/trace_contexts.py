"""Trace contexts kept beside the stored events, outside everything signed or hashed.

Table `<prefix>_trace_contexts` (prefix: the events table's name without `_events`):

    notification_id  the stored event's notification id (primary key)
    traceparent      the W3C traceparent of the `store` span that inserted the event

The recorders (ops/recorders.py) insert one row per event in the transaction that inserts the
events and their command ids, only when a valid span context is current: with no tracer
provider installed (telemetry off) there is none, and nothing is written. A span the sampler
left out still has one: its context is kept, so the stream carries it on. The relay reads the rows
of each window (`trace_contexts(first, last)`, streams.tracing.TraceContexts) and publishes each
event with a PRODUCER span whose parent is its stored context, so the trace of the command
continues through the stream to the modules, later and in another process.

The envelope, its signature and the stored state are untouched: the Merkle leaf, the ledger's
hashes and an auditor's verification never see this table, and a store without it (created
before it existed) gets it, empty, at start-up (`CREATE TABLE IF NOT EXISTS`). The text stored
is rendered from the span's context, never copied from a request, so it is always
`00-<32 hex>-<16 hex>-<2 hex>` (55 characters).
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry import trace
from opentelemetry.trace import SpanKind

__all__ = ["current", "rows", "store_span", "table_name", "tracing"]

_tracer = trace.get_tracer("anjian")


def tracing() -> bool:
    """Whether a tracer provider is installed. Without one, a span would be the no-op that
    hands back the current span: the recorders then skip starting it, the same outcome
    without its cost on every insert."""
    return not isinstance(
        trace.get_tracer_provider(), (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
    )


def table_name(events_table_name: str) -> str:
    """`stored_events` → `stored_trace_contexts`, `anjian_events` → `anjian_trace_contexts`."""
    return events_table_name.removesuffix("_events") + "_trace_contexts"


def current() -> str | None:
    """The traceparent of the active span, or None (no valid span context)."""
    ctx = trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def rows(notification_ids: Sequence[int]) -> list[tuple[int, str]]:
    """(notification id, traceparent) for each id, when a span is active; else none."""
    context = current()
    if context is None:
        return []
    span = trace.get_current_span()
    if notification_ids and span.is_recording():
        span.set_attribute("anjian.notification.last", max(notification_ids))
    return [(n, context) for n in notification_ids]


def store_span(system: str, table: str, count: int) -> trace.Span:
    """A CLIENT span for one insert of `count` events (the caller makes it current)."""
    return _tracer.start_span(
        "store",
        kind=SpanKind.CLIENT,
        attributes={
            "db.system.name": system,
            "db.operation.name": "INSERT",
            "db.collection.name": table,
            "anjian.event.count": count,
        },
    )
