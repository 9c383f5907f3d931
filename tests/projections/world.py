"""Test worlds for projections: a real Records store (Harness) plus a read-model store."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine, MetaData, select

from projections.follower import Projection, ReadModelFollower
from projections.store import open_store, tracking
from tests.support import Harness

WUHAN = "r-wuhan"  # regulator of 420100
YICHANG = "r-yichang"  # regulator of 420500
PROVINCE = "r-hubei"  # regulator of 420000


class World:
    """A harness with three regulators and a migrated read-model store."""

    def __init__(self, env: dict[str, str] | None, store_url: str) -> None:
        self.h = Harness(env)
        self.h.actor(WUHAN, "regulator", "420100")
        self.h.actor(YICHANG, "regulator", "420500")
        self.h.actor(PROVINCE, "regulator", "420000")
        self.engine: Engine = open_store(store_url)

    def follower(
        self, projections: Sequence[Projection], batch_size: int = 1000
    ) -> ReadModelFollower:
        return ReadModelFollower(self.h.records.recorder, self.engine, projections, batch_size)

    def close(self) -> None:
        self.h.close()
        self.engine.dispose()


def dump(
    conn: Connection, metadata: MetaData | None = None, tables: Sequence[Any] = ()
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the given tables, sorted: the state a projection reached."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for t in tables:
        if t is tracking:
            continue
        rows = [tuple(r) for r in conn.execute(select(t))]
        out[t.name] = sorted(rows, key=repr)
    return out
