"""`anjian stream`: the JetStream stream ANJIAN_EVENTS and its relay (streams/).

    stream status   the stream's sequence and messages, the relay's position and lag, consumers
    stream tail     a live, readable view of the events (filtered by region and kind)
    stream relay    the relay in the foreground, until stopped (a process of its own)
    stream types    the subjects and CloudEvents types, from the catalog (docs/STREAMS.md)

`stream_after` publishes what a command recorded (after `anjian record` and `anjian demo`):
`anjian demo` starts the embedded NATS server for it; `anjian record` publishes when NATS is
external or already running (`anjian serve`, `anjian stream relay`), else its events wait for
the relay.
"""

from __future__ import annotations

import asyncio
import json
import signal
import threading
from typing import Annotated, Any

import typer
from rich.markup import escape

from domain.catalog import CATALOG, KIND_NAMES
from domain.regions import region_name
from ops.bootstrap import Platform
from ops.cli.arguments import JsonOpt
from ops.cli.context import platform
from ops.cli.output import emit_json, err, fail, local_time, out, text_table
from ops.nats_server import NatsServerError
from streams.relay import Relay, StreamUnavailable
from streams.subjects import event_token, event_type, filter_subject, subject_of

__all__ = ["stream_after", "stream_app", "types_markdown"]

stream_app = typer.Typer(help="The event stream on NATS JetStream (ANJIAN_EVENTS).")


def _relay(p: Platform) -> Relay:
    try:
        return p.stream
    except NatsServerError as exc:
        fail(type(exc).__name__, str(exc))


def stream_after(p: Platform, *, start: bool = False) -> None:
    """Publish what the command recorded, one line on stderr. Without `start`, nothing when
    the embedded server does not run. An unreachable server is not an error: the events wait
    for the relay."""
    if not start and not p.nats_running():
        return
    try:
        relay = p.stream
    except NatsServerError as exc:
        err.print(f"stream: {escape(str(exc))}; the events wait for the relay", soft_wrap=True)
        return
    try:
        published = relay.catch_up()
    except StreamUnavailable as exc:
        err.print(
            f"stream: NATS unreachable ({escape(str(exc))}); {relay.status().lag} event(s) "
            "wait for the relay (anjian stream relay)",
            soft_wrap=True,
        )
        return
    err.print(f"stream: {published} event(s) published, lag {relay.status().lag}")


@stream_app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """The stream's sequence and message count, the relay's position, its lag in events and
    in seconds of recorded time, and the stream's consumers."""
    with platform() as p:
        relay = _relay(p)
        try:
            state = relay.publisher.state()
            consumers = relay.publisher.consumers()
        except StreamUnavailable as exc:
            fail(type(exc).__name__, f"NATS unreachable: {exc}")
        rs = relay.status()
    report: dict[str, Any] = {
        "stream": {
            "name": "ANJIAN_EVENTS",
            "messages": state.messages,
            "first_sequence": state.first_seq,
            "last_sequence": state.last_seq,
            "last_time": state.last_time.isoformat() if state.last_time else None,
            "consumers": consumers,
        },
        "relay": {
            "position": rs.position,
            "head": rs.head,
            "lag_events": rs.lag,
            "lag_seconds": rs.seconds,
        },
    }
    if as_json:
        emit_json(report)
        return
    rows = [
        ("stream messages 消息数", str(state.messages)),
        ("stream sequence 流序号", f"{state.first_seq}..{state.last_seq}"),
        ("relay position 中继位置", str(rs.position)),
        ("log head 日志头", str(rs.head)),
        ("lag 滞后", f"{rs.lag} event(s), {rs.seconds:.1f} s"),
        ("consumers 消费者", ", ".join(consumers) or "-"),
    ]
    out.print(text_table("ANJIAN_EVENTS", ("", ""), rows))


def _line(seq: int, attrs: dict[str, Any], zone: Any) -> str:
    spec = CATALOG.get(str(attrs.get("commandtype", "")))
    kind = str(attrs.get("commandtype", "?")).split(".", 1)[0]
    what = f"{KIND_NAMES.get(kind, kind)} {spec.event_zh if spec else attrs.get('type')}"
    region = str(attrs.get("region", ""))
    when = local_time(str(attrs.get("occurredat", "")), zone)
    return (
        f"#{seq} [{attrs.get('sequence')}] {when} {region} {region_name(region)} · {what} · "
        f"{attrs.get('subject')} · {attrs.get('actor')}"
    )


@stream_app.command("tail")
def tail_command(
    region: Annotated[
        str | None, typer.Option(help="a region code or prefix: 42, 4201, 420100, 420102")
    ] = None,
    kind: Annotated[str | None, typer.Option(help="a record kind: hazard, penalty, …")] = None,
    start: Annotated[
        int | None,
        typer.Option("--from", min=1, help="from this stream sequence (default: new events)"),
    ] = None,
    count: Annotated[int | None, typer.Option(min=1, help="stop after N events")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the stream's events as they arrive, with their Chinese names (Ctrl-C ends it)."""
    import nats

    from streams.connect import connect
    from streams.tail import tail

    if kind is not None and kind not in KIND_NAMES:
        fail("UnknownKind", f"--kind must be one of {', '.join(sorted(KIND_NAMES))}", 2)
    if region is not None and not (region.isdigit() and region.startswith("42")):
        fail("InvalidValue", "--region must be a Hubei code or prefix such as 4201", 2)
    subject = filter_subject(region, kind)

    async def show(options: dict[str, Any], zone: Any) -> None:
        servers = options.pop("servers")
        nc = await connect(",".join(servers), **options)
        try:
            async for seq, event in tail(nc.jetstream(), subject, start=start, count=count):
                attrs = {**event.get_attributes(), "data": event.get_data()}
                if as_json:
                    out.print(json.dumps(attrs, ensure_ascii=False, default=str), soft_wrap=True)
                else:
                    out.print(_line(seq, attrs, zone), soft_wrap=True)
        finally:
            await nc.close()

    with platform() as p:
        try:
            options = p.nats.connect_options()
        except NatsServerError as exc:
            fail(type(exc).__name__, str(exc))
        err.print(f"tail {subject} (Ctrl-C to stop)")
        try:
            asyncio.run(show(options, p.settings.zone))
        except KeyboardInterrupt:
            return
        except (OSError, nats.errors.Error) as exc:
            fail("StreamUnavailable", f"NATS unreachable: {type(exc).__name__}: {exc}")


@stream_app.command("relay")
def relay_command(
    poll: Annotated[float, typer.Option(help="seconds between polls when idle")] = 0.5,
) -> None:
    """Publish every recorded event to the stream, following the log until stopped (SIGTERM
    or Ctrl-C). NATS being down is no error: the relay waits and drains the backlog later."""
    stop = threading.Event()

    def stopping(*_: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    with platform() as p:
        relay = _relay(p)
        err.print(f"relay: position {relay.status().position} (Ctrl-C to stop)")
        try:
            relay.run(stop, poll)
        except KeyboardInterrupt:
            stop.set()
        err.print(f"relay: stopped at {relay.status().position}")


def types_markdown() -> str:
    """The event types of the stream as a Markdown table, from the catalog."""
    lines = [
        "| subject (…`<prefecture>.<county>.`) | CloudEvents `type` | command | 事件 |",
        "|---|---|---|---|",
    ]
    for ctype, spec in CATALOG.items():
        kind = ctype.split(".", 1)[0]
        lines.append(
            f"| `{kind}.{event_token(ctype)}` | `{event_type(ctype)}` | `{ctype}` | "
            f"{KIND_NAMES[kind]} · {spec.event_zh} |"
        )
    return "\n".join(lines) + "\n"


@stream_app.command("types")
def types(
    markdown: Annotated[
        bool, typer.Option("--markdown", help="the table of docs/STREAMS.md")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Every event type of the stream: its subject, CloudEvents type and Chinese name."""
    if markdown:
        out.print(escape(types_markdown()), end="", soft_wrap=True)
        return
    rows = [
        {
            "command": ctype,
            "subject": subject_of("420102", ctype).replace("4201.420102", "<prefecture>.<county>"),
            "type": event_type(ctype),
            "zh": f"{KIND_NAMES[ctype.split('.', 1)[0]]} · {spec.event_zh}",
        }
        for ctype, spec in CATALOG.items()
    ]
    if as_json:
        emit_json(rows)
        return
    out.print(
        text_table(
            "ANJIAN_EVENTS types",
            ("subject", "type", "事件"),
            ((r["subject"], r["type"], r["zh"]) for r in rows),
        )
    )
