"""Risk points (风险点, 五高) by colour: the input of the regional risk heat map.

One row per (enterprise, point); a re-assessment replaces the point's colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    String,
    Table,
    delete,
    tuple_,
)

from projections.bulk import insert_rows
from projections.events import Event
from projections.follower import Projection
from projections.store import metadata

risk_points = Table(
    "rm_risk_points",
    metadata,
    Column("enterprise", String(18), primary_key=True),
    Column("point", String(100), primary_key=True),
    Column("region", String(6), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("five_highs", String(100), nullable=False),  # comma-separated categories
    Column("colour", String(10), nullable=False),  # red | orange | yellow | blue
    Column("last_notification_id", BigInteger, nullable=False),
)


class RiskPoints(Projection):
    name = "risk_points"
    kinds: ClassVar[frozenset[str]] = frozenset({"enterprise"})
    tables = (risk_points,)

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        latest: dict[tuple[str, str], dict[str, object]] = {}
        for e in events:
            if e.verb != "assess_risk_point":
                continue
            d = e.data
            latest[(d["uscc"], d["point"])] = {
                "enterprise": d["uscc"],
                "point": d["point"],
                "region": e.region,
                "name": d["name"],
                "five_highs": ",".join(d["five_highs"]),
                "colour": d["colour"],
                "last_notification_id": e.notification_id,
            }
        if not latest:
            return
        keys = list(latest)
        for i in range(0, len(keys), 400):
            conn.execute(
                delete(risk_points).where(
                    tuple_(risk_points.c.enterprise, risk_points.c.point).in_(keys[i : i + 400])
                )
            )
        insert_rows(conn, risk_points, list(latest.values()))
