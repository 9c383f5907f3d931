"""PenaltyCase (行政处罚案件): one administrative penalty procedure, 立案 to 结案.

行政处罚法 2021 (cited as §n below); the 2-, 3-, 5- and 7-day periods are working days (§85, see
domain.clocks); the others are calendar days counted from the day after the starting event.

    filed ─investigate─► investigating ─review─► reviewed ─legal_review─► legal_reviewed
       (preserve_evidence / decide_preserved)       │ no_penalty, transfer ► dropped
                                                    ▼
      noticed (告知) ─request_hearing─► hearing_requested ─schedule_hearing─► hearing_scheduled
         │                                                            hold_hearing ▼
         └──────────────────────────── decide ◄──────────────────────────── heard
                                          ▼
      decided ─serve─► served ─pay / execute─► executed ─close─► closed
      decided, served, executed ─revoke─► revoked ─(withdraw_publication)─ close ─► closed
      publish (公开) any time after the decision, while not revoked.

How each clock is enforced, and why:
- time bar (§36, 2 years; 5 where life or health was harmed): filing is rejected (TooLate).
- decision within 90 days of filing (§60), extendable by approval before it lapses: a later
  decision or extension is rejected (TooLate), so the extension must be on the record.
- hearing request within 5 working days of the notice (§64 (一)): a later request is rejected;
  the hearing notice must be at least 7 working days ahead (§64 (二)): rejected otherwise; and
  while the party may still ask, no decision is made (TooEarly).
- evidence preservation decided within 7 working days (§56), service within 7 working days of the
  decision (§61), withdrawal of a published decision within 3 working days of its revocation
  (§48): these steps must still happen when late, so they are recorded and the lateness is
  exposed in `breaches`.
- payment within 15 days of service (§67), then a late fee of 3% of the fine a day, capped at
  the fine (§72): derived by `late_fee_fen` / `owed_fen`, never an event.

Money: decisions state whole yuan; what is owed is computed in fen (3% of a whole-yuan fine is
a whole number of fen, so the late fee is exact).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.catalog import (
    DATE,
    ENTERPRISE,
    INSTANT,
    REF,
    REGULATOR,
    USCC,
    UUID_,
    array,
    boolean,
    command,
    enum,
    integer,
    text,
)
from domain.clocks import TooEarly, TooLate, last_day, local_date, not_before, parse_date, within
from domain.context import Context
from domain.enterprise import enterprise_of
from domain.envelope import Envelope, SignedCommand, parse_instant
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotFound
from domain.hazard import EVIDENCE, HazardCase
from domain.inspection import finding_of
from domain.officers import OFFICERS, check_officer, check_officers
from domain.record import Record
from domain.sanction import LAW, MAX_YUAN, SCHEMA, TO_EXECUTE, Sanction

STEP = "处罚"
DECISION_DAYS = 90  # §60
EXTENSION_DAYS = 30  # per approved extension (应急管理综合行政执法程序规定) (?)
PRESERVATION_DAYS = 7  # §56, working days
HEARING_REQUEST_DAYS = 5  # §64 (一), working days
HEARING_NOTICE_DAYS = 7  # §64 (二), working days
SERVICE_DAYS = 7  # §61, working days
PAYMENT_DAYS = 15  # §67
LATE_FEE_PERCENT = 3  # §72
WITHDRAWAL_DAYS = 3  # §48, working days
BAR_YEARS, BAR_YEARS_HARM = 2, 5  # §36

OPEN = (
    "filed",
    "investigating",
    "reviewed",
    "legal_reviewed",
    "noticed",
    "hearing_requested",
    "hearing_scheduled",
    "heard",
)
RIGHTS = {"statement": "陈述", "defence": "申辩", "hearing": "要求听证"}
SERVICE = {
    "on_the_spot": "当场交付",
    "direct": "直接送达",
    "mail": "邮寄送达",
    "electronic": "电子送达",
    "announcement": "公告送达",
}
PRESERVED_DISPOSITIONS = {
    "release": "解除先行登记保存",
    "examine": "检验、检测、鉴定",
    "confiscate": "依法没收",
    "transfer": "移送有关部门",
}


def add_years(d: date, years: int) -> date:
    """The same day `years` later; a missing 29 February becomes the month's last day (民法典
    §202)."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


class PenaltyCase(Record):
    KIND = "penalty"
    KIND_ZH = "行政处罚案件"

    # -- 立案 ------------------------------------------------------------------------------

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
    def file(cls, cmd: SignedCommand, ctx: Context) -> PenaltyCase:
        """Preconditions: the violation was discovered within the time bar counted from the day
        it ended (§36); a cited inspection finding or hazard case is about the same enterprise.
        """
        env, d = cmd.envelope, cmd.envelope.data
        ent = enterprise_of(cmd, ctx)
        if ctx.find(env.subject, PenaltyCase) is not None:
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
        self.enterprise: str = d["enterprise"]
        self.case_no: str = d["case_no"]
        self.violation: str = d["violation"]
        self.basis: str = d["basis"]
        self.violation_date: str = d["violation_date"]
        self.harm: bool = bool(d.get("harm_to_life_or_health", False))
        self.inspection: str | None = d.get("inspection")
        self.finding: str | None = d.get("finding")
        self.hazard: str | None = d.get("hazard")
        self.filed_at: datetime = env.occurred_at
        self.last_at: datetime = env.occurred_at
        self.decision_due: date = last_day(env.occurred_at, DECISION_DAYS)
        self.extensions: list[dict[str, Any]] = []
        self.officers: list[str] = []
        self.evidence: dict[str, dict[str, Any]] = {}
        self.preserved: dict[str, dict[str, Any]] = {}
        self.conclusion: str | None = None
        self.legal_opinion: str | None = None
        self.proposed: Sanction | None = None
        self.noticed_at: datetime | None = None
        self.hearing_waived = False
        self.hearing_requested_at: datetime | None = None
        self.hearing_at: datetime | None = None
        self.hearing_host: str | None = None
        self.hearing_outcome: str | None = None
        self.statements: list[dict[str, str]] = []
        self.decision_no: str | None = None
        self.decided: Sanction | None = None
        self.decided_at: datetime | None = None
        self.served_at: datetime | None = None
        self.paid_fen = 0
        self.settled_on: date | None = None
        self.executed: set[str] = set()
        self.executed_at: datetime | None = None
        self.published_at: datetime | None = None
        self.revoked_at: datetime | None = None
        self.withdrawn_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.breaches: list[dict[str, str]] = []
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

    # -- 调查取证 ----------------------------------------------------------------------------

    @command(
        "investigate",
        event="PenaltyEvidenceGathered",
        zh="调查取证",
        en="Investigate",
        event_zh="调查取证已记录",
        rule=f"{LAW} §§42, 54-55",
        roles=(REGULATOR,),
        step=STEP,
        properties={
            "officers": OFFICERS,
            "facts": text(4000),
            "evidence": array(EVIDENCE, 0, 200),
        },
        required=("officers", "facts"),
    )
    def investigate(self, cmd: SignedCommand, ctx: Context) -> None:
        """At least two officers (§42); evidence refs are unique in the case."""
        env, d = cmd.envelope, cmd.envelope.data
        self.require("filed", "investigating", action="investigation", rule=f"{LAW} §54")
        self._step(env, "the investigation")
        check_officers(d["officers"], ctx, env.region, "data.officers")
        refs = [e["ref"] for e in d.get("evidence", [])]
        for ref in refs:
            if ref in self.evidence or refs.count(ref) > 1:
                raise AlreadyExists(f"evidence {ref} is recorded already", field="data.evidence")
        self.record(cmd)

    def on_investigate(self, env: Envelope, d: dict[str, Any]) -> None:
        self.officers = sorted({*self.officers, *d["officers"]})
        self.facts: str = d["facts"]
        for e in d.get("evidence", []):
            self.evidence[e["ref"]] = {**e, "at": env.occurred_at.isoformat()}
        self.last_at = env.occurred_at
        self.status = "investigating"

    @command(
        "preserve_evidence",
        event="PenaltyEvidencePreserved",
        zh="证据先行登记保存",
        en="Preserve evidence",
        event_zh="证据已先行登记保存",
        rule=f"{LAW} §56",
        roles=(REGULATOR,),
        step=STEP,
        properties={"item": REF, "description": text(1000), "approved_by": text(200)},
        required=("item", "description", "approved_by"),
    )
    def preserve_evidence(self, cmd: SignedCommand, ctx: Context) -> None:
        env, d = cmd.envelope, cmd.envelope.data
        self.require("investigating", action="evidence preservation", rule=f"{LAW} §56")
        self._step(env, "the preservation")
        if d["item"] in self.preserved:
            raise AlreadyExists(f"item {d['item']} is preserved already", field="data.item")
        self.record(cmd)

    def on_preserve_evidence(self, env: Envelope, d: dict[str, Any]) -> None:
        self.preserved[d["item"]] = {
            "description": d["description"],
            "at": env.occurred_at.isoformat(),
            "due": last_day(env.occurred_at, PRESERVATION_DAYS, working=True).isoformat(),
            "disposition": None,
        }
        self.last_at = env.occurred_at

    @command(
        "decide_preserved",
        event="PenaltyPreservedEvidenceDecided",
        zh="先行登记保存证据处理决定",
        en="Decide on preserved evidence",
        event_zh="保存证据已作出处理决定",
        rule=f"{LAW} §56",
        roles=(REGULATOR,),
        step=STEP,
        properties={"item": REF, "disposition": enum(*PRESERVED_DISPOSITIONS)},
        required=("item", "disposition"),
    )
    def decide_preserved(self, cmd: SignedCommand, ctx: Context) -> None:
        """Due within 7 working days; a late decision is still recorded and marked a breach."""
        env, d = cmd.envelope, cmd.envelope.data
        self.require("investigating", action="a decision on preserved evidence", rule=f"{LAW} §56")
        self._step(env, "the decision on preserved evidence")
        item = self.preserved.get(d["item"])
        if item is None:
            raise NotFound(f"item {d['item']} was not preserved", field="data.item")
        if item["disposition"] is not None:
            raise InvalidTransition(
                f"item {d['item']} was decided already ({item['disposition']})",
                rule=f"{LAW} §56",
            )
        self.record(cmd)

    def on_decide_preserved(self, env: Envelope, d: dict[str, Any]) -> None:
        item = self.preserved[d["item"]]
        item["disposition"] = d["disposition"]
        self._breach_if_late(env, date.fromisoformat(item["due"]), "§56", "preserved evidence")
        self.last_at = env.occurred_at

    # -- 审查, 法制审核 ---------------------------------------------------------------------

    @command(
        "review",
        event="PenaltyCaseReviewed",
        zh="案件审查",
        en="Review investigation",
        event_zh="案件已审查",
        rule=f"{LAW} §57",
        roles=(REGULATOR,),
        step=STEP,
        properties={
            "conclusion": enum("penalty", "no_penalty", "transfer"),
            "opinion": text(4000),
            "proposed": SCHEMA,
        },
        required=("conclusion", "opinion"),
    )
    def review(self, cmd: SignedCommand, ctx: Context) -> None:
        """A penalty needs recorded evidence (§40) and every preserved item decided (§56)."""
        env, d = cmd.envelope, cmd.envelope.data
        self.require("investigating", action="review", rule=f"{LAW} §57")
        self._step(env, "the review")
        open_items = [k for k, v in self.preserved.items() if v["disposition"] is None]
        if open_items:
            raise InvalidTransition(
                f"preserved evidence {', '.join(open_items)} awaits a decision",
                rule=f"{LAW} §56",
            )
        if (d["conclusion"] == "penalty") != ("proposed" in d):
            raise InvalidValue(
                "a review concluding on a penalty proposes one, and only then",
                field="data.proposed",
            )
        if d["conclusion"] == "penalty":
            Sanction.parse(d["proposed"], "data.proposed")
            if not self.evidence:
                raise InvalidTransition(
                    "no evidence is recorded: facts unclear, no penalty (事实不清、证据不足)",
                    rule=f"{LAW} §40",
                )
        self.record(cmd)

    def on_review(self, env: Envelope, d: dict[str, Any]) -> None:
        self.conclusion = d["conclusion"]
        if "proposed" in d:
            self.proposed = Sanction.parse(d["proposed"], "data.proposed")
        self.last_at = env.occurred_at
        self.status = "reviewed" if d["conclusion"] == "penalty" else "dropped"

    @command(
        "legal_review",
        event="PenaltyLegalReviewed",
        zh="法制审核",
        en="Legal review",
        event_zh="法制审核已完成",
        rule=f"{LAW} §58",
        roles=(REGULATOR,),
        step=STEP,
        properties={"opinion": enum("approved", "returned"), "comments": text(4000)},
        required=("opinion", "comments"),
    )
    def legal_review(self, cmd: SignedCommand, ctx: Context) -> None:
        """By a reviewer who did not investigate the case; `returned` sends it back to
        investigation."""
        env = cmd.envelope
        self.require("reviewed", action="法制审核", rule=f"{LAW} §58")
        self._step(env, "法制审核")
        if env.actor in self.officers:
            raise InvalidValue(
                f"{env.actor} investigated this case and cannot review it (审查与调查分离)",
                rule=f"{LAW} §58",
                field="actor",
            )
        self.record(cmd)

    def on_legal_review(self, env: Envelope, d: dict[str, Any]) -> None:
        self.legal_opinion = d["opinion"]
        self.legal_reviewer: str = env.actor
        self.last_at = env.occurred_at
        self.status = "legal_reviewed" if d["opinion"] == "approved" else "investigating"

    # -- 告知, 陈述申辩, 听证 --------------------------------------------------------------

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
        self.notice_facts: str = d["facts"]
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
        if not within(env.occurred_at, due):
            raise TooLate(
                f"a hearing is asked within 5 working days of the notice (by {due}); "
                f"asked {local_date(env.occurred_at)}",
                rule=f"{LAW} §64 (一)",
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

    # -- 决定, 送达 ----------------------------------------------------------------------

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

    # -- 执行: payment, late fee, other penalties --------------------------------------------

    @property
    def fine_fen(self) -> int:
        return self.decided.fine_yuan * 100 if self.decided is not None else 0

    @property
    def payment_due(self) -> date | None:
        """Last day to pay without a late fee (§67: 15 days from receipt of the decision)."""
        return last_day(self.served_at, PAYMENT_DAYS) if self.served_at is not None else None

    def late_fee_fen(self, at: date | datetime) -> int:
        """§72: 3% of the fine for each day past the payment deadline, at most the fine.

        Counted on the whole fine up to `at`, or up to the day the fine was settled.
        """
        due = self.payment_due
        if due is None or self.fine_fen == 0:
            return 0
        day = local_date(at) if isinstance(at, datetime) else at
        if self.settled_on is not None:
            day = min(day, self.settled_on)
        days_late = max(0, (day - due).days)
        per_day = self.fine_fen * LATE_FEE_PERCENT // 100  # exact: whole yuan × 3 fen
        return min(self.fine_fen, per_day * days_late)

    def owed_fen(self, at: date | datetime) -> int:
        """Fine plus late fee minus payments, in fen, on the day of `at`."""
        if self.settled_on is not None:
            return 0
        return self.fine_fen + self.late_fee_fen(at) - self.paid_fen

    @command(
        "pay",
        event="PenaltyFinePaid",
        zh="缴纳罚款",
        en="Record fine payment",
        event_zh="罚款已缴纳",
        rule=f"{LAW} §§67, 72",
        roles=(REGULATOR,),
        step=STEP,
        properties={"amount_fen": integer(1, MAX_YUAN * 200), "receipt": REF},
        required=("amount_fen", "receipt"),
    )
    def pay(self, cmd: SignedCommand, ctx: Context) -> None:
        """A payment (bank receipt) against what is owed that day; no overpayment."""
        env, d = cmd.envelope, cmd.envelope.data
        self.require("served", action="a payment", rule=f"{LAW} §67")
        self._step(env, "the payment")
        owed = self.owed_fen(env.occurred_at)
        if owed <= 0:
            raise InvalidTransition("nothing is owed on this case", rule=f"{LAW} §67")
        if d["amount_fen"] > owed:
            raise InvalidValue(
                f"payment of {d['amount_fen']} fen exceeds the {owed} fen owed on "
                f"{local_date(env.occurred_at)}",
                rule=f"{LAW} §72",
                field="data.amount_fen",
            )
        self.record(cmd)

    def on_pay(self, env: Envelope, d: dict[str, Any]) -> None:
        self.paid_fen += d["amount_fen"]
        self.last_at = env.occurred_at
        self._settle_if_done(env.occurred_at)

    @command(
        "execute",
        event="PenaltyExecuted",
        zh="行政处罚执行",
        en="Record execution",
        event_zh="行政处罚已执行",
        rule=f"{LAW} §§66, 73",
        roles=(REGULATOR,),
        step=STEP,
        properties={
            "carried_out": array(enum(*sorted(TO_EXECUTE)), 1, len(TO_EXECUTE)),
            "note": text(2000),
        },
        required=("carried_out", "note"),
    )
    def execute(self, cmd: SignedCommand, ctx: Context) -> None:
        """Records that non-monetary penalties of the decision were carried out."""
        env, d = cmd.envelope, cmd.envelope.data
        self.require("served", action="execution", rule=f"{LAW} §66")
        self._step(env, "the execution")
        pending = self.decided.to_execute - self.executed if self.decided else frozenset()
        for t in d["carried_out"]:
            if t not in pending:
                raise InvalidValue(
                    f"{t} is not a pending penalty of this decision", field="data.carried_out"
                )
        self.record(cmd)

    def on_execute(self, env: Envelope, d: dict[str, Any]) -> None:
        self.executed.update(d["carried_out"])
        self.last_at = env.occurred_at
        self._settle_if_done(env.occurred_at)

    def _settle_if_done(self, at: datetime) -> None:
        if self.decided is None:
            done = True
        else:
            if self.paid_fen and self.paid_fen >= self.fine_fen + self.late_fee_fen(at):
                self.settled_on = local_date(at)
            fine_done = self.fine_fen == 0 or self.settled_on is not None
            done = fine_done and self.decided.to_execute <= self.executed
        if done:
            self.executed_at = at
            self.status = "executed"

    # -- 公开, 撤销, 结案 -------------------------------------------------------------------

    @command(
        "publish",
        event="PenaltyDecisionPublished",
        zh="行政处罚决定公开",
        en="Publish decision",
        event_zh="行政处罚决定已公开",
        rule=f"{LAW} §48",
        roles=(REGULATOR,),
        step=STEP,
        properties={"url": text(500)},
        required=("url",),
    )
    def publish(self, cmd: SignedCommand, ctx: Context) -> None:
        env = cmd.envelope
        self.require(
            "decided", "served", "executed", "closed", action="publication", rule=f"{LAW} §48"
        )
        self._step(env, "publication")
        if self.decided is None:
            raise InvalidTransition(
                "a decision not to penalise is not published", rule=f"{LAW} §48"
            )
        if self.published_at is not None:
            raise AlreadyExists(f"decision {self.decision_no} is published already")
        self.record(cmd)

    def on_publish(self, env: Envelope, d: dict[str, Any]) -> None:
        self.published_at = env.occurred_at
        self.publication_url: str = d["url"]
        self.last_at = env.occurred_at

    @command(
        "revoke",
        event="PenaltyDecisionRevoked",
        zh="撤销行政处罚决定",
        en="Revoke decision",
        event_zh="行政处罚决定已撤销",
        rule=f"{LAW} §§48, 75",
        roles=(REGULATOR,),
        step=STEP,
        properties={
            "by": enum("reconsideration", "court", "self_correction"),
            "reason": text(2000),
        },
        required=("by", "reason"),
    )
    def revoke(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require(
            "decided", "served", "executed", "closed", action="revocation", rule=f"{LAW} §75"
        )
        self._step(cmd.envelope, "the revocation")
        self.record(cmd)

    def on_revoke(self, env: Envelope, d: dict[str, Any]) -> None:
        self.revoked_at = env.occurred_at
        self.revoked_by: str = d["by"]
        self.last_at = env.occurred_at
        self.status = "revoked"

    @property
    def withdrawal_due(self) -> date | None:
        """Last day to withdraw a published decision after its revocation (§48: 3 working
        days)."""
        if self.revoked_at is None or self.published_at is None or self.withdrawn_at:
            return None
        return last_day(self.revoked_at, WITHDRAWAL_DAYS, working=True)

    @command(
        "withdraw_publication",
        event="PenaltyPublicationWithdrawn",
        zh="撤回行政处罚决定信息",
        en="Withdraw publication",
        event_zh="行政处罚决定信息已撤回",
        rule=f"{LAW} §48",
        roles=(REGULATOR,),
        step=STEP,
        properties={"explanation": text(2000)},
        required=("explanation",),
    )
    def withdraw_publication(self, cmd: SignedCommand, ctx: Context) -> None:
        """Within 3 working days of the revocation; later is recorded and marked a breach."""
        env = cmd.envelope
        self.require("revoked", action="withdrawal", rule=f"{LAW} §48")
        self._step(env, "the withdrawal")
        if self.withdrawal_due is None:
            raise InvalidTransition(
                "the decision is not published, or was withdrawn already", rule=f"{LAW} §48"
            )
        self.record(cmd)

    def on_withdraw_publication(self, env: Envelope, d: dict[str, Any]) -> None:
        due = self.withdrawal_due
        assert due is not None
        self._breach_if_late(env, due, "§48", "withdrawal of the publication")
        self.withdrawn_at = env.occurred_at
        self.last_at = env.occurred_at

    @command(
        "close",
        event="PenaltyCaseClosed",
        zh="行政处罚结案",
        en="Close case",
        event_zh="行政处罚已结案",
        rule=f"{LAW} §47",
        roles=(REGULATOR,),
        step=STEP,
        properties={"summary": text(2000)},
        required=("summary",),
    )
    def close(self, cmd: SignedCommand, ctx: Context) -> None:
        """After execution, after a review dropping the case, or after a revocation whose
        publication (if any) was withdrawn."""
        env = cmd.envelope
        if self.status == "served":
            raise InvalidTransition(
                "the decision is not fully executed: "
                f"{self.owed_fen(env.occurred_at)} fen owed, pending "
                f"{', '.join(sorted(self._pending())) or 'nothing else'}",
                rule=f"{LAW} §§67, 72",
            )
        self.require("executed", "dropped", "revoked", action="closing", rule=f"{LAW} §47")
        self._step(env, "closing")
        if self.withdrawal_due is not None:
            raise InvalidTransition(
                "the revoked decision is still published; withdraw it first", rule=f"{LAW} §48"
            )
        self.record(cmd)

    def on_close(self, env: Envelope, d: dict[str, Any]) -> None:
        self.closed_at = env.occurred_at
        self.last_at = env.occurred_at
        self.status = "closed"

    # -- helpers -----------------------------------------------------------------------------

    def _pending(self) -> frozenset[str]:
        return self.decided.to_execute - self.executed if self.decided else frozenset()

    def _step(self, env: Envelope, action: str) -> None:
        not_before(env.occurred_at, self.last_at, action)

    def _breach_if_late(self, env: Envelope, due: date, article: str, step: str) -> None:
        if not within(env.occurred_at, due):
            self.breaches.append(
                {
                    "rule": f"{LAW} {article}",
                    "step": step,
                    "due": due.isoformat(),
                    "at": env.occurred_at.isoformat(),
                }
            )
