"""One jurisdiction at a glance: the figures `anjian dashboard` prints (and the UI may show), as
one frozen result (projections.results)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Connection, func, select

from domain.clocks import local_date
from domain.regions import region_name, validate_region
from projections.accidents import accidents
from projections.alarms import active_by_level
from projections.credit import ratings
from projections.enterprises import enterprises
from projections.events import utc_naive
from projections.hazards import open_hazards, supervised_major_hazards
from projections.licences import expiring, lapsed
from projections.penalties import cases_by_step, clocks
from projections.rulebook import Rulebook
from projections.store import within


@dataclass(frozen=True)
class Dashboard:
    jurisdiction: str
    name: str
    at: str
    enterprises: dict[str, int] = field(default_factory=dict)  # status → count
    industries: dict[str, int] = field(default_factory=dict)
    hazards_open: dict[str, int] = field(default_factory=dict)  # grade → open
    hazards_overdue: dict[str, int] = field(default_factory=dict)
    majors_supervised: int = 0
    penalty_steps: dict[str, int] = field(default_factory=dict)
    clocks_overdue: dict[str, int] = field(default_factory=dict)  # clock → cases
    clocks_due_soon: dict[str, int] = field(default_factory=dict)
    licences_expiring: dict[str, int] = field(default_factory=dict)  # kind → count
    licences_lapsed: dict[str, int] = field(default_factory=dict)
    alarms_active: dict[str, int] = field(default_factory=dict)  # level → count
    alarms_unacknowledged: int = 0
    accidents_12m: dict[str, int] = field(default_factory=dict)  # grade → count
    deaths_12m: int = 0
    rulebook: str = ""
    credit_grades: dict[str, int] = field(default_factory=dict)
    dishonesty_candidates: list[str] = field(default_factory=list)

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return asdict(self)


def _bump(d: dict[str, int], key: str, n: int = 1) -> None:
    d[key] = d.get(key, 0) + n


def summarise(
    conn: Connection, jurisdiction: str, at: datetime, book: Rulebook | None, soon_days: int = 7
) -> Dashboard:
    """Every figure of the dashboard, for the jurisdiction on the day of `at` (aware); without
    a rulebook (none in force that day) every figure but the credit grades."""
    validate_region(jurisdiction, field="jurisdiction")
    ents: dict[str, int] = {}
    industries: dict[str, int] = {}
    q = (
        select(enterprises.c.status, enterprises.c.industry, func.count())
        .where(within(enterprises.c.region, jurisdiction))
        .group_by(enterprises.c.status, enterprises.c.industry)
    )
    for status, industry, n in conn.execute(q):
        _bump(ents, status, int(n))
        if status == "active":
            _bump(industries, industry, int(n))
    hazards_open: dict[str, int] = {}
    hazards_overdue: dict[str, int] = {}
    for h in open_hazards(conn, jurisdiction, at):
        _bump(hazards_open, h.grade, h.open)
        _bump(hazards_overdue, h.grade, h.overdue)
    overdue: dict[str, int] = {}
    due_soon: dict[str, int] = {}
    for c in clocks(conn, jurisdiction, at, soon_days):
        _bump(overdue if c.overdue else due_soon, c.clock)
    expiring_kinds: dict[str, int] = {}
    for r in expiring(conn, jurisdiction, at):
        _bump(expiring_kinds, r.kind)
    lapsed_kinds: dict[str, int] = {}
    for r in lapsed(conn, jurisdiction, at):
        _bump(lapsed_kinds, r.kind)
    alarms = active_by_level(conn, jurisdiction)
    since = utc_naive((at - timedelta(days=365)).isoformat())
    q2 = (
        select(accidents.c.grade, func.count(), func.sum(accidents.c.deaths))
        .where(
            within(accidents.c.region, jurisdiction),
            accidents.c.happened_at >= since,
            accidents.c.happened_at <= utc_naive(at.isoformat()),
        )
        .group_by(accidents.c.grade)
    )
    accidents_12m: dict[str, int] = {}
    deaths = 0
    for grade, n, died in conn.execute(q2):
        accidents_12m[grade] = int(n)
        deaths += int(died or 0)
    grades: dict[str, int] = {}
    candidates: list[str] = []
    for rated in ratings(conn, book, jurisdiction, at) if book is not None else ():
        _bump(grades, rated.grade)
        if rated.candidate:
            candidates.append(rated.uscc)
    return Dashboard(
        jurisdiction,
        region_name(jurisdiction),
        local_date(at).isoformat(),
        enterprises=ents,
        industries=industries,
        hazards_open=hazards_open,
        hazards_overdue=hazards_overdue,
        majors_supervised=len(supervised_major_hazards(conn, jurisdiction)),
        penalty_steps={s.step: s.cases for s in cases_by_step(conn, jurisdiction)},
        clocks_overdue=overdue,
        clocks_due_soon=due_soon,
        licences_expiring=expiring_kinds,
        licences_lapsed=lapsed_kinds,
        alarms_active={a.level_zh: a.active for a in alarms},
        alarms_unacknowledged=sum(a.unacknowledged for a in alarms),
        accidents_12m=accidents_12m,
        deaths_12m=deaths,
        rulebook=book.version if book is not None else "",
        credit_grades=grades,
        dishonesty_candidates=candidates,
    )
