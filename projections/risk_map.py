"""The four-colour risk map (安全风险四色分布图): each enterprise's risk colour by a versioned,
explainable formula (projections/rulebooks/riskmap-v1.json), aggregated per county and
prefecture.

Per enterprise the projection keeps the facts the formula reads, from the log:

    risk points        enterprise.assess_risk_point: each 五高 point's assessed colour
    hazard sources     enterprise.register_hazard_source: each source's GB 18218 level
    open hazards       hazard.report (grade) until hazard.close; hazard.reopen opens it again
    open warnings      warning.issue / escalate (level) until warning.lift

and after every event recomputes

    score  = risk_point[highest point colour] + hazard_source[most severe level]
           + min(cap, Σ open_hazard[grade]) + warning[highest open warning]
    colour = the first band of `colours` whose min_score the score reaches

`explain` lists each factor with what it saw and its points, so a colour is never a bare
number. A new formula version is a new file; the projection's version names the formula.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Integer,
    String,
    Table,
    delete,
    select,
)

from domain.hazard_source import Substance, level, r_value
from domain.regions import PROVINCE, prefecture_of, region_name, validate_region
from projections.bulk import insert_rows
from projections.events import Event
from projections.follower import Projection
from projections.store import metadata, within
from projections.subjects import SubjectIndex, _chunks

__all__ = ["COLOURS", "Formula", "RiskMap", "colour_counts", "enterprise_colours", "formula"]

FORMULA = Path(__file__).parent / "rulebooks" / "riskmap-v1.json"
COLOURS = ("red", "orange", "yellow", "blue")
COLOUR_ZH = {
    "red": "红 (重大风险)",
    "orange": "橙 (较大风险)",
    "yellow": "黄 (一般风险)",
    "blue": "蓝 (低风险)",
}

risk_map = Table(
    "rm_risk_map",
    metadata,
    Column("uscc", String(18), primary_key=True),
    Column("region", String(6), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("score", Integer, nullable=False),
    Column("colour", String(10), nullable=False),
    Column("formula", String(20), nullable=False),
    Column("facts", String(20000), nullable=False),
    Column("explain", String(4000), nullable=False),
    Column("last_notification_id", BigInteger, nullable=False),
)

risk_map_subjects = Table(
    "rm_risk_map_subjects",
    metadata,
    Column("subject", String(36), primary_key=True),
    Column("uscc", String(18), nullable=False),
    sqlite_with_rowid=False,
)


@dataclass(frozen=True)
class Formula:
    version: str
    factors: dict[str, dict[str, int]]
    colours: list[tuple[str, int]]  # (colour, min_score), highest first

    def rate(self, facts: dict[str, Any]) -> tuple[int, str, list[dict[str, Any]]]:
        """(score, colour, explanation) of one enterprise's facts."""
        f = self.factors
        explain: list[dict[str, Any]] = []
        points = [c for c in facts["points"].values() if c in f["risk_point"]]
        if points:
            top = max(points, key=lambda c: f["risk_point"][c])
            explain.append(
                {
                    "factor": "risk_point",
                    "saw": f"{len(points)} 个风险点，最高 {top}",
                    "points": f["risk_point"][top],
                }
            )
        levels = [str(lv) for lv in facts["sources"].values()]
        if levels:
            top = min(levels)
            explain.append(
                {
                    "factor": "hazard_source",
                    "saw": f"{len(levels)} 个重大危险源，最高 {top} 级",
                    "points": f["hazard_source"][top],
                }
            )
        open_h = [g for g, is_open in facts["hazards"].values() if is_open]
        if open_h:
            total = min(f["open_hazard"]["cap"], sum(f["open_hazard"][g] for g in open_h))
            majors = open_h.count("major")
            explain.append(
                {
                    "factor": "open_hazard",
                    "saw": f"{len(open_h)} 项未销号隐患 (重大 {majors})",
                    "points": total,
                }
            )
        warned = list(facts["warnings"].values())
        if warned:
            top = max(warned, key=lambda c: f["warning"][c])
            explain.append(
                {
                    "factor": "warning",
                    "saw": f"{len(warned)} 条有效预警，最高 {top}",
                    "points": f["warning"][top],
                }
            )
        score = sum(int(x["points"]) for x in explain)
        colour = next(c for c, floor in self.colours if score >= floor)
        return score, colour, explain


def formula(path: Path = FORMULA) -> Formula:
    raw = json.loads(path.read_text("utf-8"))
    bands = sorted(
        ((b["colour"], int(b["min_score"])) for b in raw["colours"]), key=lambda x: -x[1]
    )
    if bands[-1][1] != 0 or {c for c, _ in bands} != set(COLOURS):
        raise ValueError(f"{path}: the colours must be the four, the lowest from score 0")
    return Formula(f"{raw['formula']}-{raw['version']}", raw["factors"], bands)


def _facts() -> dict[str, Any]:
    return {"points": {}, "sources": {}, "hazards": {}, "warnings": {}}


class RiskMap(Projection):
    name = "risk_map"
    kinds: ClassVar[frozenset[str]] = frozenset({"enterprise", "hazard", "warning"})
    tables = (risk_map_subjects, risk_map)

    def __init__(self, path: Path = FORMULA) -> None:
        self.formula = formula(path)
        self.version = self.formula.version
        self.subjects = SubjectIndex(risk_map_subjects)

    def forget(self) -> None:
        self.subjects.forget()

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        mine = [e for e in events if e.kind in ("enterprise", "hazard", "warning")]
        if not mine:
            return
        self.subjects.prefetch(conn, mine)
        owned = [(self.subjects.owner(e), e) for e in mine]
        usccs = sorted({u for u, _ in owned if u is not None})
        rows: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(usccs):
            for r in conn.execute(select(risk_map).where(risk_map.c.uscc.in_(chunk))):
                rows[r.uscc] = {**r._mapping, "facts": json.loads(r.facts)}
        touched: set[str] = set()
        for uscc, e in owned:
            if uscc is None:
                continue
            row = rows.get(uscc)
            if e.type == "enterprise.register":
                row = rows[uscc] = {
                    "uscc": uscc,
                    "region": e.region,
                    "name": e.data["name"],
                    "facts": _facts(),
                }
            if row is None:
                continue
            _fold(row["facts"], e)
            row["last_notification_id"] = e.notification_id
            if e.type == "enterprise.update_profile" and "name" in e.data:
                row["name"] = e.data["name"]
            touched.add(uscc)
        self.subjects.flush(conn)
        out = []
        for uscc in sorted(touched):
            row = rows[uscc]
            score, colour, explain = self.formula.rate(row["facts"])
            out.append(
                {
                    **row,
                    "score": score,
                    "colour": colour,
                    "formula": self.formula.version,
                    "facts": json.dumps(row["facts"], ensure_ascii=False, sort_keys=True),
                    "explain": json.dumps(explain, ensure_ascii=False),
                }
            )
        for chunk in _chunks(sorted(touched)):
            conn.execute(delete(risk_map).where(risk_map.c.uscc.in_(chunk)))
        insert_rows(conn, risk_map, out)


def _fold(facts: dict[str, Any], e: Event) -> None:
    d = e.data
    if e.type == "enterprise.assess_risk_point":
        facts["points"][d["point"]] = d["colour"]
    elif e.type == "enterprise.register_hazard_source":
        subs = [
            Substance(s["name"], s["quantity"], s["critical"], s["beta"]) for s in d["substances"]
        ]
        facts["sources"][d["source"]] = level(r_value(subs, d["people_within_500m"]))
    elif e.type == "hazard.report":
        facts["hazards"][e.subject] = [d["grade"], True]
    elif e.type in ("hazard.close", "hazard.reopen") and e.subject in facts["hazards"]:
        facts["hazards"][e.subject][1] = e.type == "hazard.reopen"
    elif e.type in ("warning.issue", "warning.escalate"):
        facts["warnings"][e.subject] = d["level"]
    elif e.type == "warning.lift":
        facts["warnings"].pop(e.subject, None)


@dataclass(frozen=True)
class AreaColours:
    code: str
    name: str
    counts: dict[str, int]  # colour → enterprises, all four colours

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _area(region: str, asked: str) -> str:
    """The area one enterprise's region counts in when `asked` is looked at: the province's
    prefectures, a prefecture's counties, a county itself."""
    if asked == PROVINCE:
        return prefecture_of(region)
    return region


def colour_counts(conn: Connection, region: str) -> list[AreaColours]:
    """Enterprises by colour in each area of `region`: per prefecture for the province, per
    county for a prefecture, the county alone for a county."""
    validate_region(region)
    areas: dict[str, dict[str, int]] = {}
    q = select(risk_map.c.region, risk_map.c.colour).where(within(risk_map.c.region, region))
    for r, colour in conn.execute(q):
        counts = areas.setdefault(_area(r, region), dict.fromkeys(COLOURS, 0))
        counts[colour] += 1
    return [AreaColours(code, region_name(code), counts) for code, counts in sorted(areas.items())]


def enterprise_colours(conn: Connection, region: str) -> list[dict[str, Any]]:
    """Every enterprise of `region` with its score, colour and explanation."""
    q = (
        select(risk_map)
        .where(within(risk_map.c.region, region))
        .order_by(risk_map.c.score.desc(), risk_map.c.uscc)
    )
    return [
        {
            "uscc": r.uscc,
            "name": r.name,
            "region": r.region,
            "score": r.score,
            "colour": r.colour,
            "formula": r.formula,
            "explain": json.loads(r.explain),
        }
        for r in conn.execute(q)
    ]
