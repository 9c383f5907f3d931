"""Filing (立案): opening a case within the time bar, and the decision deadline it starts.

A violation can be penalised only if discovered within 2 years of the day it ended, 5 where life
or health was harmed (§36); the decision is due within 90 days of filing (§60), a deadline
extended only by approval recorded before it lapses.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Self
from uuid import UUID

from domain.clocks import TooLate, last_day, local_date, parse_date, within
from domain.commands import DATE, REF, REGULATOR, USCC, UUID_, boolean, command, integer, text
from domain.context import Context
from domain.enterprise import enterprise_of
from domain.envelope import Envelope, SignedCommand
from domain.errors import AlreadyExists, InvalidValue, NotFound
from domain.hazard import HazardCase
from domain.inspection import finding_of
from domain.penalty.case import OPEN, STEP, CaseState
from domain.sanction import LAW
from domain.terms import add_years

DECISION_DAYS = 90  # §60
EXTENSION_DAYS = 30  # per approved extension (应急管理综合行政执法程序规定) (?)
BAR_YEARS, BAR_YEARS_HARM = 2, 5  # §36


class Filing(CaseState):
    """立案 and the §60 decision deadline."""

    @classmethod
    @command(
        "file",
        event="PenaltyCaseFiled",
        zh="行政处罚立案",
        en="File penalty case",
        event_zh="行政处罚已立案",
        rule=f"{LAW} §§36, 54",
        roles=(REGULATOR,),
        creates=True,
        step=STEP,
        properties={
            "enterprise": USCC,
            "case_no": text(100),
            "violation": text(2000),
            "basis": text(500),
            "violation_date": DATE,
            "violation_ended": DATE,
            "discovered_on": DATE,
            "harm_to_life_or_health": boolean(),
            "inspection": UUID_,
            "finding": REF,
            "hazard": UUID_,
        },
        required=("enterprise", "case_no", "violation", "basis", "violation_date"),
    )
    def file(cls, cmd: SignedCommand, ctx: Context) -> Self:
        """Preconditions: the violation was discovered within the time bar counted from the day
        it ended (§36); a cited inspection finding or hazard case is about the same enterprise.
        """
        env, d = cmd.envelope, cmd.envelope.data
        ent = enterprise_of(cmd, ctx)
        if ctx.find(env.subject, cls) is not None:
            raise AlreadyExists(f"penalty case {env.subject} exists already")
        filed_on = local_date(env.occurred_at)
        began = parse_date(d["violation_date"], "data.violation_date")
        ended = parse_date(d.get("violation_ended", d["violation_date"]), "data.violation_ended")
        found = parse_date(d.get("discovered_on", filed_on.isoformat()), "data.discovered_on")
        if ended < began:
            raise InvalidValue(
                "the violation cannot end before it began", field="data.violation_ended"
            )
        if not began <= found <= filed_on:
            raise InvalidValue(
                f"discovered_on {found} must lie between the violation {began} and the filing "
                f"{filed_on}",
                field="data.discovered_on",
            )
        years = BAR_YEARS_HARM if d.get("harm_to_life_or_health") else BAR_YEARS
        if found > add_years(ended, years):
            raise TooLate(
                f"the violation ended {ended} and was discovered {found}, more than {years} "
                "years later: it can no longer be penalised",
                rule=f"{LAW} §36",
                field="data.violation_date",
            )
        finding_of(cmd, ctx, ent.uscc)
        if "hazard" in d:
            hazard = ctx.find(UUID(d["hazard"]), HazardCase)
            if hazard is None or hazard.enterprise != ent.uscc:
                raise NotFound(
                    f"no hazard case {d['hazard']} of enterprise {ent.uscc}", field="data.hazard"
                )
        return cls.create(cmd)

    def on_file(self, env: Envelope, d: dict[str, Any]) -> None:
        self.enterprise = d["enterprise"]
        self.case_no = d["case_no"]
        self.violation = d["violation"]
        self.basis = d["basis"]
        self.violation_date = d["violation_date"]
        self.harm = bool(d.get("harm_to_life_or_health", False))
        self.inspection = d.get("inspection")
        self.finding = d.get("finding")
        self.hazard = d.get("hazard")
        self.filed_at = env.occurred_at
        self.last_at = env.occurred_at
        self.decision_due = last_day(env.occurred_at, DECISION_DAYS)
        self.extensions = []
        self.officers = []
        self.evidence = {}
        self.preserved = {}
        self.conclusion = None
        self.legal_opinion = None
        self.proposed = None
        self.noticed_at = None
        self.hearing_waived = False
        self.hearing_requested_at = None
        self.hearing_at = None
        self.hearing_host = None
        self.hearing_outcome = None
        self.statements = []
        self.decision_no = None
        self.decided = None
        self.decided_at = None
        self.served_at = None
        self.paid_fen = 0
        self.settled_on = None
        self.executed = set()
        self.executed_at = None
        self.published_at = None
        self.revoked_at = None
        self.withdrawn_at = None
        self.closed_at = None
        self.breaches = []
        self.status = "filed"

    @command(
        "extend",
        event="PenaltyDeadlineExtended",
        zh="延长办案期限",
        en="Extend decision deadline",
        event_zh="办案期限已延长",
        rule=f"{LAW} §60",
        roles=(REGULATOR,),
        step=STEP,
        properties={
            "days": integer(1, EXTENSION_DAYS),
            "approved_by": text(200),
            "reason": text(1000),
        },
        required=("days", "approved_by", "reason"),
    )
    def extend(self, cmd: SignedCommand, ctx: Context) -> None:
        """Approved by the authority's head before the current deadline lapses."""
        env = cmd.envelope
        self.require(*OPEN, action="an extension", rule=f"{LAW} §60")
        self._step(env, "the extension")
        if not within(env.occurred_at, self.decision_due):
            raise TooLate(
                f"the decision deadline {self.decision_due} has passed; it can no longer be "
                "extended",
                rule=f"{LAW} §60",
            )
        self.record(cmd)

    def on_extend(self, env: Envelope, d: dict[str, Any]) -> None:
        self.decision_due += timedelta(days=d["days"])
        self.extensions.append(
            {"days": d["days"], "approved_by": d["approved_by"], "at": env.occurred_at.isoformat()}
        )
        self.last_at = env.occurred_at

    def is_decision_overdue(self, at: datetime) -> bool:
        """True when the case is still undecided after its (extended) deadline (§60)."""
        return self.status in OPEN and not within(at, self.decision_due)
