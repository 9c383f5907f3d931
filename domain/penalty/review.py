"""Review (审查, 法制审核): the conclusion of the investigation, and the legal review.

A review needs every preserved item decided (§56); one concluding on a penalty proposes it and
needs recorded evidence (§40), otherwise the case is dropped (no_penalty, transfer). The legal
review (§58) is by someone who did not investigate; `returned` sends the case back to
investigation.
"""

from __future__ import annotations

from typing import Any

from domain.commands import REGULATOR, command, enum, text
from domain.context import Context
from domain.envelope import Envelope, SignedCommand
from domain.errors import InvalidTransition, InvalidValue
from domain.penalty.case import STEP, CaseState
from domain.sanction import LAW, SCHEMA, Sanction


class Review(CaseState):
    """审查 and 法制审核."""

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
        self.legal_reviewer = env.actor
        self.last_at = env.occurred_at
        self.status = "legal_reviewed" if d["opinion"] == "approved" else "investigating"
