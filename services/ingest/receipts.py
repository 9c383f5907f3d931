"""Signed receipts of stored events (ledger/receipt.py), issued as each batch commits.

The receipt promises the leaf the event must become, so it is built from the event as stored
(read back by its notification id), never from what was submitted. The log key signs it
through the `ReceiptSigner` port; ops wires ledger.receipt.ReceiptNotary with the log's
signer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.application import Records
from domain.stored import Recorded, decode_stored
from ledger.leaf import leaf_bytes
from ledger.receipt import Receipt
from ledger.rfc6962 import leaf_hash

__all__ = ["ReceiptSigner", "issue_receipts"]


class ReceiptSigner(Protocol):
    """The log key, as receipts use it."""

    @property
    def origin(self) -> str:
        """The log's origin line (the name of its key)."""
        ...

    def sign(self, receipt: Receipt) -> str:
        """The signed note of `receipt`."""
        ...


def issue_receipts(
    records: Records, signer: ReceiptSigner, recorded: Sequence[Recorded]
) -> tuple[str, ...]:
    """One signed receipt per recorded event, in order (an event recorded before gets the
    receipt of its original, byte for byte: Ed25519 signatures are deterministic)."""
    if not recorded:
        return ()
    wanted = {r.notification_id for r in recorded}
    low, high = min(wanted), max(wanted)
    recorder = records.recorder
    if high - low < 4 * len(wanted):  # one batch: one read of its range
        rows = recorder.select_notifications(low, high - low + 1, stop=high)
    else:  # answers spread over the log (commands recorded before): one read each
        rows = [
            n for nid in sorted(wanted) for n in recorder.select_notifications(nid, 1, stop=nid)
        ]
    leaves = {n.id: n for n in rows if n.id in wanted}
    origin = signer.origin
    out = []
    for r in recorded:
        stored = leaves.get(r.notification_id)
        if stored is None:  # a committed event is read back; anything else is a broken store
            raise LookupError(f"event {r.event_id} is not at notification {r.notification_id}")
        recorded_at = decode_stored(stored).recorded_at
        digest = leaf_hash(leaf_bytes(stored))
        out.append(signer.sign(Receipt(origin, r.event_id, r.notification_id, digest, recorded_at)))
    return tuple(out)
