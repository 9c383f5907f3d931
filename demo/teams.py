"""The demo province's rescue teams (应急救援队伍): a hazardous-chemicals and fire team at each
prefecture-level seat, mine rescue where Hubei mines (黄石/大冶, 十堰, 宜昌, 荆门), medical teams
in Wuhan, Yichang and Xiangyang, a water rescue team on the Yangtze at Jingzhou.

Each team is based at its region's seat (domain.centroids: real coordinates) and registered by
the province's first officer at go-live (`team_lines`), so the emergency worker can suggest the
nearest capable teams for the demo's accidents. The lead wires `team_lines` into the build.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from demo.sim import Line, drain
from demo.world import World
from domain.centroids import SEATS
from domain.regions import PREFECTURES
from domain.rescue import team_id

__all__ = ["DemoTeam", "rescue_teams", "team_lines"]


@dataclass(frozen=True)
class DemoTeam:
    code: str
    name: str
    region: str
    capabilities: tuple[str, ...]
    size: int

    @property
    def latitude(self) -> float:
        return SEATS[self.region][0]

    @property
    def longitude(self) -> float:
        return SEATS[self.region][1]

    def data(self) -> dict[str, object]:
        return {
            "code": self.code,
            "name": self.name,
            "latitude": self.latitude,
            "longitude": self.longitude,
            "capabilities": list(self.capabilities),
            "size": self.size,
        }


# Pinyin initials of the prefecture-level regions, for the team codes.
_CODES = {
    "420100": "WH", "420200": "HS", "420300": "SY", "420500": "YC", "420600": "XY",
    "420700": "EZ", "420800": "JM", "420900": "XG", "421000": "JZ", "421100": "HG",
    "421200": "XN", "421300": "SZ", "422800": "ES", "429004": "XT", "429005": "QJ",
    "429006": "TM", "429021": "SNJ",
}  # fmt: skip
_EXTRA = (
    DemoTeam("WH-MED-1", "武汉市医疗救护队", "420111", ("medical",), 30),
    DemoTeam("WH-HAZ-2", "武汉市青山区危化品应急救援队", "420107", ("hazchem", "fire"), 45),
    DemoTeam("YC-MED-1", "宜昌市医疗救护队", "420500", ("medical",), 20),
    DemoTeam("XY-MED-1", "襄阳市医疗救护队", "420600", ("medical",), 20),
    DemoTeam("HS-MINE-1", "大冶市矿山救护队", "420281", ("mine", "medical"), 35),
    DemoTeam("SY-MINE-1", "十堰市矿山救护队", "420300", ("mine",), 25),
    DemoTeam("YC-MINE-1", "宜昌市矿山救护队", "420500", ("mine",), 30),
    DemoTeam("JM-MINE-1", "钟祥市矿山救护队", "420881", ("mine",), 20),
    DemoTeam("JZ-WATER-1", "荆州市水域救援队", "421000", ("water", "medical"), 25),
    DemoTeam("WH-STR-1", "武汉市建筑坍塌救援队", "420102", ("structural", "medical"), 40),
)


def rescue_teams() -> list[DemoTeam]:
    """Every team of the demo province, by code."""
    per_seat = [
        DemoTeam(f"{_CODES[code]}-HAZ-1", f"{name}危化品应急救援队", code, ("hazchem", "fire"), 40)
        for code, (name, _) in PREFECTURES.items()
    ]
    return sorted([*per_seat, *_EXTRA], key=lambda t: t.code)


def team_lines(w: World, at: datetime) -> list[Line]:
    """The teams' registrations (`rescue.register`) by the province's first officer at `at`."""
    rng = random.Random(f"anjian-demo/{w.seed}/teams")
    before = w.sim.now
    w.sim.now = at
    officer = w.province.officers[0]
    for team in rescue_teams():
        w.sim.emit(
            rng,
            "rescue.register",
            team_id(team.code),
            team.data(),
            actor=officer,
            role="regulator",
            region=team.region,
        )
    w.sim.now = before
    return drain(w.sim)
