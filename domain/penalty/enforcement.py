"""Enforcement (执行): what is owed, payments, the late fee, and other penalties carried out.

The fine is paid within 15 days of service (§67), then a late fee of 3% of the fine a day
accrues, capped at the fine (§72): derived by `late_fee_fen` / `owed_fen`, never an event. The
read models and the demo count it with the same `late_fee_fen` function.
Decisions state whole yuan and what is owed is counted in fen, so the late fee is exact. A case
is executed once the fine with its late fee is paid and every other penalty carried out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.clocks import last_day, local_date
from domain.commands import REF, REGULATOR, array, command, enum, integer, text
from domain.context import Context
from domain.envelope import Envelope, SignedCommand
from domain.errors import InvalidTransition, InvalidValue
from domain.penalty.case import STEP, CaseState
from domain.sanction import LAW, MAX_YUAN, TO_EXECUTE

PAYMENT_DAYS = 15  # §67
LATE_FEE_PERCENT = 3  # §72


def late_fee_fen(fine_fen: int, due: date, day: date) -> int:
    """§72: 3% of the fine for each day from `due` (the last day to pay, §67) to `day`, at
    most the fine. Exact in fen: the fine is whole yuan, so 3% of it is whole fen."""
    per_day = fine_fen * LATE_FEE_PERCENT // 100
    return min(fine_fen, per_day * max(0, (day - due).days))


class Enforcement(CaseState):
    """执行: payment, late fee, other penalties."""

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
        return late_fee_fen(self.fine_fen, due, day)

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

    def _pending(self) -> frozenset[str]:
        return self.decided.to_execute - self.executed if self.decided else frozenset()
