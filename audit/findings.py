"""What a verifier found: one `Failure` per failing record, gathered in an `AuditReport`.

A failure names the record it is about with whatever identifies it: the event id
("<subject uuid>:<version>"), the notification id, the leaf index, the checkpoint's sequence
number and tree size, or the anchor's transaction. `check` says which layer failed:

    state        the stored event cannot be read (not JSON, fields missing)
    envelope     the envelope is not canonical RFC 8785 JSON, or not an envelope of its event
    key          the signing key was not the actor's current key at that point of the log
    signature    the Ed25519 signature does not verify
    replay       the command id was recorded before
    version      the event's version does not follow its record's last one (unloadable)
    catalog      the catalog does not list the type, the event is stored as another kind of
                 record, or the signer's registered role may not issue it
    leaf         the event does not rebuild to its stored leaf, or leaf and event do not pair up
    tree         the stored tree (tiles) disagrees with the leaf hashes
    checkpoint   a signed checkpoint does not verify or does not match the leaves
    consistency  two successive checkpoints are not consistent
    anchor       a recorded anchor does not match its checkpoint, the leaves, or the chain
    chain        the chain holds an anchor the log contradicts, or could not be checked
    trust        the chain does not bind part of the history: a redeployed contract, anchors
                 resubmitted after a chain reset, a contract deployed after the checkpoints it
                 anchors, a pinned block the chain or the log contradicts (audit/chain_trust.py)
    rules        replayed through the write path's rules, the event is refused (ops, --replay)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["AuditReport", "Failure"]


@dataclass(frozen=True)
class Failure:
    """One failing record and what failed."""

    check: str
    message: str
    event_id: str | None = None
    notification_id: int | None = None
    leaf_index: int | None = None
    checkpoint: int | None = None
    tree_size: int | None = None
    tx_hash: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @property
    def subject(self) -> str:
        """Who failed, e.g. "leaf 12 · event 1f0c…:3 (notification 13)"."""
        parts: list[str] = []
        if self.leaf_index is not None:
            parts.append(f"leaf {self.leaf_index}")
        if self.event_id is not None:
            parts.append(f"event {self.event_id}")
        if self.notification_id is not None:
            parts.append(f"notification {self.notification_id}")
        if self.checkpoint is not None:
            parts.append(f"checkpoint {self.checkpoint}")
        if self.tree_size is not None:
            parts.append(f"tree size {self.tree_size}")
        if self.tx_hash is not None:
            parts.append(f"tx {self.tx_hash}")
        return " · ".join(parts) or "store"

    def __str__(self) -> str:
        return f"{self.subject}: [{self.check}] {self.message}"


@dataclass
class AuditReport:
    """The outcome of a whole-store verification. `ok` only when nothing failed."""

    events: int = 0
    leaves: int = 0
    checkpoints: int = 0
    anchors: int = 0
    chain_anchors: int = 0
    pending: int = 0  # events recorded after the last logged one (not in the log yet)
    signatures: int = 0  # signatures verified
    failures: list[Failure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    trust: dict[str, Any] = field(default_factory=dict)  # the trust roots the run relied on

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, check: str, message: str, **where: Any) -> None:
        self.failures.append(Failure(check, message, **where))

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "leaves": self.leaves,
            "checkpoints": self.checkpoints,
            "anchors": self.anchors,
            "chain_anchors": self.chain_anchors,
            "pending": self.pending,
            "signatures": self.signatures,
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
            "failures": [f.to_json() for f in self.failures],
            "trust": dict(self.trust),
        }
