"""The read models a process holds: their store and the follower that keeps them current.

The composition root opens them once (ops.bootstrap: the read-model store's engine, migrated,
and a follower of every projection over the event store's notification log); every query of
an entry point reads through `engine` after `follower.catch_up()`, or as they are (`--stale`,
when a separate follower process keeps them current).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from projections.as_of import rebuilt_as_of
from projections.follower import Projection, ReadModelFollower

__all__ = ["ReadModels"]


@dataclass(frozen=True)
class ReadModels:
    engine: Engine  # the read-model store (owned by the composition root)
    follower: ReadModelFollower  # of every projection, over the event store's notification log
    projections: Callable[[], Sequence[Projection]]  # fresh instances of the same projections

    @contextmanager
    def as_of(self, when: datetime) -> Iterator[ReadModels]:
        """The read models as they stood at `when`: every projection rebuilt, in a throwaway
        store, from the events of the log that occurred at or before `when`
        (projections.as_of)."""
        with rebuilt_as_of(self.follower.recorder, self.projections, when) as follower:
            yield ReadModels(follower.engine, follower, self.projections)
