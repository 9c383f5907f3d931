"""Telemetry: the traces, metrics and log lines of an Anjian process (OpenTelemetry).

    from ops import telemetry
    telemetry.configure()   # once, first thing in every entry point (the CLI root: every
                            # command, `serve` and the workers included); idempotent

Nothing leaves the process unless the operator asks, through the standard variables:

    OTEL_SDK_DISABLED=true        nothing at all, whatever else is set
    OTEL_TRACES_EXPORTER          otlp | console | none (comma-separated for several);
                                  unset: otlp when an OTLP endpoint is set
                                  (OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT),
                                  none otherwise (the spec's default, otlp, would send spans to
                                  localhost:4318 from every CLI call)
    OTEL_METRICS_EXPORTER         the same, with OTEL_EXPORTER_OTLP_METRICS_ENDPOINT
    OTEL_EXPORTER_OTLP_PROTOCOL   http/protobuf (the exporter installed; grpc is refused)
    OTEL_SERVICE_NAME             default `anjian`

and everything else the SDK and the OTLP exporter read themselves (OTEL_RESOURCE_ATTRIBUTES,
OTEL_TRACES_SAMPLER[_ARG], OTEL_EXPORTER_OTLP_HEADERS / _TIMEOUT / _CERTIFICATE,
OTEL_METRIC_EXPORT_INTERVAL, OTEL_BSP_*). `console` writes to stderr, never into a command's
output. The values of a request's query string are replaced by REDACTED before any span
leaves (ops/exporters.py): the names stay. With no tracer provider installed nothing
is traced at all: no span is started, a caller's `traceparent` is not read, and no trace
context is stored beside the events.

Log lines (stderr):

    ANJIAN_LOG_FORMAT=json   one JSON object a line: time (with its offset), level, logger,
                             message, trace_id and span_id when a span is active, exception
    ANJIAN_LOG_FORMAT=text   (default) Python's own plain lines, as before
    ANJIAN_LOG_LEVEL         DEBUG | INFO | WARNING (default) | ERROR, for the json format

(uvicorn, in `serve`, takes `log_config=uvicorn_log_config()` so its lines are JSON too.)

Metrics live on the meter `anjian`: the commands and rejections counters of services/ingest
(services/ingest/telemetry.py), the warning latency of streams/metrics.py, and the gauges an
operator's process registers here with `register_gauges` (follower lag, anchor age and gas,
stream lag), read whenever the metrics are exported. docs/OPERATIONS.md lists them all.

A value that is not understood stops the process with TelemetryError naming the variable
(the CLI prints it as one line and exits 2): a typo must not silently turn telemetry off.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation

if TYPE_CHECKING:  # the SDK is imported only when something is exported (ops/exporters.py)
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.trace import TracerProvider

__all__ = [
    "JsonLines",
    "Plan",
    "Telemetry",
    "TelemetryError",
    "configure",
    "plan",
    "register_gauges",
    "uvicorn_log_config",
]

EXPORTERS = ("otlp", "console", "none")
PROTOCOL = "http/protobuf"
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
METER = "anjian"


class TelemetryError(ValueError):
    """An OTEL_* or ANJIAN_LOG_* variable holds a value this platform does not understand."""


@dataclass(frozen=True)
class Plan:
    """What `configure` installs, decided from the environment alone (`plan`)."""

    traces: tuple[str, ...] = ()  # exporters of spans: "otlp", "console"; () = none
    metrics: tuple[str, ...] = ()
    log_format: str = "text"
    log_level: str = "WARNING"
    service: str = "anjian"

    @property
    def exports(self) -> bool:
        return bool(self.traces or self.metrics)


def _exporters(env: Mapping[str, str], signal: str) -> tuple[str, ...]:
    name = f"OTEL_{signal.upper()}_EXPORTER"
    raw = env.get(name, "").strip().lower()
    if not raw:
        endpoints = ("OTEL_EXPORTER_OTLP_ENDPOINT", f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT")
        return ("otlp",) if any(env.get(e, "").strip() for e in endpoints) else ()
    chosen = [part.strip() for part in raw.split(",")]
    for part in chosen:
        if part not in EXPORTERS:
            raise TelemetryError(f"{name}: {part!r} is not one of {', '.join(EXPORTERS)}")
    if "none" in chosen and len(chosen) > 1:
        raise TelemetryError(f"{name}: 'none' cannot be combined with other exporters")
    return tuple(dict.fromkeys(p for p in chosen if p != "none"))


def _check_protocol(env: Mapping[str, str], signal: str) -> None:
    for name in (f"OTEL_EXPORTER_OTLP_{signal.upper()}_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"):
        value = env.get(name, "").strip().lower()
        if value:
            if value != PROTOCOL:
                raise TelemetryError(f"{name}: {value!r} is not supported, only {PROTOCOL}")
            return


def plan(env: Mapping[str, str]) -> Plan:
    """The telemetry `env` asks for (see the module docstring); TelemetryError if a value is
    not understood."""
    log_format = env.get("ANJIAN_LOG_FORMAT", "").strip().lower() or "text"
    if log_format not in LOG_FORMATS:
        raise TelemetryError(
            f"ANJIAN_LOG_FORMAT: {log_format!r} is not one of {', '.join(LOG_FORMATS)}"
        )
    log_level = env.get("ANJIAN_LOG_LEVEL", "").strip().upper() or "WARNING"
    if log_level not in LOG_LEVELS:
        raise TelemetryError(
            f"ANJIAN_LOG_LEVEL: {log_level!r} is not one of {', '.join(LOG_LEVELS)}"
        )
    disabled = env.get("OTEL_SDK_DISABLED", "").strip().lower()
    if disabled not in ("", "true", "false"):
        raise TelemetryError(f"OTEL_SDK_DISABLED: {disabled!r} is not true or false")
    service = env.get("OTEL_SERVICE_NAME", "").strip() or "anjian"
    if disabled == "true":
        return Plan(log_format=log_format, log_level=log_level, service=service)
    traces, metrics_ = _exporters(env, "traces"), _exporters(env, "metrics")
    if "otlp" in traces:
        _check_protocol(env, "traces")
    if "otlp" in metrics_:
        _check_protocol(env, "metrics")
    return Plan(traces, metrics_, log_format, log_level, service)


class JsonLines(logging.Formatter):
    """One JSON object per record, on one line (json.dumps escapes every line break and
    control character a message may hold, so no message can forge another line)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            line["trace_id"] = f"{ctx.trace_id:032x}"
            line["span_id"] = f"{ctx.span_id:016x}"
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


@dataclass
class Telemetry:
    """What `configure` installed in this process."""

    plan: Plan
    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    handler: logging.Handler | None = field(default=None, repr=False)

    def shutdown(self) -> None:
        """Flush and stop the exporters (the SDK also does it at interpreter exit)."""
        if self.tracer_provider is not None:
            self.tracer_provider.shutdown()
        if self.meter_provider is not None:
            self.meter_provider.shutdown()


_lock = threading.Lock()
_installed: list[Telemetry] = []  # what this process installed (at most one)


def configure(env: Mapping[str, str] | None = None) -> Telemetry:
    """Install what `env` (default: the process environment) asks for, once per process: a
    second call returns what the first installed. TelemetryError, before anything is
    installed, if a value is not understood."""
    with _lock:
        if _installed:
            return _installed[0]
        wanted = plan(os.environ if env is None else env)
        installed = Telemetry(wanted)
        if wanted.exports:
            from ops import exporters

            resource = exporters.resource(wanted.service)
            if wanted.traces:
                traces = exporters.tracer_provider(resource, wanted.traces)
                trace.set_tracer_provider(traces)
                installed.tracer_provider = traces
            if wanted.metrics:
                meters = exporters.meter_provider(resource, wanted.metrics)
                metrics.set_meter_provider(meters)
                installed.meter_provider = meters
        if wanted.log_format == "json":
            installed.handler = _json_logs(wanted.log_level)
        _installed.append(installed)
        return installed


def uvicorn_log_config() -> dict[str, Any] | None:
    """The `log_config` to hand `uvicorn.run`: None in JSON mode (uvicorn then installs no
    handler of its own and its records reach the JSON lines), uvicorn's default otherwise."""
    if _installed and _installed[0].plan.log_format == "json":
        return None
    from uvicorn.config import LOGGING_CONFIG

    return LOGGING_CONFIG


def _json_logs(level: str) -> logging.Handler:
    """JSON lines on stderr from the root logger (replacing Python's plain last resort)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(level)
    return handler


# -- the gauges an operator's process feeds ------------------------------------------------------

Lags = Callable[[], Mapping[str, float]]  # a name (follower, consumer) → how far behind
Reading = Callable[[], float | None]  # one value, or None when there is none yet


@dataclass
class _Sources:
    follower_lag: Lags | None = None
    stream_lag: Lags | None = None
    anchor_age: Reading | None = None
    anchor_gas: Reading | None = None


_sources = _Sources()
_gauges_lock = threading.Lock()
_gauges_created = threading.Event()  # the instruments exist (created once a process)
log = logging.getLogger("anjian.telemetry")


def register_gauges(
    *,
    follower_lag: Lags | None = None,
    stream_lag: Lags | None = None,
    anchor_age: Reading | None = None,
    anchor_gas: Reading | None = None,
) -> None:
    """Feed the observable gauges of the meter `anjian` from these callbacks, each called
    whenever metrics are collected (keep them cheap; one that raises is logged and skipped):

        anjian.follower.lag   {event}  per follower (anjian.follower): events behind the head
        anjian.stream.lag     {event}  per consumer (anjian.consumer): messages not yet acked
        anjian.anchor.age     s        since the newest anchor was confirmed
        anjian.anchor.gas     {gas}    gas used by the newest anchor transaction

    A callback given replaces the one given before for the same gauge; the others stay."""
    with _gauges_lock:
        for name, source in (
            ("follower_lag", follower_lag),
            ("stream_lag", stream_lag),
            ("anchor_age", anchor_age),
            ("anchor_gas", anchor_gas),
        ):
            if source is not None:
                setattr(_sources, name, source)
        if _gauges_created.is_set():
            return
        meter = metrics.get_meter(METER)
        meter.create_observable_gauge(
            "anjian.follower.lag",
            [_per("follower_lag", "anjian.follower")],
            unit="{event}",
            description="events of the log a follower has not handled yet",
        )
        meter.create_observable_gauge(
            "anjian.stream.lag",
            [_per("stream_lag", "anjian.consumer")],
            unit="{event}",
            description="messages of ANJIAN_EVENTS a consumer has not acknowledged yet",
        )
        meter.create_observable_gauge(
            "anjian.anchor.age",
            [_one("anchor_age")],
            unit="s",
            description="seconds since the newest anchor was confirmed on chain",
        )
        meter.create_observable_gauge(
            "anjian.anchor.gas",
            [_one("anchor_gas")],
            unit="{gas}",
            description="gas used by the newest anchor transaction",
        )
        _gauges_created.set()


def _read(name: str) -> Any:
    source = getattr(_sources, name)
    if source is None:
        return None
    try:
        return source()
    except Exception as exc:  # a gauge is skipped this time, never the whole export
        log.warning("gauge %s: %s: %s", name, type(exc).__name__, exc)
        return None


def _per(name: str, key: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
    def observe(_: CallbackOptions) -> Iterable[Observation]:
        values = _read(name) or {}
        return [Observation(v, {key: str(k)}) for k, v in sorted(values.items())]

    return observe


def _one(name: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
    def observe(_: CallbackOptions) -> Iterable[Observation]:
        value = _read(name)
        return [] if value is None else [Observation(value)]

    return observe
