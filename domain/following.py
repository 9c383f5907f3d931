"""Following the notification log: the `Follower` protocol and the one `Runner` that drives
every follower (the read models, the Merkle log, and next the stream relay).

    Runner(LogReader(recorder), follower).catch_up()

A follower has a name, a position (the last notification id it has handled; ids have gaps, so
a position is an id, never a count), decodes raw rows into whatever it handles, and handles a
batch: it applies it and moves its position to the batch's last id in ONE transaction, so after
a crash (kill -9 included) it resumes exactly after the last batch it kept. The runner reads
batches after the position (domain.log_reader: never past a gap that may still be filled),
decodes the next batch on a second thread while the follower handles this one, and reports
every follower's lag the same way: head of the log − position.

A follower that finds its position moved under it (a second instance running) raises
PositionMoved having kept nothing; the runner reads the position again and goes on from
there. Any other error stops the runner with nothing of the failing batch kept: a lost event
is a lost record, so a follower never skips one.

Waking. SQLite cannot push, so an idle runner waits `poll_seconds` between reads; `wake()`
ends the wait at once. Records calls its commit listeners after each commit
(Records.add_commit_listener), so a runner in the writer's process follows without polling.

Like the reader, this lives in the domain so the ledger and the read models can both use it;
it needs only the standard library.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from domain.log_reader import LogReader, Raw

__all__ = ["Batch", "Follower", "Lag", "PositionMoved", "Progress", "Runner"]

log = logging.getLogger("anjian.following")

D = TypeVar("D")

Progress = Callable[[int, int], None]  # (position reached, head)


class PositionMoved(Exception):
    """The follower's stored position moved under it; nothing of the batch was kept."""


@dataclass(frozen=True)
class Batch(Generic[D]):
    """Notifications `first`..`last` as read after position `after` (`read` rows; ids between
    may be gaps), decoded."""

    after: int
    first: int
    last: int
    read: int
    items: D


@dataclass(frozen=True)
class Lag:
    """How far a follower is behind the log: head id − position (an upper bound: gaps)."""

    name: str
    position: int
    head: int

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


class Follower(Protocol[D]):
    """What the runner drives (after tessera's Follower)."""

    @property
    def name(self) -> str:
        """The follower's name, under which its lag is reported."""

    def position(self) -> int:
        """The last notification id handled (0: none), as stored."""

    def decode(self, rows: Sequence[Raw]) -> D:
        """The rows (in id order) as this follower handles them. Runs on the runner's reading
        thread, beside `handle` of the previous batch: it must only read."""

    def handle(self, batch: Batch[D]) -> None:
        """Apply the batch and move the position to `batch.last`: whatever of it is kept is
        kept with its position, in one transaction. PositionMoved (nothing kept) if the
        stored position is not the one the batch was read after."""


class Runner(Generic[D]):
    """Drives one follower over one log reader."""

    def __init__(
        self,
        reader: LogReader,
        follower: Follower[D],
        batch_size: int = 1000,
        *,
        read_ahead: bool = True,
    ) -> None:
        """`read_ahead`: catch_up reads and decodes the next batch while the follower handles
        this one (False: each batch is read once the previous one is kept)."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.reader = reader
        self.follower = follower
        self.batch_size = batch_size
        self.read_ahead = read_ahead
        self._wake = threading.Event()

    def lag(self) -> Lag:
        return Lag(self.follower.name, self.follower.position(), self.reader.head())

    def read(self, after: int, limit: int | None = None, until: int | None = None) -> Batch[D]:
        """The decoded batch after position `after` (at most `limit` rows, ids up to `until`)."""
        size = self.batch_size if limit is None else min(self.batch_size, limit)
        rows = self.reader.after(after, size, until) if size > 0 else []
        first, last = (rows[0].id, rows[-1].id) if rows else (0, after)
        return Batch(after, first, last, len(rows), self.follower.decode(rows))

    def step(self) -> int:
        """Handle one batch; return how many notifications were read (0 = caught up)."""
        batch = self.read(self.follower.position())
        if batch.read:
            self.follower.handle(batch)
        return batch.read

    def catch_up(
        self,
        progress: Progress | None = None,
        *,
        limit: int | None = None,
        until: int | None = None,
    ) -> int:
        """Handle batches until the follower reaches the head (or `until`, or has read `limit`
        notifications); return how many were read. With `read_ahead` the next batch is read
        and decoded on a second thread while this one is handled (SQLite's driver releases the
        GIL while it reads)."""
        total = 0
        head = self.reader.head() if progress is not None else 0
        with ThreadPoolExecutor(1, "anjian-follower-read") as reader:

            def read(after: int, left: int | None) -> Future[Batch[D]]:
                if self.read_ahead:
                    return reader.submit(self.read, after, left, until)
                done: Future[Batch[D]] = Future()
                done.set_result(self.read(after, left, until))
                return done

            ahead = read(self.follower.position(), limit)
            while True:
                batch = ahead.result()
                left = None if limit is None else limit - total - batch.read
                if batch.read and left != 0 and self.read_ahead:
                    ahead = read(batch.last, left)
                try:
                    if batch.read:
                        self.follower.handle(batch)
                except PositionMoved as exc:
                    log.warning("%s: %s; continuing from the stored position", self.name, exc)
                    ahead.cancel()
                    ahead = read(self.follower.position(), None if limit is None else limit - total)
                    continue
                except BaseException:
                    ahead.cancel()
                    raise
                total += batch.read
                if progress is not None:
                    head = max(head, self.reader.head())
                    progress(batch.last if batch.read else self.follower.position(), head)
                if batch.read == 0 or left == 0:
                    return total
                if not self.read_ahead:
                    ahead = read(batch.last, left)

    def run(self, stop: threading.Event, poll_seconds: float = 0.5) -> None:
        """Follow the log until `stop` is set (then call `wake` to end a wait at once).
        Between reads that find nothing new, wait up to `poll_seconds` for `wake`."""
        while not stop.is_set():
            self._wake.clear()  # before the read: a commit after it wakes the wait below
            if self.catch_up() == 0:
                self._wake.wait(poll_seconds)

    def wake(self, *_: object) -> None:
        """End the wait of `run` now (a commit listener: takes and ignores any arguments)."""
        self._wake.set()

    @property
    def name(self) -> str:
        return self.follower.name
