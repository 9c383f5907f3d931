"""The module worker: runs one `domain.policy.Policy` (风险预警, 应急协调指挥) on the stream.

    worker = Worker(policy, records, ingest, url, clock=system_clock)
    worker.run(stop)          # a thread of a long-running process, until `stop` is set
    worker.status()           # its lag (messages not yet acknowledged), for health reports

One durable JetStream pull consumer of `anjian.events.>` on ANJIAN_EVENTS per policy, named
after it (`warning`, `emergency`), explicit acks, delivering from the stream's first event: a
worker that was down resumes after its last acknowledged event and catches up.

For each message, strictly in stream order (a message whose predecessor is still out, its
worker having died before acking it, is handed back with a short delay until that one has been
handled; a failure hands the rest of the batch back at once):

1. verify: the CloudEvent's `sequence` must name an event of the store whose id, signed
   envelope text and signature are the event's, and the signature must verify with the key
   `keyid` of `actor` in the platform's key registry (the Actor records). A message that fails
   (forged, unsigned, altered, not in the log) is never acted on: it is terminated (not
   redelivered), logged and counted (`status().rejected`).
2. observe: the stored event (the store's `StoredRecord`, not the message) goes to
   `policy.observe`, which returns its decisions.
3. record: each decision becomes a command line (actor = `policy.account`, id = the
   decision's derived id) recorded through the one command path (services.ingest), signed with
   the module's service key (custody: the platform holds it; channel `stream`); the decisions
   of one event are recorded in one transaction, inside a CONSUMER span whose parent is the
   CloudEvent's traceparent (streams/tracing.py), so that the trace of the command that caused
   the event goes on to the module's command. A decision whose id the store holds
   already is done (a redelivery, a restart between storing and acking, a tick repeating
   itself): nothing is recorded again. If the domain refuses them, the event's decisions are
   recorded one by one; a decision the domain refuses is logged and counted
   (`status().refused`): it would be refused again, so it does not block the stream.
4. ack, only once every decision of the batch is stored (the last ack synchronously). If the
   store fails (not a refusal), nothing is acked: the batch is handed back, the worker waits
   and fetches again, and the messages are redelivered.

A refusal to expect: a step on a warning dated before the warning's last step (the domain
keeps each record's steps in date order). Ticks wait for the log to be folded to its head to
make that rare (a tick's escalation dated now, then a clearing dated earlier reaching the
worker later), not impossible: such a lift is refused and logged, and a regulator lifts it.

Ticks come from the clock port (`clock()`, aware): every `tick_seconds`, once the consumer has
nothing pending and the policy has folded the log up to its head (so a worker catching up
never judges old events at today's time before it has read what followed them, nor dates a
step after an event it has not decided on yet), `policy.tick(now)` decides and each decision
is recorded the same way. A tick's instant is its commands' `occurred_at`.

Within a process the policy keeps its state across dropped connections: an event folded and
not yet acknowledged when the connection dropped comes again, and its remembered decisions are
recorded again (they are stored already, so nothing is written), never folded twice.

State, and why a restart decides the same: a policy's state is a fold over the events it
observed (ticks change none, domain.policy). On start the worker reads its consumer's ack
floor, the stream sequence of the last event acknowledged, takes that message's `sequence` (its
notification id), and rebuilds the policy by observing the store's log up to and including
that notification, discarding the decisions (they were recorded before they were acked). The
events after it are then delivered again, or for the first time, and observed on exactly the
state the first delivery saw: the same decisions, the same ids, which the store already holds.
The stream and the log hold the same events in the same order (streams.relay), so folding the
log up to that event is folding what the consumer acknowledged.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from nats.js.errors import Error as JetStreamError
from nats.js.errors import NotFoundError

from domain.actor import Actor
from domain.application import Records
from domain.errors import DuplicateCommand, NotFound
from domain.ids import actor_id
from domain.policy import Decision, Policy
from domain.stored import StoredRecord, decode_stored
from ledger.canonical import CanonicalError, canonical_text
from ledger.keys import verify_signature
from services.ingest.batches import LineRefused
from services.ingest.service import Ingest
from services.ingest.service_actors import service_principal
from streams.connect import connect
from streams.metrics import warning_latency
from streams.stream import STREAM, StreamSettings, ensure_stream
from streams.subjects import PREFIX
from streams.tracing import consuming

__all__ = ["Clock", "Rejected", "Worker", "WorkerStatus", "system_clock"]

log = logging.getLogger("anjian.streams.worker")

Clock = Callable[[], datetime]  # the ticks' port: an aware instant
MIN_BACKOFF = 0.1
MAX_BACKOFF = 5.0


def system_clock() -> datetime:
    return datetime.now(UTC)


class Rejected(Exception):
    """A message that is not a verified event of the log: never acted on."""


@dataclass(frozen=True)
class WorkerStatus:
    """What health reports show of a worker."""

    name: str
    pending: int | None  # messages not delivered yet, plus those not acked; None: not known yet
    observed: int  # events observed since start (the rebuild not counted)
    recorded: int  # commands this worker stored
    refused: int  # decisions the domain refused
    rejected: int  # messages that failed verification
    error: str | None

    @property
    def lag(self) -> int | None:
        return self.pending


class Worker:
    """One policy on the stream (see the module docstring)."""

    def __init__(
        self,
        policy: Policy,
        records: Records,
        ingest: Ingest,
        url: str,
        *,
        clock: Clock = system_clock,
        connect_options: dict[str, Any] | None = None,
        stream: StreamSettings | None = None,
        tick_seconds: float = 60.0,
        batch: int = 100,
        fetch_seconds: float = 0.5,
        ack_wait: float = 30.0,
    ) -> None:
        """`ack_wait`: seconds before a message delivered and not acked (its worker died) is
        delivered again; it is set when the durable consumer is first created."""
        self.policy = policy
        self.records = records
        self.ingest = ingest
        self.url = url
        self.clock = clock
        self.connect_options = connect_options or {}
        self.stream = stream or StreamSettings()
        self.tick_seconds = tick_seconds
        self.batch = batch
        self.fetch_seconds = fetch_seconds
        self.ack_wait = ack_wait
        self.name = policy.name
        self._pending: int | None = None  # not known before the first fetch
        # The notification id of the last event folded into the policy, and the decisions of
        # the events folded and not yet acknowledged (a dropped connection redelivers them:
        # they are recorded again, never folded twice).
        self._folded: int | None = None
        self._stream_seq = 0  # the stream sequence of the last message handled, in order
        self._unacked: dict[int, list[Decision]] = {}
        self._observed = self._recorded = self._refused = self._rejected = 0
        self._last_tick = float("-inf")
        self._tick_now = threading.Event()
        self.error: str | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # -- driving it ----------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Consume until `stop` is set; NATS or the store failing never ends it: the error is
        logged once, kept in `status().error`, and the worker connects again after a backoff
        (0.1 s doubling to 5 s), rebuilding its state from its acknowledged position."""
        delay = MIN_BACKOFF
        while not stop.is_set():
            try:
                asyncio.run(self._session(stop))
                return
            except Exception as exc:  # reported, then retried after the backoff
                error = f"{type(exc).__name__}: {exc}"
                if error != self.error:
                    log.warning("worker %s: %s; retrying", self.name, error)
                self.error = error
                stop.wait(delay)
                delay = min(delay * 2, MAX_BACKOFF)

    def start(self) -> None:
        """Run on a daemon thread of this process until `close`."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self.run, args=(self._stop,), name=f"anjian-worker-{self.name}", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join(30)
            self._thread = None

    def tick_now(self) -> None:
        """Tick at the next chance, whatever `tick_seconds` says (tests, operators)."""
        self._tick_now.set()

    def status(self) -> WorkerStatus:
        return WorkerStatus(
            self.name,
            self._pending,
            self._observed,
            self._recorded,
            self._refused,
            self._rejected,
            self.error,
        )

    # -- one connection ------------------------------------------------------------------------

    async def _session(self, stop: threading.Event) -> None:
        nc = await connect(self.url, **self.connect_options)
        try:
            js = nc.jetstream(timeout=10.0)
            await ensure_stream(js, self.stream)
            sub = await js.pull_subscribe(
                f"{PREFIX}.>",
                durable=self.name,
                stream=STREAM,
                config=ConsumerConfig(
                    durable_name=self.name,
                    ack_policy=AckPolicy.EXPLICIT,
                    deliver_policy=DeliverPolicy.ALL,
                    ack_wait=self.ack_wait,
                    max_ack_pending=self.batch,
                ),
            )
            if self._folded is None:  # a new process: the state is the acked log's
                self._folded = await self._rebuild(js, sub)
            while not stop.is_set():
                try:
                    msgs = await sub.fetch(self.batch, timeout=self.fetch_seconds)
                except TimeoutError:  # nats-py raises its own or asyncio's: none arrived
                    msgs = []
                if msgs:
                    await self._handle(msgs)
                info = await sub.consumer_info()
                self._pending = int(info.num_pending or 0) + int(info.num_ack_pending or 0)
                self.error = None
                if self._pending == 0 and self._log_folded() and self._tick_due():
                    self._tick()
        finally:
            await _close(nc)

    async def _rebuild(self, js: JetStreamContext, sub: Any) -> int:
        """Fold the log into the policy up to the last acknowledged event (module docstring);
        the notification id of that event (0: none)."""
        info = await sub.consumer_info()
        floor_seq = info.ack_floor.stream_seq if info.ack_floor else 0
        self._stream_seq = floor_seq or 0
        if not floor_seq:
            return 0
        try:
            raw = await js.get_msg(STREAM, floor_seq)
        except NotFoundError:
            raise Rejected(
                f"the stream no longer holds message {floor_seq}, the last one acknowledged"
            ) from None
        upto = int(json.loads(raw.data or b"{}")["sequence"])
        for rec in self.records.notifications():
            assert rec.notification_id is not None
            if rec.notification_id > upto:
                break
            self.policy.observe(rec)  # decided and recorded before it was acknowledged
        return upto

    def caught_up(self) -> bool:
        """Whether the worker has handled every message of the stream and folded every event of
        the log (its decisions on them stored)."""
        return self._pending == 0 and self._log_folded()

    def _log_folded(self) -> bool:
        """Whether the policy has folded every event of the log (not only of the stream): a
        tick before would judge at today's time an event not yet seen, and date its own
        steps after an event not yet decided on."""
        head = self.records.recorder.max_notification_id() or 0
        return (self._folded or 0) >= head

    def _tick_due(self) -> bool:
        now = time.monotonic()
        if self._tick_now.is_set() or now - self._last_tick >= self.tick_seconds:
            self._tick_now.clear()
            self._last_tick = now
            return True
        return False

    def _tick(self) -> None:
        now = self.clock()
        for decision in self.policy.tick(now):
            self._record(decision)

    async def _handle(self, msgs: list[Msg]) -> None:
        """One fetched batch: each message verified and observed in stream order, the
        decisions of all of them recorded in one transaction, then every message acked (the
        last one synchronously). A failure hands the batch back at once, in order, to
        whoever fetches next (this worker, after its backoff): nothing after the failed
        event may be handled first."""
        taken: list[tuple[Msg, int]] = []  # (message, notification id) to ack
        expected = self._stream_seq  # the last sequence handled, counting this batch
        settled = self._stream_seq  # ... of which no message is left to ack
        try:
            for msg in msgs:
                seq = msg.metadata.sequence.stream
                if seq > expected + 1:
                    # An earlier message is still out (its worker died before acking it, or
                    # it was handed back): handle this one after it, never before.
                    await msg.nak(delay=0.05)
                    continue
                try:
                    rec = self.verify(msg.data)
                except Rejected as exc:
                    self._rejected += 1
                    log.error("worker %s: message %s rejected: %s", self.name, _where(msg), exc)
                    await msg.term()
                    expected = max(expected, seq)
                    if not taken:
                        settled = expected
                    continue
                nid = rec.notification_id
                assert nid is not None
                if self._folded is not None and nid <= self._folded:
                    decided = self._unacked.get(nid, [])  # folded before: its decisions
                else:
                    decided = self._unacked[nid] = list(self.policy.observe(rec))
                    self._folded = nid
                    self._observed += 1
                taken.append((msg, nid))
                if decided:  # stored now, in the trace of the event that caused them
                    self._record_traced(msg, decided)
                expected = max(expected, seq)
        except BaseException:
            self._stream_seq = settled
            for msg, _ in taken:
                await _nak(msg)
            raise
        for k, (msg, nid) in enumerate(taken):
            if k == len(taken) - 1:
                await msg.ack_sync(timeout=5.0)
            else:
                await msg.ack()
            self._unacked.pop(nid, None)
        self._stream_seq = expected

    # -- verification --------------------------------------------------------------------------

    def verify(self, payload: bytes) -> StoredRecord:
        """The stored event a message carries, verified (step 1 of the module docstring);
        Rejected says what is wrong."""
        try:
            event = json.loads(payload)
            a = {k: event[k] for k in ("id", "sequence", "actor", "keyid", "signature")}
            seq = a["sequence"]
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
                raise Rejected(f"sequence {seq!r} is not a notification id")
            envelope = {
                "actor": event["actor"],
                "data": event["data"],
                "id": event["commandid"],
                "occurred_at": event["occurredat"],
                "region": event["region"],
                "role": event["role"],
                "subject": event["subject"],
                "type": event["commandtype"],
            }
            if "channel" in event:
                envelope["channel"] = event["channel"]
            text = canonical_text(envelope)
        except (ValueError, KeyError, TypeError, CanonicalError) as exc:
            raise Rejected(
                f"not a signed CloudEvent of the log: {type(exc).__name__} {exc}"
            ) from None
        rows = self.records.recorder.select_notifications(start=seq, limit=1)
        if not rows or rows[0].id != seq:
            raise Rejected(f"the log has no event at {seq}")
        stored = decode_stored(rows[0], rows[0].id)
        if stored.event_id != a["id"]:
            raise Rejected(f"the log's event at {seq} is {stored.event_id}, not {a['id']}")
        if stored.envelope_text != text or stored.signature != a["signature"]:
            raise Rejected(f"event {a['id']} differs from the log's (altered or forged)")
        if stored.key_id != a["keyid"]:
            raise Rejected(f"event {a['id']} names key {a['keyid']}, the log {stored.key_id}")
        try:
            actor = self.records.load(actor_id(str(a["actor"])), Actor)
            entry = actor.keys[a["keyid"]]
            signature = base64.b64decode(a["signature"], validate=True)
        except (NotFound, KeyError, ValueError):
            raise Rejected(f"no key {a['keyid']} of actor {a['actor']} to verify with") from None
        if not verify_signature(entry.public_key, text.encode("utf-8"), signature):
            raise Rejected(f"the signature of event {a['id']} does not verify")
        return stored

    # -- recording a decision ------------------------------------------------------------------

    def _record_traced(self, msg: Msg, decisions: list[Decision]) -> None:
        """Record one event's decisions inside a CONSUMER span continuing the event's trace
        (streams/tracing.py); the latency from the event's recording to theirs is measured."""
        try:
            attributes = json.loads(msg.data)
        except ValueError:  # verified already: cannot happen, but never fail on tracing
            attributes = {}
        before = self._recorded
        with consuming(attributes, subject=msg.subject, consumer=self.name):
            self._record_all(decisions)
        if self._recorded > before:
            warning_latency(attributes, module=self.name)

    def _record_all(self, decisions: list[Decision]) -> None:
        """Store the decisions' commands the store does not hold, in one transaction; if the
        domain refuses it, one by one (`_record`: each refusal logged and counted)."""
        fresh = list(
            {d.id: d for d in decisions if self.records.recorded_command(d.id) is None}.values()
        )
        if not fresh:
            return
        lines = [{**d.command, "actor": self.policy.account, "id": str(d.id)} for d in fresh]
        try:
            for committed in self.ingest.record(
                lines, service_principal(self.policy.account), batch=len(lines)
            ):
                self._recorded += sum(not r.recorded_before for r in committed.recorded)
        except LineRefused:
            for d in fresh:
                self._record(d)

    def _record(self, decision: Decision) -> None:
        """Store one decision's command, unless the store holds its id (module docstring)."""
        if self.records.recorded_command(decision.id) is not None:
            return
        line = {**decision.command, "actor": self.policy.account, "id": str(decision.id)}
        try:
            for committed in self.ingest.record([line], service_principal(self.policy.account)):
                self._recorded += sum(not r.recorded_before for r in committed.recorded)
        except LineRefused as exc:  # the domain refused it (other failures propagate)
            if isinstance(exc.cause, DuplicateCommand) or (
                self.records.recorded_command(decision.id) is not None
            ):
                return  # the same decision, stored earlier at another instant: done
            self._refused += 1
            log.error(
                "worker %s: decision %s (%s on %s) refused: %s",
                self.name,
                decision.id,
                decision.rule,
                decision.cause,
                exc,
            )


async def _nak(msg: Msg) -> None:
    try:
        await msg.nak()
    except Exception:  # the connection is gone: the server redelivers after ack_wait
        log.debug("worker: nak failed", exc_info=True)


def _where(msg: Msg) -> str:
    try:
        return f"{msg.subject} #{msg.metadata.sequence.stream}"
    except (NatsError, JetStreamError, AttributeError, ValueError):
        return msg.subject


async def _close(nc: Client) -> None:
    if not nc.is_closed:
        try:
            await asyncio.wait_for(nc.close(), 2.0)
        except Exception:  # the connection is dropped either way
            log.debug("worker: closing the NATS connection failed", exc_info=True)
