"""Recording the demo province through the real command path, batch by batch.

The demo is a client of services/ingest like any other entry point: every line goes through
`Ingest.record` for the migration principal (custodial signing that marks each custodial
envelope with the `migration` channel, the province's history being from before go-live; PIPL
sealing; pre-signed device lines checked as received; one transaction per batch, signatures
verified in parallel): exactly what `anjian record --migrate --batch N` does with a file. A
rejected command is a defect of the demo, never skipped: the run stops and names it.

    DemoError
    ├── StoreNotEmpty   the event store holds records already
    ├── ResetRefused    --reset on a store that is not the embedded SQLite file (ops/reset.py)
    └── DemoRejected    the domain refused a command the demo built (a demo bug)
"""

from __future__ import annotations

import itertools
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from demo import build
from demo.clock import GO_LIVE, HOUR, end_of
from demo.logins import DemoLogin, create_logins
from demo.sim import Line, Sim, new_uuid
from demo.teams import team_lines
from domain.actor import PLATFORM_ACCOUNT
from domain.application import Records
from domain.catalog import CATALOG
from domain.errors import DomainError
from domain.ids import actor_id
from domain.regions import PROVINCE
from services.identity.accounts import Accounts
from services.ingest.batches import Committed, LineRefused
from services.ingest.custody import Custody
from services.ingest.principal import Principal
from services.ingest.service import Ingest

Progress = Callable[[datetime, int], None]  # (simulated now, events recorded so far)


class DemoError(Exception):
    """Base of the demo's errors."""


class StoreNotEmpty(DemoError):
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
    logins: list[DemoLogin] = field(default_factory=list)  # one per role, one-time passwords

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
            "logins": [
                {
                    "login": x.login,
                    "role": x.role,
                    "jurisdiction": x.jurisdiction,
                    "enterprises": list(x.enterprises),
                    "one_time_password": x.password,
                }
                for x in self.logins
            ],
        }


# -- the store ---------------------------------------------------------------------------------


def check_empty(records: Records, where: str) -> bool:
    """True when the store holds only the genesis (or nothing); StoreNotEmpty otherwise,
    naming the store as `where` (its file, or "the PostgreSQL database")."""
    page = records.recorder.select_notifications(start=1, limit=2)
    genesis = actor_id(PLATFORM_ACCOUNT)
    if not page or (len(page) == 1 and page[0].originator_id == genesis):
        return bool(page)
    raise StoreNotEmpty(
        f"the event store at {where} holds records already; run the demo on a fresh "
        "ANJIAN_HOME (e.g. ANJIAN_HOME=$(mktemp -d) anjian demo) or pass --reset to delete "
        "the embedded store first"
    )


# -- the run -----------------------------------------------------------------------------------


def run(
    ingest: Ingest,
    options: DemoOptions,
    *,
    where: str,
    progress: Progress | None = None,
    accounts: Accounts | None = None,
) -> DemoReport:
    """Build the province and record it through `ingest`, then, given `accounts`, one login per
    role (demo.logins, live registrations after the migrated history). Precondition: the store
    (named `where` in errors) is empty (`check_empty`)."""
    began = time.perf_counter()
    has_genesis = check_empty(ingest.records, where)
    keys = ingest.custody
    sim = Sim(end_of(options.months))
    world, plans = build.build(
        sim,
        options.seed,
        options.enterprises,
        options.months,
        lambda account: keys.custodial(account).public_key_b64,
    )
    report = DemoReport(options.seed, options.enterprises, options.months)
    report.showcase = world.ents[0].uscc if world.ents else ""
    history = Principal.migration()  # the province's pre-go-live history
    if not has_genesis:
        _count(report, ingest.record([_genesis(keys, options.seed)], history))
    opening = build.opening(world)
    # The rescue teams, registered at go-live once the regulators' accounts exist.
    opening += team_lines(world, GO_LIVE + timedelta(hours=1))
    report.regulators = len(opening)
    build.start(world, plans)

    def lines() -> Iterator[Line]:
        for i, line in enumerate(itertools.chain(opening, sim.lines())):
            yield line
            if progress is not None and i % 250 == 0:
                progress(sim.now, report.events)

    _count(report, ingest.record(lines(), history, batch=options.batch))
    if progress is not None:
        progress(sim.end, report.events)
    if accounts is not None:
        showcase = world.ents[0] if world.ents else None
        report.logins = create_logins(
            accounts, (showcase.uscc, showcase.place.county) if showcase else None
        )
        report.events += len(report.logins)
        report.by_type["actor.register"] += len(report.logins)
        report.by_kind["actor"] += len(report.logins)
    report.seconds = time.perf_counter() - began
    return report


def _count(report: DemoReport, batches: Iterator[Committed]) -> None:
    """Count every committed batch in `report`; a refused line is a DemoRejected."""
    try:
        for committed in batches:
            for r in committed.recorded:
                report.by_type[r.type] += 1
                report.by_kind[r.type.partition(".")[0]] += 1
            report.events += len(committed.recorded)
    except LineRefused as exc:
        line = exc.line if isinstance(exc.line, dict) else {}
        raise DemoRejected(_describe(line, exc.cause)) from exc


def _genesis(keys: Custody, seed: int) -> Line:
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
