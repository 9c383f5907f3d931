"""Inspections (监管执法检查): who was inspected when, with how many findings and measures.

Feeds inspection coverage per quarter and region (projections.analytics).
"""

from __future__ import annotations

from typing import ClassVar

from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, String, Table

from projections.events import Event
from projections.rows import Row, RowProjection
from projections.store import metadata

inspections = Table(
    "rm_inspections",
    metadata,
    Column("subject", String(36), primary_key=True),
    Column("enterprise", String(18), nullable=False, index=True),
    Column("region", String(6), nullable=False, index=True),
    Column("type", String(30), nullable=False),
    Column("status", String(20), nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
    Column("findings", Integer, nullable=False),
    Column("hazard_findings", Integer, nullable=False),
    Column("measures", Integer, nullable=False),
    Column("stop_ordered", Boolean, nullable=False),
    Column("last_notification_id", BigInteger, nullable=False),
)


class Inspections(RowProjection):
    name = "inspections"
    kinds: ClassVar[frozenset[str]] = frozenset({"inspection"})
    tables = (inspections,)
    table = inspections

    def evolve(self, row: Row | None, e: Event) -> Row | None:
        d, verb = e.data, e.verb
        if verb == "start":
            row = {
                "subject": e.subject,
                "enterprise": d["enterprise"],
                "region": e.region,
                "type": d["type"],
                "status": "in_progress",
                "started_at": e.at,
                "closed_at": None,
                "findings": 0,
                "hazard_findings": 0,
                "measures": 0,
                "stop_ordered": False,
            }
        if row is None:
            return None
        if verb == "record_finding":
            row["findings"] += 1
            row["hazard_findings"] += d["kind"] == "hazard"
        elif verb == "order_measure":
            row["measures"] += 1
            row["stop_ordered"] = row["stop_ordered"] or d["measure"] == "stop_production"
        elif verb == "close":
            row["status"] = "closed"
            row["closed_at"] = e.at
        row["last_notification_id"] = e.notification_id
        return row
