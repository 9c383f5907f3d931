"""What an answer from the read models reflects: the log position they reached and the newest
signed checkpoint covering it, so anyone holding the log can recompute the answer.

The read models reached notification N (every projection has applied the log up to N). The
leaves of the log up to N are its first `leaves` leaves (one leaf per notification, in order).
The newest checkpoint covers them when its tree has at least that many leaves: its (size,
root, origin) commit to a log whose first `leaves` leaves rebuild the answer. When the ledger
has not logged N yet, or no checkpoint was signed since, the answer says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.checkpoints import StoredCheckpoint
from ledger.errors import UnknownLeafError
from services.ledger.stores import Ledger
from services.readmodels import ReadModels

__all__ = ["Provenance", "provenance"]


@dataclass(frozen=True)
class Provenance:
    notification_id: int  # the read models applied the log up to this notification
    leaves: int | None  # leaves of the log up to it (None: not in the log yet)
    checkpoint: StoredCheckpoint | None  # the newest checkpoint covering them, if any

    def to_json(self) -> dict[str, Any]:
        cp = self.checkpoint
        return {
            "notification_id": self.notification_id,
            "leaves": self.leaves,
            "checkpoint": None
            if cp is None
            else {"size": cp.size, "root": cp.root.hex(), "origin": cp.origin, "seq": cp.seq},
            "covered": cp is not None,
        }

    def line(self) -> str:
        """One line of plain text, in Chinese and English."""
        head = f"依据 reflects: 读模型至通知 notification {self.notification_id}"
        if self.leaves is None:
            return f"{head}；尚未记入日志，无检查点覆盖 not yet in the log, no checkpoint covers it"
        cp = self.checkpoint
        if cp is None:
            return (
                f"{head}（日志前 {self.leaves} 个叶子 first {self.leaves} leaves）；"
                "尚无检查点覆盖 no checkpoint covers it yet"
            )
        return (
            f"{head}（日志前 {self.leaves} 个叶子 first {self.leaves} leaves）；"
            f"检查点 checkpoint {cp.origin} size {cp.size} root {cp.root.hex()}"
        )


def provenance(readmodels: ReadModels, ledger: Ledger) -> Provenance:
    """Where `readmodels` stand in `ledger`'s log, and the newest checkpoint covering it."""
    reached = readmodels.follower.position()
    if reached == 0:
        leaves: int | None = 0
    else:
        try:
            leaves = ledger.log.leaf_index_of(reached) + 1
        except UnknownLeafError:
            leaves = None
    latest = ledger.checkpoints.latest()
    covering = (
        latest if leaves is not None and latest is not None and latest.size >= leaves else None
    )
    return Provenance(reached, leaves, covering)
