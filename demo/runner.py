"""Recording the demo province through the real command path, batch by batch.

Every line goes through the platform's intake (custodial signing for the migration principal,
which marks each custodial envelope with the `migration` channel, the province's history being
from before go-live; PIPL sealing; pre-signed device lines checked as received) and
`Records.execute_batch` (one transaction per batch, signatures verified in parallel): exactly
what `anjian record --migrate --batch N` does with a file. A rejected command is a defect of
the demo, never skipped: the run stops and names it.

    DemoError
    ├── StoreNotEmpty   the event store holds records already
    ├── ResetRefused    --reset on a store that is not the embedded SQLite file
    └── DemoRejected    the domain refused a command the demo built (a demo bug)
"""

from __future__ import annotations

import itertools
import random
import shutil
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from demo import build
from demo.clock import GO_LIVE, HOUR, end_of
from demo.sim import Line, Sim, new_uuid
from domain.actor import PLATFORM_ACCOUNT
from domain.catalog import CATALOG
from domain.envelope import SignedCommand
from domain.errors import BatchRejected, DomainError
from domain.ids import actor_id
from domain.regions import PROVINCE
from ops.bootstrap import Platform
from ops.keystore import Keystore
from ops.settings import Settings
from projections.store import READMODELS_FILE
from services.ingest.intake import Principal

Progress = Callable[[datetime, int], None]  # (simulated now, events recorded so far)


class DemoError(Exception):
    """Base of the demo's errors."""


class StoreNotEmpty(DemoError):
    pass


class ResetRefused(DemoError):
    pass


class DemoRejected(DemoError):
    pass


@dataclass(frozen=True)
class DemoOptions:
    enterprises: int = 200
    months: int = 24
    seed: int = 2018
    batch: int = 5000  # commands per transaction: fewer batches, fewer aggregate replays


@dataclass
class DemoReport:
    seed: int
    enterprises: int
    months: int
    events: int = 0
    seconds: float = 0.0
    by_kind: Counter[str] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    showcase: str = ""  # USCC of the first enterprise (the scripted lifecycle)
    regulators: int = 0

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "enterprises": self.enterprises,
            "months": self.months,
            "events": self.events,
            "seconds": round(self.seconds, 2),
            "events_per_second": round(self.per_second),
            "by_kind": dict(self.by_kind.most_common()),
            "by_type": dict(sorted(self.by_type.items())),
            "showcase": self.showcase,
            "regulators": self.regulators,
        }


# -- the store ---------------------------------------------------------------------------------


def store_files(settings: Settings) -> list[Path]:
    """The embedded SQLite files (events and ledger, read models, the vault's default key
    store, whose keys open only the deleted history's ciphertexts; with WAL, shm, journal)."""
    out: list[Path] = []
    dbs = [settings.sqlite_path, settings.sqlite_path.with_name(READMODELS_FILE)]
    if not settings.vault_url:
        dbs.append(Path(settings.vault_sqlalchemy_url.removeprefix("sqlite:///")))
    for db in dbs:
        out += [db, *(db.with_name(db.name + s) for s in ("-wal", "-shm", "-journal"))]
    return out


def reset_store(settings: Settings) -> list[Path]:
    """Delete the embedded SQLite store (events, ledger, read models, the vault's key store)
    and the embedded chain's state; the platform's own keys are kept."""
    if settings.is_postgres:
        raise ResetRefused(
            "--reset deletes only the embedded SQLite store; empty the PostgreSQL database "
            "yourself, or point ANJIAN_HOME at a fresh directory without ANJIAN_DATABASE_URL"
        )
    removed = [p for p in store_files(settings) if p.exists()]
    for p in removed:
        p.unlink()
    # The embedded chain holds anchors of the deleted history: a new history would conflict
    # with them at the same tree sizes, so its state goes too (a configured chain is kept).
    chain = settings.home / "chain"
    if not settings.chain_rpc_url and chain.exists():
        shutil.rmtree(chain)
        removed.append(chain)
    return removed


def check_empty(platform: Platform) -> bool:
    """True when the store holds only the genesis (or nothing); StoreNotEmpty otherwise."""
    page = platform.records.recorder.select_notifications(start=1, limit=2)
    genesis = actor_id(PLATFORM_ACCOUNT)
    if not page or (len(page) == 1 and page[0].originator_id == genesis):
        return bool(page)
    where = (
        platform.settings.sqlite_path
        if not platform.settings.is_postgres
        else "the PostgreSQL database"
    )
    raise StoreNotEmpty(
        f"the event store at {where} holds records already; run the demo on a fresh "
        "ANJIAN_HOME (e.g. ANJIAN_HOME=$(mktemp -d) anjian demo) or pass --reset to delete "
        "the embedded store first"
    )


# -- the run -----------------------------------------------------------------------------------


def run(platform: Platform, options: DemoOptions, progress: Progress | None = None) -> DemoReport:
    """Build the province and record it. Precondition: the store is empty (`check_empty`)."""
    began = time.perf_counter()
    has_genesis = check_empty(platform)
    keys = platform.keystore
    intake = platform.intake(Principal.migration())  # the province's pre-go-live history
    sim = Sim(end_of(options.months))
    world, plans = build.build(
        sim,
        options.seed,
        options.enterprises,
        options.months,
        lambda account: keys.custodial(account).public_key_b64,
    )
    recorder = Recorder(platform, intake.parse, options.batch)
    recorder.report = DemoReport(options.seed, options.enterprises, options.months)
    recorder.report.showcase = world.ents[0].uscc if world.ents else ""
    if not has_genesis:
        recorder.record([_genesis(keys, options.seed)])
    opening = build.opening(world)
    recorder.report.regulators = len(opening)
    build.start(world, plans)
    for i, line in enumerate(itertools.chain(opening, sim.lines())):
        recorder.add(line)
        if progress is not None and i % 250 == 0:
            progress(sim.now, recorder.report.events)
    recorder.flush()
    if progress is not None:
        progress(sim.end, recorder.report.events)
    recorder.report.seconds = time.perf_counter() - began
    return recorder.report


def _genesis(keys: Keystore, seed: int) -> Line:
    """The platform's self-signed registration, dated an hour before go-live."""
    rng = random.Random(f"anjian-demo/{seed}/genesis")
    platform = {
        "account": PLATFORM_ACCOUNT,
        "role": "platform",
        "name": "湖北省安全生产综合信息平台",
        "jurisdiction": PROVINCE,
        "public_key": keys.platform_key().public_key_b64,
        "custody": "own",
    }
    return {
        "type": "actor.register",
        "actor": PLATFORM_ACCOUNT,
        "region": PROVINCE,
        "id": str(new_uuid(rng)),
        "occurred_at": (GO_LIVE - HOUR).isoformat(),
        "data": platform,
    }


class Recorder:
    """Parses lines through the intake and records them in all-or-nothing batches."""

    def __init__(
        self, platform: Platform, parse: Callable[[object], SignedCommand], batch: int
    ) -> None:
        self.platform, self.parse, self.batch = platform, parse, batch
        self.pending: list[Line] = []
        self.report = DemoReport(0, 0, 0)

    def add(self, line: Line) -> None:
        """Queue a line; record the batch once it is full."""
        self.pending.append(line)
        if len(self.pending) >= self.batch:
            self.flush()

    def flush(self) -> None:
        lines, self.pending = self.pending, []
        self.record(lines)

    def record(self, lines: list[Line]) -> None:
        if not lines:
            return
        cmds = []
        for line in lines:
            try:
                cmds.append(self.parse(line))
            except DomainError as exc:
                raise DemoRejected(_describe(line, exc)) from exc
        records = self.platform.records
        try:
            recorded = [records.execute(cmds[0])] if len(cmds) == 1 else records.execute_batch(cmds)
        except BatchRejected as exc:
            raise DemoRejected(_describe(lines[exc.index], exc.cause)) from exc
        except DomainError as exc:
            raise DemoRejected(_describe(lines[0], exc)) from exc
        for r in recorded:
            self.report.by_type[r.type] += 1
            self.report.by_kind[r.type.partition(".")[0]] += 1
        self.report.events += len(recorded)


def _describe(line: Line, exc: DomainError) -> str:
    env = line.get("envelope", line)
    return (
        f"the domain refused the demo's {env.get('type')} of {env.get('subject')} at "
        f"{env.get('occurred_at')} by {env.get('actor')}: {type(exc).__name__}: {exc}"
    )


def kind_name(kind: str) -> str:
    """The Chinese name of a record kind ("hazard" → 事故隐患)."""
    for spec in CATALOG.values():
        if spec.type.partition(".")[0] == kind:
            return str(spec.aggregate.KIND_ZH)
    return kind
