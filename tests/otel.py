"""OpenTelemetry in tests: in-memory exporters behind the process-global providers.

OpenTelemetry's providers are process-global and set once. The first test that asks installs:

- a `Switch` tracer provider, whose tracers start their spans on the provider it points at:
  the API's no-op provider (as in production without OTEL_* variables), except inside
  `recording()`, which points it at an SDK provider exporting to an InMemorySpanExporter.
  So other tests of the same process see the untraced platform they expect (no trace
  contexts stored, no `traceparent` in CloudEvents);
- a MeterProvider with an InMemoryMetricReader. Counters only ever grow: tests compare the
  values before and after (`Points.delta`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


class _SwitchedTracer(trace.Tracer):
    def __init__(self, switch: Switch, name: str) -> None:
        self.switch = switch
        self.name = name

    def _target(self) -> trace.Tracer:
        return self.switch.target.get_tracer(self.name)

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._target().start_span(*args, **kwargs)

    @contextmanager
    def start_as_current_span(  # type: ignore[override]
        self, *args: Any, **kwargs: Any
    ) -> Iterator[trace.Span]:
        with self._target().start_as_current_span(*args, **kwargs) as span:
            yield span


class Switch(trace.TracerProvider):
    """A tracer provider that delegates to `target`, switched by the tests."""

    def __init__(self) -> None:
        self.target: trace.TracerProvider = trace.NoOpTracerProvider()

    def get_tracer(self, instrumenting_module_name: str, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _SwitchedTracer(self, instrumenting_module_name)


_lock = threading.Lock()
_installed: dict[str, Any] = {}


def install() -> tuple[Switch, InMemoryMetricReader]:
    with _lock:
        if not _installed:
            switch = Switch()
            trace.set_tracer_provider(switch)
            reader = InMemoryMetricReader()
            metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
            assert trace.get_tracer_provider() is switch, "another tracer provider was set first"
            _installed.update(switch=switch, reader=reader)
        return _installed["switch"], _installed["reader"]


@contextmanager
def recording() -> Iterator[InMemorySpanExporter]:
    """Spans started in the block are recorded (SDK provider, in-memory exporter)."""
    switch, _ = install()
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    switch.target = provider
    try:
        yield exporter
    finally:
        switch.target = trace.NoOpTracerProvider()
        provider.shutdown()


def reader() -> InMemoryMetricReader:
    return install()[1]


@dataclass(frozen=True)
class Points:
    """Every data point of one collection: (metric name, attributes) → value (sum or gauge
    value; a histogram's count)."""

    values: Mapping[tuple[str, frozenset[tuple[str, Any]]], float]

    def get(self, name: str, **attributes: Any) -> float:
        return self.values.get((name, frozenset(attributes.items())), 0)

    def delta(self, before: Points, name: str, **attributes: Any) -> float:
        return self.get(name, **attributes) - before.get(name, **attributes)

    def named(self, name: str) -> dict[frozenset[tuple[str, Any]], float]:
        return {a: v for (n, a), v in self.values.items() if n == name}


def collect() -> Points:
    data = reader().get_metrics_data()
    values: dict[tuple[str, frozenset[tuple[str, Any]]], float] = {}
    for resource in data.resource_metrics if data is not None else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                for point in metric.data.data_points:
                    value = getattr(point, "value", None)
                    if value is None:
                        value = point.count  # type: ignore[union-attr]
                    key = (metric.name, frozenset(dict(point.attributes or {}).items()))
                    values[key] = value
    return Points(values)


def by_name(spans: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def span_id(span: ReadableSpan) -> int:
    ctx = span.get_span_context()
    assert ctx is not None
    return ctx.span_id


def trace_id(span: ReadableSpan) -> int:
    ctx = span.get_span_context()
    assert ctx is not None
    return ctx.trace_id


def traceparent(span: ReadableSpan) -> str:
    ctx = span.get_span_context()
    assert ctx is not None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"
