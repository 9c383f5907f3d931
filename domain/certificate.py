"""TrainingCertificate (特种作业操作证, 特种作业人员安全技术培训考核管理规定 总局令第30号).

Lifecycle:

    issue (exam ≥ 80/100) ──► active ──suspend──► suspended ──reinstate──► active
                                │ │                   │
                                │ └──────revoke───────┴──► revoked
                                ├──review failed twice──► invalid (失效)
                                └──cancel──► cancelled (注销: expired, review overdue, …)

    review: apply_review (within 60 days before the due date, ≥ 8 class hours) ──► review
      passed: next review 3 years after the due date, 6 years with ≥ 10 years in the trade
              and a clean record; a review that reaches past the validity renews the
              certificate for 6 years from the due date (延期换证).
      failed: one re-review may be applied for within 30 days; a second failure invalidates it.

The review windows bind the holder's side: when the enterprise applies, they are judged at the
platform's recorded time (domain.clocks), so a late application cannot be backdated into one.

The holder is personal data (PIPL): the event carries only the vault's sealed form
{"ref", "commitment", "sealed"} (domain.catalog.SEALED_PERSON; see ledger.privacy), never a
name, ID number or phone in the clear, so erasing the holder leaves every hash valid.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from domain.clocks import TooLate, judged_at_command, judged_note
from domain.commands import (
    DATE,
    ENTERPRISE,
    REGULATOR,
    SEALED_PERSON,
    USCC,
    command,
    enum,
    integer,
    text,
)
from domain.context import Context
from domain.enterprise import enterprise_of
from domain.envelope import Envelope, SignedCommand
from domain.errors import InvalidTransition, InvalidValue
from domain.record import Record
from domain.terms import add_years, day_of, parse_date

RULE = "特种作业人员安全技术培训考核管理规定 (总局令第30号)"
EXAM_RULE = RULE + ": 考试百分制, 80分合格"
VALIDITY_RULE = RULE + ": 操作证有效期6年"
REVIEW_RULE = RULE + ": 每3年复审1次; 连续从事本工种10年以上且无违章的每6年1次"
REVIEW_APPLY_RULE = RULE + ": 期满前60日内申请复审, 安全培训不少于8个学时"
RETAKE_RULE = RULE + ": 复审不合格的, 30日内可再复审1次; 再复审仍不合格的操作证失效"
SUSPEND_RULE = RULE + ": 暂扣、吊销、撤销特种作业操作证"
PIPL_RULE = "个人信息保护法 §51: 个人信息不以明文进入日志"

PASS_MARK = 80
VALID_YEARS = 6
REVIEW_YEARS = 3
CLEAN_REVIEW_YEARS = 6
CLEAN_YEARS_NEEDED = 10
REVIEW_WINDOW = timedelta(days=60)
RETAKE_WINDOW = timedelta(days=30)
MIN_CLASS_HOURS = 8
CATEGORIES = {
    "electrical": "电工作业",
    "welding_cutting": "焊接与热切割作业",
    "work_at_height": "高处作业",
    "refrigeration": "制冷与空调作业",
    "coal_mine": "煤矿安全作业",
    "metal_nonmetal_mine": "金属非金属矿山安全作业",
    "oil_gas": "石油天然气安全作业",
    "metallurgy": "冶金(有色)生产安全作业",
    "hazardous_chemicals": "危险化学品安全作业",
    "fireworks": "烟花爆竹安全作业",
    "other": "安全监管总局认定的其他作业",
}
CANCEL_GROUNDS = {
    "expired": "有效期届满",
    "review_overdue": "未按期复审",
    "holder_request": "持证人申请",
    "holder_deceased": "持证人死亡或丧失行为能力",
}
PLAIN_PERSON_FIELDS = frozenset({"name", "id_number", "phone"})


class TrainingCertificate(Record):
    KIND = "certificate"
    KIND_ZH = "特种作业操作证"

    @classmethod
    @command(
        "issue",
        event="CertificateIssued",
        zh="颁发特种作业操作证",
        en="Issue special-operation certificate",
        event_zh="特种作业操作证已颁发",
        rule=EXAM_RULE,
        roles=(REGULATOR,),
        creates=True,
        step="监管",
        properties={
            "enterprise": USCC,
            "holder": SEALED_PERSON,
            "category": enum(*CATEGORIES),
            "operation": text(100),
            "number": text(64),
            "exam_score": integer(0, 100),
            "exam_on": DATE,
        },
        required=(
            "enterprise",
            "holder",
            "category",
            "operation",
            "number",
            "exam_score",
            "exam_on",
        ),
    )
    def issue(cls, cmd: SignedCommand, ctx: Context) -> TrainingCertificate:
        d = cmd.envelope.data
        enterprise_of(cmd, ctx)
        check_sealed(d["holder"])
        if d["exam_score"] < PASS_MARK:
            raise InvalidValue(
                f"exam score {d['exam_score']} is below the pass mark {PASS_MARK}/100",
                field="data.exam_score",
                rule=EXAM_RULE,
            )
        if parse_date(d["exam_on"], "data.exam_on") > cmd.envelope.occurred_at.date():
            raise InvalidValue(
                "a certificate is issued after the exam", field="data.exam_on", rule=EXAM_RULE
            )
        return cls.create(cmd)

    def on_issue(self, env: Envelope, d: dict[str, Any]) -> None:
        self.enterprise: str = d["enterprise"]
        self.holder_ref: str = d["holder"]["ref"]
        self.holder_commitment: str = d["holder"]["commitment"]
        self.category: str = d["category"]
        self.operation: str = d["operation"]
        self.number: str = d["number"]
        self.issued_on: date = env.occurred_at.date()
        self.valid_until: date = add_years(self.issued_on, VALID_YEARS)
        self.review_due: date = add_years(self.issued_on, REVIEW_YEARS)
        self.review_pending: bool = False
        self.failed_reviews: int = 0
        self.retake_until: date | None = None
        self.reviews: int = 0
        self.status = "active"

    # -- review (复审) -------------------------------------------------------------------------

    @command(
        "apply_review",
        event="CertificateReviewApplied",
        zh="申请复审",
        en="Apply for review",
        event_zh="复审申请已受理",
        rule=REVIEW_APPLY_RULE,
        roles=(ENTERPRISE, REGULATOR),
        step="监管",
        properties={"class_hours": integer(0, 1000)},
        required=("class_hours",),
    )
    def apply_review(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", action="a review application", rule=REVIEW_APPLY_RULE)
        if self.review_pending:
            raise InvalidTransition("a review is pending already", rule=REVIEW_APPLY_RULE)
        hours = cmd.envelope.data["class_hours"]
        if hours < MIN_CLASS_HOURS:
            raise InvalidValue(
                f"{hours} class hours of training; a review needs at least {MIN_CLASS_HOURS}",
                field="data.class_hours",
                rule=REVIEW_APPLY_RULE,
            )
        day = judged_at_command(cmd).date()
        if self.retake_until is not None:
            if day > self.retake_until:
                raise TooLate(
                    f"the re-review had to be applied for by {self.retake_until}; this one is "
                    f"{judged_note(cmd)}",
                    rule=RETAKE_RULE,
                    field="occurred_at",
                )
        elif not self.review_due - REVIEW_WINDOW <= day <= self.review_due:
            raise InvalidTransition(
                f"review applied on {day} ({judged_note(cmd)}) is outside the window "
                f"{self.review_due - REVIEW_WINDOW} to {self.review_due} "
                "(within 60 days before the due date)",
                rule=REVIEW_APPLY_RULE,
            )
        self.record(cmd)

    def on_apply_review(self, env: Envelope, d: dict[str, Any]) -> None:
        self.review_pending = True

    @command(
        "review",
        event="CertificateReviewed",
        zh="复审",
        en="Review certificate",
        event_zh="复审结论已作出",
        rule=REVIEW_RULE,
        roles=(REGULATOR,),
        step="监管",
        properties={
            "result": enum("passed", "failed"),
            "clean_years": integer(0, 80),
            "note": text(1000),
        },
        required=("result", "clean_years"),
    )
    def review(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", action="a review", rule=REVIEW_RULE)
        if not self.review_pending:
            raise InvalidTransition(
                "a review needs an application (certificate.apply_review)", rule=REVIEW_RULE
            )
        self.record(cmd)

    def on_review(self, env: Envelope, d: dict[str, Any]) -> None:
        self.review_pending = False
        if d["result"] == "failed":
            self.failed_reviews += 1
            if self.failed_reviews >= 2:
                self.retake_until = None
                self.status = "invalid"
            else:
                self.retake_until = env.occurred_at.date() + RETAKE_WINDOW
            return
        base = self.review_due
        years = CLEAN_REVIEW_YEARS if d["clean_years"] >= CLEAN_YEARS_NEEDED else REVIEW_YEARS
        self.review_due = add_years(base, years)
        if self.review_due > self.valid_until:
            self.valid_until = add_years(base, VALID_YEARS)
        self.failed_reviews = 0
        self.retake_until = None
        self.reviews += 1

    # -- suspension, revocation, cancellation --------------------------------------------------

    @command(
        "suspend",
        event="CertificateSuspended",
        zh="暂扣特种作业操作证",
        en="Suspend certificate",
        event_zh="特种作业操作证已暂扣",
        rule=SUSPEND_RULE,
        roles=(REGULATOR,),
        step="监管",
        properties={"reason": text(1000), "until": DATE},
        required=("reason",),
    )
    def suspend(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", action="a suspension", rule=SUSPEND_RULE)
        self.record(cmd)

    def on_suspend(self, env: Envelope, d: dict[str, Any]) -> None:
        self.status = "suspended"

    @command(
        "reinstate",
        event="CertificateReinstated",
        zh="发还特种作业操作证",
        en="Reinstate certificate",
        event_zh="特种作业操作证已发还",
        rule=SUSPEND_RULE,
        roles=(REGULATOR,),
        step="监管",
        properties={"note": text(1000)},
    )
    def reinstate(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("suspended", action="reinstatement", rule=SUSPEND_RULE)
        if self.is_expired(cmd.envelope.occurred_at):
            raise InvalidTransition(
                f"the certificate expired on {self.valid_until}", rule=VALIDITY_RULE
            )
        self.record(cmd)

    def on_reinstate(self, env: Envelope, d: dict[str, Any]) -> None:
        self.status = "active"

    @command(
        "revoke",
        event="CertificateRevoked",
        zh="吊销特种作业操作证",
        en="Revoke certificate",
        event_zh="特种作业操作证已吊销",
        rule=SUSPEND_RULE,
        roles=(REGULATOR,),
        step="监管",
        properties={"reason": text(1000)},
        required=("reason",),
    )
    def revoke(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", "suspended", action="a revocation", rule=SUSPEND_RULE)
        self.record(cmd)

    def on_revoke(self, env: Envelope, d: dict[str, Any]) -> None:
        self.review_pending = False
        self.status = "revoked"

    @command(
        "cancel",
        event="CertificateCancelled",
        zh="注销特种作业操作证",
        en="Cancel certificate",
        event_zh="特种作业操作证已注销",
        rule=VALIDITY_RULE,
        roles=(REGULATOR,),
        step="监管",
        properties={"grounds": enum(*CANCEL_GROUNDS), "note": text(1000)},
        required=("grounds",),
    )
    def cancel(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", "suspended", "invalid", action="a cancellation", rule=VALIDITY_RULE)
        grounds, at = cmd.envelope.data["grounds"], cmd.envelope.occurred_at
        if grounds == "expired" and not self.is_expired(at):
            raise InvalidTransition(
                f"the certificate is valid until {self.valid_until}", rule=VALIDITY_RULE
            )
        if grounds == "review_overdue" and not self.is_review_overdue(at):
            raise InvalidTransition(
                f"the review is not overdue on {at.date()} (due {self.review_due})",
                rule=REVIEW_RULE,
            )
        self.record(cmd)

    def on_cancel(self, env: Envelope, d: dict[str, Any]) -> None:
        self.review_pending = False
        self.status = "cancelled"

    # -- derived -------------------------------------------------------------------------------

    @property
    def personal_refs(self) -> frozenset[str]:
        """The vault ref of the holder (domain.data_subject erases it)."""
        return frozenset({self.holder_ref})

    def is_expired(self, at: date | datetime) -> bool:
        """True from `valid_until` on (the validity is [issued_on, valid_until))."""
        return day_of(at) >= self.valid_until

    def is_review_overdue(self, at: date | datetime) -> bool:
        """True when the due date passed without a review applied for (未按期复审)."""
        day = day_of(at)
        if self.retake_until is not None and day <= self.retake_until:
            return False
        return self.status == "active" and not self.review_pending and day > self.review_due

    def is_valid(self, at: date | datetime) -> bool:
        """True when the holder may do the operation at `at`."""
        return (
            self.status == "active" and not self.is_expired(at) and not (self.is_review_overdue(at))
        )


def check_sealed(holder: object) -> None:
    """Refuse a holder that is not in the vault's sealed form (PIPL)."""
    if not isinstance(holder, dict):
        raise InvalidValue("holder must be a sealed person", field="data.holder", rule=PIPL_RULE)
    plain = PLAIN_PERSON_FIELDS & holder.keys()
    if plain:
        raise InvalidValue(
            f"holder carries {', '.join(sorted(plain))} in the clear; seal it in the vault",
            field="data.holder",
            rule=PIPL_RULE,
        )
    if set(holder) != {"ref", "commitment", "sealed"}:
        raise InvalidValue(
            "holder must be exactly {ref, commitment, sealed}",
            field="data.holder",
            rule=PIPL_RULE,
        )
