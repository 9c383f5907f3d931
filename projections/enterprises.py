"""Enterprise directory: every registered enterprise with its profile and status (准入).

One row per enterprise aggregate (`subject`, its uuid). `registered_notification_id` is the
notification id of its enterprise.register event, so that a listing can follow the order in
which the log recorded the registrations (`registered_at` is the actor's occurred_at, which
may be back-dated).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    select,
)

from projections.events import Event
from projections.rows import Row, RowProjection
from projections.store import metadata, within

enterprises = Table(
    "rm_enterprises",
    metadata,
    Column("subject", String(36), primary_key=True),
    Column("uscc", String(18), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("industry", String(40), nullable=False),
    Column("region", String(6), nullable=False, index=True),
    Column("standardisation", String(10), nullable=False),
    Column("employees", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("registered_at", DateTime, nullable=False),
    Column("registered_notification_id", BigInteger, nullable=False),
    Column("last_notification_id", BigInteger, nullable=False),
)

PROFILE = ("name", "industry", "standardisation", "employees")


class EnterpriseDirectory(RowProjection):
    name = "enterprises"
    kinds: ClassVar[frozenset[str]] = frozenset({"enterprise"})
    tables = (enterprises,)
    table = enterprises

    def evolve(self, row: Row | None, e: Event) -> Row | None:
        d = e.data
        if e.verb == "register":
            row = {
                "subject": e.subject,
                "uscc": d["uscc"],
                "name": d["name"],
                "industry": d["industry"],
                "region": e.region,
                "standardisation": d["standardisation"],
                "employees": d.get("employees", 0),
                "status": "active",
                "registered_at": e.at,
                "registered_notification_id": e.notification_id,
            }
        if row is None:
            return None
        if e.verb == "update_profile":
            row.update({k: d[k] for k in PROFILE if k in d})
        elif e.verb == "deregister":
            row["status"] = "deregistered"
        row["last_notification_id"] = e.notification_id
        return row


@dataclass(frozen=True)
class EnterpriseRow:
    uscc: str
    name: str
    industry: str
    region: str
    standardisation: str
    employees: int
    status: str
    registered_at: datetime
    subject: str  # the enterprise aggregate's uuid

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "uscc": self.uscc,
            "name": self.name,
            "industry": self.industry,
            "region": self.region,
            "status": self.status,
            "id": self.subject,
        }


def list_enterprises(
    conn: Connection, jurisdiction: str, status: str | None = None
) -> list[EnterpriseRow]:
    """Enterprises registered in `jurisdiction`, by USCC."""
    q = select(enterprises).where(within(enterprises.c.region, jurisdiction))
    if status is not None:
        q = q.where(enterprises.c.status == status)
    return [enterprise_row(r._mapping) for r in conn.execute(q.order_by(enterprises.c.uscc))]


def in_registration_order(conn: Connection, jurisdiction: str) -> list[EnterpriseRow]:
    """Enterprises registered in `jurisdiction` (deregistered ones included), in the order
    their registrations were recorded in the log."""
    q = (
        select(enterprises)
        .where(within(enterprises.c.region, jurisdiction))
        .order_by(enterprises.c.registered_notification_id)
    )
    return [enterprise_row(r._mapping) for r in conn.execute(q)]


def get_enterprise(conn: Connection, uscc: str, jurisdiction: str) -> EnterpriseRow | None:
    """One enterprise, or None when unknown or outside `jurisdiction`."""
    r = conn.execute(
        select(enterprises).where(
            enterprises.c.uscc == uscc, within(enterprises.c.region, jurisdiction)
        )
    ).first()
    return enterprise_row(r._mapping) if r is not None else None


def enterprise_row(m: Any) -> EnterpriseRow:
    return EnterpriseRow(
        m["uscc"],
        m["name"],
        m["industry"],
        m["region"],
        m["standardisation"],
        m["employees"],
        m["status"],
        m["registered_at"],
        m["subject"],
    )
