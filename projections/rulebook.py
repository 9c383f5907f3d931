"""Credit rulebooks: versioned rules kept as data (projections/rulebooks/credit-*.json), and the
pure function that rates one enterprise's credit facts with them.

A rulebook file:

    {"rulebook": "credit", "version": "v1", "title": str, "effective_from": "YYYY-MM-DD",
     "status": "in_force" | "draft" (default in_force), "source": str,
     "grades": [{"grade": "A", "min_score": 90}, ...],          best first, last min_score 0
     "rules": [{"id": str, "kind": KIND, "name": str, ...parameters}, ...],
     "dishonesty": [{"id": str, "kind": CASE, "name": str, ...parameters}, ...]}

Rule kinds (the code knows the kinds; ids, names, numbers and windows are the rulebook's):
  base_score              scores: {standardisation level: points}      the starting score
  penalty_points          points, window_days       − points per penalty decision in the window
  liability_accident      drop_by_grade: {accident grade: grades}, window_days
                          the worst liability accident in the window drops the grade
  penalty_count           threshold, window_days, drop   ≥ threshold decisions → drop grades
  supervised_major_hazard grade                     a listed (挂牌督办) major hazard not closed
  concealment             grade, window_days        a concealed / falsely reported accident
  listed                  grade                     on the serious-dishonesty list (credit.list)
Dishonesty-list cases (应急管理部令第11号), which make an enterprise a *candidate* only:
  accident_grade          grades, window_days       an accident of one of these grades
  accident_count          grades, count, window_days  ≥ count such accidents in the window
  concealment             window_days               a concealed / falsely reported accident

Facts (the credit projection's per-enterprise state, JSON): see `Facts` below. Windows are
half-open: a fact at t counts at instants t ≤ at < t + window_days.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from domain.accident import GRADES as ACCIDENT_GRADES
from domain.enterprise import STANDARDISATION
from projections.errors import RulebookError

RULEBOOKS = Path(__file__).parent / "rulebooks"
RULE_KINDS = {
    "base_score": ("scores",),
    "penalty_points": ("points", "window_days"),
    "liability_accident": ("drop_by_grade", "window_days"),
    "penalty_count": ("threshold", "window_days", "drop"),
    "supervised_major_hazard": ("grade",),
    "concealment": ("grade", "window_days"),
    "listed": ("grade",),
}
CASE_KINDS = {
    "accident_grade": ("grades", "window_days"),
    "accident_count": ("grades", "count", "window_days"),
    "concealment": ("window_days",),
}

Facts = dict[str, Any]
"""{"region": str, "name": str,
    "std": {"level": str, "event": event id, "at": ISO} | None,
    "penalties": {case subject: {"at": ISO of the decision, "event": event id}},
    "accidents": {subject: {"happened": ISO, "grade": str, "deaths": int,
                            "serious_injuries": int, "direct_loss": float, "events": [ids],
                            "liability": bool | None, "concealment": str | None,
                            "concealed_at": ISO | None, "concealment_event": id | None}},
    "hazards": {subject: {"supervised": bool, "event": event id}},
    "listings": {subject: {"listed": bool, "event": event id}}}"""


@dataclass(frozen=True)
class Rulebook:
    rulebook: str
    version: str
    title: str
    effective_from: str
    source: str
    grades: tuple[tuple[str, int], ...]
    rules: tuple[dict[str, Any], ...]
    dishonesty: tuple[dict[str, Any], ...]
    digest: str  # SHA-256 of the file bytes: any edit makes the projection rebuild
    status: str = "in_force"  # or "draft": rated and comparable, never the default

    @property
    def grade_names(self) -> list[str]:
        return [g for g, _ in self.grades]

    def grade_of(self, score: float) -> str:
        for grade, minimum in self.grades:
            if score >= minimum:
                return grade
        return self.grades[-1][0]


@dataclass(frozen=True)
class Applied:
    """One rule in effect: what it did and the events that made it apply."""

    rule: str
    name: str
    effect: str  # "+80", "-10", "降1级", "→D"
    events: tuple[str, ...]
    until: str | None = None  # ISO instant when its effect changes by itself (window ends)

    def stored_json(self) -> dict[str, Any]:
        """As the credit read model stores it in a rating's explanation."""
        return {
            "rule": self.rule,
            "name": self.name,
            "effect": self.effect,
            "events": list(self.events),
            "until": self.until,
        }

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "name": self.name,
            "effect": self.effect,
            "events": list(self.events),
        }


@dataclass(frozen=True)
class Rating:
    score: float
    grade: str
    applied: tuple[Applied, ...] = ()
    candidate: tuple[Applied, ...] = field(default=())
    next_change: str | None = None  # the next instant a window opens or closes by itself

    def key(self) -> tuple[Any, ...]:
        """What a move compares: score, grade and which rules apply on which events."""
        return (
            self.score,
            self.grade,
            tuple((a.rule, a.effect, a.events) for a in self.applied),
            tuple((c.rule, c.events) for c in self.candidate),
        )


def load(path: Path) -> Rulebook:
    """Read and check one rulebook file; RulebookError names the file and the problem."""
    raw = path.read_bytes()
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise RulebookError(f"{path.name}: not JSON: {exc}") from None
    try:
        grades = tuple((g["grade"], int(g["min_score"])) for g in doc["grades"])
        book = Rulebook(
            doc["rulebook"],
            doc["version"],
            doc["title"],
            doc["effective_from"],
            doc["source"],
            grades,
            tuple(doc["rules"]),
            tuple(doc["dishonesty"]),
            hashlib.sha256(raw).hexdigest()[:16],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RulebookError(f"{path.name}: missing or bad field {exc}") from None
    if (
        not grades
        or grades[-1][1] != 0
        or [m for _, m in grades] != sorted((m for _, m in grades), reverse=True)
    ):
        raise RulebookError(f"{path.name}: grades must go best first down to min_score 0")
    ids = [r["id"] for r in (*book.rules, *book.dishonesty)]
    if len(set(ids)) != len(ids):
        raise RulebookError(f"{path.name}: rule ids repeat")
    for rules, kinds in ((book.rules, RULE_KINDS), (book.dishonesty, CASE_KINDS)):
        for r in rules:
            needed = kinds.get(r.get("kind", ""))
            if needed is None:
                raise RulebookError(
                    f"{path.name}: rule {r.get('id')} has unknown kind "
                    f"{r.get('kind')!r} (known: {', '.join(kinds)})"
                )
            missing = [k for k in ("id", "name", *needed) if k not in r]
            if missing:
                raise RulebookError(f"{path.name}: rule {r['id']} lacks {', '.join(missing)}")
            if "grade" in r and r["grade"] not in book.grade_names:
                raise RulebookError(f"{path.name}: rule {r['id']}: unknown grade {r['grade']}")
            for g in r.get("grades", []) + list(r.get("drop_by_grade", {})):
                if g not in ACCIDENT_GRADES:
                    raise RulebookError(f"{path.name}: rule {r['id']}: unknown accident grade {g}")
            if r["kind"] == "base_score" and set(r["scores"]) != set(STANDARDISATION):
                raise RulebookError(
                    f"{path.name}: rule {r['id']} must score every level "
                    f"{', '.join(STANDARDISATION)}"
                )
    if book.status not in ("in_force", "draft"):
        raise RulebookError(f"{path.name}: status must be in_force or draft")
    if sum(r["kind"] == "base_score" for r in book.rules) != 1:
        raise RulebookError(f"{path.name}: exactly one base_score rule is needed")
    return book


def available(directory: Path = RULEBOOKS) -> list[Rulebook]:
    """Every credit rulebook shipped, by version."""
    return sorted((load(p) for p in directory.glob("credit-*.json")), key=lambda b: b.version)


def current(books: list[Rulebook], at: datetime, version: str | None = None) -> Rulebook:
    """The rulebook asked for by version, else the newest in force on the day of `at`."""
    if version is not None:
        for b in books:
            if b.version == version:
                return b
        raise RulebookError(
            f"no rulebook version {version!r} (known: {', '.join(b.version for b in books)})"
        )
    day = at.date().isoformat()
    in_force = [b for b in books if b.status == "in_force" and b.effective_from <= day]
    if not in_force:
        raise RulebookError(f"no credit rulebook is in force on {day}")
    return max(in_force, key=lambda b: (b.effective_from, b.version))


# -- rating ------------------------------------------------------------------------------------


def _t(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _in_window(at_iso: str, days: int, at: datetime) -> bool:
    t = _t(at_iso)
    return t <= at < t + timedelta(days=days)


def _until(at_isos: list[str], days: int) -> str | None:
    return min((_t(a) + timedelta(days=days)).isoformat() for a in at_isos) if at_isos else None


def rate(book: Rulebook, facts: Facts, at: datetime) -> Rating:
    """The enterprise's score, grade and dishonesty-list candidacy at instant `at`."""
    score = 0.0
    drops = 0
    forced: list[str] = []
    applied: list[Applied] = []
    penalties = sorted(
        (p for p in facts["penalties"].values() if _t(p["at"]) <= at), key=lambda p: p["at"]
    )
    accidents = sorted(facts["accidents"].values(), key=lambda a: a["happened"])
    for r in book.rules:
        kind = r["kind"]
        if kind == "base_score":
            std = facts.get("std")
            if std is None:
                continue
            score += r["scores"][std["level"]]
            applied.append(
                Applied(r["id"], r["name"], f"+{r['scores'][std['level']]}", (std["event"],))
            )
        elif kind in ("penalty_points", "penalty_count"):
            inside = [p for p in penalties if _in_window(p["at"], r["window_days"], at)]
            if kind == "penalty_points" and inside:
                score -= r["points"] * len(inside)
                applied.append(
                    Applied(
                        r["id"],
                        r["name"],
                        f"-{r['points'] * len(inside)}",
                        tuple(p["event"] for p in inside),
                        _until([p["at"] for p in inside], r["window_days"]),
                    )
                )
            elif kind == "penalty_count" and len(inside) >= r["threshold"]:
                drops += r["drop"]
                applied.append(
                    Applied(
                        r["id"],
                        r["name"],
                        f"降{r['drop']}级",
                        tuple(p["event"] for p in inside),
                        _until([p["at"] for p in inside], r["window_days"]),
                    )
                )
        elif kind == "liability_accident":
            liable = [
                a
                for a in accidents
                if a["liability"]
                and _in_window(a["happened"], r["window_days"], at)
                and r["drop_by_grade"].get(a["grade"], 0) > 0
            ]
            if liable:
                worst = max(liable, key=lambda a: r["drop_by_grade"][a["grade"]])
                drop = r["drop_by_grade"][worst["grade"]]
                drops += drop
                applied.append(
                    Applied(
                        r["id"],
                        r["name"],
                        f"降{drop}级",
                        tuple(e for a in liable for e in a["events"]),
                        _until([a["happened"] for a in liable], r["window_days"]),
                    )
                )
        elif kind == "supervised_major_hazard":
            listed = sorted(h["event"] for h in facts["hazards"].values() if h["supervised"])
            if listed:
                forced.append(r["grade"])
                applied.append(Applied(r["id"], r["name"], f"→{r['grade']}", tuple(listed)))
        elif kind == "listed":
            listed_on = sorted(
                x["event"] for x in facts.get("listings", {}).values() if x["listed"]
            )
            if listed_on:
                forced.append(r["grade"])
                applied.append(Applied(r["id"], r["name"], f"→{r['grade']}", tuple(listed_on)))
        elif kind == "concealment":
            hidden = [
                a
                for a in accidents
                if a["concealment"] and _in_window(a["concealed_at"], r["window_days"], at)
            ]
            if hidden:
                forced.append(r["grade"])
                applied.append(
                    Applied(
                        r["id"],
                        r["name"],
                        f"→{r['grade']}",
                        tuple(a["concealment_event"] for a in hidden),
                        _until([a["concealed_at"] for a in hidden], r["window_days"]),
                    )
                )
    names = book.grade_names
    index = min(len(names) - 1, names.index(book.grade_of(score)) + drops)
    for g in forced:
        index = max(index, names.index(g))
    return Rating(
        score,
        names[index],
        tuple(applied),
        _candidate(book, accidents, at),
        next_change(book, facts, at),
    )


def next_change(book: Rulebook, facts: Facts, at: datetime) -> str | None:
    """The first instant after `at` at which a windowed rule could change by itself: a fact's
    window ends, or a fact dated after `at` starts to count. Until then, only a new fact can
    change the rating."""
    best: datetime | None = None
    for r in (*book.rules, *book.dishonesty):
        if "window_days" not in r:
            continue
        w = timedelta(days=r["window_days"])
        kind = r["kind"]
        if kind.startswith("penalty"):
            times = [p["at"] for p in facts["penalties"].values()]
        elif kind == "concealment":
            times = [a["concealed_at"] for a in facts["accidents"].values() if a["concealment"]]
        else:
            times = [a["happened"] for a in facts["accidents"].values()]
        for iso in times:
            t = _t(iso)
            for edge in (t, t + w):
                if edge > at and (best is None or edge < best):
                    best = edge
    return best.isoformat() if best is not None else None


def _candidate(
    book: Rulebook, accidents: list[dict[str, Any]], at: datetime
) -> tuple[Applied, ...]:
    out: list[Applied] = []
    for r in book.dishonesty:
        kind = r["kind"]
        if kind == "concealment":
            hits = [
                a
                for a in accidents
                if a["concealment"] and _in_window(a["concealed_at"], r["window_days"], at)
            ]
            events = tuple(a["concealment_event"] for a in hits)
        else:
            hits = [
                a
                for a in accidents
                if a["grade"] in r["grades"] and _in_window(a["happened"], r["window_days"], at)
            ]
            if kind == "accident_count" and len(hits) < r["count"]:
                hits = []
            events = tuple(a["events"][0] for a in hits)
        if hits:
            out.append(Applied(r["id"], r["name"], "列入严重失信主体名单候选", events))
    return tuple(out)
