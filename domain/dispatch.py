"""The dispatch suggestion (调度建议): the nearest available rescue teams with the capability an
incident needs, by great-circle distance. A pure function; a regulator confirms each dispatch
(`rescue.dispatch`).

Distances are haversine distances on the IUGG mean Earth radius (6371.0088 km), which is within
0.5 % of the geodesic on the WGS 84 ellipsoid: ample for ranking teams a province apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import asin, cos, radians, sin, sqrt
from typing import Any

EARTH_RADIUS_KM = 6371.0088
PER_CAPABILITY = 2  # teams suggested for each capability needed

# The capability an accident of a kind (domain.accident.KINDS) needs first, and for an
# enterprise of an industry (domain.enterprise.INDUSTRIES) when the kind does not say.
KIND_NEEDS = {
    "fire": "fire",
    "explosion": "hazchem",
    "poisoning_asphyxiation": "hazchem",
    "burn": "hazchem",
    "gas_explosion": "mine",
    "roof_fall": "mine",
    "water_inrush": "mine",
    "blasting": "mine",
    "drowning": "water",
    "collapse": "structural",
}
INDUSTRY_NEEDS = {
    "hazardous_chemicals": "hazchem",
    "non_coal_mining": "mine",
    "fireworks": "hazchem",
    "metallurgy": "hazchem",
    "construction": "structural",
    "warehousing": "fire",
    "industry_trade": "fire",
}


@dataclass(frozen=True)
class TeamPosition:
    """What the suggestion needs to know of a team."""

    id: str
    code: str
    name: str
    latitude: float
    longitude: float
    capabilities: frozenset[str]
    available: bool


@dataclass(frozen=True)
class Suggestion:
    team: str  # the team's record id
    code: str
    name: str
    capability: str
    distance_km: float

    def to_data(self) -> dict[str, Any]:
        return {
            "team": self.team,
            "code": self.code,
            "name": self.name,
            "capability": self.capability,
            "distance_km": self.distance_km,
        }


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The haversine distance between two (latitude, longitude) points in degrees."""
    lat1, lon1, lat2, lon2 = map(radians, (*a, *b))
    h = sin((lat2 - lat1) / 2) ** 2 + cos(lat1) * cos(lat2) * sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(h)))


def needs(kind: str | None, industry: str | None, casualties: bool) -> list[str]:
    """The capabilities to suggest teams for, most urgent first: the accident kind's (else the
    industry's, else fire), then medical when people were killed or injured."""
    first = KIND_NEEDS.get(kind or "") or INDUSTRY_NEEDS.get(industry or "") or "fire"
    return [first, "medical"] if casualties and first != "medical" else [first]


def suggest(
    teams: Iterable[TeamPosition],
    origin: tuple[float, float],
    capabilities: Sequence[str],
    per_capability: int = PER_CAPABILITY,
) -> list[Suggestion]:
    """For each capability in turn, the `per_capability` nearest available teams having it
    that were not suggested already; ties are broken by the team's code, so the answer is the
    same whatever order the teams come in. Distances are rounded to 0.1 km."""
    pool = sorted(
        ((great_circle_km(origin, (t.latitude, t.longitude)), t.code, t) for t in teams),
        key=lambda x: (x[0], x[1]),
    )
    chosen: set[str] = set()
    out: list[Suggestion] = []
    for capability in capabilities:
        n = 0
        for distance, _, team in pool:
            if n == per_capability:
                break
            if team.available and capability in team.capabilities and team.id not in chosen:
                chosen.add(team.id)
                out.append(
                    Suggestion(team.id, team.code, team.name, capability, round(distance, 1))
                )
                n += 1
    return out
