"""RowProjection: a read model with one row per record (aggregate), evolved event by event.

Per batch it loads the rows of the records the batch touches (one IN query per 500), lets the
subclass evolve each row in log order, then replaces those rows (DELETE … IN, INSERT
executemany) — two round trips per chunk instead of one per event.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import Connection, Table, delete, insert, select

from projections.events import Event
from projections.follower import Projection
from projections.subjects import CHUNK, _chunks

Row = dict[str, Any]


class RowProjection(Projection):
    """Subclasses set `table` (primary key column `subject`) and implement `evolve`."""

    table: ClassVar[Table]

    @abstractmethod
    def evolve(self, row: Row | None, e: Event) -> Row | None:
        """The record's row after event `e` (given its row before, or None if it has none).

        Return None to have no row (events of records this read model ignores). May mutate
        and return `row`.
        """

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        subjects = sorted({e.subject for e in events})
        rows: dict[str, Row | None] = dict.fromkeys(subjects)
        for chunk in _chunks(subjects):
            for r in conn.execute(select(self.table).where(self.table.c.subject.in_(chunk))):
                rows[r.subject] = dict(r._mapping)
        for e in events:
            rows[e.subject] = self.evolve(rows[e.subject], e)
        for chunk in _chunks(subjects):
            conn.execute(delete(self.table).where(self.table.c.subject.in_(chunk)))
        fresh = [r for r in rows.values() if r is not None]
        if fresh:
            conn.execute(insert(self.table), fresh)


__all__ = ["CHUNK", "Row", "RowProjection"]
