"""ops/telemetry.py: nothing leaves the process unless OTEL_* asks, OTLP when it does, JSON log
lines that carry the trace id, the operator's gauges, and values refused with one line.

Exporting is tested in child processes (the providers are process-global), against a small
OTLP/HTTP collector of the test's own that parses what it receives with the OTLP protobufs."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from ops.exporters import redact_query, tracer_provider
from ops.telemetry import JsonLines, Plan, TelemetryError, plan, register_gauges
from streams.metrics import warning_latency
from tests.otel import collect, recording

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import logging
from opentelemetry import metrics, trace
from ops.telemetry import configure
installed = configure()
with trace.get_tracer("probe").start_as_current_span("probe-span"):
    logging.getLogger("anjian.probe").warning("inside\\nthe span: 安监")
logging.getLogger("anjian.probe").warning("outside")
metrics.get_meter("anjian").create_counter("probe.count").add(1)
installed.shutdown()
print("done")
"""


class Collector:
    """An OTLP/HTTP collector on a port: records each request's path and body."""

    def __init__(self, port: int = 0) -> None:
        received: list[tuple[str, bytes]] = []
        self.received = received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                received.append((self.path, body))
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def paths(self) -> set[str]:
        return {p for p, _ in self.received}

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector() -> Iterator[Collector]:
    c = Collector()
    yield c
    c.close()


def probe(**env: str) -> subprocess.CompletedProcess[str]:
    """Run PROBE with only `env` of the telemetry variables set."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "ANJIAN_LOG_", "FASTAPI_OTEL"))
    }
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


# -- what the environment asks for -------------------------------------------------------------


def test_nothing_is_exported_when_no_otel_variable_is_set() -> None:
    assert plan({}) == Plan()
    assert not plan({}).exports
    assert not plan({"OTEL_SERVICE_NAME": "anjian-api"}).exports


def test_an_otlp_endpoint_alone_turns_on_otlp_for_both_signals() -> None:
    both = plan({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert (both.traces, both.metrics) == (("otlp",), ("otlp",))
    traces_only = plan({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"})
    assert (traces_only.traces, traces_only.metrics) == (("otlp",), ())


def test_exporters_named_explicitly_win_over_the_endpoint() -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_METRICS_EXPORTER": "none"}
    assert (plan(env).traces, plan(env).metrics) == (("otlp",), ())
    assert plan({"OTEL_TRACES_EXPORTER": "console,otlp"}).traces == ("console", "otlp")
    assert plan({"OTEL_TRACES_EXPORTER": " OTLP "}).traces == ("otlp",)


def test_otel_sdk_disabled_turns_everything_off() -> None:
    env = {"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp",
           "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318"}  # fmt: skip
    assert not plan(env).exports


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER: 'zipkin' is not one of"),
        ({"OTEL_METRICS_EXPORTER": "prometheus"}, "OTEL_METRICS_EXPORTER: 'prometheus'"),
        ({"OTEL_TRACES_EXPORTER": "none,otlp"}, "'none' cannot be combined"),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
         "OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' is not supported, only http/protobuf"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c", "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL":
          "http/json"}, "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json'"),
        ({"OTEL_SDK_DISABLED": "yes"}, "OTEL_SDK_DISABLED: 'yes' is not true or false"),
        ({"ANJIAN_LOG_FORMAT": "xml"}, "ANJIAN_LOG_FORMAT: 'xml' is not one of text, json"),
        ({"ANJIAN_LOG_LEVEL": "LOUD"}, "ANJIAN_LOG_LEVEL: 'LOUD' is not one of"),
    ],
)  # fmt: skip
def test_a_value_not_understood_is_refused_naming_the_variable(
    env: dict[str, str], message: str
) -> None:
    with pytest.raises(TelemetryError) as refused:
        plan(env)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_cli_refuses_a_bad_value_in_one_line_before_any_command(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ops.cli", "catalog"],
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "ANJIAN_HOME": str(tmp_path / "home"),
            "OTEL_TRACES_EXPORTER": "jaeger",
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "SettingsError: OTEL_TRACES_EXPORTER: 'jaeger' is not one of otlp, console, none"
    ]
    assert done.stdout == ""
    assert not (tmp_path / "home").exists()


# -- what leaves the process ---------------------------------------------------------------------


def _free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_a_process_that_exports_nothing_never_loads_the_sdk() -> None:
    script = (
        "import sys; from ops.telemetry import configure; configure(); import ops.cli; "
        "print(sorted(m for m in sys.modules if m.startswith('opentelemetry.sdk')))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    done = subprocess.run([sys.executable, "-c", script], env={**clean, "PYTHONPATH": str(ROOT)},
                          capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    assert done.stdout.strip() == "[]"


def test_with_no_otel_variable_nothing_is_sent_nor_printed() -> None:
    """Not even to the OTLP default port, where the spec's default exporter would send."""
    if not _free(4318):
        pytest.skip("port 4318 (the OTLP default) is in use here")
    default = Collector(4318)
    try:
        done = probe()
    finally:
        default.close()
    assert default.received == []
    assert done.stdout == "done\n"
    assert "probe-span" not in done.stderr
    assert "{" not in done.stderr  # no JSON: neither spans, metrics nor log objects


def test_an_otlp_endpoint_receives_the_spans_and_the_metrics(collector: Collector) -> None:
    done = probe(OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, OTEL_SERVICE_NAME="anjian-test")
    assert done.stdout == "done\n"
    assert collector.paths() == {"/v1/traces", "/v1/metrics"}
    spans = _spans(collector)
    assert [s.name for s in spans] == ["probe-span"]
    (body,) = [b for p, b in collector.received if p == "/v1/traces"]
    request = ExportTraceServiceRequest.FromString(body)
    (resource,) = request.resource_spans
    service = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert service["service.name"] == "anjian-test"
    metrics = [b for p, b in collector.received if p == "/v1/metrics"]
    assert any(b"probe.count" in b for b in metrics)


def test_the_console_exporter_writes_to_stderr_never_into_the_output() -> None:
    done = probe(OTEL_TRACES_EXPORTER="console")
    assert done.stdout == "done\n"
    assert '"name": "probe-span"' in done.stderr


def test_json_log_lines_carry_the_trace_id_of_the_exported_span(collector: Collector) -> None:
    done = probe(OTEL_EXPORTER_OTLP_ENDPOINT=collector.url, ANJIAN_LOG_FORMAT="json")
    inside, outside = [json.loads(line) for line in done.stderr.splitlines()]
    (span,) = _spans(collector)
    assert inside["trace_id"] == span.trace_id.hex()
    assert inside["span_id"] == span.span_id.hex()
    assert inside["message"] == "inside\nthe span: 安监"  # one line, the break escaped
    assert (inside["level"], inside["logger"]) == ("WARNING", "anjian.probe")
    assert datetime.fromisoformat(inside["time"]).utcoffset() == timedelta(0)
    assert "trace_id" not in outside
    assert outside["message"] == "outside"


def test_uvicorn_logs_through_the_json_lines_in_json_mode() -> None:
    script = (
        "import logging; from ops.telemetry import configure, uvicorn_log_config; configure(); "
        "print(uvicorn_log_config() is None); logging.getLogger('uvicorn.error').warning('up')"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "ANJIAN_LOG"))}

    def run(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", script],
            env={**clean, "PYTHONPATH": str(ROOT), **extra},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )

    json_mode = run(ANJIAN_LOG_FORMAT="json")
    assert json_mode.stdout == "True\n"
    assert json.loads(json_mode.stderr)["logger"] == "uvicorn.error"
    text_mode = run()
    assert text_mode.stdout == "False\n"


def test_plain_log_lines_stay_as_python_writes_them() -> None:
    done = probe()
    assert done.stderr.splitlines() == ["inside", "the span: 安监", "outside"]


def _spans(collector: Collector) -> list[Any]:
    out = []
    for path, body in collector.received:
        if path == "/v1/traces":
            for resource in ExportTraceServiceRequest.FromString(body).resource_spans:
                for scope in resource.scope_spans:
                    out.extend(scope.spans)
    return out


# -- the formatter, the redaction, the gauges, the warning latency -------------------------------


def _line(message: str, exc: bool = False) -> dict[str, Any]:
    record = logging.LogRecord("anjian.x", logging.ERROR, __file__, 1, message, (), None)
    if exc:
        try:
            raise ValueError("boom")
        except ValueError:
            record.exc_info = sys.exc_info()
    text = JsonLines().format(record)
    assert "\n" not in text
    parsed: dict[str, Any] = json.loads(text)
    return parsed


def test_a_json_line_is_one_line_whatever_the_message_holds() -> None:
    forged = 'ok"}\n{"level": "INFO", "message": "forged'
    line = _line(forged, exc=True)
    assert line["message"] == forged
    assert "ValueError: boom" in line["exception"]


def test_a_json_line_in_a_span_names_it() -> None:
    with recording() as exported:
        from opentelemetry import trace

        with trace.get_tracer("t").start_as_current_span("work") as span:
            line = _line("in work")
        ctx = span.get_span_context()
    assert exported.get_finished_spans()
    assert (line["trace_id"], line["span_id"]) == (f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}")


def test_query_values_never_leave_in_a_span() -> None:
    assert redact_query("q=%E5%BC%A0%E4%B8%89&page=2&flag") == "q=REDACTED&page=REDACTED&flag"
    exporter = InMemorySpanExporter()
    provider = tracer_provider(Resource.create({}), [exporter])
    span = provider.get_tracer("t").start_span(
        "GET /v1/documents", attributes={"url.query": "q=张三"}
    )
    span.end()
    provider.force_flush()
    (done,) = exporter.get_finished_spans()
    assert done.attributes is not None
    assert done.attributes["url.query"] == "q=REDACTED"
    provider.shutdown()


def test_the_gauges_read_the_callbacks_given_and_skip_one_that_fails() -> None:
    calls = {"n": 0}

    def failing() -> float:
        calls["n"] += 1
        raise RuntimeError("chain unreachable")

    register_gauges(
        follower_lag=lambda: {"ledger": 3, "projections": 0},
        stream_lag=lambda: {"warning": 7},
        anchor_age=lambda: 12.5,
        anchor_gas=failing,
    )
    points = collect()
    assert points.get("anjian.follower.lag", **{"anjian.follower": "ledger"}) == 3
    assert points.get("anjian.follower.lag", **{"anjian.follower": "projections"}) == 0
    assert points.get("anjian.stream.lag", **{"anjian.consumer": "warning"}) == 7
    assert points.get("anjian.anchor.age") == 12.5
    assert points.named("anjian.anchor.gas") == {}
    assert calls["n"] == 1
    register_gauges(anchor_gas=lambda: 54_500)  # replaces that one, keeps the others
    points = collect()
    assert points.get("anjian.anchor.gas") == 54_500
    assert points.get("anjian.anchor.age") == 12.5


def test_warning_latency_is_measured_from_the_events_recording() -> None:
    recorded = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
    before = collect()
    event = {"recordedat": recorded.isoformat()}
    assert warning_latency(event, recorded + timedelta(seconds=0.2)) == pytest.approx(0.2)
    assert warning_latency(event, recorded - timedelta(seconds=1)) == 0.0  # clocks apart
    assert warning_latency({"recordedat": "2026-12-06T03:00:00"}) is None  # no offset
    assert warning_latency({"recordedat": "yesterday"}) is None
    assert warning_latency({}) is None
    after = collect()
    assert after.delta(before, "anjian.warning.latency", **{"anjian.module": "warning"}) == 2
