"""Merkle log benchmark (tree half of issue 3, item 7), with its baselines measured in the same run.

    .venv/bin/python -m bench.ledger [--runs 5] [--leaves 200000] [--proof-size 1000000]
                                     [--events 100000] [--no-postgres] [--no-write]

Figures (each run measures everything once; the report gives the medians over --runs):
- SHA-256 ceiling: SHA-256(0x00 || leaf) of the same leaf bytes, one core: no leaf can be
  appended faster than it is hashed;
- append: MerkleLog.append of (notification id, leaf bytes) in batches of 1000, i.e. hash, tree
  frontier, leaf blocks and tiles committed in one transaction per batch (SQLite: WAL,
  synchronous=NORMAL, the log's default; also with FULL); the ratio to the ceiling says what
  the log costs beyond hashing;
- catch-up: MerkleLog.catch_up from an eventsourcing SQLite store in the same file, i.e. read
  with recorder.select_notifications, build leaves (ledger.leaf) and append; its baselines
  are select_notifications alone and select + leaf building;
- proofs at --proof-size leaves: inclusion proof of a random leaf in the full tree and in a
  tree of random size, consistency proof between random sizes, root at a random size; each
  is a whole MerkleLog call (size check and reads on a fresh connection from the pool).
Leaves are the size of a real one (~730 bytes: a 400-byte envelope plus the event fields).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.results import RESULTS, write_section
from ledger.keys import KeyPair
from ledger.leaf import leaf_bytes, leaf_from_parts
from ledger.log import MerkleLog
from tests.ledger.toyapp import new_app, populate, postgres_env, sqlite_env
from tests.throwaway import create_database, postgres_server

BATCH = 1000


def make_leaves(n: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    envelope = (
        '{"actor":"inspector-0042","data":{"description":"'
        + "x" * 160
        + '","hazard_level":"major","location":"wuhan"},"id":"%s","occurred_at":'
        '"2024-05-01T10:00:00+08:00","region":"420100","role":"inspector",'
        '"subject":"%s","type":"hazard.report"}'
    )
    out = []
    for i in range(n):
        ids = f"{rng.getrandbits(128):032x}"
        out.append(
            leaf_from_parts(
                envelope=envelope % (ids, ids),
                event_id=ids,
                recorded_at="2024-05-01T02:00:00.123456+00:00",
                event_type="domain.hazard:Hazard.Event",
                version=1 + i % 7,
                key_id="ab" * 16,
                notification_id=i + 1,
                signature="c2ln" * 22,
            )
        )
    return out


def per_second(n: int, fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def sha256_ceiling(leaves: list[bytes]) -> float:
    sha, prefix = hashlib.sha256, b"\x00"

    def run() -> None:
        for data in leaves:
            sha(prefix + data).digest()

    return per_second(len(leaves), run)


def append_rate(url: str, leaves: list[bytes], synchronous: str = "NORMAL") -> float:
    log = MerkleLog.open(url, synchronous=synchronous)
    entries = list(enumerate(leaves, start=1))

    def run() -> None:
        for i in range(0, len(entries), BATCH):
            log.append(entries[i : i + BATCH])

    try:
        return per_second(len(entries), run)
    finally:
        log.close()


def drop_ledger_tables(url: str) -> None:
    log = MerkleLog.open(url)
    with log.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS ledger_leaves")
        conn.exec_driver_sql("DROP TABLE IF EXISTS ledger_tiles")
    log.close()


def catch_up_rates(env: dict[str, str], url: str, events: int) -> dict[str, float]:
    app = new_app(env)
    recorder = app.recorder

    def read(build: bool) -> None:
        position = 0
        while page := recorder.select_notifications(position, BATCH, inclusive_of_start=False):
            if build:
                for n in page:
                    leaf_bytes(n)
            position = page[-1].id

    drop_ledger_tables(url)
    log = MerkleLog.open(url)
    try:
        return {
            "select": per_second(events, lambda: read(False)),
            "select_build": per_second(events, lambda: read(True)),
            "catch_up": per_second(events, lambda: log.catch_up(recorder, batch=BATCH)),
        }
    finally:
        log.close()
        app.close()


def build_big_log(url: str, size: int) -> None:
    log = MerkleLog.open(url)
    # Short leaves: a proof's cost does not depend on the leaf size, only the build time does.
    for start in range(log.size(), size, 10_000):
        stop = min(start + 10_000, size)
        log.append([(i + 1, b"leaf %d" % i) for i in range(start, stop)])
    log.close()


def latency_ms(samples: int, fn: Callable[[random.Random], object], seed: int) -> float:
    """Median wall time of one call, in milliseconds."""
    rng = random.Random(seed)
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        fn(rng)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def proof_latencies(url: str, size: int, seed: int) -> dict[str, float]:
    log = MerkleLog.open(url)
    log.inclusion(0, size)  # warm the pool and the page cache once

    def inclusion_any(rng: random.Random) -> object:
        tree_size = rng.randrange(1, size + 1)
        return log.inclusion(rng.randrange(tree_size), tree_size)

    def consistency(rng: random.Random) -> object:
        a, b = sorted(rng.randrange(1, size + 1) for _ in range(2))
        return log.consistency(a, b)

    try:
        return {
            "incl_full_ms": latency_ms(200, lambda r: log.inclusion(r.randrange(size), size), seed),
            "incl_any_ms": latency_ms(200, inclusion_any, seed + 1),
            "cons_ms": latency_ms(200, consistency, seed + 2),
            "root_ms": latency_ms(200, lambda r: log.root(r.randrange(1, size + 1)), seed + 3),
        }
    finally:
        log.close()


@contextmanager
def postgres_databases(
    enabled: bool,
) -> Iterator[Callable[[str], tuple[str, dict[str, str]]] | None]:
    if not enabled:
        yield None
        return
    with postgres_server() as server:

        def make(name: str) -> tuple[str, dict[str, str]]:
            db = create_database(server, name)
            return db.url, postgres_env(db.host, db.port, db.user, db.dbname)

        yield make


def one_run(
    run: int, args: argparse.Namespace, tmp: Path, leaves: list[bytes], pg: Any
) -> dict[str, float]:
    figures: dict[str, float] = {"sha256": sha256_ceiling(leaves)}
    figures["append"] = append_rate(f"sqlite:///{tmp / f'append{run}.db'}", leaves)
    figures["append_full"] = append_rate(
        f"sqlite:///{tmp / f'append{run}full.db'}", leaves, synchronous="FULL"
    )
    if pg is not None:
        url, _ = pg(f"append{run}")
        figures["pg_append"] = append_rate(url, leaves)
    events_path = tmp / "events.db"
    figures |= catch_up_rates(sqlite_env(str(events_path)), f"sqlite:///{events_path}", args.events)
    figures |= proof_latencies(f"sqlite:///{tmp / 'big.db'}", args.proof_size, seed=run)
    if pg is not None:
        figures |= {
            f"pg_{k}": v for k, v in proof_latencies(args.pg_big_url, args.proof_size, run).items()
        }
    return figures


def report(m: dict[str, float], args: argparse.Namespace, command: str, load: str) -> str:
    ratio = m["append"] / m["sha256"]
    lines = [
        f"Command: `{command}`",
        "",
        f"Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version} "
        f"(WAL, synchronous=NORMAL unless said); medians of {args.runs} runs; leaves of "
        f"{args.leaf_bytes} bytes; batches of {BATCH}; 1-minute load average before/after: "
        f"{load} on {os.cpu_count()} cores.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| baseline: SHA-256 ceiling, SHA-256(0x00 ‖ leaf), one core | {m['sha256']:,.0f} /s |",
        f"| **append** (hash + tree + leaf blocks + tiles, committed), SQLite | "
        f"**{m['append']:,.0f} leaves/s** |",
        f"| append / SHA-256 ceiling | {ratio:.2f} |",
        f"| append, SQLite synchronous=FULL (an fsync per batch) | "
        f"{m['append_full']:,.0f} leaves/s |",
    ]
    if "pg_append" in m:
        lines.append(f"| append, PostgreSQL 15 | {m['pg_append']:,.0f} leaves/s |")
    lines += [
        f"| baseline: select_notifications, pages of {BATCH} (eventsourcing SQLite) | "
        f"{m['select']:,.0f} /s |",
        f"| baseline: select_notifications + build leaves (ledger.leaf) | "
        f"{m['select_build']:,.0f} /s |",
        f"| catch_up end to end from the event store ({args.events:,} events) | "
        f"{m['catch_up']:,.0f} leaves/s |",
        f"| **inclusion proof**, random leaf, tree of {args.proof_size:,} (SQLite) | "
        f"**{m['incl_full_ms']:.2f} ms** |",
        f"| inclusion proof, random leaf in a tree of random size <= {args.proof_size:,} | "
        f"{m['incl_any_ms']:.2f} ms |",
        f"| consistency proof between random sizes <= {args.proof_size:,} | "
        f"{m['cons_ms']:.2f} ms |",
        f"| root at a random size <= {args.proof_size:,} | {m['root_ms']:.2f} ms |",
    ]
    if "pg_incl_full_ms" in m:
        lines += [
            f"| inclusion proof, random leaf, tree of {args.proof_size:,} (PostgreSQL 15) | "
            f"{m['pg_incl_full_ms']:.2f} ms |",
            f"| consistency proof, random sizes (PostgreSQL 15) | {m['pg_cons_ms']:.2f} ms |",
        ]
    lines += [
        "",
        "append is the Merkle log's own cost; catch_up adds reading the event store and decoding "
        "each stored state (stdlib json), whose baselines are the two select rows. Figures move "
        "with the machine's load: compare each to the SHA-256 ceiling of the same run.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--leaves", type=int, default=200_000, help="leaves per append run")
    parser.add_argument("--events", type=int, default=100_000, help="events for catch_up")
    parser.add_argument("--proof-size", type=int, default=1_000_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="do not update RESULTS.md")
    args = parser.parse_args()

    leaves = make_leaves(args.leaves)
    args.leaf_bytes = round(statistics.mean(len(x) for x in leaves[:1000]))
    load_before = os.getloadavg()[0]
    results: list[dict[str, float]] = []
    with (
        tempfile.TemporaryDirectory(prefix="anjian-bench-ledger-") as tmp_name,
        postgres_databases(not args.no_postgres) as pg,
    ):
        tmp = Path(tmp_name)
        print(f"setting up: {args.events:,} events, a {args.proof_size:,}-leaf log", flush=True)
        events_path = tmp / "events.db"
        app = new_app(sqlite_env(str(events_path)))
        populate(app, KeyPair.generate(), args.events // 2, events_each=2)
        app.close()
        build_big_log(f"sqlite:///{tmp / 'big.db'}", args.proof_size)
        if pg is not None:
            args.pg_big_url, _ = pg("big")
            build_big_log(args.pg_big_url, args.proof_size)
        for run in range(args.runs):
            figures = one_run(run, args, tmp, leaves, pg)
            results.append(figures)
            print(
                f"run {run + 1}/{args.runs}: "
                + ", ".join(f"{k}={v:,.2f}" for k, v in figures.items()),
                flush=True,
            )
    medians = {k: statistics.median(r[k] for r in results) for k in results[0]}
    command = (".venv/bin/python -m bench.ledger " + " ".join(sys.argv[1:])).strip()
    load = f"{load_before:.1f}/{os.getloadavg()[0]:.1f}"
    body = report(medians, args, command, load)
    print()
    print(body)
    if not args.no_write:
        write_section("bench/ledger.py", "Merkle log", body)
        print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
