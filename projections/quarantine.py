"""The quarantine: stored events the read models cannot represent, set aside and listed.

Intake refuses every date or instant outside the platform's bounds (domain.instants), but a
store may hold one written before the bounds, or by an insider. Such an event is still a
signed record: it stays in the log, the ledger and its proofs, and `anjian show` prints it.
The read models cannot hold it (year 10000 in UTC has no datetime), and what a regulator
needs is neither a view that stops for the whole province nor one that invents a time the
signer never wrote (clamping would move statutory clocks and credit grades). So the follower
leaves the event out of every projection and lists it here, by notification id, with the
reason; every read command then says how many events its answer leaves out.

The list describes the log, not one projection: a notification is listed once, whichever
projection's batch met it first, in the same transaction as that batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    String,
    Table,
    Text,
    func,
    insert,
    select,
)

from projections.errors import Quarantined
from projections.store import metadata

quarantine = Table(
    "rm_quarantine",
    metadata,
    Column("notification_id", BigInteger, primary_key=True),
    Column("event_id", String(60), nullable=False),
    Column("type", String(80), nullable=False),
    Column("reason", Text, nullable=False),
    Column("set_aside_at", DateTime, nullable=False),
)


@dataclass(frozen=True)
class SetAside:
    """One quarantined event."""

    notification_id: int
    event_id: str
    type: str
    reason: str
    set_aside_at: datetime

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "notification_id": self.notification_id,
            "event_id": self.event_id,
            "type": self.type,
            "reason": self.reason,
        }


def set_aside(conn: Connection, found: Sequence[Quarantined], now: datetime) -> list[Quarantined]:
    """List the quarantined events of a batch; return those not listed before."""
    ids = [q.notification_id for q in found]
    listed = set(
        conn.scalars(
            select(quarantine.c.notification_id).where(quarantine.c.notification_id.in_(ids))
        )
    )
    new = [q for q in found if q.notification_id not in listed]
    if new:
        conn.execute(
            insert(quarantine),
            [
                {
                    "notification_id": q.notification_id,
                    "event_id": q.event_id[:60],
                    "type": q.type[:80],
                    "reason": q.reason,
                    "set_aside_at": now,
                }
                for q in new
            ],
        )
    return new


def quarantined(conn: Connection) -> list[SetAside]:
    """Every event set aside, in log order."""
    rows = conn.execute(select(quarantine).order_by(quarantine.c.notification_id))
    return [SetAside(**r._mapping) for r in rows]


def count(conn: Connection) -> int:
    return int(conn.scalar(select(func.count()).select_from(quarantine)) or 0)
