"""What ingest tells OpenTelemetry: a span per batch, and the commands and rejections counters.

Through the OpenTelemetry API only: without a provider installed (ops/telemetry.py installs
one when the operator asks) every call here is a no-op, and a caller's trace context still
passes through to the store.

Span `record <command type>` (`record batch` for several types), INTERNAL, around the
transaction of one batch; the recorder's `store` span and the stored trace context hang
below it (ops/recorders.py), so the relay's publish continues the same trace:

    anjian.command.type     the command type, when the batch holds one type
    anjian.command.count    commands in the batch
    anjian.command.outcome  accepted (something new stored) | duplicate (all recorded before)
                            | refused (nothing stored)
    error.type, anjian.rule the domain error's name and the rule it names, when refused

A line refused before its batch reached the store (it does not parse, say) gets a span of its
own. Error messages are not recorded: they may quote a command's values.

Counters on the meter `anjian`:

    anjian.commands    {command}  per anjian.command.type and anjian.command.outcome; every
                                  command of a refused batch counts as refused (none is stored)
    anjian.rejections  {command}  per error.type and anjian.rule: each refusal once

A type outside the catalog is counted as `unknown`, so what a caller sends never becomes a
new time series.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.trace import Span, Status, StatusCode

from domain.catalog import CATALOG
from domain.errors import DomainError
from domain.stored import Recorded

__all__ = ["batch_span", "line_refused", "type_of"]

_tracer = trace.get_tracer("anjian")
_meter = metrics.get_meter("anjian")
COMMANDS = _meter.create_counter(
    "anjian.commands", unit="{command}", description="commands judged, by type and outcome"
)
REJECTIONS = _meter.create_counter(
    "anjian.rejections", unit="{command}", description="refusals, by error and rule"
)
UNKNOWN = "unknown"
MAX_TEXT = 65536  # a refused text is read again for its type only up to this length


def type_of(value: object) -> str:
    """The command type of a line or envelope, if the catalog knows it; else `unknown`."""
    if isinstance(value, Mapping):
        envelope = value.get("envelope")
        if isinstance(envelope, str):  # a pre-signed line: the type is inside the text
            return _known(_type_in(envelope)) if len(envelope) <= MAX_TEXT else UNKNOWN
        return _known(value.get("type"))
    return _known(value)


def _type_in(text: str | bytes) -> object:
    """The `type` of a JSON object's text, None if it is not one (or holds an envelope whose
    text names it: the type inside it)."""
    try:
        parsed = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(parsed, dict):
        return None
    if isinstance(parsed.get("envelope"), str):
        return _type_in(parsed["envelope"])
    return parsed.get("type")


def _known(value: object) -> str:
    return value if isinstance(value, str) and value in CATALOG else UNKNOWN


def _refused(span: Span, error: DomainError) -> None:
    name = type(error).__name__
    attributes = {"error.type": name, "anjian.rule": error.rule or "-"}
    REJECTIONS.add(1, attributes)
    span.set_attributes({"anjian.command.outcome": "refused", **attributes})
    span.set_status(Status(StatusCode.ERROR, name))


def line_refused(line: object, error: DomainError) -> None:
    """A line refused before it reached the store (a parsed object, or its JSON text):
    counted, and a span of its own."""
    if isinstance(line, bytes | str):  # read again only for its type, and only if short
        line = _type_in(line) if len(line) <= MAX_TEXT else None
        line = {"type": line}
    kind = type_of(line)
    COMMANDS.add(1, {"anjian.command.type": kind, "anjian.command.outcome": "refused"})
    with _tracer.start_as_current_span(f"record {kind}") as span:
        span.set_attributes({"anjian.command.type": kind, "anjian.command.count": 1})
        _refused(span, error)


class BatchSpan:
    """The span of one batch (None without a tracer provider), told its outcome once."""

    def __init__(self, span: Span | None, types: Sequence[str]) -> None:
        self.span = span
        self.types = types
        self.told = False

    def accepted(self, recorded: Sequence[Recorded]) -> None:
        self.told = True
        new = 0
        for r in recorded:
            outcome = "duplicate" if r.recorded_before else "accepted"
            new += not r.recorded_before
            COMMANDS.add(
                1, {"anjian.command.type": _known(r.type), "anjian.command.outcome": outcome}
            )
        if self.span is not None:
            attributes: dict[str, Any] = {
                "anjian.command.outcome": "accepted" if new else "duplicate"
            }
            if recorded:
                attributes["anjian.notification.last"] = max(r.notification_id for r in recorded)
            self.span.set_attributes(attributes)

    def refused(self, error: DomainError) -> None:
        self.told = True
        for kind in self.types:
            COMMANDS.add(1, {"anjian.command.type": kind, "anjian.command.outcome": "refused"})
        _refused(self.span or trace.INVALID_SPAN, error)


@contextmanager
def batch_span(types: Sequence[object]) -> Iterator[BatchSpan]:
    """The current span around one batch's transaction (`types`: its commands' types)."""
    known = [type_of(t) for t in types]
    if isinstance(
        trace.get_tracer_provider(), (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
    ):
        # No tracer provider: the span would be a no-op (the current one handed back), so
        # only the counters are kept, without a span's cost on every batch.
        yield BatchSpan(None, known)
        return
    distinct = set(known)
    name = f"record {known[0]}" if len(distinct) == 1 else "record batch"
    attributes: dict[str, Any] = {"anjian.command.count": len(known)}
    if len(distinct) == 1:
        attributes["anjian.command.type"] = known[0]
    with _tracer.start_as_current_span(
        name, attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as span:
        told = BatchSpan(span, known)
        try:
            yield told
        except Exception as exc:
            if not told.told:  # not the domain's refusal: the store failed, say
                span.set_attribute("error.type", type(exc).__name__)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
            raise
