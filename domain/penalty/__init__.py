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

The aggregate is assembled here from one mixin per stage of the procedure, each in its own
module: filing (立案, the time bar and the decision deadline), investigation (调查取证), review
(审查, 法制审核), hearing (告知, 陈述申辩, 听证), decision (决定, 送达), enforcement (执行: payment,
late fee, other penalties) and closing (公开, 撤销, 结案); their shared state is
domain.penalty.case. PenaltyCase itself is defined in this module, not a submodule, because
eventsourcing stores its events under `module:qualname` topics ("domain.penalty:PenaltyCase",
"domain.penalty:PenaltyCase.Created", "domain.penalty:PenaltyCase.Event") that stored data must
keep resolving to; tests/domain/test_penalty_topics.py pins them.
"""

from __future__ import annotations

from domain.penalty.case import OPEN, STEP
from domain.penalty.closing import WITHDRAWAL_DAYS, Closing
from domain.penalty.decision import SERVICE, SERVICE_DAYS, Decision
from domain.penalty.enforcement import LATE_FEE_PERCENT, PAYMENT_DAYS, Enforcement, late_fee_fen
from domain.penalty.filing import (
    BAR_YEARS,
    BAR_YEARS_HARM,
    DECISION_DAYS,
    EXTENSION_DAYS,
    Filing,
)
from domain.penalty.hearing import HEARING_NOTICE_DAYS, HEARING_REQUEST_DAYS, RIGHTS, Hearing
from domain.penalty.investigation import PRESERVATION_DAYS, PRESERVED_DISPOSITIONS, Investigation
from domain.penalty.review import Review
from domain.record import Record

__all__ = [
    "BAR_YEARS",
    "BAR_YEARS_HARM",
    "DECISION_DAYS",
    "EXTENSION_DAYS",
    "HEARING_NOTICE_DAYS",
    "HEARING_REQUEST_DAYS",
    "LATE_FEE_PERCENT",
    "OPEN",
    "PAYMENT_DAYS",
    "PRESERVATION_DAYS",
    "PRESERVED_DISPOSITIONS",
    "RIGHTS",
    "SERVICE",
    "SERVICE_DAYS",
    "STEP",
    "WITHDRAWAL_DAYS",
    "PenaltyCase",
    "late_fee_fen",
]


# The stages in the order of the procedure, which is also the order of their commands in the
# catalog (it walks the MRO).
class PenaltyCase(Filing, Investigation, Review, Hearing, Decision, Enforcement, Closing, Record):
    KIND = "penalty"
    KIND_ZH = "行政处罚案件"
