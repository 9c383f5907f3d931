"""Rescue teams (应急救援队伍; 生产安全事故应急条例 §§10–12): the registry and each team's status.

Lifecycle:

    register ──► available ──dispatch──► dispatched ──stand_down──► available
                     └ update (name, base coordinates, capabilities, size) at any time

A team is registered by a regulator of the region it is based in, with its base coordinates
(WGS 84, inside Hubei) and capabilities (hazchem, mine, fire, medical, water, structural). Its
record id is derived from its code (`team_id`), so a code is registered once.

A dispatch is the regulator's confirmation of a suggestion (domain.dispatch): it is recorded on
the team, names the incident, and needs the team available, the incident open, and a regulator
whose jurisdiction covers both the team's base (the write path) and the incident's lead. Standing
down returns the team from that incident, also after the incident closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from domain.actor import Actor
from domain.centroids import in_hubei
from domain.commands import REGULATOR, UUID_, array, command, enum, integer, text
from domain.context import Context
from domain.emergency import CAPABILITIES, LEVELS, EmergencyIncident
from domain.envelope import Envelope, SignedCommand
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotAuthorized
from domain.ids import NAMESPACE, actor_id
from domain.record import Record
from domain.regions import covers

RULE = "生产安全事故应急条例 §§10-12 (应急救援队伍) (?)"
DISPATCH_RULE = "生产安全事故应急条例 §18 (调动应急救援队伍) (?)"
CODE = {"type": "string", "minLength": 1, "maxLength": 40, "pattern": "^[A-Z0-9-]+$"}
# WGS 84 degrees; the handlers refuse a point outside Hubei (domain.centroids.in_hubei).
COORDINATES = {"latitude": {"type": "number"}, "longitude": {"type": "number"}}
PROFILE = {
    "name": text(200),
    **COORDINATES,
    "capabilities": array(enum(*CAPABILITIES), 1, len(CAPABILITIES)),
    "size": integer(1, 10_000),
}
STATUS = {"available": "待命", "dispatched": "已出动"}


def team_id(code: str) -> UUID:
    return uuid5(NAMESPACE, "rescue-team:" + code)


def _check_capabilities(d: Mapping[str, Any]) -> None:
    if "capabilities" in d and len(set(d["capabilities"])) != len(d["capabilities"]):
        raise InvalidValue("capabilities are listed once each", field="data.capabilities")


def _check_coordinates(d: Mapping[str, Any], latitude: float, longitude: float) -> None:
    if not in_hubei(latitude, longitude):
        raise InvalidValue(
            f"base {latitude}, {longitude} is outside Hubei",
            field="data.latitude" if "latitude" in d else "data.longitude",
            rule=RULE,
        )


class RescueTeam(Record):
    KIND = "rescue"
    KIND_ZH = "应急救援队伍"

    @classmethod
    @command(
        "register",
        event="RescueTeamRegistered",
        zh="应急救援队伍登记",
        en="Register rescue team",
        event_zh="应急救援队伍已登记",
        rule=RULE,
        roles=(REGULATOR,),
        creates=True,
        step="应急",
        properties={"code": CODE, **PROFILE},
        required=("code", "name", "latitude", "longitude", "capabilities", "size"),
    )
    def register(cls, cmd: SignedCommand, ctx: Context) -> RescueTeam:
        env, d = cmd.envelope, cmd.envelope.data
        if env.subject != team_id(d["code"]):
            raise InvalidValue(
                f"subject of team {d['code']} must be {team_id(d['code'])}", field="subject"
            )
        if ctx.find(env.subject, RescueTeam) is not None:
            raise AlreadyExists(f"team {d['code']} is registered already", rule=RULE)
        _check_capabilities(d)
        _check_coordinates(d, d["latitude"], d["longitude"])
        return cls.create(cmd)

    def on_register(self, env: Envelope, d: dict[str, Any]) -> None:
        self.code: str = d["code"]
        self.name: str = d["name"]
        self.latitude: float = d["latitude"]
        self.longitude: float = d["longitude"]
        self.capabilities: list[str] = list(d["capabilities"])
        self.size: int = d["size"]
        self.incident: str | None = None
        self.status = "available"

    @command(
        "update",
        event="RescueTeamUpdated",
        zh="应急救援队伍信息变更",
        en="Update rescue team",
        event_zh="应急救援队伍信息已变更",
        rule=RULE,
        roles=(REGULATOR,),
        step="应急",
        properties=PROFILE,
    )
    def update(self, cmd: SignedCommand, ctx: Context) -> None:
        d = cmd.envelope.data
        if not d:
            raise InvalidValue("a team update changes at least one field", field="data")
        _check_capabilities(d)
        _check_coordinates(d, d.get("latitude", self.latitude), d.get("longitude", self.longitude))
        self.record(cmd)

    def on_update(self, env: Envelope, d: dict[str, Any]) -> None:
        for key in PROFILE:
            if key in d:
                setattr(self, key, list(d[key]) if key == "capabilities" else d[key])

    @command(
        "dispatch",
        event="RescueTeamDispatched",
        zh="调派应急救援队伍",
        en="Dispatch rescue team",
        event_zh="应急救援队伍已出动",
        rule=DISPATCH_RULE,
        roles=(REGULATOR,),
        step="应急",
        properties={"incident": UUID_, "task": text(1000)},
        required=("incident",),
    )
    def dispatch(self, cmd: SignedCommand, ctx: Context) -> None:
        d = cmd.envelope.data
        if self.status != "available":
            raise InvalidTransition(
                f"team {self.code} is dispatched already (to incident {self.incident})",
                rule=DISPATCH_RULE,
            )
        incident = ctx.get(UUID(d["incident"]), EmergencyIncident)
        if incident.status != "open":
            raise InvalidTransition(
                f"incident {d['incident']} is {incident.status}: no team is dispatched to it",
                rule=DISPATCH_RULE,
            )
        actor = ctx.find(actor_id(cmd.envelope.actor), Actor)
        if actor is None or not covers(actor.jurisdiction, incident.jurisdiction):
            raise NotAuthorized(
                f"incident {d['incident']} is led at level {LEVELS[incident.level][0]} by "
                f"{incident.jurisdiction}; {cmd.envelope.actor} may not dispatch to it",
                field="actor",
                rule=DISPATCH_RULE,
            )
        if cmd.envelope.occurred_at < incident.opened_at:
            raise InvalidValue(
                f"the dispatch is dated before incident {d['incident']} was opened",
                field="occurred_at",
            )
        self.record(cmd)

    def on_dispatch(self, env: Envelope, d: dict[str, Any]) -> None:
        self.incident = d["incident"]
        self.dispatched_at: datetime = env.occurred_at
        self.status = "dispatched"

    @command(
        "stand_down",
        event="RescueTeamStoodDown",
        zh="应急救援队伍撤离",
        en="Stand down rescue team",
        event_zh="应急救援队伍已撤回",
        rule=DISPATCH_RULE,
        roles=(REGULATOR,),
        step="应急",
        properties={"incident": UUID_, "note": text(1000)},
        required=("incident",),
    )
    def stand_down(self, cmd: SignedCommand, ctx: Context) -> None:
        incident = cmd.envelope.data["incident"]
        if self.status != "dispatched" or self.incident != incident:
            raise InvalidTransition(
                f"team {self.code} is not dispatched to incident {incident} (it is {self.status})",
                rule=DISPATCH_RULE,
            )
        self.record(cmd)

    def on_stand_down(self, env: Envelope, d: dict[str, Any]) -> None:
        self.incident = None
        self.status = "available"
