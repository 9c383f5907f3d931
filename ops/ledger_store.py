"""The ledger of one platform, opened on its database, and the audit's view of it.

`Ledger` opens together what the ledger service works on: the Merkle log, its signed
checkpoints and its anchors (ledger/log.py, ledger/checkpoints.py, ledger/anchors.py, all in
the event store's database) and the log's signer (key from the platform's Keystore).
`SqlEvidence` is audit.verify's Evidence port over the same tables and the event store.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audit.rpc import Anchor
from audit.verify import ContractRef
from ledger.anchors import AnchorRow, AnchorStore
from ledger.checkpoints import CheckpointStore, StoredCheckpoint
from ledger.leaf import StoredNotification
from ledger.log import Leaf, MerkleLog
from ledger.note import Signer
from ops.bootstrap import Platform

__all__ = ["Ledger", "SqlEvidence", "audit_anchor"]


class Ledger:
    """The log, checkpoints and anchors of one platform, in its database. Close it."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.settings = platform.settings
        self.log = MerkleLog.open(self.settings.sqlalchemy_url)
        self.checkpoints = CheckpointStore(self.log.engine)
        self.anchors = AnchorStore(self.log.engine)
        self.signer = Signer(self.settings.log_origin, platform.keystore.log_key().seed)

    def close(self) -> None:
        self.log.close()

    @property
    def recorder(self) -> Any:
        return self.platform.records.recorder

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
