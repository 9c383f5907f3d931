"""Reading the notification log raw: (id, originator id, version, topic, state bytes) tuples.

With a SQLite recorder the rows are read with one SELECT through the recorder's own datastore,
skipping the per-row UUID and dataclass construction of `select_notifications` (about two
thirds of its cost); any other recorder (PostgreSQL, test doubles) is read through
`select_notifications`. Both read ids after a position in ascending order.

Gaps. SQLite assigns ids inside its one write transaction, so ids commit in order and a gap is
final. On PostgreSQL a gap may be a transaction still in flight: eventsourcing's plain insert
path serialises writers with a table lock, but its insert *function* (POSTGRES_ENABLE_DB_
FUNCTIONS=y, which ops.bootstrap sets) does not, so id 10 may commit after id 11 is visible.
Reading past such a gap would lose id 10 for good. So on any recorder but SQLite a page stops
at a gap first seen less than `gap_grace` seconds ago; a gap still open after that is taken as
a rolled-back insert and passed over (a write transaction lasting longer would be missed, so
the grace is far above any insert's duration).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from eventsourcing.persistence import Notification
from eventsourcing.sqlite import SQLiteApplicationRecorder

Raw = tuple[int, str, int, str, bytes]  # id, originator id, version, topic, state


class Recorder(Protocol):
    """What the follower needs of an eventsourcing ApplicationRecorder."""

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]: ...

    def max_notification_id(self) -> int | None: ...


class Log:
    """The notification log of one recorder."""

    def __init__(
        self,
        recorder: Recorder,
        gap_grace: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recorder = recorder
        self.gap_grace = gap_grace
        self.clock = clock
        self._gaps: dict[int, float] = {}  # first missing id → when it was first seen
        self._sql: str | None = None
        if isinstance(recorder, SQLiteApplicationRecorder):
            self._sql = (
                "SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {recorder.events_table_name} WHERE rowid > ? ORDER BY rowid LIMIT ?"
            )

    def after(self, position: int, limit: int) -> list[Raw]:
        """Up to `limit` notifications with ids greater than `position`, in id order."""
        if self._sql is not None:
            recorder: Any = self.recorder
            with recorder.datastore.transaction(commit=False) as c:
                c.execute(self._sql, (position, limit))
                return [(r[0], _dashed(r[1]), r[2], r[3], r[4]) for r in c.fetchall()]
        page = self.recorder.select_notifications(
            start=position, limit=limit, inclusive_of_start=False
        )
        rows = [(n.id, str(n.originator_id), n.originator_version, n.topic, n.state) for n in page]
        return self._before_fresh_gap(position, rows)

    def _before_fresh_gap(self, position: int, rows: list[Raw]) -> list[Raw]:
        """The rows up to the first gap seen for less than gap_grace seconds."""
        for missing in [k for k in self._gaps if k <= position]:
            del self._gaps[missing]
        expected = position + 1
        now = self.clock()
        for i, row in enumerate(rows):
            if row[0] != expected:
                first_seen = self._gaps.setdefault(expected, now)
                if now - first_seen < self.gap_grace:
                    return rows[:i]
            expected = row[0] + 1
        return rows

    def head(self) -> int:
        return int(self.recorder.max_notification_id() or 0)


def _dashed(originator_id: str) -> str:
    """The canonical text of a UUID the SQLite recorder stored as 32 hex digits."""
    h = originator_id
    if len(h) != 32:
        return str(h)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
