"""The follower: the one mechanism that keeps every read model up to date with the log.

It reads the notification log in batches (projections.log: raw rows), decodes each
stored event once (projections.events), and in ONE transaction of the read-model store applies
the batch to every projection that is behind and moves each one's tracking position to the
batch's last notification id. A crash at any point (kill -9 included) loses the whole
transaction or none of it, so on restart each projection resumes exactly after the last
notification it applied: nothing is applied twice, nothing is skipped.

Notification ids can have gaps (a rolled-back insert uses up ids), so positions are the last
id *seen*, never a count, and reading starts after a position rather than at position + 1 of a
dense sequence. Where a gap may still be an insert in flight (PostgreSQL), the log holds the
batch back at the gap for a grace period (projections.log).

An event whose dates or instants lie beyond the platform's bounds cannot be represented by any
read model: it is set aside (projections.quarantine), listed with its reason in the batch's
transaction, and the follower goes on.

Several followers may run against one store: each tracking update is conditional on the
position it read (`WHERE position = old`), so a second follower racing the first rolls back
with ConcurrentFollower instead of applying a batch twice.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import Connection, Engine, Table, delete, insert, select, update

from projections.errors import (
    ConcurrentFollower,
    ProjectionFailed,
    Quarantined,
    UnknownProjection,
)
from projections.events import Event, decode
from projections.log import Log, Recorder
from projections.quarantine import quarantine, set_aside
from projections.store import tracking

log = logging.getLogger("anjian.projections")


class Projection(ABC):
    """A read model fed by the follower.

    Subclasses name themselves (`name`, the tracking key), list the tables they own, say which
    event kinds they read (`kinds`, the part of the command type before the dot; empty = all)
    and implement `apply`, which gets the batch's events in log order, within the batch's
    transaction. `apply` must depend on nothing but the events and the rows it wrote before:
    that is what makes a rebuild from scratch equal to the state reached incrementally.
    """

    name: str = ""
    version: str = "1"  # bump when the logic changes: stored rows are then rebuilt
    kinds: ClassVar[frozenset[str]] = frozenset()
    tables: ClassVar[tuple[Table, ...]] = ()

    def wants(self, event: Event) -> bool:
        return not self.kinds or event.kind in self.kinds

    def select(self, events: Sequence[Event]) -> list[Event]:
        """The events of a batch this projection reads."""
        if not self.kinds:
            return list(events)
        kinds = self.kinds
        return [e for e in events if e.kind in kinds]

    @abstractmethod
    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        """Apply events (in log order) to this projection's tables."""

    def reset(self, conn: Connection) -> None:
        """Delete every row this projection wrote (children before parents)."""
        for table in reversed(self.tables):
            conn.execute(delete(table))
        self.forget()

    def forget(self) -> None:  # noqa: B027  (optional hook, most projections cache nothing)
        """Drop in-memory caches (after a reset or a rolled-back batch)."""


@dataclass(frozen=True)
class Status:
    name: str
    position: int
    head: int
    stored_version: str
    version: str

    @property
    def lag(self) -> int:
        """Notifications still to apply: head id − position (an upper bound, ids have gaps)."""
        return max(0, self.head - self.position)

    @property
    def stale(self) -> bool:
        """The rows were made by another version of the projection: it must be rebuilt."""
        return self.stored_version != self.version


Progress = Callable[[int, int], None]  # (position reached, head)


@dataclass
class Batch:
    """Notifications first..last as read (`read` of them): the decoded events, and those set
    aside because an instant of theirs is beyond what a read model can represent."""

    first: int
    last: int
    read: int
    events: list[Event] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)


class Follower:
    """Feeds `projections` from `recorder`'s notification log into `engine`'s tables."""

    def __init__(
        self,
        recorder: Recorder,
        engine: Engine,
        projections: Sequence[Projection],
        batch_size: int = 20_000,
        gap_grace: float = 10.0,
    ) -> None:
        names = [p.name for p in projections]
        if len(set(names)) != len(names) or not all(names):
            raise ValueError(f"projection names must be unique and non-empty: {names}")
        self.recorder = recorder
        self.log = Log(recorder, gap_grace)
        self.engine = engine
        self.projections = list(projections)
        self.batch_size = batch_size
        self._positions: dict[str, int] | None = None

    # -- tracking ----------------------------------------------------------------------------

    def _select(self, names: Iterable[str] | None) -> list[Projection]:
        if names is None:
            return self.projections
        by_name = {p.name: p for p in self.projections}
        chosen = []
        for n in names:
            if n not in by_name:
                raise UnknownProjection(f"no projection {n!r} (known: {', '.join(by_name)})")
            chosen.append(by_name[n])
        return chosen

    def _load_positions(self, conn: Connection) -> dict[str, int]:
        """Read (and create missing) tracking rows; rebuild projections whose version moved."""
        rows = {r.name: r for r in conn.execute(select(tracking))}
        now = _now()
        positions: dict[str, int] = {}
        for p in self.projections:
            row = rows.get(p.name)
            if row is None:
                conn.execute(
                    insert(tracking).values(
                        name=p.name, position=0, version=p.version, updated_at=now
                    )
                )
                positions[p.name] = 0
            elif row.version != p.version:
                log.warning(
                    "projection %s: rows are version %s, code is %s: rebuilding",
                    p.name,
                    row.version,
                    p.version,
                )
                p.reset(conn)
                conn.execute(
                    update(tracking)
                    .where(tracking.c.name == p.name)
                    .values(position=0, version=p.version, updated_at=now)
                )
                positions[p.name] = 0
            else:
                positions[p.name] = int(row.position)
        return positions

    def positions(self) -> dict[str, int]:
        if self._positions is None:
            with self.engine.begin() as conn:
                self._positions = self._load_positions(conn)
        return dict(self._positions)

    def head(self) -> int:
        """The highest notification id in the log (0 when empty)."""
        return self.log.head()

    def status(self) -> list[Status]:
        with self.engine.connect() as conn:
            rows = {r.name: r for r in conn.execute(select(tracking))}
        head = self.head()
        return [
            Status(
                p.name,
                int(rows[p.name].position) if p.name in rows else 0,
                head,
                rows[p.name].version if p.name in rows else "",
                p.version,
            )
            for p in self.projections
        ]

    def lag(self) -> int:
        """How far the furthest-behind projection is from the head of the log."""
        return max((s.lag for s in self.status()), default=0)

    # -- running -----------------------------------------------------------------------------

    def _read(self, after: int) -> Batch:
        raws = self.log.after(after, self.batch_size)
        batch = Batch(raws[0][0] if raws else 0, raws[-1][0] if raws else 0, len(raws))
        for raw in raws:
            try:
                batch.events.append(decode(raw))
            except Quarantined as exc:
                batch.quarantined.append(exc)
        return batch

    def step(self) -> int:
        """Apply one batch; return how many notifications were read (0 = caught up)."""
        positions = self.positions()
        return self._apply(positions, self._read(min(positions.values(), default=0)))

    def _apply(self, positions: dict[str, int], batch: Batch) -> int:
        """Apply one decoded batch to every projection behind it, with the tracking moves;
        set its quarantined events aside in the same transaction."""
        if not batch.read:
            return 0
        first, last, events = batch.first, batch.last, batch.events
        now = _now()
        current = ""
        try:
            with self.engine.begin() as conn:
                for p in self.projections:
                    old = positions[p.name]
                    if old >= last:
                        continue
                    current = p.name
                    # Tracking first: on SQLite this takes the write lock before any work, and
                    # the condition on the old position refuses a racing second follower.
                    moved = conn.execute(
                        update(tracking)
                        .where(tracking.c.name == p.name, tracking.c.position == old)
                        .values(position=last, updated_at=now)
                    )
                    if moved.rowcount != 1:
                        raise ConcurrentFollower(
                            f"projection {p.name} moved past {old} under this follower"
                        )
                    mine = p.select(
                        events if old < first else [e for e in events if e.notification_id > old]
                    )
                    if mine:
                        p.apply(conn, mine)
                if batch.quarantined:  # after the tracking moves, which refuse a racing follower
                    current = "quarantine"
                    for q in set_aside(conn, batch.quarantined, now):
                        log.warning("set aside, unreadable by the read models: %s", q)
        except BaseException as exc:
            self._positions = None
            for p in self.projections:
                p.forget()
            if isinstance(exc, ConcurrentFollower | KeyboardInterrupt | SystemExit):
                raise
            raise ProjectionFailed(current, first, last, exc) from exc
        for name, old in positions.items():
            positions[name] = max(old, last)
        self._positions = positions
        log.debug("batch applied: notifications %d..%d (%d)", first, last, batch.read)
        return batch.read

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply batches until every projection has reached the head; return notifications read.

        The next batch is read and decoded on a second thread while this one is applied (the
        SQLite drivers release the GIL while they work), so reading and writing overlap.
        """
        total = 0
        head = self.head()
        with ThreadPoolExecutor(1, "anjian-follower-read") as reader:
            positions = self.positions()
            ahead: Future[Batch] = reader.submit(self._read, min(positions.values(), default=0))
            while True:
                batch = ahead.result()
                if batch.read:
                    # After this batch every projection stands at its last id (or beyond).
                    ahead = reader.submit(self._read, batch.last)
                try:
                    n = self._apply(positions, batch)
                except ConcurrentFollower as exc:
                    # Nothing of the batch was kept; re-read the positions and go on from there.
                    log.warning("%s; continuing from the stored positions", exc)
                    ahead.cancel()
                    positions = self.positions()
                    ahead = reader.submit(self._read, min(positions.values(), default=0))
                    continue
                except BaseException:
                    ahead.cancel()
                    raise
                total += n
                if progress is not None:
                    progress(min(positions.values(), default=0), max(head, self.head()))
                if n == 0:
                    return total

    def rebuild(self, names: Iterable[str] | None = None, progress: Progress | None = None) -> int:
        """Delete the named projections' rows (all when None) and re-apply the whole log."""
        chosen = self._select(names)
        with self.engine.begin() as conn:
            self._load_positions(conn)
            if names is None:  # the whole log is read again: list what it sets aside afresh
                conn.execute(delete(quarantine))
            now = _now()
            for p in chosen:
                p.reset(conn)
                conn.execute(
                    update(tracking)
                    .where(tracking.c.name == p.name)
                    .values(position=0, version=p.version, updated_at=now)
                )
        self._positions = None
        return self.catch_up(progress)

    def run_forever(self, stop: threading.Event, poll_seconds: float = 0.5) -> None:
        """Follow the log until `stop` is set. SQLite cannot push, so an idle follower polls."""
        while not stop.is_set():
            if self.step() == 0:
                stop.wait(poll_seconds)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
