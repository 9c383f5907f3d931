"""Publication, revocation and closing (公开, 撤销, 结案).

A decision to penalise may be published once made (§48); a revoked decision's publication is
withdrawn within 3 working days (§48: a later withdrawal is recorded, and marked a breach). A
case closes after execution, after a review dropping it, or after a revocation whose
publication (if any) was withdrawn (§47).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.clocks import last_day
from domain.commands import REGULATOR, command, enum, text
from domain.context import Context
from domain.envelope import Envelope, SignedCommand
from domain.errors import AlreadyExists, InvalidTransition
from domain.penalty.case import STEP, CaseState
from domain.sanction import LAW

WITHDRAWAL_DAYS = 3  # §48, working days


class Closing(CaseState):
    """公开, 撤销 and 结案."""

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
        self.publication_url = d["url"]
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
        self.revoked_by = d["by"]
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
