"""The read models' follower: every projection kept up to date with the log, as one follower
of the notification log (domain.following) driven by the one Runner.

The runner reads the log in batches (domain.log_reader: raw rows, never past a gap that may
still be filled); this follower decodes each stored event once (projections.events) and, in
ONE transaction of the read-model store, applies the batch to every projection that is behind
and moves each one's tracking position to the batch's last notification id. A crash at any
point (kill -9 included) loses the whole transaction or none of it, so on restart each
projection resumes exactly after the last notification it applied: nothing is applied twice,
nothing is skipped. Positions are ids, never counts: ids have gaps.

An event whose dates or instants lie beyond the platform's bounds cannot be represented by any
read model: it is set aside (projections.quarantine), listed with its reason in the batch's
transaction, and the follower goes on.

Several followers may run against one store: each tracking update is conditional on the
position it read (`WHERE position = old`), so a second follower racing the first rolls back
with ConcurrentFollower (a PositionMoved: the runner re-reads the positions and goes on)
instead of applying a batch twice.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, ClassVar

from sqlalchemy import ColumnElement, Connection, Engine, Table, delete, insert, select, update

from domain.following import Batch, Lag, Progress, Runner
from domain.log_reader import LogReader, Raw, Recorder
from projections.errors import (
    ConcurrentFollower,
    ProjectionFailed,
    Quarantined,
    UnknownProjection,
)
from projections.events import Event, decode
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

    def rows_of(self, table: Table) -> ColumnElement[bool] | None:
        """The condition selecting this projection's rows of `table`, one of its tables (None:
        every row; a projection sharing its tables with others narrows it)."""
        return None

    def forget(self) -> None:  # noqa: B027  (optional hook, most projections cache nothing)
        """Drop in-memory caches (after a reset or a rolled-back batch)."""


@dataclass(frozen=True)
class Status(Lag):
    """One projection's lag, and whether its rows were made by this version of its logic."""

    stored_version: str
    version: str

    @property
    def stale(self) -> bool:
        """The rows were made by another version of the projection: it must be rebuilt."""
        return self.stored_version != self.version

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "name": self.name,
            "position": self.position,
            "head": self.head,
            "lag": self.lag,
            "version": self.version,
            "stored_version": self.stored_version,
            "stale": self.stale,
        }


@dataclass
class Decoded:
    """A batch's events, and those set aside because an instant of theirs is beyond what a
    read model can represent."""

    events: list[Event] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)


class ReadModelFollower:
    """Feeds `projections` from `recorder`'s notification log into `engine`'s tables."""

    name = "read-models"

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
        self.reader = LogReader(recorder, gap_grace)
        self.runner = Runner(self.reader, self, batch_size)
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

    def position(self) -> int:
        """The position of the furthest-behind projection (the runner reads after it)."""
        return min(self.positions().values(), default=0)

    def head(self) -> int:
        """The highest notification id in the log (0 when empty)."""
        return self.reader.head()

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

    def decode(self, rows: Sequence[Raw]) -> Decoded:
        decoded = Decoded()
        for raw in rows:
            try:
                decoded.events.append(decode(raw))
            except Quarantined as exc:
                decoded.quarantined.append(exc)
        return decoded

    def step(self) -> int:
        """Apply one batch; return how many notifications were read (0 = caught up)."""
        return self.runner.step()

    def handle(self, batch: Batch[Decoded]) -> None:
        """Apply one decoded batch to every projection behind it, with the tracking moves;
        set its quarantined events aside in the same transaction."""
        positions = self.positions()
        first, last, events = batch.first, batch.last, batch.items.events
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
                if batch.items.quarantined:  # after the tracking moves, which refuse a racer
                    current = "quarantine"
                    for q in set_aside(conn, batch.items.quarantined, now):
                        log.warning("set aside, unreadable by the read models: %s", q)
        except BaseException as exc:
            self._positions = None
            for p in self.projections:
                p.forget()
            if isinstance(exc, ConcurrentFollower | KeyboardInterrupt | SystemExit):
                raise
            raise ProjectionFailed(current, first, last, exc) from exc
        self._positions = {name: max(old, last) for name, old in positions.items()}
        log.debug("batch applied: notifications %d..%d (%d)", first, last, batch.read)

    def catch_up(self, progress: Progress | None = None) -> int:
        """Apply batches until every projection has reached the head; return notifications read
        (the runner decodes the next batch while this one is applied)."""
        return self.runner.catch_up(progress)

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
        """Follow the log until `stop` is set (domain.following.Runner.run): an idle follower
        waits up to `poll_seconds`, or until `wake` (a commit in this process)."""
        self.runner.run(stop, poll_seconds)

    def wake(self, *_: object) -> None:
        """End an idle wait now (Records.add_commit_listener takes this)."""
        self.runner.wake()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
