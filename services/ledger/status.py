"""`anjian ledger status`: where the ledger stands, read from the database alone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ledger.checkpoints import StoredCheckpoint
from services.ledger.chain_trust import trust_findings
from services.ledger.stores import Ledger, audit_anchor

__all__ = ["LedgerStatus", "status"]


@dataclass
class LedgerStatus:
    """Where the ledger stands (read-only; the chain is not contacted)."""

    events: int
    tree_size: int
    last_notification_id: int
    root: str
    latest_checkpoint: dict[str, Any] | None
    checkpoints: int
    latest_anchor: dict[str, Any] | None
    anchors: int
    lost_anchors: int
    queued: int
    deployments: list[dict[str, Any]]
    chain: str
    log_key: str
    witnesses: list[dict[str, Any]]  # per configured witness: the newest checkpoint's answer
    # what the chain binds, from the records alone (services/ledger/chain_trust.py): each
    # {"failure": bool, "message": str, ...}; `audit verify` flags the failures
    trust: list[dict[str, Any]]

    @property
    def unlogged(self) -> int:
        return max(0, self.events - self.last_notification_id)

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["unlogged_notification_ids"] = self.unlogged
        return out


def status(ledger: Ledger) -> LedgerStatus:
    """Where `ledger` stands, read from its stores (the chain is not contacted)."""
    size = ledger.log.size()
    cps = ledger.all_checkpoints()
    live = ledger.anchors.live()
    latest = cps[-1] if cps else None
    newest = live[-1] if live else None
    return LedgerStatus(
        events=int(ledger.recorder.max_notification_id() or 0),
        tree_size=size,
        last_notification_id=ledger.log.last_notification_id(),
        root=ledger.log.root(size).hex(),
        latest_checkpoint=None
        if latest is None
        else {
            "seq": latest.seq,
            "tree_size": latest.size,
            "root": latest.root.hex(),
            "created_at": latest.created_at.isoformat(),
        },
        checkpoints=len(cps),
        latest_anchor=None
        if newest is None
        else {**audit_anchor(newest).to_json(), "anchored_at": newest.anchored_at.isoformat()},
        anchors=len(live),
        lost_anchors=ledger.anchors.lost_count(),
        queued=sum(1 for cp in cps if cp.size > (0 if newest is None else newest.tree_size)),
        deployments=[
            {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in d.items()}
            for d in ledger.anchors.deployments()
        ],
        chain=ledger.chain.describe(),
        log_key=ledger.signer.vkey,
        witnesses=_witnesses(ledger, latest),
        trust=[f.to_json() for f in trust_findings(ledger)],
    )


def _witnesses(ledger: Ledger, latest: StoredCheckpoint | None) -> list[dict[str, Any]]:
    """Whether each configured witness cosigned the newest checkpoint, and if not why."""
    answers = (
        {} if latest is None else {a.witness: a for a in ledger.checkpoints.answers(latest.seq)}
    )
    out = []
    for w in ledger.witnesses:
        a = answers.get(w.vkey)
        out.append(
            {
                "witness": w.vkey.split("+", 1)[0],
                "url": w.url,
                "vkey": w.vkey,
                "tree_size": None if latest is None else latest.size,
                "cosigned": a is not None and a.line is not None,
                "error": "not submitted yet (anjian ledger sync)" if a is None else a.error,
                "at": None if a is None else a.at.isoformat(),
            }
        )
    return out
