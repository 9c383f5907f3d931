"""CreditListing (严重失信主体名单, 应急管理部令第11号): the regulator's decision to list an
enterprise as a seriously dishonest subject, and its removal.

    notify ──► noticed ──list──► listed ──remove──► removed
                  │                        (term_expired: 3 years after listing;
                  └──drop──► dropped        credit_repair: 12 months after listing at the
                                            earliest; basis_revoked: any time)

The credit projection only proposes *candidates*; listing stays a regulator's decision, made
after the enterprise was notified of the intended listing, its facts and basis, and could state
its case (令第11号: 列入前告知). The notice cites the events it rests on (`evidence`: event ids
"<subject>:<version>", e.g. the accident report or the concealment finding), so the decision can
be proven with the ledger. Whoever imposed the penalty decides the listing: here, a regulator
whose jurisdiction covers the enterprise.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.clocks import local_date, not_before
from domain.commands import DATE, DOC_NO, REGULATOR, USCC, array, command, enum, text
from domain.context import Context
from domain.enterprise import enterprise_of
from domain.envelope import Envelope, SignedCommand
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue
from domain.record import Record
from domain.terms import add_months, add_years, parse_date

ORDER = "应急管理部令第11号 (安全生产严重失信主体名单管理办法)"
STEP = "信用"
TERM_YEARS = 3  # 移出: 列入满3年
REPAIR_MONTHS = 12  # 信用修复: 列入满12个月后可申请提前移出
CASES = {
    "major_accident": "发生特别重大、重大生产安全事故",
    "larger_accidents": "12个月内发生2起以上较大生产安全事故",
    "concealment": "瞒报、谎报生产安全事故",
    "unlicensed": "未依法取得安全生产许可或许可被暂扣期间从事生产经营",
    "false_report": "安全评价检测检验机构出具虚假报告",
}
GROUNDS = {
    "term_expired": "列入期限届满",
    "credit_repair": "信用修复",
    "basis_revoked": "列入依据被撤销",
}
EVENT_ID = {"type": "string", "pattern": "^[0-9a-f-]{36}:[1-9][0-9]*$"}


class CreditListing(Record):
    KIND = "credit"
    KIND_ZH = "严重失信主体名单"

    @classmethod
    @command(
        "notify",
        event="CreditListingNoticed",
        zh="列入严重失信主体名单告知",
        en="Notify intended listing",
        event_zh="拟列入严重失信主体名单已告知",
        rule=f"{ORDER} 第5条, 第8条",
        roles=(REGULATOR,),
        creates=True,
        step=STEP,
        properties={
            "enterprise": USCC,
            "case": enum(*CASES),
            "facts": text(2000),
            "basis": text(500),
            "evidence": array(EVENT_ID, 1, 50),
            "document_no": DOC_NO,
        },
        required=("enterprise", "case", "facts", "basis", "evidence"),
    )
    def notify(cls, cmd: SignedCommand, ctx: Context) -> CreditListing:
        """Precondition: the enterprise is registered and in the record's region; the notice
        cites at least one event it rests on."""
        enterprise_of(cmd, ctx)
        if ctx.find(cmd.envelope.subject, CreditListing) is not None:
            raise AlreadyExists(f"credit listing {cmd.envelope.subject} exists already")
        return cls.create(cmd)

    def on_notify(self, env: Envelope, d: dict[str, Any]) -> None:
        self.enterprise: str = d["enterprise"]
        self.case: str = d["case"]
        self.evidence: list[str] = list(d["evidence"])
        self.noticed_on: date = local_date(env.occurred_at)
        self.last_at = env.occurred_at
        self.listed_on: date | None = None
        self.expires_on: date | None = None
        self.removed_on: date | None = None
        self.removal: str | None = None
        self.status = "noticed"

    @command(
        "list",
        event="CreditListed",
        zh="列入严重失信主体名单",
        en="List as seriously dishonest",
        event_zh="已列入严重失信主体名单",
        rule=f"{ORDER} 第9条",
        roles=(REGULATOR,),
        step=STEP,
        properties={"decision_no": DOC_NO, "statement_considered": text(2000)},
        required=("decision_no",),
    )
    def list_(self, cmd: SignedCommand, ctx: Context) -> None:
        """Only after the notice, never dated before it."""
        self.require(
            "noticed", action="listing (the enterprise is notified first)", rule=f"{ORDER} 第8条"
        )
        not_before(cmd.envelope.occurred_at, self.last_at, "the listing")
        self.record(cmd)

    def on_list(self, env: Envelope, d: dict[str, Any]) -> None:
        self.listed_on = local_date(env.occurred_at)
        self.expires_on = add_years(self.listed_on, TERM_YEARS)
        self.last_at = env.occurred_at
        self.status = "listed"

    @command(
        "drop",
        event="CreditListingDropped",
        zh="决定不予列入",
        en="Drop intended listing",
        event_zh="不予列入严重失信主体名单",
        rule=f"{ORDER} 第8条",
        roles=(REGULATOR,),
        step=STEP,
        properties={"reason": text(1000)},
        required=("reason",),
    )
    def drop(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("noticed", action="dropping the listing", rule=f"{ORDER} 第8条")
        not_before(cmd.envelope.occurred_at, self.last_at, "dropping")
        self.record(cmd)

    def on_drop(self, env: Envelope, d: dict[str, Any]) -> None:
        self.last_at = env.occurred_at
        self.status = "dropped"

    @command(
        "remove",
        event="CreditListingRemoved",
        zh="移出严重失信主体名单",
        en="Remove from the list",
        event_zh="已移出严重失信主体名单",
        rule=f"{ORDER} 第13条, 第14条 (列入满3年移出; 满12个月可信用修复)",
        roles=(REGULATOR,),
        step=STEP,
        properties={"grounds": enum(*GROUNDS), "repair_evidence": text(2000), "on": DATE},
        required=("grounds",),
    )
    def remove(self, cmd: SignedCommand, ctx: Context) -> None:
        """After the 3-year term, or by credit repair 12 months after listing at the earliest,
        or at any time when the listing's basis was revoked."""
        env, d = cmd.envelope, cmd.envelope.data
        self.require("listed", action="removal", rule=ORDER)
        not_before(env.occurred_at, self.last_at, "the removal")
        assert self.listed_on is not None
        assert self.expires_on is not None
        day = parse_date(d["on"], "data.on") if "on" in d else local_date(env.occurred_at)
        if day < local_date(env.occurred_at) and "on" in d:
            raise InvalidValue("a removal takes effect on or after its decision", field="data.on")
        if d["grounds"] == "term_expired" and day < self.expires_on:
            raise InvalidTransition(
                f"listed on {self.listed_on}: the 3-year term runs until {self.expires_on}",
                rule=f"{ORDER} 第13条",
            )
        if d["grounds"] == "credit_repair":
            earliest = add_months(self.listed_on, REPAIR_MONTHS)
            if day < earliest:
                raise InvalidTransition(
                    f"credit repair may remove a listing from {earliest} (12 months after "
                    f"listing on {self.listed_on})",
                    rule=f"{ORDER} 第14条",
                )
            if not str(d.get("repair_evidence", "")).strip():
                raise InvalidValue(
                    "credit repair states what was corrected (repair_evidence)",
                    field="data.repair_evidence",
                    rule=f"{ORDER} 第14条",
                )
        self.record(cmd)

    def on_remove(self, env: Envelope, d: dict[str, Any]) -> None:
        self.removed_on = date.fromisoformat(d["on"]) if "on" in d else local_date(env.occurred_at)
        self.removal = d["grounds"]
        self.last_at = env.occurred_at
        self.status = "removed"
