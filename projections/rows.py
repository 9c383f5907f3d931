"""RowProjection: a read model with one row per record (aggregate), evolved event by event.

Per batch it loads the rows of the records the batch touches (one IN query per 500), lets the
subclass evolve each row in log order, then replaces those rows (DELETE … IN, INSERT
executemany) — two round trips per chunk instead of one per event.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from sqlalchemy import Connection, Table, delete, select

from projections.bulk import insert_rows
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

    def __init__(self) -> None:
        # subject → its row as stored (None: no row). Rows written by this process are kept,
        # so a rebuild never reads back what it wrote; bounded, and dropped on any rollback.
        self._rows: dict[str, Row | None] = {}

    def forget(self) -> None:
        self._rows.clear()

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        subjects = sorted({e.subject for e in events})
        if len(self._rows) + len(subjects) > CACHE_ROWS:
            self._rows.clear()
        missing = [s for s in subjects if s not in self._rows]
        for s in missing:
            self._rows[s] = None
        for chunk in _chunks(missing):
            for found in conn.execute(select(self.table).where(self.table.c.subject.in_(chunk))):
                self._rows[found.subject] = dict(found._mapping)
        stored = [s for s in subjects if self._rows[s] is not None]
        for e in events:
            self._rows[e.subject] = self.evolve(self._rows[e.subject], e)
        for chunk in _chunks(stored):
            conn.execute(delete(self.table).where(self.table.c.subject.in_(chunk)))
        insert_rows(conn, self.table, [row for s in subjects if (row := self._rows[s]) is not None])


CACHE_ROWS = 300_000

__all__ = ["CHUNK", "Row", "RowProjection"]
