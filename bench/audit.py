"""Audit benchmark: `anjian audit verify` over a store of N events, against the Ed25519, SHA-256
and event-store read ceilings measured in the same run on the same machine.

    .venv/bin/python -m bench.audit [--events 1000000] [--runs R] [--batch 5000]

Each run, in a fresh temporary ANJIAN_HOME (SQLite, default settings):

1. build: genesis, then `--actors` regulators registered by the platform, then N events through
   the real write path, `Records.execute_batch` of `--batch` pre-signed commands per
   transaction (every signature verified, every aggregate rule applied). Each batch is 60 %
   enterprise registrations and 40 % profile changes of enterprises registered in the same
   batch (so no batch reads an old aggregate back), signed round-robin by the regulators, each
   within its jurisdiction. Client-side signing is timed apart from execute_batch.
2. sync: `services.ledger.sync.sync(platform.ledger, anchor=True)`: the guard (every unlogged event
   checked in full), the Merkle log, a checkpoint every 1000 leaves, one anchor of the newest
   checkpoint on the embedded anvil.
3. verify: `services.ledger.verify.verify(platform.ledger)`, the call `anjian audit verify`
   makes (same defaults: the platform's log key, the embedded chain started for the audit), on
   a platform built afresh as the CLI builds it. It must report OK.
4. baselines: PyNaCl Ed25519 verify of envelope-sized messages on one thread; SHA-256 of
   0x00 ‖ leaf over leaves read from this store (one core); the event store's raw
   `select_notifications` read of all N events in the pages the audit reads (2000).

Figures are printed per run and, over --runs, as medians (--runs defaults to 1 for a million
events or more, else 3).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from nacl.signing import SigningKey

from domain.actor import PLATFORM_ACCOUNT
from domain.envelope import SignedCommand
from domain.ids import actor_id, enterprise_id
from domain.uscc import make_uscc
from ledger.canonical import canonical_text
from ledger.keys import KeyPair
from ledger.leaf import leaf_bytes
from ledger.rfc6962 import LEAF_PREFIX
from ops.bootstrap import Platform, build
from ops.settings import Settings
from services.ingest.genesis import ensure_genesis
from services.ledger.sync import sync
from services.ledger.verify import verify

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=SHANGHAI)
READ_PAGE = 2000  # audit.verify.verify_store's page size
REGISTER_SHARE = 0.6  # of each batch; the rest change the profile of one registered in it

# (account, jurisdiction, the district its enterprises are in)
REGULATORS = [
    ("r-wuhan", "420100", "420102"),
    ("r-yichang", "420500", "420502"),
    ("r-xiangyang", "420600", "420602"),
    ("r-province", "420000", "420111"),
    ("r-jingzhou", "421000", "421002"),
    ("r-huangshi", "420200", "420202"),
    ("r-shiyan", "420300", "420302"),
    ("r-xiaogan", "420900", "420902"),
]
INDUSTRIES = ["hazardous_chemicals", "non_coal_mining", "metallurgy", "construction"]
LEVELS = ["level1", "level2", "level3", "none"]


@dataclass
class Signer:
    """A regulator that signs commands client-side (as an actor's own device would)."""

    account: str
    jurisdiction: str
    district: str
    key: KeyPair


class Workload:
    """Pre-signed commands, a batch at a time; a clock one second per command."""

    def __init__(self, signers: Sequence[Signer]) -> None:
        self.signers = signers
        self.clock = T0
        self.serial = 0
        self.turn = 0

    def _sign(self, s: Signer, ctype: str, subject: str, data: dict[str, Any]) -> SignedCommand:
        self.clock += timedelta(seconds=1)
        text = canonical_text(
            {
                "actor": s.account,
                "data": data,
                "id": str(uuid4()),
                "occurred_at": self.clock.isoformat(),
                "region": s.district,
                "role": "regulator",
                "subject": subject,
                "type": ctype,
            }
        )
        return SignedCommand.of(text, s.key.sign_b64(text.encode()), s.key.key_id)

    def batch(self, size: int) -> list[SignedCommand]:
        registrations = max(1, round(size * REGISTER_SHARE)) if size > 1 else size
        cmds: list[SignedCommand] = []
        registered: list[tuple[Signer, str]] = []
        for _ in range(registrations):
            s = self.signers[self.turn % len(self.signers)]
            self.turn += 1
            self.serial += 1
            uscc = make_uscc(f"91{s.district}MA{self.serial:07d}"[:17])
            data: dict[str, Any] = {
                "uscc": uscc,
                "name": f"湖北某某{self.serial}化工有限公司",
                "industry": INDUSTRIES[self.serial % len(INDUSTRIES)],
                "standardisation": LEVELS[self.serial % len(LEVELS)],
                "address": f"湖北省某某区某某路{self.serial % 999 + 1}号",
                "employees": 20 + self.serial % 900,
            }
            cmds.append(self._sign(s, "enterprise.register", str(enterprise_id(uscc)), data))
            registered.append((s, uscc))
        for j in range(size - registrations):
            s, uscc = registered[j % len(registered)]
            change: dict[str, Any] = {"uscc": uscc, "employees": 21 + (self.serial + j) % 900}
            if j % 3 == 0:
                change["standardisation"] = LEVELS[(self.serial + j) % len(LEVELS)]
            cmds.append(
                self._sign(s, "enterprise.update_profile", str(enterprise_id(uscc)), change)
            )
        return cmds


def _platform_cmd(p: Platform, data: dict[str, Any], subject: str) -> SignedCommand:
    key = p.keystore.platform_key()
    text = canonical_text(
        {
            "actor": PLATFORM_ACCOUNT,
            "data": data,
            "id": str(uuid4()),
            "occurred_at": T0.isoformat(),
            "region": "420000",
            "role": "platform",
            "subject": subject,
            "type": "actor.register",
        }
    )
    return SignedCommand.of(text, key.sign_b64(text.encode()), key.key_id)


def register_regulators(p: Platform, count: int) -> list[Signer]:
    signers = []
    for account, jurisdiction, district in REGULATORS[:count]:
        key = KeyPair.generate()
        data = {
            "account": account,
            "role": "regulator",
            "name": account,
            "jurisdiction": jurisdiction,
            "public_key": key.public_key_b64,
            "custody": "own",
        }
        p.records.execute(_platform_cmd(p, data, str(actor_id(account))))
        signers.append(Signer(account, jurisdiction, district, key))
    return signers


@dataclass
class Built:
    events: int
    sign_s: float
    execute_s: float


def build_store(p: Platform, n: int, batch: int, actors: int, tick: Callable[[int], None]) -> Built:
    """Genesis, the regulators, then commands until the store holds n events."""
    ensure_genesis(p.ingest)
    signers = register_regulators(p, actors)
    work = Workload(signers)
    have = 1 + len(signers)
    sign_s = execute_s = 0.0
    while have < n:
        t = time.perf_counter()
        cmds = work.batch(min(batch, n - have))
        sign_s += time.perf_counter() - t
        t = time.perf_counter()
        p.records.execute_batch(cmds)
        execute_s += time.perf_counter() - t
        have += len(cmds)
        tick(have)
    return Built(have, sign_s, execute_s)


def pages(p: Platform, page: int) -> Iterator[Sequence[Any]]:
    recorder = p.records.recorder
    after = 0
    while batch := recorder.select_notifications(after, page, inclusive_of_start=False):
        yield batch
        after = batch[-1].id


def read_rate(p: Platform) -> tuple[float, int]:
    """Raw select_notifications over the whole store, in the audit's pages."""
    t = time.perf_counter()
    count = sum(len(b) for b in pages(p, READ_PAGE))
    return count / (time.perf_counter() - t), count


def sample(p: Platform, k: int) -> tuple[list[bytes], list[str]]:
    """Up to k leaves and envelopes of this store, from its start."""
    leaves: list[bytes] = []
    envelopes: list[str] = []
    for b in pages(p, READ_PAGE):
        for n in b:
            leaves.append(leaf_bytes(n))
            envelopes.append(n.state.decode())
        if len(leaves) >= k:
            break
    return leaves[:k], envelopes[:k]


def sha256_rate(leaves: Sequence[bytes], n: int) -> float:
    """SHA-256(0x00 ‖ leaf) per second, one core, over these leaves cycled."""
    data = [LEAF_PREFIX + leaf for leaf in leaves]
    sha = hashlib.sha256
    reps = max(1, n // len(data))
    t = time.perf_counter()
    for _ in range(reps):
        for d in data:
            sha(d).digest()
    return reps * len(data) / (time.perf_counter() - t)


def ed25519_rate(size: int, n: int) -> float:
    """PyNaCl Ed25519 verifications per second, one thread, messages of `size` bytes."""
    key = SigningKey.generate()
    vk = key.verify_key
    signed = [key.sign(os.urandom(size)) for _ in range(n)]
    t = time.perf_counter()
    for sm in signed:
        vk.verify(sm.message, sm.signature)
    return n / (time.perf_counter() - t)


def one_run(n: int, batch: int, actors: int, keep: Path | None) -> dict[str, float]:
    res: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="anjian-bench-audit-") as tmp:
        home = keep or Path(tmp)
        os.environ["ANJIAN_HOME"] = str(home)  # anything reading settings sees this store
        settings = Settings(home=home)
        last = [0.0]

        def tick(have: int) -> None:
            now = time.perf_counter()
            if now - last[0] > 15:
                last[0] = now
                print(f"  … {have:,} events", file=sys.stderr, flush=True)

        p = build(settings)
        try:
            t = time.perf_counter()
            built = build_store(p, n, batch, actors, tick)
            res["build s"] = time.perf_counter() - t
            res["events"] = built.events
            res["sign s"] = built.sign_s
            res["execute_batch s"] = built.execute_s
            print(
                f"  build {res['build s']:.1f} s (sign {built.sign_s:.1f} s, execute_batch "
                f"{built.execute_s:.1f} s = {built.events / built.execute_s:,.0f} events/s)",
                file=sys.stderr,
                flush=True,
            )
            t = time.perf_counter()
            report = sync(p.ledger, anchor=True)
            res["sync s"] = time.perf_counter() - t
            if report.anchor is None or report.tree_size != built.events:
                raise SystemExit(f"sync did not log and anchor everything: {report.summary()}")
            res["checkpoints"] = len(report.checkpoints)
            a = report.anchor
            print(
                f"  sync {res['sync s']:.1f} s: +{report.appended} leaves, "
                f"{len(report.checkpoints)} checkpoints, anchored size {a.tree_size} in block "
                f"{a.block_number}",
                file=sys.stderr,
                flush=True,
            )
        finally:
            p.close()

        p = build(Settings(home=home))  # afresh, as `anjian audit verify` builds it
        try:
            t = time.perf_counter()
            audit = verify(p.ledger)
            res["verify s"] = time.perf_counter() - t
            if not audit.ok or audit.events != built.events or audit.leaves != built.events:
                for f in audit.failures[:20]:
                    print(f"FAIL {f}", file=sys.stderr)
                raise SystemExit(f"audit verify did not hold: {audit.to_json()}")
            res["verify_store s"] = audit.seconds
            res["signatures"] = audit.signatures
            res["chain anchors"] = audit.chain_anchors
            res["verify events/s"] = built.events / res["verify s"]
            print(f"  verify {res['verify s']:.1f} s", file=sys.stderr, flush=True)

            res["select_notifications /s"], read = read_rate(p)
            assert read == built.events
            leaves, states = sample(p, 2000)
            res["leaf bytes"] = statistics.mean(len(x) for x in leaves)
            res["envelope bytes"] = statistics.mean(len(_envelope(s)) for s in states)
            res["sha256 /s"] = sha256_rate(leaves, 400_000)
            res["ed25519 verify /s"] = ed25519_rate(round(res["envelope bytes"]), 20_000)
        finally:
            p.close()
            os.environ.pop("ANJIAN_HOME", None)
    return res


def _envelope(state: str) -> bytes:
    return str(json.loads(state)["envelope"]).encode()


def show(title: str, r: dict[str, float]) -> None:
    n = r["events"]
    ed, sha, sel = r["ed25519 verify /s"], r["sha256 /s"], r["select_notifications /s"]
    rows = [
        ("events", f"{n:,.0f} ({r['checkpoints']:.0f} checkpoints, 1 anchor)"),
        ("build (sign + execute_batch)", f"{r['build s']:.1f} s ({n / r['build s']:,.0f} /s)"),
        ("  of which client signing", f"{r['sign s']:.1f} s"),
        ("  of which execute_batch", f"{r['execute_batch s']:.1f} s"
            f" ({n / r['execute_batch s']:,.0f} events/s)"),
        ("ledger sync (guard, log, anchor)", f"{r['sync s']:.1f} s ({n / r['sync s']:,.0f} /s)"),
        ("audit verify", f"{r['verify s']:.1f} s (verify_store {r['verify_store s']:.1f} s)"),
        ("audit verify rate", f"{r['verify events/s']:,.0f} events/s"),
        ("signatures checked", f"{r['signatures']:,.0f}"),
        ("baseline: Ed25519 verify, 1 thread", f"{ed:,.0f} /s ({r['envelope bytes']:.0f} B)"),
        ("baseline: SHA-256(0x00 ‖ leaf), 1 core", f"{sha:,.0f} /s ({r['leaf bytes']:.0f} B)"),
        ("baseline: select_notifications", f"{sel:,.0f} /s (pages of {READ_PAGE})"),
        ("verify / Ed25519 (1 thread)", f"{r['verify events/s'] / ed:.2f}"),
        ("verify / SHA-256", f"{r['verify events/s'] / sha:.3f}"),
        ("verify / select_notifications", f"{r['verify events/s'] / sel:.3f}"),
        ("Ed25519 floor for N (1 thread)", f"{n / ed:.1f} s"),
    ]  # fmt: skip
    print(f"\n## {title}")
    for label, value in rows:
        print(f"  {label:<38} {value}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=None, help="1 for >= 1M events, else 3")
    ap.add_argument("--batch", type=int, default=5000, help="commands per execute_batch")
    ap.add_argument("--actors", type=int, default=4, help=f"regulators (<= {len(REGULATORS)})")
    ap.add_argument("--keep", type=Path, default=None, help="build the store here (one run)")
    args = ap.parse_args()
    runs = args.runs or (1 if args.events >= 1_000_000 else 3)
    if not 1 <= args.actors <= len(REGULATORS):
        ap.error(f"--actors must be 1..{len(REGULATORS)}")
    load0 = os.getloadavg()
    began = time.perf_counter()
    results = []
    for i in range(runs):
        print(f"run {i + 1}/{runs}: {args.events:,} events", file=sys.stderr, flush=True)
        r = one_run(args.events, args.batch, args.actors, args.keep)
        results.append(r)
        if runs > 1:
            show(f"run {i + 1}", r)
    load1 = os.getloadavg()
    med = {k: statistics.median(r[k] for r in results) for k in results[0]}
    what = "median of" if runs > 1 else "one run of"
    show(f"SQLite, {what} {runs}, {args.actors} signing regulators, batches of {args.batch}", med)
    print(
        f"\n  load average (1 min) before/after: {load0[0]:.2f}/{load1[0]:.2f} on "
        f"{os.cpu_count()} cores; total {time.perf_counter() - began:.0f} s"
    )


if __name__ == "__main__":
    main()
