"""Ingest benchmark: Anjian's write path against the bare eventsourcing library, raw SQLite and
the Ed25519 verification ceiling, all measured in the same run on the same machine.

    .venv/bin/python -m bench.ingest [--events 3000] [--runs 5] [--no-postgres]

Figures (medians of --runs):
- anjian per-command: Records.execute, one command per transaction, every signature verified;
- bare per-save: eventsourcing Application.save of one equivalent aggregate per transaction
  (same envelope, signature and key id strings in its one event), through the library's own
  recorder (no command id rows);
- anjian batch: Records.execute_batch of 1000 commands per transaction, every signature verified;
- bare batch: Application.save(*1000 equivalent aggregates);
- raw SQLite: executemany of the same stored bytes in one transaction (WAL, synchronous=FULL);
- anjian batch, signatures unchecked: the same batch with a notary that accepts every
  signature, a diagnostic of what verification costs the batch in wall time (not a mode the
  product has);
- anjian batch, resubmitted: the same batches sent again, every command answered with its
  original event (a retry after an interruption);
- command ids unchecked: the per-command and batch paths on a recorder that neither looks up
  nor stores command ids, a diagnostic of what the uniqueness check costs (not a mode the
  product has: Records answers every lookup with "not recorded" and no id row is written);
- Ed25519 verify: one at a time on one thread, and a SignatureBatch on every core.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Notification
from eventsourcing.sqlite import SQLiteCursor
from eventsourcing.utils import get_topic
from psycopg import Cursor
from psycopg.rows import DictRow

from domain.envelope import SignedCommand
from domain.ids import enterprise_id
from ledger.keys import KeyPair, SignatureBatch, verify_signature
from ledger.notary import Ed25519Notary
from ops.bootstrap import store_env
from ops.recorders import GatedSQLiteRecorder, PostgresRecordsRecorder
from ops.settings import Settings
from tests.support import Harness, new_uscc
from tests.throwaway import create_database, postgres_server

BATCH = 1000


class Equivalent(Aggregate):
    """What the bare library stores for one command: the same three strings."""

    @event("Created")
    def __init__(self, envelope: str, signature: str, key_id: str) -> None:
        self.envelope = envelope


class _Accepting:
    def add(self, public_key: bytes, message: bytes, signature_b64: str) -> None:
        pass

    def first_invalid(self) -> int:
        return -1


class AcceptingNotary(Ed25519Notary):
    """Checks canonical form as usual but accepts every signature (diagnostic only)."""

    def batch(self, expected: int) -> _Accepting:  # type: ignore[override]
        return _Accepting()


class UncheckedIdsSQLite(GatedSQLiteRecorder):
    """Diagnostic only: no command id lookup, no id rows."""

    def recorded_commands(self, ids: Sequence[UUID]) -> Mapping[UUID, Notification | None]:
        return {}

    def _insert_command_ids(self, c: SQLiteCursor, rows: list[tuple[UUID, int]]) -> None:
        pass


class UncheckedIdsPostgres(PostgresRecordsRecorder):
    """Diagnostic only: no command id lookup, no id rows."""

    def recorded_commands(self, ids: Sequence[UUID]) -> Mapping[UUID, Notification | None]:
        return {}

    def _insert_command_ids(self, curs: Cursor[DictRow], rows: list[tuple[UUID, int]]) -> None:
        pass


def unchecked_ids_env(env: dict[str, str]) -> dict[str, str]:
    """The same store settings with the diagnostic recorder that skips command ids."""
    postgres = env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
    recorder = UncheckedIdsPostgres if postgres else UncheckedIdsSQLite
    return {**env, "APPLICATION_RECORDER_TOPIC": get_topic(recorder)}


def commands(h: Harness, n: int) -> list[SignedCommand]:
    out = []
    for _ in range(n):
        uscc = new_uscc("420102")
        out.append(
            h.sign(
                "r-bench",
                "enterprise.register",
                "420102",
                {
                    "uscc": uscc,
                    "name": "武汉市某某化工有限公司",
                    "industry": "hazardous_chemicals",
                    "standardisation": "level2",
                    "address": "湖北省武汉市江岸区某某路88号",
                    "employees": 260,
                },
                subject=enterprise_id(uscc),
            )
        )
    return out


def rate(n: int, fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t)


def fresh_harness(env: Mapping[str, str]) -> Harness:
    h = Harness(env)
    h.actor("r-bench", "regulator", "420100")
    return h


def batch_rate(
    env: Mapping[str, str], n: int, notary: Ed25519Notary | None = None, again: bool = False
) -> list[float]:
    """Records.execute_batch of BATCH commands per transaction on a fresh store; `again`: then
    the same batches again (all answered with their original events)."""
    h = fresh_harness(env)
    cmds = commands(h, n)
    if notary is not None:
        h.records.notary = notary

    def batches() -> None:
        for i in range(0, n, BATCH):
            h.records.execute_batch(cmds[i : i + BATCH])

    r = [rate(n, batches) for _ in range(2 if again else 1)]
    h.close()
    return r


def library_env(env: dict[str, str]) -> dict[str, str]:
    """The same store settings with the library's own application recorder."""
    return {k: v for k, v in env.items() if k != "APPLICATION_RECORDER_TOPIC"}


def per_command_rate(env: Mapping[str, str], n: int) -> tuple[float, list[SignedCommand]]:
    """Records.execute, one command per transaction, on a fresh store (and the commands)."""
    h = fresh_harness(env)
    cmds = commands(h, n)
    r = rate(n, lambda: [h.records.execute(c) for c in cmds])
    h.close()
    return r, cmds


def one_run(make_env: Callable[[], dict[str, str]], n: int) -> dict[str, float]:
    res: dict[str, float] = {}
    res["anjian per-command"], cmds = per_command_rate(make_env(), n)
    res["per-command, ids unchecked"] = per_command_rate(unchecked_ids_env(make_env()), n)[0]
    res["anjian batch"], res["batch resubmitted"] = batch_rate(make_env(), n, again=True)
    res["batch, ids unchecked"] = batch_rate(unchecked_ids_env(make_env()), n)[0]
    res["batch, unchecked sigs"] = batch_rate(make_env(), n, AcceptingNotary())[0]

    app: Application[Any] = Application(env=library_env(make_env()))
    res["bare per-save"] = rate(
        n, lambda: [app.save(Equivalent(c.text, c.signature, c.key_id)) for c in cmds]
    )

    def bare_batch() -> None:
        for i in range(0, n, BATCH):
            app.save(*[Equivalent(c.text, c.signature, c.key_id) for c in cmds[i : i + BATCH]])

    res["bare batch"] = rate(n, bare_batch)
    app.close()
    return res


def raw_sqlite(cmds: list[SignedCommand], directory: Path) -> float:
    rows = [
        (
            str(enterprise_id(c.envelope.data["uscc"])),
            1,
            "t",
            c.text.encode() + c.signature.encode(),
        )
        for c in cmds
    ]
    directory.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(directory / "raw.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(
        "CREATE TABLE e (id INTEGER PRIMARY KEY, oid TEXT, v INTEGER, topic TEXT, state BLOB,"
        " UNIQUE (oid, v))"
    )

    def load() -> None:
        db.execute("BEGIN")
        db.executemany("INSERT INTO e (oid, v, topic, state) VALUES (?,?,?,?)", rows)
        db.execute("COMMIT")

    r = rate(len(rows), load)
    db.close()
    return r


def verify_ceiling(n: int) -> tuple[float, float]:
    """Ed25519 verifications per second: one at a time on one thread (PyNaCl), and a
    SignatureBatch on every core (the most the machine can verify while doing nothing else)."""
    key = KeyPair.generate()
    msgs = [os.urandom(400) for _ in range(n)]
    sigs = [key.sign(m) for m in msgs]
    pk = key.public_key

    def batch() -> int:
        signatures = SignatureBatch()
        for m, s in zip(msgs, sigs, strict=True):
            signatures.add(pk, m, s)
        return signatures.first_invalid()

    single = rate(n, lambda: [verify_signature(pk, m, s) for m, s in zip(msgs, sigs, strict=True)])
    return single, rate(n, batch)


def median_table(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]}


def report(title: str, m: dict[str, float]) -> None:
    print(f"\n## {title} (events/s, median)")
    for k, v in m.items():
        print(f"  {k:<22} {v:>10,.0f}")
    if "bare per-save" in m:
        print(f"  per-command / bare per-save = {m['anjian per-command'] / m['bare per-save']:.2f}")
        print(f"  batch / bare batch          = {m['anjian batch'] / m['bare batch']:.2f}")
        print(
            f"  batch / unchecked batch     = {m['anjian batch'] / m['batch, unchecked sigs']:.2f}"
        )
        ids = m["per-command, ids unchecked"], m["batch, ids unchecked"]
        print(f"  per-command / ids unchecked = {m['anjian per-command'] / ids[0]:.2f}")
        print(f"  batch / ids unchecked       = {m['anjian batch'] / ids[1]:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=3000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-postgres", action="store_true")
    args = ap.parse_args()
    n = args.events

    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(1_000_000))

        def sqlite_env() -> dict[str, str]:
            return store_env(Settings(home=Path(tmp) / f"s{next(counter)}"))

        runs = [one_run(sqlite_env, n) for _ in range(args.runs)]
        m = median_table(runs)
        h = fresh_harness(sqlite_env())
        raws = [raw_sqlite(commands(h, n), Path(tmp) / f"s{next(counter)}") for _ in range(3)]
        h.close()
        m["raw sqlite executemany"] = statistics.median(raws)
        report(f"SQLite, {n} events per run, {args.runs} runs", m)

    single, pooled = verify_ceiling(20_000)
    print("\n## Ed25519 verify ceiling (per s)")
    print(f"  one thread             {single:>10,.0f}")
    print(f"  all cores, chunked     {pooled:>10,.0f}")

    if not args.no_postgres:
        with postgres_server() as server:
            names = iter(range(1_000_000))

            def pg_env() -> dict[str, str]:
                db = create_database(server, f"b{next(names)}")
                return store_env(Settings(database_url=db.url))

            pg_runs = [one_run(pg_env, n) for _ in range(args.runs)]
            report(f"PostgreSQL, {n} events per run, {args.runs} runs", median_table(pg_runs))


if __name__ == "__main__":
    main()
