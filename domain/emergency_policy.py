"""The emergency module's rules (应急协调指挥): when the emergency service opens an incident.

A pure policy (domain.policy): a fold over the events it observes in log order. It learns the
enterprises (region, industry) and the rescue teams (base, capabilities, whether dispatched)
from their records, and decides:

- `accident-opens-incident@1`: on `accident.report`, open an incident at the response level
  of the accident's grade (特别重大 Ⅰ, 重大 Ⅱ, 较大 Ⅲ, 一般 Ⅳ), filed with the jurisdiction that
  leads that level, with the nearest available teams having the needed capabilities suggested
  (domain.dispatch) from the seat of the enterprise's region (no coordinates of enterprises are
  on record);
- `red-warning-opens-incident@1`: on a red warning at a major hazard source, open a level Ⅳ
  incident (the county's first response, 先期处置; regulators escalate it).

Each decision's cause is the triggering event id, so its command id is derived (domain.policy)
and the incident's record id is derived from the accident's or warning's (domain.emergency):
one incident per accident, whoever opens it. The policy also observes its own `emergency.open`
events (and a regulator's) and decides nothing about a record that has an incident already.
It has no clock rules: `tick` decides nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.accident import GRADES, KINDS, grade_of
from domain.centroids import seat_of
from domain.dispatch import TeamPosition, needs, suggest
from domain.emergency import LEVEL_OF_GRADE, incident_id, owner_region
from domain.errors import DomainError
from domain.policy import Decision
from domain.stored import StoredRecord
from domain.uscc import validate_uscc

NAME = "emergency"
ACCOUNT = "svc-emergency"
ACCIDENT_RULE = "accident-opens-incident@1"
WARNING_RULE = "red-warning-opens-incident@1"
WARNING_LEVEL = "IV"
SUMMARY_MAX = 2000


def is_uscc(text: str) -> bool:
    try:
        validate_uscc(text)
    except DomainError:
        return False
    return True


@dataclass(frozen=True)
class RedWarning:
    enterprise: str
    message: str


MAJOR_SOURCE_RULE = "gas-alarm"  # the warning rule that is red only at a major hazard source


def red_warning_at_major_source(data: Mapping[str, Any]) -> RedWarning | None:
    """The one place that reads the warning module's `warning.issue` data (domain/warning.py):
    a red warning (`level` "red") about an enterprise (`enterprise`, a USCC) issued by the gas
    alarm rule (`rule` "gas-alarm"), which issues red only for a level-2 alarm at a 一级 or 二级
    major hazard source (domain/rulebooks/warning-v1.json). None for any other warning: an
    accident's red warning opens nothing more, the accident opened its incident already."""
    if data.get("level") != "red" or data.get("rule") != MAJOR_SOURCE_RULE:
        return None
    enterprise = data.get("enterprise")
    if not isinstance(enterprise, str) or not is_uscc(enterprise):
        return None
    message = data.get("message")
    if isinstance(message, Mapping):
        message = message.get("zh") or message.get("en")
    return RedWarning(enterprise, message if isinstance(message, str) else "")


@dataclass
class _Enterprise:
    region: str
    industry: str | None
    active: bool = True


class EmergencyPolicy:
    """The emergency module's policy (see the module docstring)."""

    def __init__(self) -> None:
        self._enterprises: dict[str, _Enterprise] = {}
        self._teams: dict[str, TeamPosition] = {}
        self._incidents: set[str] = set()  # incident ids opened, or decided on

    @property
    def name(self) -> str:
        return NAME

    @property
    def account(self) -> str:
        return ACCOUNT

    @property
    def teams(self) -> Mapping[str, TeamPosition]:
        return self._teams

    def observe(self, event: StoredRecord) -> Sequence[Decision]:
        env = event.envelope
        kind, _, verb = event.type.partition(".")
        data: dict[str, Any] = env.get("data", {})
        if kind == "enterprise":
            self._learn_enterprise(verb, env["region"], data)
        elif kind == "rescue":
            self._learn_team(str(event.subject), verb, data)
        elif event.type == "emergency.open":
            self._incidents.add(str(event.subject))
        elif event.type == "accident.report":
            return self._on_accident(event, data)
        elif event.type == "warning.issue":
            return self._on_warning(event, data)
        return ()

    def tick(self, now: datetime) -> Sequence[Decision]:
        return ()

    # -- what the policy learns ----------------------------------------------------------------

    def _learn_enterprise(self, verb: str, region: str, d: Mapping[str, Any]) -> None:
        uscc = d.get("uscc")
        if not isinstance(uscc, str):
            return
        if verb == "register":
            self._enterprises[uscc] = _Enterprise(region, d.get("industry"))
        elif verb == "update_profile" and uscc in self._enterprises and "industry" in d:
            self._enterprises[uscc].industry = d["industry"]
        elif verb == "deregister" and uscc in self._enterprises:
            self._enterprises[uscc].active = False

    def _learn_team(self, team: str, verb: str, d: Mapping[str, Any]) -> None:
        known = self._teams.get(team)
        if verb == "register":
            self._teams[team] = TeamPosition(
                team,
                d["code"],
                d["name"],
                float(d["latitude"]),
                float(d["longitude"]),
                frozenset(d["capabilities"]),
                True,
            )
        elif known is None:
            return
        elif verb == "update":
            self._teams[team] = TeamPosition(
                team,
                known.code,
                d.get("name", known.name),
                float(d.get("latitude", known.latitude)),
                float(d.get("longitude", known.longitude)),
                frozenset(d.get("capabilities", known.capabilities)),
                known.available,
            )
        elif verb in ("dispatch", "stand_down"):
            self._teams[team] = TeamPosition(
                team,
                known.code,
                known.name,
                known.latitude,
                known.longitude,
                known.capabilities,
                verb == "stand_down",
            )

    # -- what it decides -----------------------------------------------------------------------

    def _open(
        self,
        event: StoredRecord,
        *,
        trigger: str,
        rule: str,
        level: str,
        enterprise: str,
        kind: str | None,
        casualties: bool,
        extra: Mapping[str, Any],
        summary: str,
    ) -> Sequence[Decision]:
        incident = str(incident_id(trigger, event.subject))
        known = self._enterprises.get(enterprise)
        if incident in self._incidents or (known is not None and not known.active):
            return ()  # an incident exists, or the enterprise is deregistered (none can be)
        self._incidents.add(incident)
        env = event.envelope
        # The incident is filed from the enterprise's region (a warning may be filed elsewhere).
        region: str = known.region if known else env["region"]
        seat = seat_of(region)
        wanted = needs(kind, known.industry if known else None, casualties)
        suggested = suggest(self._teams.values(), seat, wanted)
        data: dict[str, Any] = {
            "enterprise": enterprise,
            "trigger": trigger,
            trigger: str(event.subject),
            "cause": event.event_id,
            "rule": rule,
            "level": level,
            "summary": summary[:SUMMARY_MAX],
            "location": {"latitude": seat[0], "longitude": seat[1], "source": "region_seat"},
            "needs": wanted,
            "suggested": [s.to_data() for s in suggested],
            **extra,
        }
        command = {
            "type": "emergency.open",
            "region": owner_region(level, region),
            "subject": incident,
            "occurred_at": env["occurred_at"],
            "data": data,
        }
        return (Decision(command, event.event_id, rule),)

    def _on_accident(self, event: StoredRecord, d: Mapping[str, Any]) -> Sequence[Decision]:
        band = grade_of(d["deaths"], d["serious_injuries"], d["direct_loss"])
        kind = d.get("kind")
        return self._open(
            event,
            trigger="accident",
            rule=ACCIDENT_RULE,
            level=LEVEL_OF_GRADE[band.grade],
            enterprise=d["enterprise"],
            kind=kind,
            casualties=d["deaths"] + d["serious_injuries"] > 0,
            extra={"happened_at": d["happened_at"], "kind": kind, "grade": band.grade},
            summary=f"{GRADES[band.grade]}事故（{KINDS.get(kind or '', kind)}）：{d['summary']}",
        )

    def _on_warning(self, event: StoredRecord, d: Mapping[str, Any]) -> Sequence[Decision]:
        red = red_warning_at_major_source(d)
        if red is None:
            return ()
        return self._open(
            event,
            trigger="warning",
            rule=WARNING_RULE,
            level=WARNING_LEVEL,
            enterprise=red.enterprise,
            kind=None,
            casualties=False,
            extra={"happened_at": event.envelope["occurred_at"]},
            summary=f"重大危险源红色预警：{red.message or '（无说明）'}",
        )
