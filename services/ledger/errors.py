"""Typed errors of the ledger service (services/ledger)::

LedgerServiceError
├── LedgerHalted     the stored history fails the guard (carries the failures)
├── ChainConflict    the chain holds anchors the log contradicts, or refuses ours
├── ChainUnreachable the chain cannot be had, e.g. its node did not start (anchoring waits)
├── ProofUnavailable no bundle can be made yet (event unknown, not logged, not anchored)
└── WitnessError     a witness did not cosign (never raised out of a sync: reported)
    ├── WitnessRefused      it answered with a refusal (HTTP status; its size on 409)
    └── WitnessUnreachable  it could not be asked, or its answer was not a cosignature
"""

from __future__ import annotations

from collections.abc import Sequence

from audit.findings import Failure

__all__ = [
    "ChainConflict",
    "ChainUnreachable",
    "LedgerHalted",
    "LedgerServiceError",
    "ProofUnavailable",
    "WitnessError",
    "WitnessRefused",
    "WitnessUnreachable",
]


class LedgerServiceError(Exception):
    """Base class of the ledger service's errors."""


class LedgerHalted(LedgerServiceError):
    """The guard found the stored history altered: the ledger does not go on."""

    def __init__(self, failures: Sequence[Failure]) -> None:
        self.failures = list(failures)
        shown = "; ".join(str(f) for f in self.failures[:5])
        more = f" (and {len(self.failures) - 5} more)" if len(self.failures) > 5 else ""
        super().__init__(
            f"{len(self.failures)} check(s) failed, nothing appended or anchored: {shown}{more}"
        )


class ChainUnreachable(LedgerServiceError):
    """The chain cannot be had, e.g. the embedded node did not start (checkpoints stay
    queued)."""


class ChainConflict(LedgerServiceError):
    """The chain contradicts the log (another root at our size, a head beyond the log)."""


class ProofUnavailable(LedgerServiceError):
    """No bundle can be made for the event (yet)."""


class WitnessError(LedgerServiceError):
    """A witness did not cosign a checkpoint."""


class WitnessRefused(WitnessError):
    """The witness refused the checkpoint with an HTTP status (c2sp.org/tlog-witness); on 409
    `size` is the size of the latest checkpoint it cosigned."""

    def __init__(self, status: int, message: str, size: int | None = None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.size = size


class WitnessUnreachable(WitnessError):
    """The witness could not be asked, or did not answer with a valid cosignature."""
