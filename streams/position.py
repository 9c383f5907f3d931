"""Where the relay keeps its position: one row per relay in `stream_relay_position`, a table
of the event store's database (beside the ledger's tables; created on first use).

The position is the notification id of the last event JetStream acknowledged; it is written
only after every PubAck of a window, with a compare-and-set on the position the window was
read after, so two relays never both move it. It is a lower bound: the relay also reads the
`sequence` of the stream's last message (streams.stream.last_sequence) and starts after the
greater of the two, so a crash between the PubAcks and this write repeats nothing.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Engine, MetaData, String, Table, insert, select, update

__all__ = ["Positions"]

metadata = MetaData()
positions_table = Table(
    "stream_relay_position",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)


class Positions:
    """The relays' stored positions in one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine, checkfirst=True)

    def get(self, name: str) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(positions_table.c.position).where(positions_table.c.name == name)
            ).scalar()
        return int(value or 0)

    def move(self, name: str, after: int, to: int) -> bool:
        """Set the position of `name` to `to` if it is still `after`; whether it was."""
        with self.engine.begin() as conn:
            stored = conn.execute(
                select(positions_table.c.position).where(positions_table.c.name == name)
            ).scalar()
            if stored is None:
                conn.execute(insert(positions_table).values(name=name, position=to))
                return True
            if int(stored) > after:
                return False
            result = conn.execute(
                update(positions_table)
                .where(positions_table.c.name == name, positions_table.c.position == stored)
                .values(position=to)
            )
            return result.rowcount == 1
