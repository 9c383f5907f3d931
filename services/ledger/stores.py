"""The ledger of one platform, held for the process's lifetime, and the audit's view of it.

`Ledger` holds what the ledger service works on: the Merkle log, its signed checkpoints and
its anchors (ledger/log.py, ledger/checkpoints.py, ledger/anchors.py, all on the event store's
database through the one engine the composition root opened for it), the log's signer, the
write path whose notification log it follows, and the ports the composition root wires: the
chain (services/ledger/chain.py), the witnesses that cosign checkpoints
(services/ledger/witnesses.py), the lock that keeps one sync per data directory, and a fresh
write path for the replay. `SqlEvidence` is audit.verify's Evidence port over the same tables
and the event store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from audit.rpc import Anchor
from audit.verify import ContractRef
from domain.application import Records
from ledger.anchors import AnchorRow, AnchorStore
from ledger.checkpoints import CheckpointStore, StoredCheckpoint
from ledger.leaf import StoredNotification
from ledger.log import Leaf, MerkleLog
from ledger.note import Signer
from services.ledger.chain import Chain
from services.ledger.witnesses import Witness

__all__ = ["Cadence", "Ledger", "ReplayStore", "SqlEvidence", "audit_anchor"]

# A fresh write path on an empty store whose clock is the given one (for the replay).
ReplayStore = Callable[[Callable[[], datetime]], Records]


@dataclass(frozen=True)
class Cadence:
    """When a checkpoint is due: every `leaves` leaves or `seconds` seconds."""

    leaves: int = 1000
    seconds: float = 60.0


class Ledger:
    """The log, checkpoints and anchors of one platform, with the ports the service needs.

    Preconditions: `log` is on the event store's database (its engine reads the events table
    for bundles); the caller owns the engine and disposes of it.
    """

    def __init__(
        self,
        records: Records,
        log: MerkleLog,
        signer: Signer,
        chain: Chain,
        *,
        cadence: Cadence,
        lock: Callable[[], AbstractContextManager[object]],
        replay_store: ReplayStore,
        witnesses: Sequence[Witness] = (),
    ) -> None:
        self.records = records
        self.log = log
        self.checkpoints = CheckpointStore(log.engine)
        self.anchors = AnchorStore(log.engine)
        self.signer = signer
        self.chain = chain
        self.cadence = cadence
        self.lock = lock  # held for a whole sync: one writer of the log at a time
        self.replay_store = replay_store
        self.witnesses = list(witnesses)

    @property
    def origin(self) -> str:
        """The origin line of the log's checkpoints."""
        return self.signer.name

    @property
    def recorder(self) -> Any:
        return self.records.recorder

    def all_checkpoints(self) -> list[StoredCheckpoint]:
        out: list[StoredCheckpoint] = []
        while page := self.checkpoints.since(out[-1].seq if out else 0, 1000):
            out.extend(page)
        return out


def audit_anchor(row: AnchorRow) -> Anchor:
    """A recorded anchor as the auditor reads it (a bundle's `anchor` object)."""
    return Anchor(
        row.chain_id, row.contract, row.tx_hash, row.block_number, row.tree_size, row.root
    )


class SqlEvidence:
    """audit.verify.Evidence over the platform's database."""

    def __init__(self, ledger: Ledger) -> None:
        self._l = ledger

    def last_notification_id(self) -> int:
        return int(self._l.recorder.max_notification_id() or 0)

    def events(self, after: int, limit: int) -> Sequence[StoredNotification]:
        page: Sequence[StoredNotification] = self._l.recorder.select_notifications(
            after, limit, inclusive_of_start=False
        )
        return page

    def log_size(self) -> int:
        return self._l.log.size()

    def leaves(self, start: int, stop: int) -> Sequence[Leaf]:
        return self._l.log.leaves(start, stop)

    def checkpoints(self) -> Sequence[StoredCheckpoint]:
        return self._l.all_checkpoints()

    def anchors(self) -> Sequence[Anchor]:
        return [audit_anchor(row) for row in self._l.anchors.live()]

    def contracts(self) -> Sequence[ContractRef]:
        refs: dict[tuple[int, str], int] = {}
        for d in self._l.anchors.deployments():
            key = (int(d["chain_id"]), str(d["contract"]).lower())
            refs[key] = min(refs.get(key, int(d["block_number"])), int(d["block_number"]))
        for a in self.anchors():
            refs.setdefault((a.chain_id, a.contract.lower()), 0)
        return [ContractRef(c, addr, block) for (c, addr), block in refs.items()]

    def tree_root(self, size: int) -> bytes:
        return self._l.log.root(size)

    def tree_consistency(self, size1: int, size2: int) -> list[bytes]:
        return self._l.log.consistency(size1, size2)
