"""Ports the domain needs from infrastructure; ops wires the implementations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import Notification


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


class CommandLog(Protocol):
    """The application recorder Records requires (ops.recorders): it keeps each command id
    unique in the store itself.

    `insert_events(stored, command_ids=ids, ...)` writes one row per command id (`ids[i]` is
    the id of the command behind `stored[i]`) in the same transaction as the events; a command
    id stored before makes the whole insert fail with eventsourcing's IntegrityError, so the
    store, not a read beforehand, is the final arbiter between concurrent writers.
    `recorded_commands(ids)` maps each of `ids` that was stored to its event's notification
    (None if that event row is gone from the store). A recorder keeps this contract with
    `keeps_command_ids = True`."""

    keeps_command_ids: bool

    def recorded_commands(self, ids: Sequence[UUID]) -> Mapping[UUID, Notification | None]: ...
