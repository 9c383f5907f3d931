"""Cosigning: submit the newest checkpoint to each configured witness (the `Witness` port).

A witness (c2sp.org/tlog-witness) cosigns a checkpoint only when it extends the last one it
cosigned for the log's origin; the cosignature (c2sp.org/tlog-cosignature) is stored beside
the checkpoint (ledger.checkpoints, table ledger_cosignatures) and carried by bundles.

`cosign_newest(ledger)` runs after a sync's checkpoints are cut. For each witness not yet
holding a cosignature of the newest checkpoint, it sends the size of the last checkpoint that
witness cosigned (0 if none) with the consistency proof from it. A 409 names the witness's
size: when it is not beyond the new checkpoint, the request is made once more from that size
(a witness that cosigned for another client, or the ledger's cosignature rows lost). Any other
refusal, an unreachable witness or an answer that is not a valid cosignature by the witness's
key is stored as that witness's answer and reported; the sync goes on, and the next sync
submits again. Only the newest checkpoint is submitted: a witness's state moves forward only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from audit.cosignature import WitnessKey, cosignatures
from ledger.checkpoints import StoredCheckpoint, WitnessAnswer
from ledger.errors import NoteError
from services.ledger.errors import WitnessError, WitnessRefused, WitnessUnreachable

__all__ = ["Witness", "WitnessOutcome", "cosign_newest"]


class Witness(Protocol):
    """A witness the platform submits checkpoints to (ops supplies the HTTP client)."""

    @property
    def vkey(self) -> str:
        """The witness's C2SP verifier key (type 0x04)."""
        ...

    @property
    def url(self) -> str:
        """Where it is, for a person."""
        ...

    def add_checkpoint(self, old_size: int, proof: Sequence[bytes], note: str) -> str:
        """The witness's cosignature lines; raises WitnessRefused or WitnessUnreachable."""
        ...


@dataclass(frozen=True)
class WitnessOutcome:
    """What one witness did with the newest checkpoint."""

    witness: str  # its name
    url: str
    tree_size: int
    cosigned: bool
    detail: str  # when it cosigned, or why it did not

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def __str__(self) -> str:
        verdict = "cosigned" if self.cosigned else "did NOT cosign"
        return f"witness {self.witness} ({self.url}) {verdict} size {self.tree_size}: {self.detail}"


class _Ledger(Protocol):  # what cosigning needs of services.ledger.stores.Ledger
    @property
    def witnesses(self) -> Sequence[Witness]: ...
    @property
    def checkpoints(self) -> Any: ...
    @property
    def log(self) -> Any: ...


def cosign_newest(ledger: _Ledger, now: datetime | None = None) -> list[WitnessOutcome]:
    """Ask every witness that has not cosigned the newest checkpoint (module docstring)."""
    latest: StoredCheckpoint | None = ledger.checkpoints.latest()
    if latest is None:
        return []
    outcomes = []
    for witness in ledger.witnesses:
        key = WitnessKey.from_vkey(witness.vkey)
        held = {a.witness: a for a in ledger.checkpoints.answers(latest.seq)}.get(witness.vkey)
        if held is not None and held.line is not None:
            outcomes.append(_outcome(witness, key, latest, True, f"at {held.at.isoformat()}"))
            continue
        at = now or datetime.now(UTC)
        try:
            line = _cosignature(ledger, witness, key, latest)
        except WitnessError as exc:
            ledger.checkpoints.record_answer(
                WitnessAnswer(latest.seq, witness.vkey, None, str(exc), at)
            )
            outcomes.append(_outcome(witness, key, latest, False, str(exc)))
            continue
        ledger.checkpoints.record_answer(WitnessAnswer(latest.seq, witness.vkey, line, None, at))
        outcomes.append(_outcome(witness, key, latest, True, f"at {at.isoformat()}"))
    return outcomes


def _outcome(
    w: Witness, key: WitnessKey, cp: StoredCheckpoint, ok: bool, detail: str
) -> WitnessOutcome:
    return WitnessOutcome(key.name, w.url, cp.size, ok, detail)


def _cosignature(
    ledger: _Ledger, witness: Witness, key: WitnessKey, checkpoint: StoredCheckpoint
) -> str:
    """The witness's verified cosignature line for `checkpoint`."""
    cosigned = ledger.checkpoints.cosigned(witness.vkey)
    old = ledger.checkpoints.get(cosigned[-1]).size if cosigned else 0
    if old > checkpoint.size:
        old = 0  # the ledger's own records are ahead of its log: let the witness say its size
    try:
        lines = _submit(ledger, witness, old, checkpoint)
    except WitnessRefused as exc:
        if exc.status != 409 or exc.size is None or exc.size == old:
            raise
        if exc.size > checkpoint.size:
            raise WitnessRefused(
                409,
                f"the witness cosigned size {exc.size} of this log, larger than this "
                f"checkpoint's {checkpoint.size}: the log was rolled back",
                exc.size,
            ) from None
        lines = _submit(ledger, witness, exc.size, checkpoint)
    for text in lines.splitlines():
        line = text + "\n"
        try:
            found = cosignatures(checkpoint.note + line, [key])
        except NoteError as exc:
            raise WitnessUnreachable(f"the answer is not signature lines: {exc}") from None
        if found and found[0].valid:
            return line
    raise WitnessUnreachable("the answer holds no valid cosignature by the witness's key")


def _submit(ledger: _Ledger, witness: Witness, old: int, checkpoint: StoredCheckpoint) -> str:
    proof = ledger.log.consistency(old, checkpoint.size) if 0 < old < checkpoint.size else []
    return witness.add_checkpoint(old, proof, checkpoint.note)
