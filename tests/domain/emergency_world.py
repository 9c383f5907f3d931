"""A small province for the emergency module's tests: regulators at each level, the emergency
service, an enterprise, rescue teams, and a runner that feeds the stored events to the policy and
records its decisions signed with the service key (what the stream worker does, without the
stream)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from domain.emergency_policy import ACCOUNT, EmergencyPolicy
from domain.envelope import SignedCommand
from domain.policy import Decision
from domain.rescue import team_id
from domain.stored import Recorded, StoredRecord
from ledger.canonical import canonical_text
from tests.support import Harness

COUNTY = "420102"  # 江岸区, Wuhan
PREFECTURE = "420100"

# Real team bases: Wuhan (江岸, 青山, 洪山), Ezhou, Yichang.
TEAMS: dict[str, dict[str, Any]] = {
    "WH-HAZ-1": {"name": "武汉危化救援队", "latitude": 30.640, "longitude": 114.385,
                 "capabilities": ["hazchem", "fire"], "size": 40, "region": "420107"},
    "WH-MED-1": {"name": "武汉医疗救护队", "latitude": 30.500, "longitude": 114.344,
                 "capabilities": ["medical"], "size": 20, "region": "420111"},
    "EZ-HAZ-1": {"name": "鄂州危化救援队", "latitude": 30.391, "longitude": 114.895,
                 "capabilities": ["hazchem"], "size": 30, "region": "420700"},
    "YC-HAZ-1": {"name": "宜昌危化救援队", "latitude": 30.692, "longitude": 111.286,
                 "capabilities": ["hazchem", "medical"], "size": 50, "region": "420500"},
    "WH-MINE-1": {"name": "武汉矿山救护队", "latitude": 30.600, "longitude": 114.309,
                  "capabilities": ["mine"], "size": 25, "region": "420102"},
}  # fmt: skip


@dataclass
class World:
    h: Harness
    uscc: str
    policy: EmergencyPolicy = field(default_factory=EmergencyPolicy)
    seen: int = 0  # notifications fed to the policy
    decisions: list[Decision] = field(default_factory=list)

    def team(self, code: str) -> UUID:
        return team_id(code)

    def register_team(self, code: str, **overrides: Any) -> UUID:
        spec = {**TEAMS[code], **overrides}
        region = spec.pop("region")
        self.h.run_as("reg-hb", "rescue.register", region, {"code": code, **spec},
                      subject=team_id(code))  # fmt: skip
        return team_id(code)

    def report_accident(
        self, *, deaths: int = 0, injuries: int = 0, loss: float = 0, kind: str = "explosion"
    ) -> UUID:
        subject = uuid4()
        at = self.h.tick()
        self.h.run_as(
            "reg-ja",
            "accident.report",
            COUNTY,
            {
                "enterprise": self.uscc,
                "happened_at": at.replace(minute=0).isoformat(),
                "kind": kind,
                "summary": "反应釜爆炸",
                "deaths": deaths,
                "serious_injuries": injuries,
                "direct_loss": loss,
            },
            subject=subject,
            occurred_at=at,
        )
        return subject

    def events(self) -> list[StoredRecord]:
        return list(self.h.records.notifications())

    def step(self) -> list[Recorded]:
        """Feed the events stored since the last step to the policy; record its decisions."""
        out: list[Recorded] = []
        while True:
            fresh = [e for e in self.events() if (e.notification_id or 0) > self.seen]
            if not fresh:
                return out
            for e in fresh:
                self.seen = e.notification_id or self.seen
                for d in self.policy.observe(e):
                    self.decisions.append(d)
                    out.append(self.h.records.execute(sign(self.h, d)))


def sign(
    h: Harness, d: Decision, *, account: str = ACCOUNT, role: str = "service"
) -> SignedCommand:
    c = d.command
    envelope = {
        "actor": account,
        "data": c["data"],
        "id": str(d.id),
        "occurred_at": c["occurred_at"],
        "region": c["region"],
        "role": role,
        "subject": c["subject"],
        "type": c["type"],
    }
    text = canonical_text(envelope)
    key = h.keys[account]
    return SignedCommand.of(text, key.sign_b64(text.encode()), key.key_id)


def world(*, teams: bool = True) -> World:
    h = Harness()
    h.actor("reg-hb", "regulator", "420000")
    h.actor("reg-wh", "regulator", PREFECTURE)
    h.actor("reg-ja", "regulator", COUNTY)
    h.actor("reg-qs", "regulator", "420107")
    h.actor("reg-yc", "regulator", "420500")
    h.actor(ACCOUNT, "service", "420000")
    w = World(h, h.enterprise("reg-ja", COUNTY))
    if teams:
        for code in TEAMS:
            w.register_team(code)
    return w


def at(h: Harness) -> datetime:
    return h.tick()
