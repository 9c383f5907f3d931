"""Investigation (调查取证): officers gather evidence; items preserved in advance are decided.

At least two officers investigate (§42); evidence items are unique within the case. Evidence
preserved in advance (先行登记保存) is decided within 7 working days (§56): a late decision is
still recorded, and marked a breach.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.clocks import last_day
from domain.commands import REF, REGULATOR, array, command, enum, text
from domain.context import Context
from domain.envelope import Envelope, SignedCommand
from domain.errors import AlreadyExists, InvalidTransition, NotFound
from domain.hazard import EVIDENCE
from domain.officers import OFFICERS, check_officers
from domain.penalty.case import STEP, CaseState
from domain.sanction import LAW

PRESERVATION_DAYS = 7  # §56, working days
PRESERVED_DISPOSITIONS = {
    "release": "解除先行登记保存",
    "examine": "检验、检测、鉴定",
    "confiscate": "依法没收",
    "transfer": "移送有关部门",
}


class Investigation(CaseState):
    """调查取证 and 先行登记保存."""

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
        self.facts = d["facts"]
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
