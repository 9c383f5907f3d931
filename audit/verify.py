"""Verifying a whole store from its bytes: events, leaves, checkpoints, anchors, chain.

The store is read through the `Evidence` port (ops wires the SQL event store, the Merkle log,
its checkpoints and the anchors table; tests may wire anything). Nothing the store says is
taken on trust except the trusted log keys the caller passes:

1. Events, in notification order (audit/events.py): canonical envelope, record, replay, the
   catalog the caller passes (type listed, stored as its kind, the signer's registered role
   may issue it), the key the registry rebuilt from the log held at that point, Ed25519
   signature.
2. Leaves, merged with the events by notification id: the leaf index runs 0, 1, 2... with
   strictly increasing notification ids; every leaf has its event and every event up to the
   last leaf has its leaf; each event rebuilds to exactly its stored leaf hash. Events after
   the last leaf are `pending` (recorded since the last sync): checked, not failed for it.
3. Checkpoints: the note is signed by a trusted log key and says what the row says; its root is
   the root recomputed from the stored leaf hashes at its size (audit/roots.py); successive
   checkpoints are consistent (RFC 9162 proof from the stored tree, checked against both roots).
4. Anchors recorded by the platform: each matches a signed checkpoint and the recomputed root,
   and, given a chain RPC, is on chain (audit/rpc.py `anchor_problems`).
5. The chain itself, given an RPC: every Anchored event of the platform's contracts names a
   tree size the log has, with the root the leaves give (a forged or replaced anchor fails).

Every failure is reported with the record it concerns (audit/findings.py); the run goes on.
`Depth` trims the work for the ledger's own guard before each sync (see services/ledger/sync.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from audit.catalog import EventCatalog
from audit.errors import RpcError
from audit.events import CheckedEvent, EventChecker
from audit.findings import AuditReport
from audit.roots import RootsAt
from audit.rpc import Anchor, ChainAnchor, RpcClient, anchor_problems
from ledger.errors import LedgerError, NoteError, ProofError
from ledger.leaf import StoredNotification
from ledger.note import Verifier, open_checkpoint
from ledger.rfc6962 import verify_consistency

__all__ = [
    "FULL",
    "GUARD",
    "CheckpointRow",
    "ContractRef",
    "Depth",
    "Evidence",
    "LeafRow",
    "verify_store",
]


class LeafRow(Protocol):
    """A stored leaf (ledger.log.Leaf)."""

    @property
    def index(self) -> int: ...
    @property
    def notification_id(self) -> int: ...
    @property
    def hash(self) -> bytes: ...


class CheckpointRow(Protocol):
    """A stored signed checkpoint (ledger.checkpoints.StoredCheckpoint)."""

    @property
    def seq(self) -> int: ...
    @property
    def size(self) -> int: ...
    @property
    def root(self) -> bytes: ...
    @property
    def origin(self) -> str: ...
    @property
    def note(self) -> str: ...
    @property
    def vkey(self) -> str: ...


@dataclass(frozen=True)
class ContractRef:
    """An Anchor contract the platform anchors to, and the block it was deployed in."""

    chain_id: int
    address: str
    from_block: int


class Evidence(Protocol):
    """Read access to everything the platform stored. Pages are in ascending order."""

    def last_notification_id(self) -> int: ...
    def events(self, after: int, limit: int) -> Sequence[StoredNotification]: ...
    def log_size(self) -> int: ...
    def leaves(self, start: int, stop: int) -> Sequence[LeafRow]: ...
    def checkpoints(self) -> Sequence[CheckpointRow]: ...
    def anchors(self) -> Sequence[Anchor]: ...
    def contracts(self) -> Sequence[ContractRef]: ...
    def tree_root(self, size: int) -> bytes: ...
    def tree_consistency(self, size1: int, size2: int) -> list[bytes]: ...


@dataclass(frozen=True)
class Depth:
    """How much to re-check. FULL is the auditor's; GUARD the ledger's before each sync."""

    logged_content: bool = True  # canonical form, key and signature of already logged events
    stored_tree: bool = True  # tiles: roots and consistency proofs read from the stored tree


FULL = Depth()
GUARD = Depth(logged_content=False, stored_tree=False)

Progress = Callable[[int], None]  # called with the number of events just checked


class _Run:
    def __init__(
        self,
        evidence: Evidence,
        report: AuditReport,
        checker: EventChecker,
        on_pending: Callable[[CheckedEvent], None] | None,
        progress: Progress | None,
    ) -> None:
        self.ev = evidence
        self.report = report
        self.checker = checker
        self.on_pending = on_pending
        self.progress = progress

    def events(self, full_from: int, page: int) -> Iterator[CheckedEvent]:
        """Checked events in notification order; page k+1 is read and prepared while the
        pool verifies the signatures of page k."""
        after = 0
        waiting: Callable[[], list[CheckedEvent]] | None = None
        while batch := self.ev.events(after, page):
            ready = self.checker.submit(batch, full_from=full_from)
            after = batch[-1].id
            if waiting is not None:
                yield from waiting()
            waiting = ready
            if self.progress is not None:
                self.progress(len(batch))
        if waiting is not None:
            yield from waiting()

    def leaves(self, size: int, page: int) -> Iterator[LeafRow]:
        for start in range(0, size, page):
            yield from self.ev.leaves(start, min(size, start + page))

    def merge(self, size: int, roots: RootsAt, full_from: int, page: int) -> None:
        """Steps 1 and 2: walk events and leaves together by notification id."""
        report = self.report
        last_logged = self.ev.leaves(size - 1, size)[0].notification_id if size else 0
        events, leaves = self.events(full_from, page), self.leaves(size, page)
        ev, lf = next(events, None), next(leaves, None)
        prev_nid = 0
        while ev is not None or lf is not None:
            if lf is not None and (ev is None or lf.notification_id <= ev.notification_id):
                index = roots.count
                roots.add(lf.hash)
                if lf.index != index or lf.notification_id <= prev_nid:
                    report.fail(
                        "leaf",
                        f"the leaf sequence breaks: leaf {lf.index} for notification "
                        f"{lf.notification_id} follows notification {prev_nid} at position {index}",
                        leaf_index=lf.index,
                        notification_id=lf.notification_id,
                    )
                prev_nid = lf.notification_id
                if ev is None or lf.notification_id < ev.notification_id:
                    report.fail(
                        "leaf",
                        "the event store no longer holds this logged event (deleted?)",
                        leaf_index=lf.index,
                        notification_id=lf.notification_id,
                    )
                else:
                    self.paired(ev, lf)
                    ev = next(events, None)
                lf = next(leaves, None)
                continue
            assert ev is not None
            report.events += 1
            for f in ev.failures:
                report.failures.append(f)
            if ev.notification_id < last_logged:
                report.fail(
                    "leaf",
                    "the event is not in the log, yet later events are (inserted?)",
                    event_id=ev.event_id,
                    notification_id=ev.notification_id,
                )
            else:
                report.pending += 1
                if self.on_pending is not None:
                    self.on_pending(ev)
            ev = next(events, None)
        report.leaves = roots.count

    def paired(self, ev: CheckedEvent, lf: LeafRow) -> None:
        report = self.report
        report.events += 1
        for f in ev.failures:
            report.failures.append(replace(f, leaf_index=lf.index))
        if ev.leaf_hash is not None and ev.leaf_hash != lf.hash:
            report.fail(
                "leaf",
                "the stored event does not rebuild to its leaf: changed since it was logged",
                event_id=ev.event_id,
                notification_id=ev.notification_id,
                leaf_index=lf.index,
            )

    def checkpoints(
        self,
        checkpoints: Sequence[CheckpointRow],
        trusted: Sequence[str],
        origin: str | None,
        roots: dict[int, bytes],
        depth: Depth,
    ) -> None:
        """Step 3."""
        report, size = self.report, self.report.leaves
        prev: CheckpointRow | None = None
        for cp in checkpoints:
            where: dict[str, Any] = {"checkpoint": cp.seq, "tree_size": cp.size}
            keys = list(trusted) or [cp.vkey]
            if cp.vkey not in keys:
                report.fail("checkpoint", f"signed by {cp.vkey}, not a trusted log key", **where)
            try:
                body, _ = open_checkpoint(
                    cp.note, [Verifier.from_vkey(k) for k in keys], origin=origin
                )
            except NoteError as exc:
                report.fail("checkpoint", f"the signed note does not verify: {exc}", **where)
            else:
                if (body.size, body.root) != (cp.size, cp.root):
                    report.fail(
                        "checkpoint",
                        f"the signed note says size {body.size} root {body.root.hex()}, "
                        f"the row size {cp.size} root {cp.root.hex()}",
                        **where,
                    )
            if cp.size > size:
                report.fail("checkpoint", f"covers {cp.size} leaves; the log holds {size}", **where)
            elif roots[cp.size] != cp.root:
                report.fail(
                    "checkpoint",
                    f"root {cp.root.hex()} is not the root of the stored leaves "
                    f"({roots[cp.size].hex()})",
                    **where,
                )
            elif depth.stored_tree and self.ev.tree_root(cp.size) != cp.root:
                report.fail("tree", "the stored tree's root at this size differs", **where)
            if prev is not None:
                self.consistent(prev, cp, depth, size)
            prev = cp
        report.checkpoints = len(checkpoints)

    def consistent(self, prev: CheckpointRow, cp: CheckpointRow, depth: Depth, size: int) -> None:
        where: dict[str, Any] = {"checkpoint": cp.seq, "tree_size": cp.size}
        if cp.size < prev.size:
            self.report.fail(
                "consistency", f"the tree shrinks from {prev.size} (checkpoint {prev.seq})", **where
            )
            return
        if not depth.stored_tree or cp.size > size:
            return
        try:
            proof = self.ev.tree_consistency(prev.size, cp.size)
            verify_consistency(prev.size, cp.size, prev.root, cp.root, proof)
        except ProofError as exc:
            self.report.fail(
                "consistency",
                f"not consistent with checkpoint {prev.seq} (size {prev.size}): {exc}",
                **where,
            )

    def anchors(
        self,
        anchors: Sequence[Anchor],
        checkpoints: Sequence[CheckpointRow],
        roots: dict[int, bytes],
        chain: RpcClient | None,
    ) -> None:
        """Step 4."""
        report, size = self.report, self.report.leaves
        signed = {(cp.size, cp.root) for cp in checkpoints}
        for a in anchors:
            where: dict[str, Any] = {"tree_size": a.tree_size, "tx_hash": a.tx_hash}
            if (a.tree_size, a.root) not in signed:
                report.fail("anchor", "no signed checkpoint has this size and root", **where)
            if a.tree_size > size:
                report.fail(
                    "anchor", f"anchors {a.tree_size} leaves; the log holds {size}", **where
                )
            elif roots[a.tree_size] != a.root:
                report.fail("anchor", "the anchored root is not the root of the leaves", **where)
            if chain is None:
                continue
            try:
                problems = anchor_problems(chain, a)
            except RpcError as exc:
                report.fail("chain", f"could not check the anchor: {exc}", **where)
                continue
            for problem in problems:
                report.fail("anchor", problem, **where)
        report.anchors = len(anchors)

    def chain_anchors(self, found: Sequence[ChainAnchor], roots: dict[int, bytes]) -> None:
        """Step 5."""
        report, size = self.report, self.report.leaves
        for ca in found:
            where: dict[str, Any] = {"tree_size": ca.tree_size, "tx_hash": ca.tx_hash}
            if ca.tree_size > size:
                report.fail(
                    "chain",
                    f"the chain anchors {ca.tree_size} leaves (anchorer {ca.anchorer}); the log "
                    f"holds {size}: a forged anchor, or leaves missing from the log",
                    **where,
                )
            elif roots[ca.tree_size] != ca.root:
                report.fail(
                    "chain",
                    f"the chain holds root 0x{ca.root.hex()} at this size (anchorer "
                    f"{ca.anchorer}); the leaves give 0x{roots[ca.tree_size].hex()}",
                    **where,
                )
        report.chain_anchors = len(found)


def _scan_chain(
    chain: RpcClient, contracts: Sequence[ContractRef], report: AuditReport
) -> list[ChainAnchor]:
    found: list[ChainAnchor] = []
    try:
        chain_id = chain.chain_id()
        for c in contracts:
            if c.chain_id != chain_id:
                report.notes.append(f"contract {c.address} on chain {c.chain_id} not scanned")
                continue
            found.extend(chain.anchored(c.address, c.from_block))
    except RpcError as exc:
        report.fail("chain", f"could not read the chain's anchors: {exc}")
    return found


def verify_store(
    evidence: Evidence,
    *,
    catalog: EventCatalog,
    trusted_log_keys: Sequence[str],
    origin: str | None = None,
    chain: RpcClient | None = None,
    depth: Depth = FULL,
    progress: Progress | None = None,
    on_pending: Callable[[CheckedEvent], None] | None = None,
    threads: int = 2,
    page: int = 2000,
) -> AuditReport:
    """Check everything `evidence` holds; see the module docstring. Never raises for a failed
    check: every failure is in the report. `trusted_log_keys` are C2SP verifier keys; empty
    means "the key each checkpoint row names" (no pinning, noted in the report); `catalog` is
    the platform's published catalog (audit/catalog.py), every event is checked against it."""
    began = time.perf_counter()
    report = AuditReport()
    if not trusted_log_keys:
        report.notes.append("checkpoint keys not pinned: each row's own key was used")
    checkpoints = list(evidence.checkpoints())
    anchors = list(evidence.anchors())
    found = _scan_chain(chain, evidence.contracts(), report) if chain is not None else []
    if chain is None:
        report.notes.append("anchors were not checked against a chain")
    wanted = {cp.size for cp in checkpoints} | {a.tree_size for a in anchors}
    roots = RootsAt(wanted | {ca.tree_size for ca in found})
    with EventChecker(catalog=catalog, threads=threads) as checker:
        run = _Run(evidence, report, checker, on_pending, progress)
        size = evidence.log_size()
        last_logged = evidence.leaves(size - 1, size)[0].notification_id if size else 0
        try:
            run.merge(size, roots, 0 if depth.logged_content else last_logged, page)
        except LedgerError as exc:
            report.fail("leaf", f"the stored log cannot be read: {exc}")
            report.seconds = time.perf_counter() - began
            return report
        report.signatures = checker.signatures
    try:
        run.checkpoints(checkpoints, trusted_log_keys, origin, roots.roots, depth)
    except LedgerError as exc:
        report.fail("tree", f"the stored tree cannot be read: {exc}")
    run.anchors(anchors, checkpoints, roots.roots, chain)
    run.chain_anchors(found, roots.roots)
    report.seconds = time.perf_counter() - began
    return report
