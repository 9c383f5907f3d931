"""Reading the notification log raw: (id, originator id, version, topic, state bytes) tuples.

With a SQLite recorder the rows are read with one SELECT through the recorder's own datastore,
skipping the per-row UUID and dataclass construction of `select_notifications` (about two
thirds of its cost); any other recorder (PostgreSQL, test doubles) is read through
`select_notifications`. Both read ids after a position in ascending order, so gaps in the ids
are simply passed over.
"""

from __future__ import annotations

from collections.abc import Sequence
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

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
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
        return [(n.id, str(n.originator_id), n.originator_version, n.topic, n.state) for n in page]

    def head(self) -> int:
        return int(self.recorder.max_notification_id() or 0)


def _dashed(originator_id: str) -> str:
    """The canonical text of a UUID the SQLite recorder stored as 32 hex digits."""
    h = originator_id
    if len(h) != 32:
        return str(h)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
