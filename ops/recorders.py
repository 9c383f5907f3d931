"""The SQLite recorder Records writes through: its verdict is judged inside the transaction.

Records maps and verifies a batch on two cores at once. With the library's recorder the
batch's signatures must all be judged before the INSERT statements start; this recorder runs
Records' `before_commit` check after its inserts and before COMMIT, so the inserts overlap the
last verifications. A failing check raises inside the transaction, which rolls it back: nothing
of the batch is ever committed, exactly as before. (The PostgreSQL recorder catches
exceptions inside its transaction block and would commit, so it is not gated: Records judges
first there.)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor


class GatedSQLiteRecorder(SQLiteApplicationRecorder):
    """SQLiteApplicationRecorder whose insert_events takes `before_commit` (see the port
    domain.ports.GatedRecorder)."""

    gates_commit: ClassVar[bool] = True

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        notification_ids = super()._insert_events(c, stored_events, **kwargs)
        before_commit: Callable[[], None] | None = kwargs.get("before_commit")
        if before_commit is not None:
            before_commit()  # raises to roll the transaction back
        return notification_ids
