"""The OpenTelemetry SDK side of ops/telemetry.py: the providers and exporters it installs when
the operator asks for an export (imported only then: a process that exports nothing never
loads the SDK).

Before any span leaves, `QueryValuesRedacted` keeps the names and drops the values of its
`url.query` (FastAPI's SERVER spans record it): a search for a person's name must not reach
the trace backend. `console` exporters write to stderr, never into a command's output; `otlp`
is OTLP/HTTP with protobuf, configured by the OTEL_EXPORTER_OTLP_* variables.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

from opentelemetry.context import Context
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

__all__ = ["QueryValuesRedacted", "meter_provider", "redact_query", "resource", "tracer_provider"]


def redact_query(query: str) -> str:
    """`a=1&q=张三&flag` → `a=REDACTED&q=REDACTED&flag`: the names of a query, not its values."""
    parts = (part.partition("=") for part in query.split("&"))
    return "&".join(f"{name}=REDACTED" if sep else name for name, sep, _ in parts)


class QueryValuesRedacted(SpanProcessor):
    """Keeps the names and drops the values of a span's `url.query` (FastAPI's SERVER spans
    record it): a search for a person's name must not reach the trace backend."""

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        query = (span.attributes or {}).get("url.query")
        if isinstance(query, str) and query:
            span.set_attribute("url.query", redact_query(query))

    def on_end(self, span: ReadableSpan) -> None:
        return None

    def shutdown(self) -> None:
        return None

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def resource(service: str) -> Resource:
    """The resource of every span and metric: OTEL_SERVICE_NAME's service (default anjian)
    and OTEL_RESOURCE_ATTRIBUTES."""
    return Resource.create({SERVICE_NAME: service})


def tracer_provider(resource: Resource, exporters: Iterable[str | SpanExporter]) -> TracerProvider:
    """The SDK tracer provider: query values redacted, then each exporter (a name, `otlp` or
    `console`, or an exporter) behind a batch processor (OTEL_BSP_* tune it)."""
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(QueryValuesRedacted())
    for exporter in exporters:
        chosen = _span_exporter(exporter) if isinstance(exporter, str) else exporter
        provider.add_span_processor(BatchSpanProcessor(chosen))
    return provider


def meter_provider(resource: Resource, exporters: Iterable[str]) -> MeterProvider:
    """The SDK meter provider: each exporter named behind a periodic reader
    (OTEL_METRIC_EXPORT_INTERVAL)."""
    readers: list[MetricReader] = [
        PeriodicExportingMetricReader(_metric_exporter(name)) for name in exporters
    ]
    return MeterProvider(resource=resource, metric_readers=readers)


def _span_exporter(name: str) -> SpanExporter:
    if name == "console":
        return ConsoleSpanExporter(out=sys.stderr)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def _metric_exporter(name: str) -> MetricExporter:
    if name == "console":
        return ConsoleMetricExporter(out=sys.stderr)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter()
