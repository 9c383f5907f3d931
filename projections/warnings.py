"""Risk warnings (风险预警): every warning the warning module issued, its level and state, and
the events that triggered it.

Mirrors domain.warning.RiskWarning: issued → acknowledged → disposed, escalated by rule, until
lifted. A warning is open until it is lifted. `triggers` holds the event ids the issue (and
each escalation) named, space-separated, so every line of `anjian warnings` leads to the
alarm, hazard or accident behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    select,
)

from domain.warning import LEVEL_ZH
from projections.events import Event, utc_naive
from projections.rows import Row, RowProjection
from projections.store import metadata, within

__all__ = ["OPEN", "WarningRow", "Warnings", "list_warnings", "warnings"]

warnings = Table(
    "rm_warnings",
    metadata,
    Column("subject", String(36), primary_key=True),
    Column("rule", String(64), nullable=False),
    Column("rulebook_version", Integer, nullable=False),
    Column("level", String(10), nullable=False),
    Column("status", String(20), nullable=False),
    Column("enterprise", String(18), index=True),
    Column("region", String(6), nullable=False, index=True),
    Column("addressee", String(6)),
    Column("triggers", String(4000), nullable=False),
    Column("message", String(1000), nullable=False),
    Column("issued_at", DateTime, nullable=False),
    Column("acknowledge_by", DateTime),
    Column("acknowledged_at", DateTime),
    Column("acknowledged_late", Boolean, nullable=False),
    Column("escalations", Integer, nullable=False),
    Column("lifted_at", DateTime),
    Column("event_id", String(60), nullable=False),
    Column("last_notification_id", BigInteger, nullable=False),
)

OPEN = ("issued", "acknowledged", "disposed")


class Warnings(RowProjection):
    name = "warnings"
    kinds: ClassVar[frozenset[str]] = frozenset({"warning"})
    tables = (warnings,)
    table = warnings

    def evolve(self, row: Row | None, e: Event) -> Row | None:
        d, verb = e.data, e.verb
        if verb == "issue":
            row = {
                "subject": e.subject,
                "rule": d["rule"],
                "rulebook_version": d["rulebook_version"],
                "level": d["level"],
                "status": "issued",
                "enterprise": d.get("enterprise"),
                "region": e.region,
                "addressee": d.get("addressee"),
                "triggers": " ".join(d["triggers"]),
                "message": d["message"]["zh"],
                "issued_at": e.at,
                "acknowledge_by": (
                    utc_naive(d["acknowledge_by"]) if "acknowledge_by" in d else None
                ),
                "acknowledged_at": None,
                "acknowledged_late": False,
                "escalations": 0,
                "lifted_at": None,
                "event_id": e.event_id,
            }
        if row is None:
            return None
        if verb == "acknowledge":
            row["status"] = "acknowledged"
            row["acknowledged_at"] = e.at
            by = row["acknowledge_by"]
            row["acknowledged_late"] = by is not None and e.at > by
        elif verb == "dispose":
            row["status"] = "disposed"
        elif verb == "escalate":
            row["level"] = d["level"]
            row["addressee"] = d["addressee"]
            row["escalations"] += 1
            row["triggers"] = " ".join(dict.fromkeys([*row["triggers"].split(), *d["triggers"]]))
        elif verb == "lift":
            row["status"] = "lifted"
            row["lifted_at"] = e.at
        row["last_notification_id"] = e.notification_id
        return row


@dataclass(frozen=True)
class WarningRow:
    subject: str
    event_id: str
    rule: str
    rulebook_version: int
    level: str
    status: str
    enterprise: str | None
    region: str
    addressee: str | None
    triggers: tuple[str, ...]
    message: str
    issued_at: datetime  # naive UTC
    escalations: int
    lifted_at: datetime | None

    @property
    def level_zh(self) -> str:
        return LEVEL_ZH[self.level]


def list_warnings(
    conn: Connection,
    jurisdiction: str,
    *,
    level: str | None = None,
    open_only: bool = False,
    limit: int = 1000,
) -> list[WarningRow]:
    """The warnings of `jurisdiction`, newest first; `level` filters one level."""
    q = select(warnings).where(within(warnings.c.region, jurisdiction))
    if level is not None:
        q = q.where(warnings.c.level == level)
    if open_only:
        q = q.where(warnings.c.status.in_(OPEN))
    q = q.order_by(warnings.c.issued_at.desc(), warnings.c.subject).limit(limit)
    out = []
    for r in conn.execute(q):
        m: Any = r._mapping
        out.append(
            WarningRow(
                m["subject"],
                m["event_id"],
                m["rule"],
                m["rulebook_version"],
                m["level"],
                m["status"],
                m["enterprise"],
                m["region"],
                m["addressee"],
                tuple(m["triggers"].split()),
                m["message"],
                m["issued_at"],
                m["escalations"],
                m["lifted_at"],
            )
        )
    return out
