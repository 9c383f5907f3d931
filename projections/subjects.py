"""SubjectIndex: which enterprise a record (aggregate) is about, as one projection learns it.

A record belongs to an enterprise when it is the enterprise itself (`enterprise.*`, data.uscc)
or when one of its commands names the enterprise (`data.enterprise`, carried by every creation
command about an enterprise) — the same rule as `Records.history`, so a projection's timeline
and `anjian history` agree. Later events of the record carry no USCC, so the mapping is kept in
a table owned by the projection (rebuilt with it) and cached in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Table, select

from projections.bulk import insert_rows
from projections.events import Event

CHUNK = 500  # bound parameters per IN (...) query


class SubjectIndex:
    """subject uuid → USCC, persisted in `table` (columns subject, uscc).

    `scope` names extra key columns and their values when several projections share the table
    (the credit projections of different rulebooks).
    """

    def __init__(self, table: Table, scope: dict[str, str] | None = None) -> None:
        self.table = table
        self.scope = dict(scope or {})
        self._cache: dict[str, str] = {}
        self._pending: dict[str, str] = {}

    def forget(self) -> None:
        self._cache.clear()
        self._pending.clear()

    def prefetch(self, conn: Connection, events: Sequence[Event]) -> None:
        """Load the mappings this batch needs and does not carry itself."""
        # A record's first event (version 1) cannot be mapped yet; any later one may have been
        # mapped by an earlier batch, possibly by another process before a restart.
        missing = {e.subject for e in events if e.version > 1 and e.subject not in self._cache}
        for chunk in _chunks(sorted(missing)):
            rows = conn.execute(
                select(self.table.c.subject, self.table.c.uscc).where(
                    self.table.c.subject.in_(chunk),
                    *(self.table.c[k] == v for k, v in self.scope.items()),
                )
            )
            for subject, uscc in rows:
                self._cache[subject] = uscc

    def owner(self, e: Event) -> str | None:
        """The USCC the event is about, or None (actors, platform records)."""
        named = _named(e)
        known = self._cache.get(e.subject)
        if known is not None:
            return known
        if named is not None:
            self._cache[e.subject] = named
            self._pending[e.subject] = named
        return named

    def flush(self, conn: Connection) -> None:
        if self._pending:
            insert_rows(
                conn,
                self.table,
                [{"subject": k, "uscc": u, **self.scope} for k, u in self._pending.items()],
            )
            self._pending.clear()


def _named(e: Event) -> str | None:
    value = e.data.get("uscc") if e.kind == "enterprise" else e.data.get("enterprise")
    return value if isinstance(value, str) else None


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]
