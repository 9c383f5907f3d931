"""Permit (安全生产许可证, 安全生产许可证条例; 行政许可法) — the 准入 stage.

Lifecycle:

    apply ──► applied ──grant──► active ◄──reinstate── suspended
                 │                 │ └──suspend──────────►│
                 └─refuse─► refused│                      │
                                   ├──revoke──► revoked ◄─┘
                                   └──cancel──► cancelled (注销: expired, business ended, revoked)

    renewal (延期): apply_renewal (≥ 3 months before expiry) ──► renew (after review)
                                                              ├► extend (no review: no fatal
                                                              │  accident in the term, §9)
                                                              └► refuse_renewal

A term is [granted_on, expires_on) with expires_on three years after the grant (domain.terms);
renewal and extension add three years to expires_on. A decision later than 45 days after the
application is recorded with `decided_late` (行政许可法 §42 binds the regulator, not the facts).
The enterprise's own clock (the renewal window) is judged at the platform's recorded time when
the enterprise signs, and the 45 days run from the recorded time of an application it signed
(domain.clocks); every step is dated in order (domain.record).

Extension without review (§9) needs no fatal accident in the term. The Context can load a record
by id but cannot list an enterprise's accidents, so the regulator signs the assertion
`no_fatal_accident: true` and names the accident records of the enterprise it checked; each is
loaded and a fatal one in the term rejects the extension.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from domain.accident import Accident
from domain.clocks import TooLate, judged_at_command, judged_note
from domain.commands import (
    DOC_NO,
    ENTERPRISE,
    REGULATOR,
    USCC,
    UUID_,
    array,
    command,
    enum,
    text,
)
from domain.context import Context
from domain.enterprise import enterprise_of
from domain.envelope import Envelope, SignedCommand
from domain.errors import InvalidTransition, InvalidValue
from domain.record import Record
from domain.terms import add_months, add_years, day_of

RULE = "安全生产许可证条例"
APPLY_RULE = RULE + " §2, §6"
DECISION_RULE = RULE + " §7 (45日内作出决定); 行政许可法 §42"
TERM_RULE = RULE + " §9 (有效期3年)"
RENEWAL_RULE = RULE + " §9 (期满前3个月办理延期手续)"
EXTENSION_RULE = RULE + " §9 (未发生死亡事故的, 不再审查, 延期3年)"
SUSPEND_RULE = RULE + " §14; 安全生产法 §65 (重大事故隐患责令停产停业)"
REVOKE_RULE = RULE + " §14, §19"
CANCEL_RULE = "行政许可法 §70 (注销)"

TERM_YEARS = 3
DECISION_DAYS = 45
RENEWAL_MONTHS_BEFORE = 3
INDUSTRIES = {
    "mine": "矿山企业",
    "construction": "建筑施工企业",
    "hazardous_chemicals": "危险化学品生产企业",
    "fireworks": "烟花爆竹生产企业",
    "explosives": "民用爆炸物品生产企业",
}
CANCEL_GROUNDS = {
    "expired": "有效期届满未延续",
    "business_terminated": "企业依法终止",
    "revoked": "许可被吊销",
}


class Permit(Record):
    KIND = "permit"
    KIND_ZH = "安全生产许可证"

    @classmethod
    @command(
        "apply",
        event="PermitApplied",
        zh="申请安全生产许可证",
        en="Apply for safety permit",
        event_zh="许可申请已受理",
        rule=APPLY_RULE,
        roles=(ENTERPRISE, REGULATOR),
        creates=True,
        step="准入",
        properties={"enterprise": USCC, "industry": enum(*INDUSTRIES), "scope": text(500)},
        required=("enterprise", "industry", "scope"),
    )
    def apply(cls, cmd: SignedCommand, ctx: Context) -> Permit:
        enterprise_of(cmd, ctx)
        return cls.create(cmd)

    def on_apply(self, env: Envelope, d: dict[str, Any]) -> None:
        self.enterprise: str = d["enterprise"]
        self.industry: str = d["industry"]
        self.scope: str = d["scope"]
        self.applied_at: datetime = env.occurred_at
        # Counted from when the regulator could have the application: the recorded time of one
        # the enterprise signed (domain.clocks), so a backdated application makes nobody late.
        received = self.judged_at_event(env)
        self.decision_due: date = received.date() + timedelta(days=DECISION_DAYS)
        self.decided_late: bool = False
        self.number: str | None = None
        self.granted_on: date | None = None
        self.term_start: date | None = None
        self.expires_on: date | None = None
        self.renewal_pending: bool = False
        self.renewals: int = 0
        self.suspension_reason: str | None = None
        self.status = "applied"

    # -- decision ------------------------------------------------------------------------------

    @command(
        "grant",
        event="PermitGranted",
        zh="颁发安全生产许可证",
        en="Grant permit",
        event_zh="许可证已颁发",
        rule=DECISION_RULE,
        roles=(REGULATOR,),
        step="准入",
        properties={"number": text(64)},
        required=("number",),
    )
    def grant(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("applied", action="a grant", rule=DECISION_RULE)
        self._not_before_application(cmd)
        self.record(cmd)

    def on_grant(self, env: Envelope, d: dict[str, Any]) -> None:
        self.number = d["number"]
        self.granted_on = env.occurred_at.date()
        self.term_start = self.granted_on
        self.expires_on = add_years(self.granted_on, TERM_YEARS)
        self.decided_late = self.granted_on > self.decision_due
        self.status = "active"

    @command(
        "refuse",
        event="PermitRefused",
        zh="不予许可",
        en="Refuse permit",
        event_zh="不予许可决定已作出",
        rule=DECISION_RULE,
        roles=(REGULATOR,),
        step="准入",
        properties={"reason": text(1000)},
        required=("reason",),
    )
    def refuse(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("applied", action="a refusal", rule=DECISION_RULE)
        self._not_before_application(cmd)
        self.record(cmd)

    def on_refuse(self, env: Envelope, d: dict[str, Any]) -> None:
        self.decided_late = env.occurred_at.date() > self.decision_due
        self.status = "refused"

    def _not_before_application(self, cmd: SignedCommand) -> None:
        if cmd.envelope.occurred_at < self.applied_at:
            raise InvalidValue(
                "a decision cannot precede the application",
                field="occurred_at",
                rule=DECISION_RULE,
            )

    # -- renewal and extension -----------------------------------------------------------------

    @property
    def renewal_deadline(self) -> date | None:
        """The last day a renewal may be applied for: three months before expiry."""
        if self.expires_on is None:
            return None
        return add_months(self.expires_on, -RENEWAL_MONTHS_BEFORE)

    @command(
        "apply_renewal",
        event="PermitRenewalApplied",
        zh="申请许可证延期",
        en="Apply for renewal",
        event_zh="延期申请已受理",
        rule=RENEWAL_RULE,
        roles=(ENTERPRISE, REGULATOR),
        step="准入",
        properties={"note": text(1000)},
    )
    def apply_renewal(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", action="a renewal application", rule=RENEWAL_RULE)
        if self.renewal_pending:
            raise InvalidTransition("a renewal is pending already", rule=RENEWAL_RULE)
        day = judged_at_command(cmd).date()
        if self.renewal_deadline is None or day > self.renewal_deadline:
            raise TooLate(
                f"renewal applied on {day} ({judged_note(cmd)}) is outside the window: it must "
                f"be applied by {self.renewal_deadline}, three months before expiry on "
                f"{self.expires_on}",
                rule=RENEWAL_RULE,
                field="occurred_at",
            )
        self.record(cmd)

    def on_apply_renewal(self, env: Envelope, d: dict[str, Any]) -> None:
        self.renewal_pending = True

    @command(
        "renew",
        event="PermitRenewed",
        zh="许可证延期(审查)",
        en="Renew permit after review",
        event_zh="许可证已延期",
        rule=RENEWAL_RULE,
        roles=(REGULATOR,),
        step="准入",
        properties={"number": text(64)},
    )
    def renew(self, cmd: SignedCommand, ctx: Context) -> None:
        self._require_pending_renewal("a renewal")
        self.record(cmd)

    def on_renew(self, env: Envelope, d: dict[str, Any]) -> None:
        self._next_term(d)

    @command(
        "extend",
        event="PermitExtendedWithoutReview",
        zh="许可证延期(不再审查)",
        en="Extend permit without review",
        event_zh="许可证已免审延期",
        rule=EXTENSION_RULE,
        roles=(REGULATOR,),
        step="准入",
        properties={
            "no_fatal_accident": {"const": True},
            "accidents_checked": array(UUID_, 0, 1000),
            "number": text(64),
        },
        required=("no_fatal_accident", "accidents_checked"),
    )
    def extend(self, cmd: SignedCommand, ctx: Context) -> None:
        self._require_pending_renewal("an extension without review")
        d = cmd.envelope.data
        if d["no_fatal_accident"] is not True:
            raise InvalidValue(
                "extension without review needs no fatal accident in the term",
                field="data.no_fatal_accident",
                rule=EXTENSION_RULE,
            )
        assert self.term_start is not None
        assert self.expires_on is not None
        for i, ref in enumerate(d["accidents_checked"]):
            acc = ctx.get(UUID(ref), Accident)
            if acc.enterprise != self.enterprise:
                raise InvalidValue(
                    f"accident {ref} is not about enterprise {self.enterprise}",
                    field=f"data.accidents_checked[{i}]",
                )
            if acc.fatal and self.term_start <= acc.happened_at.date() < self.expires_on:
                raise InvalidTransition(
                    f"accident {ref} of {acc.happened_at.date()} caused {acc.deaths} death(s) "
                    f"in the term; the renewal needs a review (permit.renew)",
                    rule=EXTENSION_RULE,
                )
        self.record(cmd)

    def on_extend(self, env: Envelope, d: dict[str, Any]) -> None:
        self._next_term(d)

    @command(
        "refuse_renewal",
        event="PermitRenewalRefused",
        zh="不予延期",
        en="Refuse renewal",
        event_zh="不予延期决定已作出",
        rule=RENEWAL_RULE,
        roles=(REGULATOR,),
        step="准入",
        properties={"reason": text(1000)},
        required=("reason",),
    )
    def refuse_renewal(self, cmd: SignedCommand, ctx: Context) -> None:
        self._require_pending_renewal("refusing a renewal")
        self.record(cmd)

    def on_refuse_renewal(self, env: Envelope, d: dict[str, Any]) -> None:
        self.renewal_pending = False

    def _require_pending_renewal(self, action: str) -> None:
        self.require("active", "suspended", action=action, rule=RENEWAL_RULE)
        if not self.renewal_pending:
            raise InvalidTransition(
                f"{action} needs a renewal applied for in time (permit.apply_renewal)",
                rule=RENEWAL_RULE,
            )

    def _next_term(self, d: dict[str, Any]) -> None:
        assert self.expires_on is not None
        self.term_start = self.expires_on
        self.expires_on = add_years(self.expires_on, TERM_YEARS)
        self.number = d.get("number", self.number)
        self.renewal_pending = False
        self.renewals += 1

    # -- suspension, revocation, cancellation --------------------------------------------------

    @command(
        "suspend",
        event="PermitSuspended",
        zh="暂扣安全生产许可证",
        en="Suspend permit",
        event_zh="许可证已暂扣",
        rule=SUSPEND_RULE,
        roles=(REGULATOR,),
        step="准入",
        properties={"reason": text(1000), "stop_order": DOC_NO},
        required=("reason",),
    )
    def suspend(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", action="a suspension", rule=SUSPEND_RULE)
        self.record(cmd)

    def on_suspend(self, env: Envelope, d: dict[str, Any]) -> None:
        self.suspension_reason = d["reason"]
        self.status = "suspended"

    @command(
        "reinstate",
        event="PermitReinstated",
        zh="恢复安全生产许可证",
        en="Reinstate permit",
        event_zh="许可证已恢复",
        rule=SUSPEND_RULE,
        roles=(REGULATOR,),
        step="准入",
        properties={"reason": text(1000)},
        required=("reason",),
    )
    def reinstate(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("suspended", action="reinstatement", rule=SUSPEND_RULE)
        if self.is_expired(cmd.envelope.occurred_at):
            raise InvalidTransition(
                f"the permit expired on {self.expires_on}; an expired permit is cancelled, "
                "not reinstated",
                rule=TERM_RULE,
            )
        self.record(cmd)

    def on_reinstate(self, env: Envelope, d: dict[str, Any]) -> None:
        self.suspension_reason = None
        self.status = "active"

    @command(
        "revoke",
        event="PermitRevoked",
        zh="吊销安全生产许可证",
        en="Revoke permit",
        event_zh="许可证已吊销",
        rule=REVOKE_RULE,
        roles=(REGULATOR,),
        step="准入",
        properties={"reason": text(1000), "decision": DOC_NO},
        required=("reason",),
    )
    def revoke(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", "suspended", action="a revocation", rule=REVOKE_RULE)
        self.record(cmd)

    def on_revoke(self, env: Envelope, d: dict[str, Any]) -> None:
        self.renewal_pending = False
        self.status = "revoked"

    @command(
        "cancel",
        event="PermitCancelled",
        zh="注销安全生产许可证",
        en="Cancel permit",
        event_zh="许可证已注销",
        rule=CANCEL_RULE,
        roles=(REGULATOR,),
        step="准入",
        properties={"grounds": enum(*CANCEL_GROUNDS), "note": text(1000)},
        required=("grounds",),
    )
    def cancel(self, cmd: SignedCommand, ctx: Context) -> None:
        grounds = cmd.envelope.data["grounds"]
        if grounds == "revoked":
            self.require("revoked", action="cancellation on revocation", rule=CANCEL_RULE)
        else:
            self.require("active", "suspended", action="a cancellation", rule=CANCEL_RULE)
        if grounds == "expired":
            at = cmd.envelope.occurred_at
            if not self.is_expired(at):
                raise InvalidTransition(
                    f"the permit runs until {self.expires_on}; it is not expired on {at.date()}",
                    rule=CANCEL_RULE,
                )
            if self.renewal_pending:
                raise InvalidTransition(
                    "a renewal applied for in time awaits its decision", rule=RENEWAL_RULE
                )
        self.record(cmd)

    def on_cancel(self, env: Envelope, d: dict[str, Any]) -> None:
        self.renewal_pending = False
        self.status = "cancelled"

    # -- derived -------------------------------------------------------------------------------

    def is_expired(self, at: date | datetime) -> bool:
        """True from the expiry date on (the term is [term_start, expires_on))."""
        return self.expires_on is not None and day_of(at) >= self.expires_on

    def is_valid(self, at: date | datetime) -> bool:
        """True when the enterprise may operate under this permit at `at`."""
        return self.status == "active" and not self.is_expired(at)

    def is_decision_overdue(self, at: date | datetime) -> bool:
        return self.status == "applied" and day_of(at) > self.decision_due
