"""A C2SP tlog-witness (c2sp.org/tlog-witness): the `add-checkpoint` logic, without HTTP.

Request body: "old " decimal(old size) "\\n", at most 63 base64 consistency proof lines, an
empty line, then the signed checkpoint note. The witness answers (status, content type, body):

    404  the checkpoint's origin is not a log this witness follows
    403  no signature by the log's configured key, or a signature by it that fails
    400  the request or the checkpoint is malformed, or the old size exceeds the new size
    409  the old size is not the size of the latest checkpoint cosigned for that origin
         (a rollback, or a client that does not know it); body: that size and "\\n",
         content type text/x.tlog.size
    422  the consistency proof does not take the cosigned tree to the new one (a fork), a
         proof with old size 0, equal sizes with different roots, or size 0 with a root
         other than the empty tree's
    200  the cosignature lines (audit/cosignature.py), after the new checkpoint was stored

Checking the old size against the stored state and storing the new checkpoint happen in one
atomic step of the `WitnessState` port (the spec's race: a slow request must not roll the
state back). The state holds, per origin, only the latest cosigned checkpoint.
"""

from __future__ import annotations

import binascii
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from audit.cosignature import Cosigner
from ledger.errors import (
    CheckpointFormatError,
    MalformedNoteError,
    NoteError,
    ProofError,
    UnverifiedNoteError,
)
from ledger.note import Checkpoint, Verifier, open_note
from ledger.rfc6962 import EMPTY_ROOT, HASH_SIZE, verify_consistency

__all__ = ["SIZE_CONTENT_TYPE", "Head", "Reply", "Witness", "WitnessState"]

SIZE_CONTENT_TYPE = "text/x.tlog.size"
MAX_PROOF_LINES = 63


@dataclass(frozen=True)
class Head:
    """The latest checkpoint a witness cosigned for one origin."""

    size: int
    root: bytes
    note: str


class WitnessState(Protocol):
    def advance(self, origin: str, decide: Callable[[Head | None], Head]) -> None:
        """Atomically: read the stored head of `origin` (None: never cosigned), call `decide`
        with it and store the head it returns; nothing is stored if `decide` raises."""
        ...

    def head(self, origin: str) -> Head | None:
        """The stored head of `origin`, if any."""
        ...


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, content type, body."""

    status: int
    content_type: str
    body: str


class _Refused(Exception):
    def __init__(self, status: int, message: str, content_type: str = "text/plain") -> None:
        super().__init__(message)
        self.reply = Reply(status, content_type, message + "\n")


def _refuse(status: int, message: str) -> _Refused:
    return _Refused(status, message)


def _size(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit() or text != str(int(text)):
        raise _refuse(400, f"{what} is not a decimal number without leading zeroes")
    return int(text)


def _proof(lines: list[str]) -> list[bytes]:
    if len(lines) > MAX_PROOF_LINES:
        raise _refuse(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = []
    for line in lines:
        try:
            raw = binascii.a2b_base64(line.encode("ascii"), strict_mode=True)
        except (UnicodeEncodeError, binascii.Error):
            raise _refuse(400, "a consistency proof line is not base64") from None
        if len(raw) != HASH_SIZE:
            raise _refuse(400, "a consistency proof line is not a 32-byte hash")
        proof.append(raw)
    return proof


def _request(body: bytes) -> tuple[int, list[bytes], str]:
    """(old size, consistency proof, checkpoint note) of an add-checkpoint body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _refuse(400, "the request is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise _refuse(400, "no empty line before the checkpoint")
    first, *proof_lines = head.split("\n")
    if not first.startswith("old "):
        raise _refuse(400, "the request does not start with an old size line")
    return _size(first[4:], "the old size"), _proof(proof_lines), note


class Witness:
    """Cosigns checkpoints of the logs it follows that extend what it cosigned before."""

    def __init__(
        self,
        cosigner: Cosigner,
        logs: Iterable[Verifier],
        state: WitnessState,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cosigner = cosigner
        self._logs: dict[str, list[Verifier]] = {}
        for log in logs:
            self._logs.setdefault(log.name, []).append(log)  # a log key is named by its origin
        self._state = state
        self._clock = clock

    @property
    def origins(self) -> list[str]:
        return sorted(self._logs)

    def add_checkpoint(self, body: bytes) -> Reply:
        """Answer one add-checkpoint request (see the module docstring)."""
        try:
            old, proof, note = _request(body)
            checkpoint = self._verified(note)
            if old > checkpoint.size:
                raise _refuse(400, f"old size {old} exceeds the checkpoint's {checkpoint.size}")

            def decide(stored: Head | None) -> Head:
                _consistent(stored, old, proof, checkpoint)
                return Head(checkpoint.size, checkpoint.root, note)

            self._state.advance(checkpoint.origin, decide)
        except _Refused as refusal:
            return refusal.reply
        timestamp = int(self._clock())
        line = self.cosigner.cosign(checkpoint.body, timestamp)
        return Reply(200, "text/plain; charset=utf-8", line)

    def _verified(self, note: str) -> Checkpoint:
        origin = note.split("\n", 1)[0]
        logs = self._logs.get(origin)
        if logs is None:
            raise _refuse(404, f"unknown log origin {origin!r}")
        try:
            opened = open_note(note, logs)
        except UnverifiedNoteError:
            raise _refuse(403, "no signature by the log's key") from None
        except MalformedNoteError as exc:
            raise _refuse(400, f"malformed note: {exc}") from None
        except NoteError as exc:  # a signature by the log's key that fails
            raise _refuse(403, f"{type(exc).__name__}: {exc}") from None
        try:
            return Checkpoint.parse(opened.text)
        except CheckpointFormatError as exc:
            raise _refuse(400, f"malformed checkpoint: {exc}") from None


def _consistent(stored: Head | None, old: int, proof: list[bytes], new: Checkpoint) -> None:
    have = 0 if stored is None else stored.size
    if old != have:
        raise _Refused(409, str(have), SIZE_CONTENT_TYPE)
    if new.size == 0 and new.root != EMPTY_ROOT:
        raise _refuse(422, "a checkpoint of size 0 has the empty tree's root")
    if old == 0:
        if proof:
            raise _refuse(422, "a consistency proof from size 0 is empty")
        return
    assert stored is not None
    try:
        verify_consistency(old, new.size, stored.root, new.root, proof)
    except ProofError as exc:
        raise _refuse(
            422, f"not consistent with the cosigned checkpoint of size {old}: {exc}"
        ) from None
