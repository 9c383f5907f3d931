"""The read models a process holds: their store and the follower that keeps them current.

The composition root opens them once (ops.bootstrap: the read-model store's engine, migrated,
and a follower of every projection over the event store's notification log); every query of
an entry point reads through `engine` after `follower.catch_up()`, or as they are (`--stale`,
when a separate follower process keeps them current).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from projections.follower import ReadModelFollower

__all__ = ["ReadModels"]


@dataclass(frozen=True)
class ReadModels:
    engine: Engine  # the read-model store (owned by the composition root)
    follower: ReadModelFollower  # of every projection, over the event store's notification log
