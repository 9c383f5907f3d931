"""Rescue teams (应急救援队伍): the registry with each team's status and, when dispatched, the
incident it is at. Mirrors domain.rescue.RescueTeam."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Column, Connection, Float, Integer, String, Table, select

from domain.emergency import CAPABILITIES
from domain.rescue import STATUS
from projections.events import Event
from projections.rows import Row, RowProjection
from projections.store import metadata, within

teams = Table(
    "rm_teams",
    metadata,
    Column("subject", String(36), primary_key=True),
    Column("code", String(40), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("region", String(6), nullable=False, index=True),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("capabilities", String(200), nullable=False),  # space-separated, catalog order
    Column("size", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("incident", String(36), index=True),
    Column("last_notification_id", BigInteger, nullable=False),
)


def _capabilities(items: list[str]) -> str:
    return " ".join(c for c in CAPABILITIES if c in items)


class Teams(RowProjection):
    name = "teams"
    kinds: ClassVar[frozenset[str]] = frozenset({"rescue"})
    tables = (teams,)
    table = teams

    def evolve(self, row: Row | None, e: Event) -> Row | None:
        d, verb = e.data, e.verb
        if verb == "register":
            row = {
                "subject": e.subject,
                "code": d["code"],
                "region": e.region,
                "incident": None,
                "status": "available",
            }
        if row is None:
            return None
        for key in ("name", "latitude", "longitude", "size"):
            if key in d:
                row[key] = d[key]
        if "capabilities" in d:
            row["capabilities"] = _capabilities(d["capabilities"])
        if verb == "dispatch":
            row["status"], row["incident"] = "dispatched", d["incident"]
        elif verb == "stand_down":
            row["status"], row["incident"] = "available", None
        row["last_notification_id"] = e.notification_id
        return row


@dataclass(frozen=True)
class TeamRow:
    id: str
    code: str
    name: str
    region: str
    latitude: float
    longitude: float
    capabilities: tuple[str, ...]
    size: int
    status: str
    incident: str | None

    @property
    def status_zh(self) -> str:
        return STATUS.get(self.status, self.status)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "code": self.code,
            "name": self.name,
            "region": self.region,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "capabilities": list(self.capabilities),
            "size": self.size,
            "status": self.status,
            "incident": self.incident,
        }


def _team(m: Any) -> TeamRow:
    return TeamRow(
        m["subject"],
        m["code"],
        m["name"],
        m["region"],
        m["latitude"],
        m["longitude"],
        tuple(m["capabilities"].split()),
        m["size"],
        m["status"],
        m["incident"],
    )


def team_list(conn: Connection, jurisdiction: str) -> list[TeamRow]:
    """The teams based in `jurisdiction`, by code."""
    q = select(teams).where(within(teams.c.region, jurisdiction)).order_by(teams.c.code)
    return [_team(r._mapping) for r in conn.execute(q)]


def teams_by_id(conn: Connection, ids: list[str]) -> dict[str, TeamRow]:
    """The teams with these record ids (wherever they are based)."""
    if not ids:
        return {}
    q = select(teams).where(teams.c.subject.in_(sorted(set(ids))))
    return {r.subject: _team(r._mapping) for r in conn.execute(q)}


def teams_at(conn: Connection, incident: str) -> list[TeamRow]:
    """The teams dispatched to `incident` now, by code."""
    q = select(teams).where(teams.c.incident == incident).order_by(teams.c.code)
    return [_team(r._mapping) for r in conn.execute(q)]
