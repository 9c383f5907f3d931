"""Sensor alarms (监测报警) at major hazard sources: the active ones by level.

Mirrors domain.sensor.SensorAlarm: raised → acknowledged → disposed → cleared, or false_alarm.
An alarm is active until it is cleared or confirmed false.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Float,
    String,
    Table,
    func,
    select,
)

from domain.sensor import LEVELS
from projections.events import Event
from projections.rows import Row, RowProjection
from projections.store import metadata, within

alarms = Table(
    "rm_alarms",
    metadata,
    Column("subject", String(36), primary_key=True),
    Column("enterprise", String(18), nullable=False, index=True),
    Column("region", String(6), nullable=False, index=True),
    Column("device", String(36), nullable=False),
    Column("level", String(20), nullable=False),
    Column("value", Float, nullable=False),
    Column("status", String(20), nullable=False),
    Column("raised_at", DateTime, nullable=False),
    Column("acknowledged_at", DateTime),
    Column("closed_at", DateTime),
    Column("last_notification_id", BigInteger, nullable=False),
)

ACTIVE = ("raised", "acknowledged", "disposed")
STATUS_AFTER = {
    "acknowledge": "acknowledged",
    "dispose": "disposed",
    "clear": "cleared",
    "confirm_false": "false_alarm",
}


class Alarms(RowProjection):
    name = "alarms"
    kinds: ClassVar[frozenset[str]] = frozenset({"sensor_alarm"})
    tables = (alarms,)
    table = alarms

    def evolve(self, row: Row | None, e: Event) -> Row | None:
        d, verb = e.data, e.verb
        if verb == "raise":
            row = {
                "subject": e.subject,
                "enterprise": d["enterprise"],
                "region": e.region,
                "device": d["device"],
                "level": d["level"],
                "value": float(d["value"]),
                "status": "raised",
                "raised_at": e.at,
                "acknowledged_at": None,
                "closed_at": None,
            }
        if row is None:
            return None
        row["status"] = STATUS_AFTER.get(verb, row["status"])
        if verb == "acknowledge":
            row["acknowledged_at"] = e.at
        elif verb in ("clear", "confirm_false"):
            row["closed_at"] = e.at
        row["last_notification_id"] = e.notification_id
        return row


@dataclass(frozen=True)
class AlarmCount:
    level: str
    level_zh: str
    active: int
    unacknowledged: int


@dataclass(frozen=True)
class AlarmRow:
    subject: str
    enterprise: str
    region: str
    level: str
    value: float
    status: str
    raised_at: datetime


def active_by_level(conn: Connection, jurisdiction: str) -> list[AlarmCount]:
    q = (
        select(alarms.c.level, alarms.c.status, func.count())
        .where(within(alarms.c.region, jurisdiction), alarms.c.status.in_(ACTIVE))
        .group_by(alarms.c.level, alarms.c.status)
    )
    active: dict[str, int] = {}
    raised: dict[str, int] = {}
    for level, status, n in conn.execute(q):
        active[level] = active.get(level, 0) + int(n)
        if status == "raised":
            raised[level] = raised.get(level, 0) + int(n)
    return [
        AlarmCount(lv, LEVELS.get(lv, lv), active[lv], raised.get(lv, 0))
        for lv in LEVELS
        if lv in active
    ]


def active_alarms(conn: Connection, jurisdiction: str) -> list[AlarmRow]:
    q = (
        select(alarms)
        .where(within(alarms.c.region, jurisdiction), alarms.c.status.in_(ACTIVE))
        .order_by(alarms.c.raised_at, alarms.c.subject)
    )
    out = []
    for r in conn.execute(q):
        m: Any = r._mapping
        out.append(
            AlarmRow(
                m["subject"],
                m["enterprise"],
                m["region"],
                m["level"],
                m["value"],
                m["status"],
                m["raised_at"],
            )
        )
    return out
