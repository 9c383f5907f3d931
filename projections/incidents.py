"""Emergency incidents (应急事件): each incident, its timeline, and the map of open incidents
(应急"一张图").

`rm_incidents` mirrors domain.emergency.EmergencyIncident (level, lead jurisdiction, tasks,
casualties, the teams suggested when it was opened); `rm_incident_log` is every event of an
incident and every dispatch and stand-down naming it, in log order, each with its event id. The
map is GeoJSON (RFC 7946): a Point per open incident at the enterprise's location (its region's
seat where the record gives none) and a Point per team dispatched to it or suggested for it,
with the team's status now.

An incident is listed to the jurisdictions covering the region it was filed in (the lead of
its first level): an escalated incident stays visible to the regulators below.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    Text,
    select,
)

from domain.centroids import seat_of
from domain.emergency import LEVELS, TRIGGERS, owner_region
from projections.bulk import insert_rows
from projections.enterprises import enterprises
from projections.events import Event, utc_naive
from projections.follower import Projection
from projections.results import instant
from projections.rows import Row, RowProjection
from projections.store import metadata, within
from projections.teams import TeamRow, teams_at, teams_by_id

incidents = Table(
    "rm_incidents",
    metadata,
    Column("subject", String(36), primary_key=True),
    Column("enterprise", String(18), nullable=False, index=True),
    Column("region", String(6), nullable=False, index=True),  # where the record was filed
    Column("jurisdiction", String(6), nullable=False),  # the lead now
    Column("level", String(3), nullable=False),
    Column("trigger", String(10), nullable=False),
    Column("cause", String(60)),  # the event id that made the service open it
    Column("rule", String(100)),
    Column("accident", String(36)),
    Column("warning", String(36)),
    Column("grade", String(20)),
    Column("kind", String(40)),
    Column("status", String(10), nullable=False),
    Column("happened_at", DateTime, nullable=False),
    Column("opened_at", DateTime, nullable=False),
    Column("closed_at", DateTime),
    Column("summary", Text, nullable=False),
    Column("closing_summary", Text),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("location_source", String(20)),
    Column("suggested", Text, nullable=False),  # JSON array, as opened
    Column("tasks", Text, nullable=False),  # JSON object: task → {description, status, team}
    Column("deaths", Integer),
    Column("injured", Integer),
    Column("missing", Integer),
    Column("trapped", Integer),
    Column("open_event_id", String(60), nullable=False),
    Column("last_notification_id", BigInteger, nullable=False),
)

incident_log = Table(
    "rm_incident_log",
    metadata,
    Column("notification_id", BigInteger, primary_key=True, autoincrement=False),
    Column("incident", String(36), nullable=False, index=True),
    Column("event_id", String(60), nullable=False),
    Column("type", String(60), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("role", String(20), nullable=False),
    Column("occurred_at", DateTime, nullable=False),
    Column("data", Text, nullable=False),  # the event's data, JSON
)

HEADCOUNTS = ("deaths", "injured", "missing", "trapped")


class Incidents(RowProjection):
    name = "incidents"
    kinds: ClassVar[frozenset[str]] = frozenset({"emergency"})
    tables = (incidents,)
    table = incidents

    def evolve(self, row: Row | None, e: Event) -> Row | None:
        d, verb = e.data, e.verb
        if verb == "open":
            location = d.get("location") or {}
            row = {
                "subject": e.subject,
                "enterprise": d["enterprise"],
                "region": e.region,
                "jurisdiction": e.region,
                "level": d["level"],
                "trigger": d["trigger"],
                "cause": d.get("cause"),
                "rule": d.get("rule"),
                "accident": d.get("accident"),
                "warning": d.get("warning"),
                "grade": d.get("grade"),
                "kind": d.get("kind"),
                "status": "open",
                "happened_at": utc_naive(d["happened_at"]),
                "opened_at": e.at,
                "closed_at": None,
                "summary": d["summary"],
                "closing_summary": None,
                "latitude": location.get("latitude"),
                "longitude": location.get("longitude"),
                "location_source": location.get("source"),
                "suggested": json.dumps(d.get("suggested", []), ensure_ascii=False),
                "tasks": "{}",
                "open_event_id": e.event_id,
            }
        if row is None:
            return None
        if verb == "update_task":
            tasks = json.loads(row["tasks"])
            task = tasks.setdefault(d["task"], {"description": ""})
            task.update({k: v for k, v in d.items() if k != "task"})
            row["tasks"] = json.dumps(tasks, ensure_ascii=False, sort_keys=True)
        elif verb == "update_casualties":
            for key in HEADCOUNTS:
                if key in d:
                    row[key] = d[key]
        elif verb == "escalate":
            row["level"] = d["level"]
            row["jurisdiction"] = owner_region(d["level"], row["region"])
        elif verb == "close":
            row["status"], row["closed_at"] = "closed", e.at
            row["closing_summary"] = d["summary"]
        row["last_notification_id"] = e.notification_id
        return row


class IncidentLog(Projection):
    """Every event of an incident, and every dispatch and stand-down naming it."""

    name = "incident_log"
    kinds: ClassVar[frozenset[str]] = frozenset({"emergency", "rescue"})
    tables = (incident_log,)

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        rows = []
        for e in events:
            if e.kind == "emergency":
                incident = e.subject
            elif e.verb in ("dispatch", "stand_down"):
                incident = e.data["incident"]
            else:
                continue
            data = dict(e.data)
            if e.kind == "rescue":
                data["team"] = e.subject
            rows.append(
                {
                    "notification_id": e.notification_id,
                    "incident": incident,
                    "event_id": e.event_id,
                    "type": e.type,
                    "actor": e.actor,
                    "role": e.role,
                    "occurred_at": e.at,
                    "data": json.dumps(data, ensure_ascii=False, sort_keys=True),
                }
            )
        insert_rows(conn, incident_log, rows)


# -- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IncidentRow:
    id: str
    enterprise: str
    enterprise_name: str | None
    enterprise_region: str | None
    region: str
    jurisdiction: str
    level: str
    trigger: str
    cause: str | None
    rule: str | None
    accident: str | None
    warning: str | None
    grade: str | None
    kind: str | None
    status: str
    happened_at: datetime
    opened_at: datetime
    closed_at: datetime | None
    summary: str
    closing_summary: str | None
    location: tuple[float, float]  # (latitude, longitude)
    location_source: str
    suggested: list[dict[str, Any]]
    tasks: dict[str, dict[str, Any]]
    casualties: dict[str, int]
    open_event_id: str

    @property
    def level_zh(self) -> str:
        return LEVELS[self.level][0] if self.level in LEVELS else self.level

    @property
    def trigger_zh(self) -> str:
        return TRIGGERS.get(self.trigger, self.trigger)

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "id": self.id,
            "enterprise": self.enterprise,
            "enterprise_name": self.enterprise_name,
            "region": self.region,
            "jurisdiction": self.jurisdiction,
            "level": self.level,
            "level_zh": self.level_zh,
            "trigger": self.trigger,
            "cause": self.cause,
            "rule": self.rule,
            "accident": self.accident,
            "warning": self.warning,
            "grade": self.grade,
            "kind": self.kind,
            "status": self.status,
            "happened_at": instant(self.happened_at, zone),
            "opened_at": instant(self.opened_at, zone),
            "closed_at": instant(self.closed_at, zone),
            "summary": self.summary,
            "closing_summary": self.closing_summary,
            "location": {
                "latitude": self.location[0],
                "longitude": self.location[1],
                "source": self.location_source,
            },
            "suggested": self.suggested,
            "tasks": self.tasks,
            "casualties": self.casualties,
            "open_event_id": self.open_event_id,
        }


@dataclass(frozen=True)
class LogEntry:
    notification_id: int
    event_id: str
    type: str
    actor: str
    role: str
    occurred_at: datetime
    data: dict[str, Any]

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "notification_id": self.notification_id,
            "event_id": self.event_id,
            "type": self.type,
            "actor": self.actor,
            "role": self.role,
            "occurred_at": instant(self.occurred_at, zone),
            "data": self.data,
        }


def _query() -> Any:
    return select(incidents, enterprises.c.name, enterprises.c.region.label("ent_region")).join(
        enterprises, enterprises.c.uscc == incidents.c.enterprise, isouter=True
    )


def _incident(m: Any) -> IncidentRow:
    ent_region = m["ent_region"]
    if m["latitude"] is not None and m["longitude"] is not None:
        location, source = (m["latitude"], m["longitude"]), m["location_source"]
    else:
        location, source = seat_of(ent_region or m["region"]), "region_seat"
    return IncidentRow(
        m["subject"],
        m["enterprise"],
        m["name"],
        ent_region,
        m["region"],
        m["jurisdiction"],
        m["level"],
        m["trigger"],
        m["cause"],
        m["rule"],
        m["accident"],
        m["warning"],
        m["grade"],
        m["kind"],
        m["status"],
        m["happened_at"],
        m["opened_at"],
        m["closed_at"],
        m["summary"],
        m["closing_summary"],
        location,
        source,
        json.loads(m["suggested"]),
        json.loads(m["tasks"]),
        {k: m[k] for k in HEADCOUNTS if m[k] is not None},
        m["open_event_id"],
    )


def incident_list(
    conn: Connection, jurisdiction: str, open_only: bool = False
) -> list[IncidentRow]:
    """The incidents filed within `jurisdiction`, the latest opened first."""
    q = _query().where(within(incidents.c.region, jurisdiction))
    if open_only:
        q = q.where(incidents.c.status == "open")
    q = q.order_by(incidents.c.opened_at.desc(), incidents.c.subject)
    return [_incident(r._mapping) for r in conn.execute(q)]


def incident(conn: Connection, id: str, jurisdiction: str) -> IncidentRow | None:
    """One incident, or None when there is none or it is outside `jurisdiction`."""
    q = _query().where(incidents.c.subject == id, within(incidents.c.region, jurisdiction))
    found = conn.execute(q).first()
    return None if found is None else _incident(found._mapping)


def incident_timeline(conn: Connection, id: str) -> list[LogEntry]:
    """The incident's events and its teams' dispatches and stand-downs, in log order."""
    q = select(incident_log).where(incident_log.c.incident == id)
    q = q.order_by(incident_log.c.notification_id)
    return [
        LogEntry(
            r.notification_id,
            r.event_id,
            r.type,
            r.actor,
            r.role,
            r.occurred_at,
            json.loads(r.data),
        )
        for r in conn.execute(q)
    ]


def _point(latitude: float, longitude: float, properties: dict[str, Any]) -> dict[str, Any]:
    # RFC 7946 §3.1.1: a position is [longitude, latitude].
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
        "properties": properties,
    }


def _team_feature(t: TeamRow, incident: str, relation: str, distance: Any) -> dict[str, Any]:
    return _point(
        t.latitude,
        t.longitude,
        {
            "kind": "team",
            "incident": incident,
            "relation": relation,  # dispatched | suggested
            "team": t.id,
            "code": t.code,
            "name": t.name,
            "capabilities": list(t.capabilities),
            "size": t.size,
            "status": t.status,
            "status_zh": t.status_zh,
            "at_incident": t.incident,
            "distance_km": distance,
        },
    )


def incident_map(conn: Connection, jurisdiction: str, zone: tzinfo) -> dict[str, Any]:
    """应急"一张图": the open incidents within `jurisdiction` and their teams, as a GeoJSON
    FeatureCollection (RFC 7946)."""
    features: list[dict[str, Any]] = []
    for inc in reversed(incident_list(conn, jurisdiction, open_only=True)):
        features.append(
            _point(
                *inc.location,
                {
                    "kind": "incident",
                    "incident": inc.id,
                    "enterprise": inc.enterprise,
                    "enterprise_name": inc.enterprise_name,
                    "level": inc.level,
                    "level_zh": inc.level_zh,
                    "jurisdiction": inc.jurisdiction,
                    "summary": inc.summary,
                    "opened_at": instant(inc.opened_at, zone),
                    "location_source": inc.location_source,
                },
            )
        )
        dispatched = teams_at(conn, inc.id)
        shown = {t.id for t in dispatched}
        for t in dispatched:
            features.append(_team_feature(t, inc.id, "dispatched", None))
        suggested = [s for s in inc.suggested if s["team"] not in shown]
        known = teams_by_id(conn, [s["team"] for s in suggested])
        for s in suggested:
            if s["team"] in known:
                features.append(
                    _team_feature(known[s["team"]], inc.id, "suggested", s["distance_km"])
                )
    return {"type": "FeatureCollection", "features": features}
