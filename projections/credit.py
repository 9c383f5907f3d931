"""Credit ratings (安全生产信用): each enterprise's score and grade under every shipped rulebook,
explained by the events that moved it, with its grade history and dishonesty-list candidacy.

One projection per rulebook file (`credit-v1`, `credit-v2`, …), all writing the same tables
keyed by rulebook version, so a new version rates everyone from the whole log (its projection
starts at position 0) while the old one keeps running, and the two can be compared. The
tracking version is the file's digest: editing a rulebook rebuilds its ratings.

Per enterprise the projection keeps the facts the rules read (rulebook.Facts) and rates them
at every event about the enterprise, at the event's occurred_at. A move is recorded when the
rating changes: first any change that happened by itself since the previous event (a window
ran out: ordinal 0, dated when it ran out, naming the events whose effect ended), then the
change the event itself caused (ordinal 1, naming that event). `rating(..., at=)` re-rates the
stored facts at any instant, so windows that ran out since the last event are honoured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Float,
    Integer,
    String,
    Table,
    delete,
    select,
)

from domain.accident import grade_of
from projections.bulk import insert_rows
from projections.events import Event, utc_naive
from projections.follower import Projection
from projections.results import instant
from projections.rows import CACHE_ROWS
from projections.rulebook import Applied, Facts, Rating, Rulebook, rate
from projections.store import metadata, within
from projections.subjects import SubjectIndex, _chunks

credit = Table(
    "rm_credit",
    metadata,
    Column("rulebook", String(20), primary_key=True),
    Column("uscc", String(18), primary_key=True),
    Column("region", String(6), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("score", Float, nullable=False),
    Column("grade", String(2), nullable=False),
    Column("candidate", Boolean, nullable=False),
    Column("rated_at", DateTime, nullable=False),
    Column("explanation", JSON, nullable=False),
    Column("facts", JSON, nullable=False),
    Column("last_notification_id", BigInteger, nullable=False),
)

credit_moves = Table(
    "rm_credit_moves",
    metadata,
    Column("rulebook", String(20), primary_key=True),
    Column("notification_id", BigInteger, primary_key=True, autoincrement=False),
    Column("ordinal", Integer, primary_key=True, autoincrement=False),
    Column("uscc", String(18), nullable=False, index=True),
    Column("region", String(6), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("cause", String(10), nullable=False),  # event | expiry
    Column("events", JSON, nullable=False),
    Column("rules", String(200), nullable=False),
    Column("score_before", Float),
    Column("score_after", Float, nullable=False),
    Column("grade_before", String(2)),
    Column("grade_after", String(2), nullable=False),
    Column("candidate_after", Boolean, nullable=False),
)

credit_subjects = Table(
    "rm_credit_subjects",
    metadata,
    Column("rulebook", String(20), primary_key=True),
    Column("subject", String(36), primary_key=True),
    Column("uscc", String(18), nullable=False),
    sqlite_with_rowid=False,
)

KINDS = frozenset({"enterprise", "accident", "penalty", "hazard", "credit"})


def _rating_of(row: dict[str, Any]) -> Rating:
    explanation, score, grade = row["explanation"], row["score"], row["grade"]

    def applied(items: list[dict[str, Any]]) -> tuple[Applied, ...]:
        return tuple(
            Applied(a["rule"], a["name"], a["effect"], tuple(a["events"]), a.get("until"))
            for a in items
        )

    return Rating(
        score,
        grade,
        applied(explanation["applied"]),
        applied(explanation["candidate"]),
        explanation.get("next_change"),
    )


def _explanation(r: Rating) -> dict[str, Any]:
    return {
        "applied": [a.stored_json() for a in r.applied],
        "candidate": [c.stored_json() for c in r.candidate],
        "next_change": r.next_change,
    }


class Credit(Projection):
    """Ratings under one rulebook."""

    kinds: ClassVar[frozenset[str]] = KINDS
    tables = (credit_subjects, credit_moves, credit)

    def __init__(self, book: Rulebook) -> None:
        self.book = book
        self.name = f"credit-{book.version}"
        self.version = book.digest
        self.subjects = SubjectIndex(credit_subjects, {"rulebook": book.version})
        # uscc → its row as stored (None: not rated); see rows.RowProjection.
        self._rows: dict[str, dict[str, Any] | None] = {}

    def forget(self) -> None:
        self.subjects.forget()
        self._rows.clear()

    def rows_of(self, table: Table) -> ColumnElement[bool]:
        return table.c.rulebook == self.book.version

    def reset(self, conn: Connection) -> None:
        for t in self.tables:
            conn.execute(delete(t).where(self.rows_of(t)))
        self.forget()

    def apply(self, conn: Connection, events: Sequence[Event]) -> None:
        self.subjects.prefetch(conn, events)
        owned = [(e, self.subjects.owner(e)) for e in events]
        self.subjects.flush(conn)
        touched = sorted({u for _, u in owned if u is not None})
        if len(self._rows) + len(touched) > CACHE_ROWS:
            self._rows.clear()
        missing = [u for u in touched if u not in self._rows]
        for u in missing:
            self._rows[u] = None
        for chunk in _chunks(missing):
            q = select(credit).where(
                credit.c.rulebook == self.book.version, credit.c.uscc.in_(chunk)
            )
            for found in conn.execute(q):
                self._rows[found.uscc] = dict(found._mapping)
        stored = {u for u in touched if self._rows[u] is not None}
        dirty: set[str] = set()
        moves: list[dict[str, Any]] = []
        for e, uscc in owned:
            if uscc is None:
                continue
            row = self._rows[uscc]
            if row is None:
                if not (e.kind == "enterprise" and e.verb == "register"):
                    continue  # not rated: its registration is not in this log
                row = self._rows[uscc] = self._new_row(e, uscc)
            if self._apply_one(row, e, moves):
                dirty.add(uscc)
        rewrite = sorted(dirty & stored)
        for chunk in _chunks(rewrite):
            conn.execute(
                delete(credit).where(
                    credit.c.rulebook == self.book.version, credit.c.uscc.in_(chunk)
                )
            )
        insert_rows(conn, credit, [r for u in sorted(dirty) if (r := self._rows[u]) is not None])
        insert_rows(conn, credit_moves, moves)

    def _new_row(self, e: Event, uscc: str) -> dict[str, Any]:
        facts: Facts = {
            "region": e.region,
            "name": e.data["name"],
            "std": None,
            "penalties": {},
            "accidents": {},
            "hazards": {},
            "listings": {},
        }
        return {
            "rulebook": self.book.version,
            "uscc": uscc,
            "region": e.region,
            "name": e.data["name"],
            "score": 0.0,
            "grade": "",
            "candidate": False,
            "rated_at": e.at,
            "explanation": {"applied": [], "candidate": []},
            "facts": facts,
            "last_notification_id": 0,
        }

    def _apply_one(self, row: dict[str, Any], e: Event, moves: list[dict[str, Any]]) -> bool:
        """Re-rate only when something can have changed: a window opened or closed since the
        last rating (next_change), or the event changed the facts the rules read. True when
        the row changed (and must be written)."""
        at = e.instant
        facts: Facts = row["facts"]
        fresh = row["grade"] == ""
        dirty = False
        last: Rating | None = None
        due = row["explanation"].get("next_change")
        if not fresh and due is not None and at >= _instant(due):
            last = _rating_of(row)
            before = rate(self.book, facts, at)
            if before.key() != last.key():
                changed = _changed(last, before)
                ends = [a.until for a in last.applied if a.rule in changed and a.until]
                moves.append(
                    self._move(
                        row,
                        e,
                        ordinal=0,
                        cause="expiry",
                        at=min(ends, key=datetime.fromisoformat) if ends else e.occurred_at,
                        events=_ended(last, before, changed),
                        rules=changed,
                        before=last,
                        after=before,
                    )
                )
            self._store(row, before, e)
            last = before
            dirty = True
        if not self._learn(facts, e) and not fresh:
            return dirty
        if last is None and not fresh:
            last = _rating_of(row)
        after = rate(self.book, facts, at)
        if last is None or after.key() != last.key():
            changed = (
                _changed(last, after)
                if last is not None
                else sorted({a.rule for a in after.applied} | {c.rule for c in after.candidate})
            )
            moves.append(
                self._move(
                    row,
                    e,
                    ordinal=1,
                    cause="event",
                    at=e.occurred_at,
                    events=[e.event_id],
                    rules=changed,
                    before=last,
                    after=after,
                )
            )
        self._store(row, after, e)
        return True

    @staticmethod
    def _store(row: dict[str, Any], r: Rating, e: Event) -> None:
        row.update(
            score=r.score,
            grade=r.grade,
            candidate=bool(r.candidate),
            rated_at=e.at,
            explanation=_explanation(r),
            last_notification_id=e.notification_id,
        )

    def _move(
        self,
        row: dict[str, Any],
        e: Event,
        *,
        ordinal: int,
        cause: str,
        at: str,
        events: list[str],
        rules: list[str],
        before: Rating | None,
        after: Rating,
    ) -> dict[str, Any]:
        return {
            "rulebook": self.book.version,
            "notification_id": e.notification_id,
            "ordinal": ordinal,
            "uscc": row["uscc"],
            "region": row["region"],
            "at": utc_naive(at),
            "cause": cause,
            "events": events,
            "rules": ",".join(rules),
            "score_before": before.score if before else None,
            "score_after": after.score,
            "grade_before": before.grade if before else None,
            "grade_after": after.grade,
            "candidate_after": bool(after.candidate),
        }

    @staticmethod
    def _learn(facts: Facts, e: Event) -> bool:
        """Update the facts the rules read from one event; True when they changed."""
        d, verb, s = e.data, e.verb, e.subject
        if e.kind == "enterprise":
            if verb not in ("register", "update_profile"):
                return False
            changed = False
            if "standardisation" in d:
                facts["std"] = {
                    "level": d["standardisation"],
                    "event": e.event_id,
                    "at": e.occurred_at,
                }
                changed = True
            if "name" in d:
                facts["name"] = d["name"]
            return changed
        if e.kind == "penalty":
            if verb == "decide" and d["outcome"] == "penalty":
                facts["penalties"][s] = {"at": e.occurred_at, "event": e.event_id}
                return True
            return verb == "revoke" and facts["penalties"].pop(s, None) is not None
        if e.kind == "hazard":
            h = facts["hazards"].get(s)
            if verb == "list_for_supervision" or (h is not None and verb == "reopen"):
                facts["hazards"][s] = {"supervised": True, "event": e.event_id}
                return True
            if h is not None and verb == "close":
                h["supervised"] = False
                return True
            return False
        if e.kind == "accident":
            return _learn_accident(facts, e)
        if e.kind == "credit" and verb in ("list", "remove"):
            facts.setdefault("listings", {})[s] = {"listed": verb == "list", "event": e.event_id}
            return True
        return False


def _learn_accident(facts: Facts, e: Event) -> bool:
    d, verb = e.data, e.verb
    if verb == "report":
        facts["accidents"][e.subject] = {
            "happened": d["happened_at"],
            "grade": "",
            "deaths": 0,
            "serious_injuries": 0,
            "direct_loss": 0.0,
            "events": [],
            "liability": None,
            "concealment": None,
            "concealed_at": None,
            "concealment_event": None,
        }
    a = facts["accidents"].get(e.subject)
    if a is None:
        return False
    if verb in ("report", "update_casualties"):
        for k in ("deaths", "serious_injuries", "direct_loss"):
            if k in d:
                a[k] = d[k]
        grade = grade_of(a["deaths"], a["serious_injuries"], a["direct_loss"]).grade
        if grade != a["grade"]:
            a["grade"] = grade
            a["events"].append(e.event_id)
    elif verb == "submit_report":
        a["liability"] = bool(d["liability"])
        a["events"].append(e.event_id)
    elif verb == "flag_concealment":
        a["concealment"] = d["finding"]
        a["concealed_at"] = e.occurred_at
        a["concealment_event"] = e.event_id
    else:
        return False
    return True


@lru_cache(maxsize=65536)
def _instant(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _ended(last: Rating, now: Rating, changed: list[str]) -> list[str]:
    """The events whose effect ran out between two ratings (else those of the changed rules)."""

    def events(r: Rating) -> set[str]:
        return {ev for a in (*r.applied, *r.candidate) for ev in a.events}

    gone = events(last) - events(now)
    if not gone:
        gone = {
            ev for a in (*last.applied, *last.candidate) if a.rule in changed for ev in a.events
        }
    return sorted(gone)


def _changed(before: Rating, after: Rating) -> list[str]:
    """Rules whose application differs between two ratings."""

    def keyed(r: Rating) -> dict[str, tuple[Any, ...]]:
        return {a.rule: (a.effect, a.events) for a in (*r.applied, *r.candidate)}

    b, a = keyed(before), keyed(after)
    return sorted(rule for rule in b.keys() | a.keys() if b.get(rule) != a.get(rule))


# -- queries -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CreditRating:
    rulebook: str
    uscc: str
    name: str
    region: str
    score: float
    grade: str
    at: datetime
    applied: tuple[Applied, ...]
    candidate: tuple[Applied, ...]

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        """The rating with the rules that made it, and its dishonesty-list candidacy."""
        return {
            "uscc": self.uscc,
            "name": self.name,
            "region": self.region,
            "rulebook": self.rulebook,
            "at": instant(self.at, zone),
            "score": self.score,
            "grade": self.grade,
            "applied": [a.to_json(zone) for a in self.applied],
            "dishonesty_candidate": [c.to_json(zone) for c in self.candidate],
        }

    def brief_json(self, zone: tzinfo) -> dict[str, Any]:
        """The rating in a list: its rules by id only."""
        return {
            "uscc": self.uscc,
            "name": self.name,
            "region": self.region,
            "score": self.score,
            "grade": self.grade,
            "rules": [a.rule for a in self.applied],
            "dishonesty_candidate": [c.rule for c in self.candidate],
        }


@dataclass(frozen=True)
class Move:
    at: datetime
    cause: str
    events: tuple[str, ...]
    rules: tuple[str, ...]
    score_before: float | None
    score_after: float
    grade_before: str | None
    grade_after: str
    notification_id: int

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "at": instant(self.at, zone),
            "cause": self.cause,
            "rules": list(self.rules),
            "events": list(self.events),
            "score": [self.score_before, self.score_after],
            "grade": [self.grade_before, self.grade_after],
        }


def rating(
    conn: Connection, book: Rulebook, uscc: str, jurisdiction: str, at: datetime
) -> CreditRating | None:
    """The enterprise's rating at `at` (aware), re-rated from its stored facts."""
    r = conn.execute(
        select(credit).where(
            credit.c.rulebook == book.version,
            credit.c.uscc == uscc,
            within(credit.c.region, jurisdiction),
        )
    ).first()
    if r is None:
        return None
    now = rate(book, r.facts, at)
    return CreditRating(
        book.version, r.uscc, r.name, r.region, now.score, now.grade, at, now.applied, now.candidate
    )


def ratings(
    conn: Connection, book: Rulebook, jurisdiction: str, at: datetime
) -> list[CreditRating]:
    """Every rated enterprise of the jurisdiction at `at`, by USCC."""
    q = (
        select(credit)
        .where(credit.c.rulebook == book.version, within(credit.c.region, jurisdiction))
        .order_by(credit.c.uscc)
    )
    out = []
    for r in conn.execute(q):
        now = rate(book, r.facts, at)
        out.append(
            CreditRating(
                book.version,
                r.uscc,
                r.name,
                r.region,
                now.score,
                now.grade,
                at,
                now.applied,
                now.candidate,
            )
        )
    return out


def history(conn: Connection, book: Rulebook, uscc: str, jurisdiction: str) -> list[Move]:
    """Every move of the enterprise's rating (score, grade or candidacy), in log order."""
    q = (
        select(credit_moves)
        .where(
            credit_moves.c.rulebook == book.version,
            credit_moves.c.uscc == uscc,
            within(credit_moves.c.region, jurisdiction),
        )
        .order_by(credit_moves.c.notification_id, credit_moves.c.ordinal)
    )
    return [
        Move(
            r.at,
            r.cause,
            tuple(r.events),
            tuple(x for x in r.rules.split(",") if x),
            r.score_before,
            r.score_after,
            r.grade_before,
            r.grade_after,
            r.notification_id,
        )
        for r in conn.execute(q)
    ]


@dataclass(frozen=True)
class Comparison:
    uscc: str
    name: str
    region: str
    grades: dict[str, str]  # rulebook version → grade
    scores: dict[str, float]

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "uscc": self.uscc,
            "name": self.name,
            "region": self.region,
            "grades": self.grades,
            "scores": self.scores,
        }


def compare(
    conn: Connection,
    books: Sequence[Rulebook],
    jurisdiction: str,
    at: datetime,
    only_different: bool = True,
) -> list[Comparison]:
    """The enterprises' grades under several rulebooks side by side."""
    by: dict[str, dict[str, CreditRating]] = {}
    for b in books:
        for r in ratings(conn, b, jurisdiction, at):
            by.setdefault(r.uscc, {})[b.version] = r
    out = []
    for uscc in sorted(by):
        rs = by[uscc]
        grades = {v: r.grade for v, r in rs.items()}
        if only_different and len(set(grades.values())) <= 1 and len(rs) == len(books):
            continue
        any_r = next(iter(rs.values()))
        out.append(
            Comparison(uscc, any_r.name, any_r.region, grades, {v: r.score for v, r in rs.items()})
        )
    return out
