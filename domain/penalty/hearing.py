"""Notice and hearing (告知, 陈述申辩, 听证): the party is told the proposed penalty and heard.

The notice states facts, basis, the proposed penalty and the party's rights (§44); a major
proposal needs an approved 法制审核 first (§58), and the notice offers a hearing exactly when
the proposal is major (§63). The party asks within 5 working days of the notice (§64 (一)), is
notified of the hearing at least 7 working days ahead (§64 (二)), and the host did not
investigate the case (§64 (四)). The party's 5 days are judged at the platform's recorded time
when the enterprise itself asks (domain.clocks).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.clocks import (
    TooEarly,
    TooLate,
    judged_at_command,
    judged_note,
    last_day,
    local_date,
    within,
)
from domain.commands import ENTERPRISE, INSTANT, REGULATOR, array, boolean, command, enum, text
from domain.context import Context
from domain.envelope import Envelope, SignedCommand, parse_instant
from domain.errors import InvalidTransition, InvalidValue
from domain.officers import check_officer
from domain.penalty.case import STEP, CaseState
from domain.sanction import LAW, SCHEMA, Sanction

HEARING_REQUEST_DAYS = 5  # §64 (一), working days
HEARING_NOTICE_DAYS = 7  # §64 (二), working days
RIGHTS = {"statement": "陈述", "defence": "申辩", "hearing": "要求听证"}


class Hearing(CaseState):
    """告知, 陈述申辩 and 听证."""

    @command(
        "notify",
        event="PenaltyNoticeGiven",
        zh="行政处罚事先告知",
        en="Notify proposed penalty",
        event_zh="拟处罚已告知",
        rule=f"{LAW} §§44, 58, 63",
        roles=(REGULATOR,),
        step=STEP,
        properties={
            "facts": text(4000),
            "basis": text(1000),
            "proposed": SCHEMA,
            "rights": array(enum(*RIGHTS), 2, 3),
        },
        required=("facts", "basis", "proposed", "rights"),
    )
    def notify(self, cmd: SignedCommand, ctx: Context) -> None:
        """The notice states facts, basis, the proposed penalty and the party's rights (§44);
        a major proposal needs an approved 法制审核 first (§58) and offers a hearing (§63).
        A new notice may replace the last one before the decision (e.g. a heavier proposal).
        """
        env, d = cmd.envelope, cmd.envelope.data
        self.require(
            "reviewed", "legal_reviewed", "noticed", "heard", action="the notice", rule=f"{LAW} §44"
        )
        self._step(env, "the notice")
        proposed = Sanction.parse(d["proposed"], "data.proposed")
        if proposed.major and self.legal_opinion != "approved":
            raise InvalidTransition(
                "a major penalty (large amount, licence revocation, stop order or closure) "
                "needs an approved 法制审核 before notice",
                rule=f"{LAW} §58",
            )
        rights = set(d["rights"])
        if not {"statement", "defence"} <= rights:
            raise InvalidValue(
                "the notice tells the party of its rights to state and defend",
                rule=f"{LAW} §44",
                field="data.rights",
            )
        if ("hearing" in rights) != proposed.major:
            raise InvalidValue(
                "the notice offers a hearing exactly when the proposed penalty is major "
                f"(here: {'major' if proposed.major else 'not major'})",
                rule=f"{LAW} §63",
                field="data.rights",
            )
        self.record(cmd)

    def on_notify(self, env: Envelope, d: dict[str, Any]) -> None:
        self.proposed = Sanction.parse(d["proposed"], "data.proposed")
        self.notice_facts = d["facts"]
        self.noticed_at = env.occurred_at
        self.hearing_waived = False
        self.hearing_requested_at = self.hearing_at = None
        self.hearing_host = self.hearing_outcome = None
        self.last_at = env.occurred_at
        self.status = "noticed"

    @property
    def hearing_offered(self) -> bool:
        return self.proposed is not None and self.proposed.major and self.noticed_at is not None

    @property
    def hearing_request_due(self) -> date | None:
        """Last day the party may ask for a hearing (§64 (一): 5 working days)."""
        if not self.hearing_offered or self.noticed_at is None:
            return None
        return last_day(self.noticed_at, HEARING_REQUEST_DAYS, working=True)

    @command(
        "state_defence",
        event="PenaltyStatementMade",
        zh="当事人陈述申辩",
        en="Record statement and defence",
        event_zh="陈述申辩已记录",
        rule=f"{LAW} §45",
        roles=(ENTERPRISE, REGULATOR),
        step=STEP,
        properties={"statement": text(8000), "waives_hearing": boolean()},
        required=("statement",),
    )
    def state_defence(self, cmd: SignedCommand, ctx: Context) -> None:
        env, d = cmd.envelope, cmd.envelope.data
        self.require(
            "noticed",
            "hearing_requested",
            "hearing_scheduled",
            "heard",
            action="a statement",
            rule=f"{LAW} §45",
        )
        self._step(env, "the statement")
        if d.get("waives_hearing") and (self.status != "noticed" or not self.hearing_offered):
            raise InvalidTransition(
                "only a party offered a hearing and not yet asking for one can waive it",
                rule=f"{LAW} §64",
            )
        self.record(cmd)

    def on_state_defence(self, env: Envelope, d: dict[str, Any]) -> None:
        self.statements.append({"statement": d["statement"], "at": env.occurred_at.isoformat()})
        if d.get("waives_hearing"):
            self.hearing_waived = True
        self.last_at = env.occurred_at

    @command(
        "request_hearing",
        event="PenaltyHearingRequested",
        zh="当事人要求听证",
        en="Request hearing",
        event_zh="当事人已要求听证",
        rule=f"{LAW} §§63-64",
        roles=(ENTERPRISE, REGULATOR),
        step=STEP,
        properties={"note": text(1000)},
    )
    def request_hearing(self, cmd: SignedCommand, ctx: Context) -> None:
        env = cmd.envelope
        self.require("noticed", action="a hearing request", rule=f"{LAW} §64")
        self._step(env, "the hearing request")
        due = self.hearing_request_due
        if due is None:
            raise InvalidTransition(
                "the proposed penalty is not one for which a hearing may be asked (large "
                "fine or confiscation, licence revocation, stop order, closure)",
                rule=f"{LAW} §63",
            )
        if self.hearing_waived:
            raise InvalidTransition("the party waived the hearing", rule=f"{LAW} §64")
        asked = judged_at_command(cmd)
        if not within(asked, due):
            raise TooLate(
                f"a hearing is asked within 5 working days of the notice (by {due}); "
                f"asked {local_date(asked)}, {judged_note(cmd)}",
                rule=f"{LAW} §64 (一)",
                field="occurred_at",
            )
        self.record(cmd)

    def on_request_hearing(self, env: Envelope, d: dict[str, Any]) -> None:
        self.hearing_requested_at = env.occurred_at
        self.last_at = env.occurred_at
        self.status = "hearing_requested"

    @command(
        "schedule_hearing",
        event="PenaltyHearingScheduled",
        zh="听证通知",
        en="Schedule hearing",
        event_zh="听证已通知",
        rule=f"{LAW} §64",
        roles=(REGULATOR,),
        step=STEP,
        properties={"hearing_at": INSTANT, "place": text(300), "host": text(64)},
        required=("hearing_at", "place", "host"),
    )
    def schedule_hearing(self, cmd: SignedCommand, ctx: Context) -> None:
        """Notified at least 7 working days ahead (§64 (二)); hosted by an officer who did not
        investigate the case (§64 (四)). A hearing may be rescheduled under the same rules."""
        env, d = cmd.envelope, cmd.envelope.data
        self.require(
            "hearing_requested", "hearing_scheduled", action="a hearing notice", rule=f"{LAW} §64"
        )
        self._step(env, "the hearing notice")
        when = parse_instant(d["hearing_at"], "data.hearing_at")
        earliest = last_day(env.occurred_at, HEARING_NOTICE_DAYS, working=True)
        if local_date(when) < earliest:
            raise TooEarly(
                f"the hearing on {local_date(when)} is notified less than 7 working days "
                f"ahead (earliest {earliest})",
                rule=f"{LAW} §64 (二)",
                field="data.hearing_at",
            )
        if d["host"] in self.officers:
            raise InvalidValue(
                f"{d['host']} investigated the case and cannot host its hearing",
                rule=f"{LAW} §64 (四)",
                field="data.host",
            )
        check_officer(d["host"], ctx, env.region, "data.host")
        self.record(cmd)

    def on_schedule_hearing(self, env: Envelope, d: dict[str, Any]) -> None:
        self.hearing_at = datetime.fromisoformat(d["hearing_at"])
        self.hearing_host = d["host"]
        self.last_at = env.occurred_at
        self.status = "hearing_scheduled"

    @command(
        "hold_hearing",
        event="PenaltyHearingHeld",
        zh="举行听证",
        en="Hold hearing",
        event_zh="听证已举行",
        rule=f"{LAW} §§64-65",
        roles=(REGULATOR,),
        step=STEP,
        properties={
            "outcome": enum("held", "party_absent", "party_withdrew"),
            "transcript_sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
        required=("outcome", "transcript_sha256"),
    )
    def hold_hearing(self, cmd: SignedCommand, ctx: Context) -> None:
        env = cmd.envelope
        self.require("hearing_scheduled", action="the hearing", rule=f"{LAW} §64")
        self._step(env, "the hearing")
        if self.hearing_at is not None and local_date(env.occurred_at) < local_date(
            self.hearing_at
        ):
            raise TooEarly(
                f"the hearing is scheduled for {local_date(self.hearing_at)}",
                rule=f"{LAW} §64 (二)",
            )
        self.record(cmd)

    def on_hold_hearing(self, env: Envelope, d: dict[str, Any]) -> None:
        self.hearing_outcome = d["outcome"]
        self.last_at = env.occurred_at
        self.status = "heard"
