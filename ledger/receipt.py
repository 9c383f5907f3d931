"""Signed receipts: the log's promise, at record time, that an event will be logged.

A receipt is a C2SP signed note (ledger/note.py) signed by the log key, the key that signs the
log's checkpoints, so any note verifier checks it. Its text names it a receipt of the log
origin on its first line, then the event, its place in the one order and the leaf it must
become, and the time it was recorded:

    <origin>/receipt
    event <subject uuid>:<version>
    notification <notification id>
    leaf <base64 of the RFC 6962 leaf hash (ledger/leaf.py bytes)>
    recorded <recorded time, the stored ISO string the leaf holds>

The position is the notification id, not a leaf index: notification ids may have gaps, so the
leaf index is known only once the log has passed them. The log (ledger/log.py) maps a
notification id to exactly one leaf index, and the leaf there must hash to the promised hash
(audit/receipt.py checks it). A receipt can never be read as a checkpoint: its second line is
not a tree size, and its first line is not the log's origin.

Pure standard library plus ledger/note.py: the offline auditor uses it as is.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ledger.errors import ReceiptFormatError
from ledger.note import Signer, Verifier, open_note, sign_note
from ledger.rfc6962 import HASH_SIZE

__all__ = ["RECEIPT_SUFFIX", "Receipt", "ReceiptNotary", "open_receipt"]

RECEIPT_SUFFIX = "/receipt"
"""The first line of a receipt is the log origin followed by this."""


@dataclass(frozen=True)
class Receipt:
    """What the log promised: `event_id` is stored at `notification_id` and becomes the leaf
    whose RFC 6962 hash is `leaf_hash`; `recorded_at` is the recorded time the leaf holds."""

    origin: str
    event_id: str
    notification_id: int
    leaf_hash: bytes
    recorded_at: str

    def __post_init__(self) -> None:
        for name, value in (
            ("origin", self.origin),
            ("event_id", self.event_id),
            ("recorded_at", self.recorded_at),
        ):
            if not value or any(c.isspace() for c in value):
                raise ReceiptFormatError(f"{name} must be non-empty without spaces")
        if self.notification_id < 1:
            raise ReceiptFormatError("a notification id is a positive integer")
        if len(self.leaf_hash) != HASH_SIZE:
            raise ReceiptFormatError(f"a leaf hash has {HASH_SIZE} bytes")

    @property
    def body(self) -> str:
        """The note text (see the module docstring)."""
        return (
            f"{self.origin}{RECEIPT_SUFFIX}\n"
            f"event {self.event_id}\n"
            f"notification {self.notification_id}\n"
            f"leaf {base64.b64encode(self.leaf_hash).decode('ascii')}\n"
            f"recorded {self.recorded_at}\n"
        )

    @classmethod
    def parse(cls, text: str) -> Receipt:
        """Parse a receipt body strictly: the five lines in order, a decimal notification id
        without leading zeros, canonical base64; ReceiptFormatError otherwise."""
        lines = text.split("\n")
        if len(lines) != 6 or lines[5] != "":
            raise ReceiptFormatError("a receipt has exactly five lines")
        first, *fields = lines[:5]
        if not first.endswith(RECEIPT_SUFFIX) or first == RECEIPT_SUFFIX:
            raise ReceiptFormatError(f"the first line is not '<origin>{RECEIPT_SUFFIX}'")
        values = []
        for line, label in zip(fields, ("event", "notification", "leaf", "recorded"), strict=True):
            key, sep, value = line.partition(" ")
            if key != label or not sep:
                raise ReceiptFormatError(f"expected the line '{label} …', found {line[:40]!r}")
            values.append(value)
        event_id, nid, leaf, recorded_at = values
        if not (nid.isascii() and nid.isdigit()) or nid != str(int(nid)):
            raise ReceiptFormatError(f"notification is not a decimal number: {nid[:40]!r}")
        try:
            leaf_hash = binascii.a2b_base64(leaf.encode("ascii"), strict_mode=True)
        except (UnicodeEncodeError, binascii.Error):
            raise ReceiptFormatError("leaf is not base64") from None
        if base64.b64encode(leaf_hash).decode("ascii") != leaf:
            raise ReceiptFormatError("leaf is not in canonical base64")
        return cls(first[: -len(RECEIPT_SUFFIX)], event_id, int(nid), leaf_hash, recorded_at)


def open_receipt(message: str | bytes, verifiers: Iterable[Verifier]) -> Receipt:
    """The receipt in a signed note, if one of `verifiers` signed it and it names that key's
    name as its origin. NoteError (a ReceiptFormatError, or the note's own errors) if not."""
    trusted = list(verifiers)
    note = open_note(message, trusted)
    receipt = Receipt.parse(note.text)
    if not any(s.name == receipt.origin for s in note.signatures):
        raise ReceiptFormatError(
            f"the receipt names the log {receipt.origin!r}, which did not sign it"
        )
    return receipt


class ReceiptNotary:
    """Signs receipts with the log's signer (the services' ReceiptSigner port), asked for on
    the first receipt only: a process that signs none never reads the log key."""

    def __init__(self, signer: Callable[[], Signer]) -> None:
        self._get = signer
        self._signer: Signer | None = None

    def _key(self) -> Signer:
        if self._signer is None:
            self._signer = self._get()
        return self._signer

    @property
    def origin(self) -> str:
        return self._key().name

    def sign(self, receipt: Receipt) -> str:
        """The signed note of `receipt`."""
        return sign_note(receipt.body, self._key())
