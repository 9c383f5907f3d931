"""The relay: a follower of the notification log that publishes every event to JetStream.

    relay = Relay(recorder, Positions(engine), JetStreamPublisher(url, StreamSettings()), …)
    relay.catch_up()            # up to the head, once (after `anjian record`, `anjian demo`)
    relay.run(stop)             # follow until `stop` is set (`anjian stream relay`)
    records.add_commit_listener(relay.wake)

Exactly once in the stream, in log order:

- each batch the runner reads (domain.following) is one window: every event of it is
  published asynchronously (all in flight at once, each with its reply subject under one
  inbox, as nats-py's publish_async does), then every PubAck of the window is awaited; the
  position is stored only after the last one (streams.position);
- each message carries `Nats-Msg-Id` = the event id, so JetStream drops a second copy within
  its duplicate window, and `Nats-Expected-Last-Sequence` = the stream sequence it must follow,
  so a message is never stored after a lost one: when a connection breaks mid-window the
  server refuses everything after the gap and the window is not stored as a whole;
- on every (re)connection the relay reads the `sequence` of the stream's last message and
  resumes after max(stored position, that sequence): a crash (kill -9 included) between the
  PubAcks and the position's write repeats nothing, even after the duplicate window.

Recording never waits for NATS: the relay runs on a thread (or a process) of its own and is
only woken by commits. When NATS is down a window fails with StreamUnavailable, nothing of it
is stored as the relay's position, the connection is dropped, and the relay waits (backoff from
0.1 s doubling to 5 s; `wake` does not shorten it) before it connects again and drains the
backlog.

nats-py is asyncio; the publisher runs its own event loop on a daemon thread and the relay
(synchronous, like every follower) hands it each window.

Tracing (streams.tracing): an event stored with a trace context (the recorder keeps the
context of the command's store beside it) is published inside a PRODUCER span whose parent is
that context, from just before the window is sent until its PubAcks are in (ended with an
error status if the window fails; a retry is a new span), and the CloudEvent's `traceparent`
is that span's. An event stored without one carries the traceparent of the span active when
its window was decoded, if any.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any, TypeVar

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js.client import JetStreamContext
from nats.js.errors import Error as JetStreamError
from opentelemetry.trace import Span, Status, StatusCode

from domain.following import Batch, Lag, PositionMoved, Runner
from domain.log_reader import LogReader, NotificationSource, Raw
from streams.cloudevent import CONTENT_TYPE, Message, message_of, traceparent
from streams.connect import connect
from streams.position import Positions
from streams.stream import STREAM, StreamSettings, StreamState, ensure_stream, last_sequence
from streams.stream import stream_state as read_stream_state
from streams.tracing import TraceContexts, producer_span, traceparent_of

__all__ = ["JetStreamPublisher", "Relay", "RelayStatus", "StreamUnavailable"]

log = logging.getLogger("anjian.streams")
T = TypeVar("T")

MIN_BACKOFF = 0.1
MAX_BACKOFF = 5.0


class StreamUnavailable(Exception):
    """NATS could not be reached, or refused a window: nothing of it counts as published."""


class JetStreamPublisher:
    """One connection to NATS, driven on an event loop of its own thread."""

    def __init__(
        self,
        url: str,
        settings: StreamSettings,
        *,
        timeout: float = 10.0,
        connect_options: dict[str, Any] | None = None,
    ) -> None:
        self.url = url
        self.settings = settings
        self.timeout = timeout
        self.connect_options = connect_options or {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="anjian-nats", daemon=True
        )
        self._thread.start()
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self.stream_seq = 0  # the stream's last sequence as this connection knows it
        self.last_event = 0  # the `sequence` of the stream's last message

    def call(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the publisher's loop; StreamUnavailable on any NATS error."""
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout if timeout is not None else self.timeout * 3)
        except (NatsError, JetStreamError, OSError, TimeoutError) as exc:
            future.cancel()
            self.reset()
            raise StreamUnavailable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None

    async def _connected(self) -> JetStreamContext:
        if self._js is not None and self._nc is not None and self._nc.is_connected:
            return self._js
        await self._close()
        self._nc = await connect(self.url, timeout=min(self.timeout, 2.0), **self.connect_options)
        js = self._nc.jetstream(timeout=self.timeout)
        await ensure_stream(js, self.settings)
        self.stream_seq, self.last_event = await last_sequence(js)
        self._js = js
        return js

    def connect(self) -> int:
        """Connect (if not connected); the `sequence` of the stream's last message."""
        self.call(self._connected())
        return self.last_event

    async def _publish(self, messages: Sequence[Message]) -> None:
        """One window: every message published at once, each with its own reply subject
        under one inbox (what nats-py's publish_async does, without a future, a semaphore
        and a parsed PubAck object per message), then every PubAck awaited."""
        await self._connected()
        nc = self._nc
        assert nc is not None
        base, n = self.stream_seq, len(messages)
        acks: list[Msg | None] = [None] * n
        left = [n]
        done = asyncio.Event()

        async def acked(msg: Msg) -> None:
            k = int(msg.subject.rpartition(".")[2])
            if acks[k] is None:
                acks[k] = msg
                left[0] -= 1
                if left[0] == 0:
                    done.set()

        inbox = nc.new_inbox()
        sub = await nc.subscribe(f"{inbox}.*", cb=acked)
        try:
            for k, m in enumerate(messages):
                headers = {
                    "Nats-Msg-Id": m.id,
                    "Nats-Expected-Last-Sequence": str(base + k),
                    "content-type": CONTENT_TYPE,
                }
                await nc.publish(m.subject, m.payload, reply=f"{inbox}.{k}", headers=headers)
            await asyncio.wait_for(done.wait(), self.timeout)
        finally:
            with contextlib.suppress(NatsError):
                await sub.unsubscribe()
        for k, msg in enumerate(acks):
            _check_ack(msg, messages[k].id, base + k + 1)
        self.stream_seq = base + n
        self.last_event = messages[-1].sequence

    def publish(self, messages: Sequence[Message]) -> None:
        """Publish one window and await all its PubAcks; StreamUnavailable unless every
        message was stored, in order, right after the stream's last one."""
        try:
            self.call(self._publish(messages))
        except StreamUnavailable:
            self.reset()
            raise

    def state(self) -> StreamState:
        async def state() -> StreamState:
            return await read_stream_state(await self._connected())

        return self.call(state())

    def consumers(self) -> list[str]:
        async def names() -> list[str]:
            js = await self._connected()
            return [c.name for c in await js.consumers_info(STREAM)]

        return self.call(names())

    async def _close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        if nc is not None and not nc.is_closed:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(nc.close(), 2.0)

    def reset(self) -> None:
        """Drop the connection: the next call connects again and reads the stream afresh."""
        if self._loop.is_closed():
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(5)

    def close(self) -> None:
        self.reset()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


def _check_ack(msg: Msg | None, event: str, expected: int) -> None:
    """StreamUnavailable unless `msg` is the PubAck storing `event` at sequence `expected`."""
    if msg is None:
        raise StreamUnavailable(f"event {event}: no PubAck")
    if msg.headers and msg.headers.get("Status") == "503":
        raise StreamUnavailable(f"event {event}: no stream answers for {msg.subject}")
    ack = json.loads(msg.data or b"{}")
    if "error" in ack:
        error = ack["error"]
        raise StreamUnavailable(f"event {event}: {error.get('description', error)}")
    if ack.get("seq") != expected or ack.get("duplicate"):
        raise StreamUnavailable(
            f"event {event} stored at stream sequence {ack.get('seq')}, expected {expected}: "
            "another publisher?"
        )


@dataclass(frozen=True, slots=True)
class Traced(Message):
    """The message of an event stored with a trace context, as built without a traceparent:
    `handle` builds it again inside its PRODUCER span, which its traceparent names."""

    row: Raw
    previous: int
    stored: str  # the stored traceparent: the PRODUCER span's parent

    @classmethod
    def of(cls, message: Message, row: Raw, previous: int, stored: str) -> Traced:
        return cls(
            message.sequence, message.subject, message.id, message.payload, row, previous, stored
        )


Window = tuple[tuple[Raw, str | None] | None, list[Message]]  # the first row (its `previous`
# is the batch's position) with its stored trace context, and the messages of the others


@dataclass
class RelayStatus:
    """What `anjian stream status` shows of the relay."""

    position: int
    head: int
    seconds: float  # recorded time of the head event - that of the last one published
    error: str | None = field(default=None)

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


class Relay:
    """The follower that publishes the log to ANJIAN_EVENTS (see the module docstring)."""

    name = "stream"

    def __init__(
        self,
        recorder: NotificationSource,
        positions: Positions,
        publisher: JetStreamPublisher,
        *,
        origin: str,
        public_url: str,
        window: int = 1000,
    ) -> None:
        self.positions = positions
        self.publisher = publisher
        self.origin = origin
        self.public_url = public_url
        self._floor = 0  # the `sequence` of the stream's last message, read on connecting
        self._wake = threading.Event()
        self.error: str | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.runner: Runner[Window] = Runner(LogReader(recorder), self, window)
        self.traces = recorder if isinstance(recorder, TraceContexts) else None

    # -- the Follower protocol -------------------------------------------------------------

    def position(self) -> int:
        return max(self.positions.get(self.name), self._floor)

    def _message(self, row: Raw, previous: int, trace: str | None) -> Message:
        return message_of(
            row, previous, origin=self.origin, public_url=self.public_url, trace=trace
        )

    def decode(self, rows: Sequence[Raw]) -> Window:
        if not rows:
            return None, []
        active = traceparent()
        stored = self.traces.trace_contexts(rows[0].id, rows[-1].id) if self.traces else {}

        def item(row: Raw, previous: int) -> Message:
            context = stored.get(row.id)
            if context is None:
                return self._message(row, previous, active)
            return Traced.of(self._message(row, previous, None), row, previous, context)

        first = rows[0]
        return (first, stored.get(first.id)), [item(r, p.id) for p, r in pairwise(rows)]

    def handle(self, batch: Batch[Window]) -> None:
        first, rest = batch.items
        if first is None:
            return
        self._floor = max(self._floor, self.publisher.connect())
        if batch.after != self.position():
            raise PositionMoved(f"the stream holds events up to {self.position()}")
        row, stored = first
        spans: list[Span] = []
        if stored is None:
            head = self._message(row, batch.after, traceparent())
        else:
            head = self._traced(row, batch.after, stored, spans)
        messages = [head] + [
            self._traced(m.row, m.previous, m.stored, spans) if isinstance(m, Traced) else m
            for m in rest
        ]
        try:
            self.publisher.publish(messages)
        except BaseException as exc:
            for span in spans:
                span.set_attribute("error.type", type(exc).__name__)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                span.end()
            raise
        for span in spans:
            span.end()
        if not self.positions.move(self.name, batch.after, batch.last):
            raise PositionMoved(f"the relay's position moved past {batch.after}")

    def _traced(self, row: Raw, previous: int, stored: str, spans: list[Span]) -> Message:
        """The message of `row`, built in a PRODUCER span started now under its `stored`
        trace context (the span is added to `spans`, for the caller to end)."""
        span = producer_span(stored, f"{row.originator_id}:{row.originator_version}", row.id)
        spans.append(span)
        message = self._message(row, previous, traceparent_of(span))
        if span.is_recording():
            span.set_attribute("messaging.destination.name", message.subject)
        return message

    # -- driving it ----------------------------------------------------------------------------

    def lag(self) -> Lag:
        return self.runner.lag()

    def catch_up(self) -> int:
        """Publish everything up to the head; the number of events published.
        StreamUnavailable if NATS cannot be reached or refuses a window."""
        self.publisher.connect()
        self._floor = max(self._floor, self.publisher.last_event)
        total = self.runner.catch_up()
        self.error = None
        return total

    def run(self, stop: threading.Event, poll_seconds: float = 0.5) -> None:
        """Follow the log until `stop` is set; NATS being down never ends it (see the module
        docstring for the backoff), nor does any other failure of a window (the event store
        busy, say): nothing of the failed window counts, and it is tried again after the
        backoff, each new error logged once."""
        delay = MIN_BACKOFF
        while not stop.is_set():
            self._wake.clear()
            try:
                published = self.catch_up()
            except Exception as exc:  # reported, then retried after the backoff
                error = f"{type(exc).__name__}: {exc}"
                if error != self.error:
                    log.warning("stream relay: %s; retrying", error)
                self.error = error
                stop.wait(delay)
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            delay = MIN_BACKOFF
            if published == 0:
                self._wake.wait(poll_seconds)

    def wake(self, *_: object) -> None:
        """End the idle wait of `run` now (a commit listener)."""
        self._wake.set()

    def start(self) -> None:
        """Run the relay on a daemon thread of this process until `close`."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.run, args=(self._stop,), name="anjian-relay", daemon=True
            )
            self._thread.start()

    def status(self) -> RelayStatus:
        lag = self.runner.lag()
        seconds = 0.0
        if lag.lag:
            behind = self._recorded_at(lag.head) - self._recorded_at(lag.position)
            seconds = max(0.0, behind.total_seconds())
        return RelayStatus(lag.position, lag.head, seconds, self.error)

    def _recorded_at(self, nid: int) -> datetime:
        """When the event at notification id `nid` (or the first after it) was recorded."""
        rows = self.runner.reader.after(max(0, nid - 1), 1)
        if not rows:
            return datetime.min.replace(tzinfo=UTC)
        ts = json.loads(rows[0].state)["timestamp"]
        return datetime.fromisoformat(ts["_data_"] if isinstance(ts, dict) else str(ts))

    def close(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self.wake()
            self._thread.join(30)
            self._thread = None
        self.publisher.close()
