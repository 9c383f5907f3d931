"""Reading the notification log, the one order every follower follows (domain.following).

Rows are read raw, as `Raw` (id, originator id, version, topic, state bytes). With a SQLite
recorder they come from one SELECT through the recorder's own datastore, skipping the per-row
UUID and dataclass construction of `select_notifications` (about two thirds of its cost); any
other recorder (PostgreSQL, test doubles) is read through `select_notifications`. Both read
ids after a position in ascending order.

It lives in the domain because the ledger and the read models both follow the log and neither
may import the other; it needs nothing but eventsourcing and the standard library.

Gaps. Notification ids can have gaps: an insert that rolls back uses its ids up. A follower
must never pass over an id that commits later, so a gap is passed only once it is final:

- SQLite assigns ids inside its one write transaction: ids commit in order, a gap is final.
- PostgreSQL through eventsourcing's plain insert path (the one ops.recorders'
  PostgresRecordsRecorder takes: it refuses POSTGRES_ENABLE_DB_FUNCTIONS) locks the events
  table (EXCLUSIVE mode) before drawing ids and keeps the lock until COMMIT, and a commit is
  visible before its locks are released: ids commit in order, a gap is final.
  tests/store/test_log_order.py holds this under concurrent writers.
- PostgreSQL through the library's insert function (POSTGRES_ENABLE_DB_FUNCTIONS=y) takes no
  table lock: id 10 may commit after id 11 is visible. Every insert holds the table's ROW
  EXCLUSIVE lock from before it draws an id until it ends, so the reader notes which
  transactions hold that lock when it meets a gap, and passes the gap only in a read made
  after all of them have ended: a rolled-back insert is passed at once, an insert in flight
  is waited for however long it runs.
- Any other recorder: the page stops at a gap first seen less than `gap_grace` seconds ago;
  a gap still open after that is taken as a rolled-back insert.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, Protocol, cast

from eventsourcing.persistence import Notification
from eventsourcing.sqlite import SQLiteApplicationRecorder

__all__ = ["LogReader", "NotificationSource", "Raw", "Recorder"]


class Raw(NamedTuple):
    """One notification as stored (the fields of eventsourcing's Notification)."""

    id: int
    originator_id: str
    originator_version: int
    topic: str
    state: bytes


class NotificationSource(Protocol):
    """The part of an eventsourcing ApplicationRecorder a reader reads rows with."""

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]: ...


class Recorder(NotificationSource, Protocol):
    """A source that also knows its head (what `LogReader.head` needs)."""

    def max_notification_id(self) -> int | None: ...


# The transactions holding the events table's ROW EXCLUSIVE lock: inserts in flight.
_WRITERS = (
    "SELECT virtualtransaction FROM pg_locks WHERE locktype = 'relation' "
    "AND relation = to_regclass(quote_ident(%s) || '.' || quote_ident(%s)) "
    "AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()"
)


class LogReader:
    """The notification log of one recorder, read after a position, never past an open gap."""

    def __init__(
        self,
        recorder: NotificationSource,
        gap_grace: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.recorder = recorder
        self.gap_grace = gap_grace
        self.clock = clock
        self._sql: str | None = None
        self._in_order = False
        self._locks: tuple[Any, str, str] | None = None  # datastore, schema, table
        # First missing id → when the gap was first seen (any other recorder), or the first
        # id after the gap and the inserts in flight when it was met (PostgreSQL, no lock).
        self._seen: dict[int, float] = {}
        self._gaps: dict[int, tuple[int, frozenset[str]]] = {}
        if isinstance(recorder, SQLiteApplicationRecorder):
            self._in_order = True
            self._sql = (
                "SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {recorder.events_table_name} WHERE rowid > ? AND rowid <= ? "
                "ORDER BY rowid LIMIT ?"
            )
        pg = sys.modules.get("eventsourcing.postgres")  # loaded if the recorder is one
        if pg is not None and isinstance(recorder, pg.PostgresApplicationRecorder):
            datastore = recorder.datastore
            self._in_order = not datastore.enable_db_functions
            self._locks = (datastore, datastore.schema, recorder.events_table_name)

    @property
    def commits_in_order(self) -> bool:
        """Whether ids become visible in id order on this recorder (a gap is final at once)."""
        return self._in_order

    def after(self, position: int, limit: int, stop: int | None = None) -> list[Raw]:
        """Up to `limit` notifications with ids greater than `position` (and at most `stop`),
        in id order, ending before the first gap that may still be filled."""
        if self._in_order:
            return self._select(position, limit, stop)
        if self._locks is None:
            return self._before_fresh_gap(position, self._select(position, limit, stop))
        rows, again = self._before_open_gap(position, limit, stop)
        if again:
            rows, _ = self._before_open_gap(position, limit, stop)
        return rows

    def head(self) -> int:
        """The highest notification id in the log (0 when empty); needs a Recorder."""
        return int(cast(Recorder, self.recorder).max_notification_id() or 0)

    def _select(self, position: int, limit: int, stop: int | None) -> list[Raw]:
        if self._sql is not None:
            recorder: Any = self.recorder
            with recorder.datastore.transaction(commit=False) as c:
                c.execute(self._sql, (position, stop if stop is not None else 2**63 - 1, limit))
                return [Raw(r[0], _dashed(r[1]), r[2], r[3], r[4]) for r in c.fetchall()]
        page = self.recorder.select_notifications(
            start=position, limit=limit, stop=stop, inclusive_of_start=False
        )
        return [
            Raw(n.id, str(n.originator_id), n.originator_version, n.topic, n.state) for n in page
        ]

    def _before_fresh_gap(self, position: int, rows: list[Raw]) -> list[Raw]:
        """The rows up to the first gap seen for less than gap_grace seconds."""
        for missing in [k for k in self._seen if k <= position]:
            del self._seen[missing]
        expected = position + 1
        now = self.clock()
        for i, row in enumerate(rows):
            if row.id != expected:
                first_seen = self._seen.setdefault(expected, now)
                if now - first_seen < self.gap_grace:
                    return rows[:i]
            expected = row.id + 1
        return rows

    def _before_open_gap(
        self, position: int, limit: int, stop: int | None
    ) -> tuple[list[Raw], bool]:
        """The rows up to the first gap an insert in flight may still fill, and whether to read
        again (a new gap met whose inserts had all ended when it was noted: the next read
        settles it)."""
        for missing in [k for k in self._gaps if k <= position]:
            del self._gaps[missing]
        ended: set[int] = set()
        if self._gaps:
            # Before the read: a gap whose inserts have all ended is settled by this read.
            now = self._writers()
            ended = {m for m, (_, writers) in self._gaps.items() if not writers & now}
        rows = self._select(position, limit, stop)
        expected = position + 1
        for i, row in enumerate(rows):
            if row.id != expected:
                noted = self._gaps.get(expected)
                if noted is not None and noted[0] == row.id and expected in ended:
                    expected = row.id + 1
                    continue  # every insert that drew these ids has ended: they never commit
                writers = self._writers()  # after the read: whoever drew the missing ids
                self._gaps[expected] = (row.id, writers)
                return rows[:i], not writers
            expected = row.id + 1
        return rows, False

    def _writers(self) -> frozenset[str]:
        assert self._locks is not None
        datastore, schema, table = self._locks
        with datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(_WRITERS, (schema, table))
            return frozenset(str(r["virtualtransaction"]) for r in curs.fetchall())


def _dashed(originator_id: str) -> str:
    """The canonical text of a UUID the SQLite recorder stored as 32 hex digits."""
    h = originator_id
    if len(h) != 32:
        return str(h)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
