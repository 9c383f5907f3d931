"""Penalty cases (行政处罚案件) by procedure step, with the legal clock each one is running.

Mirrors domain.penalty.PenaltyCase from its events. Each open case has at most one running
clock that binds the authority — decision within 90 days of filing (§60, plus approved
extensions), service within 7 working days of the decision (§61), payment within 15 days of
service (§67, the party's), withdrawal of a revoked publication within 3 working days (§48) —
stored as (clock, clock_due). Whether a clock is due soon or overdue depends on the day asked
about, so it is decided at query time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    String,
    Table,
    func,
    select,
)

from domain.catalog import CATALOG
from domain.clocks import last_day, local_date
from domain.penalty import (
    DECISION_DAYS,
    PAYMENT_DAYS,
    SERVICE_DAYS,
    WITHDRAWAL_DAYS,
    late_fee_fen,
)
from domain.sanction import TO_EXECUTE
from projections.events import Event
from projections.rows import Row, RowProjection
from projections.store import metadata, within

penalties = Table(
    "rm_penalties",
    metadata,
    Column("subject", String(36), primary_key=True),
    Column("enterprise", String(18), nullable=False, index=True),
    Column("region", String(6), nullable=False, index=True),
    Column("case_no", String(100), nullable=False),
    Column("status", String(20), nullable=False),
    Column("filed_at", DateTime, nullable=False),
    Column("decision_due", Date, nullable=False),
    Column("harm", Boolean, nullable=False),
    Column("hazard", String(36)),
    Column("outcome", String(12)),  # penalty | no_penalty, once decided
    Column("types", String(200), nullable=False),  # decided sanction types, comma-separated
    Column("fine_yuan", BigInteger, nullable=False),
    Column("decided_at", DateTime),
    Column("decision_no", String(100)),  # 行政处罚决定书 number
    Column("decided_by", String(100)),  # the signing officer's account
    Column("served_at", DateTime),
    Column("paid_fen", BigInteger, nullable=False),
    Column("executed", String(200), nullable=False),  # carried-out types, comma-separated
    Column("settled", Boolean, nullable=False),
    Column("published", Boolean, nullable=False),
    Column("revoked_at", DateTime),
    Column("closed_at", DateTime),
    Column("clock", String(12)),  # decision | service | payment | withdrawal
    Column("clock_due", Date, index=True),
    Column("last_notification_id", BigInteger, nullable=False),
)

# Procedure steps (行政处罚法 2021) by case status, in procedure order.
STEPS = {
    "filed": "立案",
    "investigating": "调查取证",
    "reviewed": "审查",
    "legal_reviewed": "法制审核",
    "noticed": "告知",
    "hearing_requested": "听证",
    "hearing_scheduled": "听证",
    "heard": "听证",
    "decided": "决定",
    "served": "送达",
    "executed": "执行",
    "dropped": "不予处罚",
    "revoked": "撤销",
    "closed": "结案",
}
# Each statutory clock a case runs, and the command that stops it (§60, §61, §67, §48).
CLOCKS = {
    "decision": "penalty.decide",
    "service": "penalty.serve",
    "payment": "penalty.pay",
    "withdrawal": "penalty.withdraw_publication",
}
# A clock is named after the step it waits for: that command's name in the catalog.
CLOCK_NAMES = {clock: CATALOG[command].zh for clock, command in CLOCKS.items()}
SIMPLE_STATUS = {
    "investigate": "investigating",
    "notify": "noticed",
    "request_hearing": "hearing_requested",
    "schedule_hearing": "hearing_scheduled",
    "hold_hearing": "heard",
}


def _split(text: str) -> set[str]:
    return {t for t in text.split(",") if t}


class Penalties(RowProjection):
    name = "penalties"
    version = "2"  # 2: decision number and deciding officer
    kinds: ClassVar[frozenset[str]] = frozenset({"penalty"})
    tables = (penalties,)
    table = penalties

    def evolve(self, row: Row | None, e: Event) -> Row | None:
        if e.verb == "file":
            due = last_day(e.instant, DECISION_DAYS)
            d = e.data
            row = {
                "subject": e.subject,
                "enterprise": d["enterprise"],
                "region": e.region,
                "case_no": d["case_no"],
                "status": "filed",
                "filed_at": e.at,
                "decision_due": due,
                "harm": bool(d.get("harm_to_life_or_health", False)),
                "hazard": d.get("hazard"),
                "outcome": None,
                "types": "",
                "fine_yuan": 0,
                "decided_at": None,
                "decision_no": None,
                "decided_by": None,
                "served_at": None,
                "paid_fen": 0,
                "executed": "",
                "settled": False,
                "published": False,
                "revoked_at": None,
                "closed_at": None,
                "clock": "decision",
                "clock_due": due,
            }
        if row is None:
            return None
        if e.verb in SIMPLE_STATUS:
            row["status"] = SIMPLE_STATUS[e.verb]
        handler = getattr(self, "_on_" + e.verb, None)
        if handler is not None:
            handler(row, e, e.data)
        row["last_notification_id"] = e.notification_id
        return row

    def _on_extend(self, row: Row, e: Event, d: dict[str, Any]) -> None:
        row["decision_due"] = row["decision_due"] + timedelta(days=d["days"])
        if row["clock"] == "decision":
            row["clock_due"] = row["decision_due"]

    def _on_review(self, row: Row, e: Event, d: dict[str, Any]) -> None:
        if d["conclusion"] == "penalty":
            row["status"] = "reviewed"
        else:
            row["status"] = "dropped"
            row["clock"] = row["clock_due"] = None

    def _on_legal_review(self, row: Row, e: Event, d: dict[str, Any]) -> None:
        row["status"] = "legal_reviewed" if d["opinion"] == "approved" else "investigating"

    def _on_decide(self, row: Row, e: Event, d: dict[str, Any]) -> None:
        sanction = d.get("penalty") or {}
        row.update(
            status="decided",
            outcome=d["outcome"],
            decided_at=e.at,
            decision_no=d["decision_no"],
            decided_by=e.actor,
            types=",".join(sorted(sanction.get("types", []))),
            fine_yuan=int(sanction.get("fine_yuan", 0)),
            clock="service",
            clock_due=last_day(e.instant, SERVICE_DAYS, working=True),
        )

    def _on_serve(self, row: Row, e: Event, d: dict[str, Any]) -> None:
        row["served_at"] = e.at
        row["status"] = "served"
        if row["fine_yuan"]:
            row["clock"] = "payment"
            row["clock_due"] = last_day(e.instant, PAYMENT_DAYS)
        else:
            row["clock"] = row["clock_due"] = None
        self._settle_if_done(row, e)

    def _on_pay(self, row: Row, e: Event, d: dict[str, Any]) -> None:
        row["paid_fen"] += d["amount_fen"]
        self._settle_if_done(row, e)

    def _on_execute(self, row: Row, e: Event, d: dict[str, Any]) -> None:
        row["executed"] = ",".join(sorted(_split(row["executed"]) | set(d["carried_out"])))
        self._settle_if_done(row, e)

    def _on_publish(self, row: Row, e: Event, d: dict[str, Any]) -> None:
        row["published"] = True

    def _on_revoke(self, row: Row, e: Event, d: dict[str, Any]) -> None:
        row["status"] = "revoked"
        row["revoked_at"] = e.at
        if row["published"]:
            row["clock"] = "withdrawal"
            row["clock_due"] = last_day(e.instant, WITHDRAWAL_DAYS, working=True)
        else:
            row["clock"] = row["clock_due"] = None

    def _on_withdraw_publication(self, row: Row, e: Event, d: dict[str, Any]) -> None:
        row["published"] = False
        row["clock"] = row["clock_due"] = None

    def _on_close(self, row: Row, e: Event, d: dict[str, Any]) -> None:
        row["status"] = "closed"
        row["closed_at"] = e.at
        row["clock"] = row["clock_due"] = None

    @staticmethod
    def _settle_if_done(row: Row, e: Event) -> None:
        """As domain.penalty: executed once the fine (with late fee) is paid and every other
        decided penalty is carried out."""
        if row["status"] not in ("served",):
            return
        fine_fen = row["fine_yuan"] * 100
        if fine_fen and row["clock"] == "payment" and row["clock_due"] is not None:
            fee = late_fee_fen(fine_fen, row["clock_due"], local_date(e.instant))
            if row["paid_fen"] and row["paid_fen"] >= fine_fen + fee:
                row["settled"] = True
                row["clock"] = row["clock_due"] = None
        pending = (_split(row["types"]) & TO_EXECUTE) - _split(row["executed"])
        if (fine_fen == 0 or row["settled"]) and not pending:
            row["status"] = "executed"


@dataclass(frozen=True)
class StepCount:
    step: str
    status: str
    cases: int


@dataclass(frozen=True)
class Clock:
    subject: str
    case_no: str
    enterprise: str
    region: str
    status: str
    clock: str
    due: date
    days_left: int  # negative: overdue by that many days

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


def cases_by_step(conn: Connection, jurisdiction: str) -> list[StepCount]:
    """How many cases stand at each procedure step, in procedure order."""
    q = (
        select(penalties.c.status, func.count())
        .where(within(penalties.c.region, jurisdiction))
        .group_by(penalties.c.status)
    )
    counts: dict[str, int] = {str(k): int(v) for k, v in conn.execute(q)}
    return [StepCount(STEPS[s], s, int(counts[s])) for s in STEPS if s in counts]


def clocks(conn: Connection, jurisdiction: str, at: datetime, soon_days: int = 7) -> list[Clock]:
    """Running clocks due within `soon_days` of the day of `at` (CST), or already overdue."""
    today = local_date(at)
    q = (
        select(penalties)
        .where(
            within(penalties.c.region, jurisdiction),
            penalties.c.clock.is_not(None),
            penalties.c.clock_due <= today + timedelta(days=soon_days),
        )
        .order_by(penalties.c.clock_due, penalties.c.subject)
    )
    out = []
    for r in conn.execute(q):
        m: Any = r._mapping
        out.append(
            Clock(
                m["subject"],
                m["case_no"],
                m["enterprise"],
                m["region"],
                m["status"],
                m["clock"],
                m["clock_due"],
                (m["clock_due"] - today).days,
            )
        )
    return out
