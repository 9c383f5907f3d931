"""Accidents (生产安全事故) by grade, region and industry.

Mirrors domain.accident.Accident; the grade is re-derived with the domain's own `grade_of`
after every casualty update (条例 §3: the highest band any measure reaches), and a report is
late when the instant the domain judges it at (the recorded time of the unit's own report,
domain.clocks) is more than an hour after the accident. The industry is the
enterprise's, joined from the enterprise directory at query time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    func,
    select,
)

from domain.accident import GRADES, INVESTIGATION_DAYS, REPORT_WITHIN, grade_of
from projections.enterprises import enterprises
from projections.events import Event, utc_naive
from projections.rows import Row, RowProjection
from projections.store import metadata, within

accidents = Table(
    "rm_accidents",
    metadata,
    Column("subject", String(36), primary_key=True),
    Column("enterprise", String(18), nullable=False, index=True),
    Column("region", String(6), nullable=False, index=True),
    Column("happened_at", DateTime, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("deaths", Integer, nullable=False),
    Column("serious_injuries", Integer, nullable=False),
    Column("direct_loss", Float, nullable=False),
    Column("grade", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("liability", Boolean),  # None until the investigation report
    Column("concealment", String(20)),  # concealed | false_report
    Column("reported_late", Boolean, nullable=False),
    Column("investigation_due", Date),  # 条例 §32: 60 days, + an extension
    Column("last_notification_id", BigInteger, nullable=False),
)

CASUALTIES = ("deaths", "serious_injuries", "direct_loss")
STATUS_AFTER = {
    "open_investigation": "investigating",
    "submit_report": "report_submitted",
    "close": "closed",
}


class Accidents(RowProjection):
    name = "accidents"
    # 2: a late report is judged at the recorded time of the unit's own report; 3: the
    # investigation's due date
    version = "3"
    kinds: ClassVar[frozenset[str]] = frozenset({"accident"})
    tables = (accidents,)
    table = accidents

    def evolve(self, row: Row | None, e: Event) -> Row | None:
        d, verb = e.data, e.verb
        if verb == "report":
            happened = utc_naive(d["happened_at"])
            row = {
                "subject": e.subject,
                "enterprise": d["enterprise"],
                "region": e.region,
                "happened_at": happened,
                "kind": d["kind"],
                "deaths": 0,
                "serious_injuries": 0,
                "direct_loss": 0.0,
                "status": "reported",
                "liability": None,
                "concealment": None,
                "reported_late": utc_naive(e.judged.isoformat()) - happened > REPORT_WITHIN,
                # As domain.accident: the calendar day of happened_at in its own offset.
                "investigation_due": (
                    datetime.fromisoformat(d["happened_at"]) + timedelta(days=INVESTIGATION_DAYS)
                ).date(),
            }
        if row is None:
            return None
        row["status"] = STATUS_AFTER.get(verb, row["status"])
        if verb in ("report", "update_casualties"):
            for k in CASUALTIES:
                if k in d:
                    row[k] = float(d[k]) if k == "direct_loss" else int(d[k])
            row["grade"] = grade_of(
                row["deaths"], row["serious_injuries"], row["direct_loss"]
            ).grade
        elif verb == "extend_investigation":
            row["investigation_due"] += timedelta(days=d["days"])
        elif verb == "submit_report":
            row["liability"] = bool(d["liability"])
        elif verb == "flag_concealment":
            row["concealment"] = d["finding"]
        row["last_notification_id"] = e.notification_id
        return row


@dataclass(frozen=True)
class AccidentCount:
    grade: str
    grade_zh: str
    region: str
    industry: str
    accidents: int
    deaths: int
    serious_injuries: int
    direct_loss: float


def accidents_by(conn: Connection, jurisdiction: str) -> list[AccidentCount]:
    """Accidents, deaths, injuries and loss by grade, region and industry."""
    industry = func.coalesce(enterprises.c.industry, "unknown")
    q = (
        select(
            accidents.c.grade,
            accidents.c.region,
            industry,
            func.count(),
            func.sum(accidents.c.deaths),
            func.sum(accidents.c.serious_injuries),
            func.sum(accidents.c.direct_loss),
        )
        .select_from(accidents.outerjoin(enterprises, enterprises.c.uscc == accidents.c.enterprise))
        .where(within(accidents.c.region, jurisdiction))
        .group_by(accidents.c.grade, accidents.c.region, industry)
        .order_by(accidents.c.grade, accidents.c.region, industry)
    )
    out = []
    for r in conn.execute(q):
        m: Any = r
        out.append(
            AccidentCount(
                m[0],
                GRADES.get(m[0], m[0]),
                m[1],
                m[2],
                int(m[3]),
                int(m[4] or 0),
                int(m[5] or 0),
                float(m[6] or 0),
            )
        )
    return out
