"""`anjian audit receipt`: a receipt checked against this platform's log (audit/receipt.py).

The trust root is the log key the caller pins (`log_keys`), or, when none is pinned, the
platform's own log key from its data directory; `ReceiptCheck.trust` says which.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from audit.receipt import ReceiptVerdict, check_receipt
from ledger.errors import LeafError, UnknownLeafError
from ledger.leaf import leaf_bytes
from ledger.note import Verifier
from ledger.rfc6962 import leaf_hash
from services.ledger.stores import Ledger

__all__ = ["LogReceiptEvidence", "ReceiptCheck", "check"]


class LogReceiptEvidence:
    """audit.receipt.ReceiptEvidence over the platform's log and event store."""

    def __init__(self, ledger: Ledger) -> None:
        self._l = ledger

    def leaf_index_of(self, notification_id: int) -> int | None:
        try:
            return self._l.log.leaf_index_of(notification_id)
        except UnknownLeafError:
            return None

    def last_logged_notification_id(self) -> int:
        return self._l.log.last_notification_id()

    def leaf_hash(self, index: int) -> bytes:
        return self._l.log.leaf(index).hash

    def latest_checkpoint(self) -> str | None:
        latest = self._l.checkpoints.latest()
        return None if latest is None else latest.note

    def inclusion(self, index: int, size: int) -> Sequence[bytes]:
        return self._l.log.inclusion(index, size)

    def stored_leaf_hash(self, notification_id: int) -> bytes | None:
        found = self._l.recorder.select_notifications(notification_id, 1, stop=notification_id)
        if not found or found[0].id != notification_id:
            return None
        try:
            return leaf_hash(leaf_bytes(found[0]))
        except LeafError:
            return None


@dataclass(frozen=True)
class ReceiptCheck:
    """The verdict and the trust root it rests on."""

    verdict: ReceiptVerdict
    log_keys: tuple[str, ...]
    pinned: bool

    @property
    def trust(self) -> str:
        """One line: which log key(s) the receipt and the checkpoint were checked against."""
        where = "pinned (--log-key)" if self.pinned else "taken from the data directory"
        return f"log key {', '.join(self.log_keys)} ({where})"


def check(ledger: Ledger, note: str | bytes, log_keys: Sequence[str] = ()) -> ReceiptCheck:
    """Check the receipt in `note` against this platform's log. NoteError (KeyFormatError
    for a malformed pinned key) when no trusted log key signed it as a receipt."""
    keys = tuple(log_keys) or (ledger.signer.vkey,)
    trusted = [Verifier.from_vkey(k) for k in keys]
    verdict = check_receipt(note, trusted, LogReceiptEvidence(ledger))
    return ReceiptCheck(verdict, keys, pinned=bool(log_keys))
