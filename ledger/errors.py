"""Typed errors of the ledger package.

Every error raised on purpose by the ledger derives from `LedgerError`, so a caller can catch
the package's failures in one clause and still tell them apart::

    LedgerError
    ├── ProofError                 a proof or tree fact does not hold (carries expected, computed)
    │   ├── ProofInputError        bad size, index or hash length given to a proof function
    │   ├── ProofLengthError       the proof has the wrong number of hashes
    │   └── RootMismatchError      the recomputed root differs from the given one
    ├── NoteError                  C2SP signed notes and keys
    │   ├── MalformedNoteError     not a well-formed note (syntax, encoding, names)
    │   ├── KeyFormatError         a signer or verifier key string is not well formed
    │   ├── UnverifiedNoteError    no signature by a known key
    │   ├── InvalidSignatureError  a known key's signature does not verify
    │   └── CheckpointFormatError  the note text is not a C2SP tlog-checkpoint body
    ├── LeafError                  a stored notification cannot be turned into a leaf
    └── LogError                   the Merkle log's storage
        ├── LogCorruptError        stored rows contradict each other (missing tile, gap)
        ├── LogConflictError       another writer appended concurrently
        ├── UnknownLeafError       no such leaf index or notification id in the log
        └── CheckpointError        a checkpoint cannot be made or stored consistently

This module is pure standard library: the offline auditor imports it with `rfc6962` and `note`.
"""

from __future__ import annotations

__all__ = [
    "CheckpointError",
    "CheckpointFormatError",
    "InvalidSignatureError",
    "KeyFormatError",
    "LeafError",
    "LedgerError",
    "LogConflictError",
    "LogCorruptError",
    "LogError",
    "MalformedNoteError",
    "NoteError",
    "ProofError",
    "ProofInputError",
    "ProofLengthError",
    "ReceiptFormatError",
    "RootMismatchError",
    "UnknownLeafError",
    "UnverifiedNoteError",
]


class LedgerError(Exception):
    """Base class of every error the ledger raises on purpose."""


def _show(value: object) -> str:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple) and all(isinstance(v, bytes) for v in value):
        return "[" + ", ".join(v.hex() for v in value) + "]"
    return repr(value)


class ProofError(LedgerError):
    """A Merkle proof does not verify. `expected` and `computed` say what differed."""

    def __init__(self, message: str, *, expected: object = None, computed: object = None) -> None:
        self.expected = expected
        self.computed = computed
        detail = message
        if expected is not None or computed is not None:
            detail += f" (expected {_show(expected)}, computed {_show(computed)})"
        super().__init__(detail)


class ProofInputError(ProofError, ValueError):
    """A size, index or hash length is out of its domain (e.g. index >= size, 31-byte root)."""


class ProofLengthError(ProofError):
    """The proof holds more or fewer hashes than the sizes require."""


class RootMismatchError(ProofError):
    """The root recomputed from the proof is not the root that was given."""


class NoteError(LedgerError):
    """Base class of C2SP signed-note and key errors."""


class MalformedNoteError(NoteError):
    """The text is not a well-formed signed note."""


class KeyFormatError(NoteError, ValueError):
    """A signer key (`PRIVATE+KEY+...`) or verifier key (`name+hash+key`) is malformed."""


class UnverifiedNoteError(NoteError):
    """The note is well formed but carries no signature by any known key."""


class InvalidSignatureError(NoteError):
    """A signature line names a known key, and its signature does not verify."""

    def __init__(self, name: str, key_id: int) -> None:
        self.name = name
        self.key_id = key_id
        super().__init__(f"invalid signature for key {name}+{key_id:08x}")


class CheckpointFormatError(NoteError):
    """The note text is not a C2SP tlog-checkpoint body (origin, size, base64 root)."""


class ReceiptFormatError(NoteError):
    """The note text is not a receipt (ledger/receipt.py layout)."""


class LeafError(LedgerError):
    """A stored notification cannot be turned into a Merkle leaf."""

    def __init__(self, notification_id: int, reason: str) -> None:
        self.notification_id = notification_id
        self.reason = reason
        super().__init__(f"notification {notification_id}: {reason}")


class LogError(LedgerError):
    """Base class of Merkle log storage errors."""


class LogCorruptError(LogError):
    """The stored leaves and tiles contradict each other; the log refuses to go on."""


class LogConflictError(LogError):
    """Another writer appended to the same log concurrently; reopen and retry."""


class UnknownLeafError(LogError, LookupError):
    """No leaf has that index, or no leaf records that notification id."""


class CheckpointError(LogError):
    """A checkpoint cannot be made or stored (e.g. it would contradict an earlier one)."""
