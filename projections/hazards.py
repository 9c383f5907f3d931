"""Hazard cases (事故隐患): open and overdue by region and grade; major hazards under 挂牌督办.

Mirrors the status of domain.hazard.HazardCase from its events. Overdue is not an event: a case
is overdue from the day after its rectification deadline while rectification is not done, so
it is computed at query time for the day asked about (China Standard Time), never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    and_,
    case,
    func,
    select,
)
from sqlalchemy import (
    Row as Row_,
)

from domain.clocks import last_day, local_date
from domain.hazard import RECHECK_DAYS, RECTIFYING
from projections.events import Event
from projections.rows import Row, RowProjection
from projections.store import metadata, within

hazards = Table(
    "rm_hazards",
    metadata,
    Column("subject", String(36), primary_key=True),
    Column("enterprise", String(18), nullable=False, index=True),
    Column("region", String(6), nullable=False, index=True),
    Column("grade", String(10), nullable=False),
    Column("criterion_ref", String(100)),
    Column("description", Text),
    Column("source", String(20), nullable=False),
    Column("status", String(30), nullable=False),
    Column("reported_at", DateTime, nullable=False),
    Column("deadline", Date),
    Column("document_no", String(100)),  # of the rectification order (责令整改指令书)
    Column("recheck_due", Date),  # the regulator's 10 days from a pending re-check request
    Column("stop_production", Boolean, nullable=False),
    Column("listed", Boolean, nullable=False),  # ever listed for supervision (挂牌督办)
    Column("supervised", Boolean, nullable=False),  # listed and the listing not lifted
    Column("closed_at", DateTime),
    Column("rejections", Integer, nullable=False),
    Column("reopenings", Integer, nullable=False),
    Column("last_notification_id", BigInteger, nullable=False),
)

STATUS_AFTER = {
    "order_rectification": "ordered",
    "report_to_regulator": "reported_to_regulator",
    "list_for_supervision": "listed",
    "file_plan": "planned",
    "rectify": "rectified",
    "request_recheck": "recheck_requested",
    "accept": "accepted",
    "close": "closed",
}


class Hazards(RowProjection):
    name = "hazards"
    version = "2"  # 2: description, order number, re-check due date
    kinds: ClassVar[frozenset[str]] = frozenset({"hazard"})
    tables = (hazards,)
    table = hazards

    def evolve(self, row: Row | None, e: Event) -> Row | None:
        d, verb = e.data, e.verb
        if verb == "report":
            row = {
                "subject": e.subject,
                "enterprise": d["enterprise"],
                "region": e.region,
                "grade": d["grade"],
                "criterion_ref": d.get("criterion_ref"),
                "description": d.get("description"),
                "source": d["source"],
                "status": "reported",
                "reported_at": e.at,
                "deadline": None,
                "document_no": None,
                "recheck_due": None,
                "stop_production": False,
                "listed": False,
                "supervised": False,
                "closed_at": None,
                "rejections": 0,
                "reopenings": 0,
            }
        if row is None:
            return None
        major = row["grade"] == "major"
        if verb in STATUS_AFTER:
            row["status"] = STATUS_AFTER[verb]
        # As domain.hazard.recheck_due: 10 days from the judged time of the pending request.
        if verb == "request_recheck":
            row["recheck_due"] = last_day(e.judged, RECHECK_DAYS)
        elif row["status"] != "recheck_requested":
            row["recheck_due"] = None
        if verb == "order_rectification":
            row["deadline"] = date.fromisoformat(d["deadline"])
            row["stop_production"] = bool(d.get("stop_production", False))
            row["document_no"] = d.get("document_no")
        elif verb == "list_for_supervision":
            row["listed"] = row["supervised"] = True
        elif verb == "reject":
            row["status"] = "planned" if major else "ordered"
            row["rejections"] += 1
            if "deadline" in d:
                row["deadline"] = date.fromisoformat(d["deadline"])
        elif verb == "close":
            row["closed_at"] = e.at
            row["supervised"] = False
        elif verb == "reopen":
            row["status"] = "planned" if major else "ordered"
            row["deadline"] = date.fromisoformat(d["deadline"])
            row["closed_at"] = None
            row["supervised"] = row["listed"]
            row["reopenings"] += 1
        row["last_notification_id"] = e.notification_id
        return row


@dataclass(frozen=True)
class HazardCount:
    region: str
    grade: str
    open: int
    overdue: int


@dataclass(frozen=True)
class HazardRow:
    subject: str
    enterprise: str
    region: str
    grade: str
    criterion_ref: str | None
    status: str
    reported_at: datetime
    deadline: date | None
    supervised: bool


def open_hazards(conn: Connection, jurisdiction: str, at: datetime) -> list[HazardCount]:
    """Open (not closed) and overdue cases by region and grade, on the day of `at` (CST)."""
    today = local_date(at)
    overdue = and_(hazards.c.status.in_(RECTIFYING), hazards.c.deadline < today)
    q = (
        select(
            hazards.c.region,
            hazards.c.grade,
            func.count(),
            func.sum(case((overdue, 1), else_=0)),
        )
        .where(within(hazards.c.region, jurisdiction), hazards.c.status != "closed")
        .group_by(hazards.c.region, hazards.c.grade)
        .order_by(hazards.c.region, hazards.c.grade)
    )
    return [HazardCount(r[0], r[1], int(r[2]), int(r[3] or 0)) for r in conn.execute(q)]


def overdue_hazards(conn: Connection, jurisdiction: str, at: datetime) -> list[HazardRow]:
    """Cases past their rectification deadline with rectification not done, oldest first."""
    today = local_date(at)
    q = (
        select(hazards)
        .where(
            within(hazards.c.region, jurisdiction),
            hazards.c.status.in_(RECTIFYING),
            hazards.c.deadline < today,
        )
        .order_by(hazards.c.deadline, hazards.c.subject)
    )
    return [_row(r) for r in conn.execute(q)]


def supervised_major_hazards(conn: Connection, jurisdiction: str) -> list[HazardRow]:
    """Major hazards listed for supervision (挂牌督办) and not yet closed (销号)."""
    q = (
        select(hazards)
        .where(within(hazards.c.region, jurisdiction), hazards.c.supervised)
        .order_by(hazards.c.reported_at, hazards.c.subject)
    )
    return [_row(r) for r in conn.execute(q)]


def _row(r: Row_[Any]) -> HazardRow:
    m = r._mapping
    return HazardRow(
        m["subject"],
        m["enterprise"],
        m["region"],
        m["grade"],
        m["criterion_ref"],
        m["status"],
        m["reported_at"],
        m["deadline"],
        m["supervised"],
    )
