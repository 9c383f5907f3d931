"""`anjian ledger sync`: guard the stored history, log new events, checkpoint, anchor.

`sync(ledger)` runs, under the ledger's lock (one sync per data directory):

1. the guard (audit.verify with depth GUARD): every logged event still rebuilds to its
   stored leaf, every checkpoint is signed by the log key and has the root of the stored leaf
   hashes, every recorded anchor matches them; events not logged yet are checked in full
   (canonical envelope, no replay, the catalog: type listed, stored as its kind, the
   signer's registered role may issue it; key registry rebuilt from the log, Ed25519
   signature). Any failure raises LedgerHalted naming each failing event and why: nothing is
   appended, signed or anchored.
2. appending: exactly the events the guard checked, the Merkle log following the notification
   log up to the last of them (ledger.log_follower, domain.following), in batches cut at the
   checkpoint cadence (every `cadence.leaves` leaves or `cadence.seconds`), plus one
   checkpoint at the end whenever the tree grew.
3. cosigning: the newest checkpoint submitted to each configured witness not holding its
   cosignature yet (services/ledger/witnesses.py); a witness that refuses or is down is
   reported, never an error of the sync, and is asked again by the next sync.
4. anchoring (unless `anchor=False`, see services/ledger/anchoring.py): lost anchors
   submitted again, then the newest checkpoint. While the chain is unreachable checkpoints
   stay queued and the report says why; a chain that contradicts the log raises ChainConflict.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from audit.events import CheckedEvent
from audit.findings import Failure
from audit.verify import GUARD, verify_store
from domain.following import Runner
from domain.log_reader import LogReader
from ledger.checkpoints import Checkpointer
from ledger.log_follower import LeafFollower
from ledger.rfc6962 import leaf_hash
from services.ledger.anchoring import anchor_newest
from services.ledger.catalog import event_catalog
from services.ledger.errors import LedgerHalted
from services.ledger.stores import Ledger, SqlEvidence
from services.ledger.witnesses import WitnessOutcome, cosign_newest

if TYPE_CHECKING:
    from ledger.chain import AnchorReceipt

__all__ = ["APPEND_BATCH", "SyncReport", "sync"]

APPEND_BATCH = 1000  # leaves per transaction (fewer when a checkpoint is due sooner)


@dataclass
class SyncReport:
    """What one sync did."""

    appended: int = 0
    tree_size: int = 0
    root: bytes = b""
    checkpoints: list[int] = field(default_factory=list)  # sizes of the checkpoints cut
    anchor: AnchorReceipt | None = None
    reanchored: int = 0  # recorded anchors the chain had lost, submitted again
    queued: int = 0  # signed checkpoints newer than the newest anchor
    chain_error: str | None = None
    guarded: int = 0  # events the guard checked
    witnesses: list[WitnessOutcome] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "appended": self.appended,
            "tree_size": self.tree_size,
            "root": self.root.hex(),
            "checkpoints": self.checkpoints,
            "anchor": None if self.anchor is None else self.anchor.to_json(),
            "reanchored": self.reanchored,
            "queued": self.queued,
            "chain_error": self.chain_error,
            "guarded": self.guarded,
            "witnesses": [w.to_json() for w in self.witnesses],
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        parts = [f"+{self.appended} leaves, tree size {self.tree_size}"]
        if len(self.checkpoints) > 3:
            c = self.checkpoints
            parts.append(f"{len(c)} checkpoints at {c[0]}, {c[1]} … {c[-1]}")
        elif self.checkpoints:
            parts.append(f"checkpoints at {', '.join(map(str, self.checkpoints))}")
        if self.anchor is not None:
            a = self.anchor
            parts.append(f"anchored size {a.tree_size} in block {a.block_number} ({a.tx_hash})")
        if self.reanchored:
            parts.append(f"{self.reanchored} lost anchor(s) submitted again")
        if self.chain_error:
            parts.append(f"{self.queued} checkpoint(s) queued: {self.chain_error}")
        if self.witnesses:
            ok = sum(1 for w in self.witnesses if w.cosigned)
            parts.append(f"cosigned by {ok} of {len(self.witnesses)} witness(es)")
        return "; ".join(parts)


def sync(ledger: Ledger, *, anchor: bool = True, now: float | None = None) -> SyncReport:
    """Guard, append, checkpoint and anchor (see the module docstring). The demo and
    `anjian record` end with this call; `now` (Unix seconds) is for tests of the cadence."""
    began = time.perf_counter()
    with ledger.lock():
        report = SyncReport()
        pending = _guard(ledger, report)
        _append(ledger, pending, report, now)
        report.tree_size = ledger.log.size()
        report.root = ledger.log.root(report.tree_size)
        report.witnesses = cosign_newest(ledger)
        if anchor:
            outcome = anchor_newest(ledger)
            report.anchor = outcome.anchor
            report.reanchored = outcome.reanchored
            report.chain_error = outcome.chain_error
        anchored = ledger.anchors.anchored_size()
        report.queued = sum(1 for cp in ledger.all_checkpoints() if cp.size > anchored)
    report.seconds = time.perf_counter() - began
    return report


def _guard(ledger: Ledger, report: SyncReport) -> list[tuple[int, bytes]]:
    """Run the guard; return (notification id, leaf hash) of the checked unlogged events."""
    pending: list[tuple[int, bytes]] = []

    def keep(ev: CheckedEvent) -> None:
        if not ev.failures and ev.leaf_hash is not None:
            pending.append((ev.notification_id, ev.leaf_hash))

    audit = verify_store(
        SqlEvidence(ledger),
        catalog=event_catalog(),
        trusted_log_keys=[ledger.signer.vkey],
        origin=ledger.origin,
        depth=GUARD,
        on_pending=keep,
    )
    report.guarded = audit.events
    if not audit.ok:
        raise LedgerHalted(audit.failures)
    return pending


def _append(
    ledger: Ledger, pending: list[tuple[int, bytes]], report: SyncReport, now: float | None
) -> None:
    """Log exactly the guarded events, each rebuilt leaf matching the hash the guard checked:
    the Merkle log follows the notification log up to the last guarded event (ledger.
    log_follower), cutting checkpoints at the cadence, then one at the end if the tree grew."""
    if not pending:
        return
    checkpointer = Checkpointer(
        ledger.log,
        ledger.signer,
        ledger.origin,
        every_leaves=ledger.cadence.leaves,
        every_seconds=ledger.cadence.seconds,
        store=ledger.checkpoints,
    )
    guarded = dict(pending)

    def check(nid: int, leaf: bytes) -> None:
        if nid not in guarded:
            raise LedgerHalted(
                [Failure("leaf", "events changed during the sync", tree_size=ledger.log.size())]
            )
        if leaf_hash(leaf) != guarded[nid]:
            raise LedgerHalted(
                [Failure("leaf", "the event changed during the sync", notification_id=nid)]
            )

    follower = LeafFollower(ledger.log, check=check, checkpointer=checkpointer, now=now)
    start = ledger.log.size()
    runner = Runner(LogReader(ledger.recorder), follower, APPEND_BATCH, read_ahead=False)
    runner.catch_up(until=pending[-1][0])
    report.checkpoints.extend(follower.checkpoints)
    report.appended = ledger.log.size() - start
    if report.appended != len(pending):  # a guarded event is gone from the store
        raise LedgerHalted(
            [Failure("leaf", "events changed during the sync", tree_size=ledger.log.size())]
        )
    cut = checkpointer.checkpoint(now)
    if not report.checkpoints or report.checkpoints[-1] != cut.size:
        report.checkpoints.append(cut.size)
