"""The Merkle log as a follower of the notification log (domain.following).

One leaf per notification (ledger.leaf), appended in notification order: the follower's
position is the notification id of the last leaf, written in the transaction that writes the
leaves (ledger.log), so the runner resumes after the last committed leaf. A notification that
cannot become a leaf raises LeafError while its batch is decoded: nothing of that batch is
appended, and every later run stops there again rather than skip a record.

`check` sees every (notification id, leaf) before anything of the batch is appended and may
raise to stop the follower there (the ledger sync checks each leaf against the hash its guard
verified). With a `checkpointer`, batches are appended in pieces that end where a checkpoint
falls due by size, and a checkpoint is signed after each piece whenever one is due; the sizes
cut are listed in `checkpoints`. Each piece is its own transaction carrying its own position,
so a failure keeps the pieces before it and the next run resumes exactly after them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from domain.following import Batch
from domain.log_reader import Raw
from ledger.checkpoints import Checkpointer
from ledger.leaf import leaf_bytes
from ledger.log import MerkleLog

__all__ = ["LeafFollower", "Leaves"]

Leaves = list[tuple[int, bytes]]  # (notification id, leaf bytes)


class LeafFollower:
    """Appends one leaf per notification to `log`."""

    name = "ledger"

    def __init__(
        self,
        log: MerkleLog,
        *,
        check: Callable[[int, bytes], None] | None = None,
        checkpointer: Checkpointer | None = None,
        now: float | None = None,
    ) -> None:
        """`now` (Unix seconds) is the time the checkpoint cadence is judged at (tests)."""
        self.log = log
        self.check = check
        self.checkpointer = checkpointer
        self.now = now
        self.checkpoints: list[int] = []  # sizes of the checkpoints cut

    def position(self) -> int:
        return self.log.last_notification_id()

    def decode(self, rows: Sequence[Raw]) -> Leaves:
        leaves = [(row.id, leaf_bytes(row)) for row in rows]
        if self.check is not None:
            for nid, leaf in leaves:
                self.check(nid, leaf)
        return leaves

    def handle(self, batch: Batch[Leaves]) -> None:
        leaves = batch.items
        if self.checkpointer is None:
            self.log.append(leaves, after=batch.after)
            return
        i, after = 0, batch.after
        while i < len(leaves):
            piece = leaves[i : i + max(1, self.checkpointer.leaves_until_due())]
            self.log.append(piece, after=after)
            after = piece[-1][0]
            cut = self.checkpointer.maybe_checkpoint(self.now)
            if cut is not None:
                self.checkpoints.append(cut.size)
            i += len(piece)
