"""The ledger service: log, checkpoint and anchor the event store, and serve its audits.

This module is the service's one public surface (the CLI, the demo and the benchmarks import
from it); each part lives in the module named after it:

    ops/ledger_sync.py     sync: the guard, appending at the checkpoint cadence, anchoring
    ops/anchoring.py       settings wired to a concrete chain: contract, owner, anchorer, funds
    ops/chain_endpoint.py  the configured chain node, or the embedded anvil for the duration
    ops/ledger_status.py   status: where the ledger stands, without contacting the chain
    ops/ledger_audit.py    verify (the full audit) and make_bundle (one event's proof)
    ops/ledger_store.py    the log, checkpoints and anchors opened together; audit Evidence
    ops/ledger_errors.py   the errors below
    ledger/anchors.py      the anchor and deployment tables; re-anchoring what a chain lost

Errors::

    LedgerServiceError
    ├── LedgerHalted     the stored history fails the guard (carries the failures)
    ├── ChainConflict    the chain holds anchors the log contradicts, or refuses ours
    ├── ChainUnreachable the embedded chain node did not start (anchoring waits)
    └── ProofUnavailable no bundle can be made yet (event unknown, not logged, not anchored)
"""

from __future__ import annotations

from services.ledger.errors import (
    ChainConflict,
    ChainUnreachable,
    LedgerHalted,
    LedgerServiceError,
    ProofUnavailable,
)
from services.ledger.status import LedgerStatus, status
from services.ledger.sync import SyncReport, sync
from services.ledger.verify import make_bundle, verify

__all__ = [
    "ChainConflict",
    "ChainUnreachable",
    "LedgerHalted",
    "LedgerServiceError",
    "LedgerStatus",
    "ProofUnavailable",
    "SyncReport",
    "make_bundle",
    "status",
    "sync",
    "verify",
]
