"""Ports the domain needs from infrastructure; ops wires the implementations."""

from __future__ import annotations

from typing import Any, Protocol


class Notary(Protocol):
    """Checks the bytes an actor signed (implemented by ledger.notary)."""

    def is_canonical(self, text: str, parsed: dict[str, Any] | None = None) -> bool:
        """True when `text` is RFC 8785 canonical JSON (`parsed`: what json.loads gave for
        it, if the caller has it; it may spare a second parse, never changes the answer)."""

    def batch(self, expected: int) -> SignatureBatch:
        """An empty batch for about `expected` signatures, verified beside the caller's own
        work where the machine allows (0: verified by first_invalid alone)."""


class SignatureBatch(Protocol):
    """Signatures handed over one by one while the caller goes on, then judged at once."""

    def add(self, public_key: bytes, message: bytes, signature_b64: str) -> None:
        """Append one (public key, message, base64 Ed25519 signature)."""

    def first_invalid(self) -> int:
        """The index of the first added signature that does not verify, or -1 (once)."""


class SchemaCheck(Protocol):
    """Validates a command's data against the catalog's JSON Schema (ops wires it)."""

    def __call__(self, command_type: str, data: object) -> None:
        """Raise domain.errors.InvalidValue naming the field when data breaks the schema."""


class GatedRecorder(Protocol):
    """An application recorder whose `insert_events(stored, before_commit=check)` calls
    `check` inside its write transaction, after the inserts and before COMMIT, and rolls the
    transaction back if it raises (ops.recorders). Records overlaps the inserts with the last
    signature verifications through it; any other recorder gets the events only after the
    verdict. A recorder says it keeps this contract with `gates_commit = True`."""

    gates_commit: bool
