"""Checking a receipt (ledger/receipt.py) against the log, long after it was issued.

A receipt is the log key's promise that event E, stored at notification N, becomes the leaf
whose hash is H. Given the trusted log keys and read access to the log (`ReceiptEvidence`),
`check_receipt` decides one of three verdicts:

    included      N maps to leaf index i, the log's leaf i hashes to H, and an RFC 9162
                  inclusion proof of H at i verifies against the latest checkpoint signed by
                  a trusted log key.
    pending       the log has not reached N yet (or no signed checkpoint covers leaf i yet),
                  and the event store still holds E as promised: ask again after a sync.
    contradicted  the log passed N without a leaf for it (the event was deleted before it
                  was logged), the leaf at i is another one (the event was altered, and the
                  log rebuilt over it), the proof fails, or the event store no longer holds
                  what was promised. The receipt, signed by the log's own key, proves it.

A note not signed by a trusted key, or not a receipt of that key's log, is refused with a
NoteError before any of this (`open_receipt`).

Pure ledger primitives: an auditor runs it offline.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ledger.errors import NoteError, ProofError
from ledger.note import Verifier, open_checkpoint
from ledger.receipt import Receipt, open_receipt
from ledger.rfc6962 import verify_inclusion

__all__ = ["ReceiptEvidence", "ReceiptVerdict", "check_receipt"]

Status = Literal["included", "pending", "contradicted"]


class ReceiptEvidence(Protocol):
    """Read access to the log and the event store."""

    def leaf_index_of(self, notification_id: int) -> int | None:
        """The leaf index logging `notification_id`, or None if the log has none."""
        ...

    def last_logged_notification_id(self) -> int:
        """The notification id of the log's last leaf (0 when empty)."""
        ...

    def leaf_hash(self, index: int) -> bytes:
        """The hash of the log's leaf `index`."""
        ...

    def latest_checkpoint(self) -> str | None:
        """The latest signed checkpoint note, or None."""
        ...

    def inclusion(self, index: int, size: int) -> Sequence[bytes]:
        """The RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves."""
        ...

    def stored_leaf_hash(self, notification_id: int) -> bytes | None:
        """The leaf hash the event store's notification `notification_id` rebuilds to now,
        or None if the store holds no such notification (or it cannot become a leaf)."""
        ...


@dataclass(frozen=True)
class ReceiptVerdict:
    """What the log says about one receipt; `ok` only when the promise is kept."""

    receipt: Receipt
    status: Status
    message: str
    leaf_index: int | None = None
    tree_size: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "included"

    def to_json(self) -> dict[str, Any]:
        r = self.receipt
        return {
            "ok": self.ok,
            "status": self.status,
            "message": self.message,
            "origin": r.origin,
            "event_id": r.event_id,
            "notification_id": r.notification_id,
            "leaf_hash": base64.b64encode(r.leaf_hash).decode("ascii"),
            "recorded_at": r.recorded_at,
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
        }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def check_receipt(
    note: str | bytes, trusted: Sequence[Verifier], evidence: ReceiptEvidence
) -> ReceiptVerdict:
    """The verdict on the receipt in `note` (see the module docstring). NoteError if no
    trusted key signed it as a receipt of its log."""
    receipt = open_receipt(note, trusted)
    nid, event = receipt.notification_id, receipt.event_id

    def contradicted(why: str, index: int | None = None) -> ReceiptVerdict:
        return ReceiptVerdict(receipt, "contradicted", why, index)

    index = evidence.leaf_index_of(nid)
    if index is None:
        last = evidence.last_logged_notification_id()
        if last >= nid:
            return contradicted(
                f"the log contradicts this receipt: it passed notification {nid} (it ends at "
                f"{last}) without logging event {event}: the event was deleted before it was "
                "logged"
            )
        return _unlogged(receipt, evidence, f"the log ends at notification {last}")
    logged = evidence.leaf_hash(index)
    if logged != receipt.leaf_hash:
        return contradicted(
            f"the log contradicts this receipt: leaf {index} (notification {nid}) hashes to "
            f"{_b64(logged)}, the receipt promised {_b64(receipt.leaf_hash)}: event {event} "
            "was altered or replaced before it was logged, or the log was rebuilt over it",
            index,
        )
    text = evidence.latest_checkpoint()
    if text is None:
        return ReceiptVerdict(
            receipt, "pending", f"logged as leaf {index}; no signed checkpoint yet", index
        )
    try:
        checkpoint, _ = open_checkpoint(text, trusted, origin=receipt.origin)
    except NoteError as exc:
        return contradicted(f"the log's latest checkpoint does not verify: {exc}", index)
    if checkpoint.size <= index:
        return ReceiptVerdict(
            receipt,
            "pending",
            f"logged as leaf {index}; the latest signed checkpoint (size {checkpoint.size}) "
            "does not cover it yet",
            index,
            checkpoint.size,
        )
    try:
        verify_inclusion(
            index,
            checkpoint.size,
            receipt.leaf_hash,
            list(evidence.inclusion(index, checkpoint.size)),
            checkpoint.root,
        )
    except ProofError as exc:
        return ReceiptVerdict(
            receipt,
            "contradicted",
            f"the log contradicts this receipt: leaf {index} is not proven in the signed "
            f"checkpoint of size {checkpoint.size}: {exc}",
            index,
            checkpoint.size,
        )
    return ReceiptVerdict(
        receipt,
        "included",
        f"event {event} is leaf {index}, included in the signed checkpoint of size "
        f"{checkpoint.size}",
        index,
        checkpoint.size,
    )


def _unlogged(receipt: Receipt, evidence: ReceiptEvidence, where: str) -> ReceiptVerdict:
    """Not logged yet: pending if the event store still holds what was promised."""
    nid, event = receipt.notification_id, receipt.event_id
    stored = evidence.stored_leaf_hash(nid)
    if stored is None:
        return ReceiptVerdict(
            receipt,
            "contradicted",
            f"the event store contradicts this receipt: it no longer holds notification {nid} "
            f"(event {event}), deleted before it was logged ({where})",
        )
    if stored != receipt.leaf_hash:
        return ReceiptVerdict(
            receipt,
            "contradicted",
            f"the event store contradicts this receipt: notification {nid} (event {event}) "
            f"now rebuilds to leaf hash {_b64(stored)}, the receipt promised "
            f"{_b64(receipt.leaf_hash)}: altered before it was logged",
        )
    return ReceiptVerdict(receipt, "pending", f"not yet logged: {where}; run anjian ledger sync")
