"""Decision and service (决定, 送达).

No decision without notice (§62), nor while the party may still ask for a hearing or one is
pending (§§64-65); never heavier than notified (§45); a major one only after an approved 法制审核
(§58); within the (extended) 90 days of filing (§60). The decision is served within 7 working
days (§61): a later service is still recorded, since the decision binds only once served, and
marked a breach.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.clocks import TooEarly, TooLate, last_day, local_date, within
from domain.commands import REF, REGULATOR, command, enum, text
from domain.context import Context
from domain.envelope import Envelope, SignedCommand
from domain.errors import InvalidTransition, InvalidValue
from domain.penalty.case import STEP, CaseState
from domain.sanction import LAW, SCHEMA, Sanction

SERVICE_DAYS = 7  # §61, working days
SERVICE = {
    "on_the_spot": "当场交付",
    "direct": "直接送达",
    "mail": "邮寄送达",
    "electronic": "电子送达",
    "announcement": "公告送达",
}


class Decision(CaseState):
    """决定 and 送达."""

    @command(
        "decide",
        event="PenaltyDecided",
        zh="作出行政处罚决定",
        en="Decide",
        event_zh="行政处罚决定已作出",
        rule=f"{LAW} §§45, 57-62",
        roles=(REGULATOR,),
        step=STEP,
        properties={
            "decision_no": text(100),
            "outcome": enum("penalty", "no_penalty"),
            "penalty": SCHEMA,
            "reasons": text(4000),
        },
        required=("decision_no", "outcome", "reasons"),
    )
    def decide(self, cmd: SignedCommand, ctx: Context) -> None:
        """No decision without notice (§62); not while the party may still ask for a hearing
        or a requested hearing is pending (§64); not heavier than notified (§45); a major one
        only after 法制审核 (§58); within the (extended) 90 days (§60)."""
        env, d = cmd.envelope, cmd.envelope.data
        if self.status in ("filed", "investigating", "reviewed", "legal_reviewed"):
            raise InvalidTransition(
                f"penalty case {self.id} is {self.status}: no decision without notice of the "
                "proposed penalty and a hearing of the party's statement and defence",
                rule=f"{LAW} §62",
            )
        if self.status in ("hearing_requested", "hearing_scheduled"):
            raise InvalidTransition(
                f"the party asked for a hearing ({self.status}); decide after it",
                rule=f"{LAW} §65",
            )
        self.require("noticed", "heard", action="the decision", rule=f"{LAW} §57")
        self._step(env, "the decision")
        due = self.hearing_request_due
        if (
            self.status == "noticed"
            and due is not None
            and not self.hearing_waived
            and within(env.occurred_at, due)
        ):
            raise TooEarly(
                f"the party may ask for a hearing until {due}; decide after that",
                rule=f"{LAW} §64 (一)",
            )
        if not within(env.occurred_at, self.decision_due):
            raise TooLate(
                f"the decision was due by {self.decision_due} (90 days from filing, with "
                "approved extensions)",
                rule=f"{LAW} §60",
            )
        if (d["outcome"] == "penalty") != ("penalty" in d):
            raise InvalidValue(
                "a penalty decision states the penalty, and only then", field="data.penalty"
            )
        if "penalty" in d:
            decided = Sanction.parse(d["penalty"], "data.penalty")
            assert self.proposed is not None  # noticed implies a proposal
            heavier = decided.heavier_than(self.proposed)
            if heavier:
                raise InvalidValue(
                    f"the decision is heavier than the notice ({'; '.join(heavier)}): "
                    "notify the party again first",
                    rule=f"{LAW} §45",
                    field="data.penalty",
                )
            if decided.major and self.legal_opinion != "approved":
                raise InvalidTransition("a major penalty needs 法制审核", rule=f"{LAW} §58")
        self.record(cmd)

    def on_decide(self, env: Envelope, d: dict[str, Any]) -> None:
        self.decision_no = d["decision_no"]
        self.decided = Sanction.parse(d["penalty"], "data.penalty") if "penalty" in d else None
        self.decided_at = env.occurred_at
        self.last_at = env.occurred_at
        self.status = "decided"

    @property
    def service_due(self) -> date | None:
        if self.decided_at is None:
            return None
        return last_day(self.decided_at, SERVICE_DAYS, working=True)

    @command(
        "serve",
        event="PenaltyDecisionServed",
        zh="送达行政处罚决定书",
        en="Serve decision",
        event_zh="行政处罚决定书已送达",
        rule=f"{LAW} §61",
        roles=(REGULATOR,),
        step=STEP,
        properties={"method": enum(*SERVICE), "receipt": REF},
        required=("method", "receipt"),
    )
    def serve(self, cmd: SignedCommand, ctx: Context) -> None:
        """On the spot (the day of the decision) or within 7 working days; a later service is
        recorded — the decision binds only once served — and marked a breach."""
        env, d = cmd.envelope, cmd.envelope.data
        self.require("decided", action="service", rule=f"{LAW} §61")
        self._step(env, "service")
        assert self.decided_at is not None
        if d["method"] == "on_the_spot" and local_date(env.occurred_at) != local_date(
            self.decided_at
        ):
            raise InvalidValue(
                "service on the spot is on the day the decision is announced",
                rule=f"{LAW} §61",
                field="data.method",
            )
        self.record(cmd)

    def on_serve(self, env: Envelope, d: dict[str, Any]) -> None:
        due = self.service_due
        assert due is not None
        self._breach_if_late(env, due, "§61", "service")
        self.served_at = env.occurred_at
        self.last_at = env.occurred_at
        self.status = "served"
        self._settle_if_done(env.occurred_at)
