"""A test projection that counts events by type: applying any event twice shows in the sums."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Engine,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
)

from projections.events import Event
from projections.follower import Projection

test_metadata = MetaData()
counts = Table(
    "test_counts",
    test_metadata,
    Column("type", String(60), primary_key=True),
    Column("n", BigInteger, nullable=False),
    Column("id_sum", BigInteger, nullable=False),
)


def create_tables(engine: Engine) -> None:
    test_metadata.create_all(engine)


class Counting(Projection):
    """n = events of each type applied, id_sum = sum of their notification ids."""

    name = "test-counting"
    tables: ClassVar[tuple[Table, ...]] = (counts,)

    def __init__(self, fail_on: int | None = None) -> None:
        self.fail_on = fail_on

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        n: Counter[str] = Counter()
        ids: Counter[str] = Counter()
        for e in events:
            if e.notification_id == self.fail_on:
                raise RuntimeError(f"refusing notification {e.notification_id}")
            n[e.type] += 1
            ids[e.type] += e.notification_id
        old = {r.type: (r.n, r.id_sum) for r in conn.execute(select(counts))}
        conn.execute(delete(counts).where(counts.c.type.in_(list(n))))
        conn.execute(
            insert(counts),
            [
                {
                    "type": t,
                    "n": old.get(t, (0, 0))[0] + n[t],
                    "id_sum": old.get(t, (0, 0))[1] + ids[t],
                }
                for t in n
            ],
        )


def totals(conn: Connection) -> tuple[int, int]:
    """(events applied, sum of their notification ids)."""
    rows = list(conn.execute(select(counts.c.n, counts.c.id_sum)))
    return sum(r[0] for r in rows), sum(r[1] for r in rows)
