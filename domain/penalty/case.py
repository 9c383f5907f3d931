"""CaseState: the state of a penalty case, which every procedure stage reads and extends.

Each stage of the procedure is a mixin of CaseState in its own module (filing, investigation,
review, hearing, decision, enforcement, closing); domain.penalty assembles them with Record into
the PenaltyCase aggregate. The mixins are plain classes at run time, so that PenaltyCase stays
the one aggregate class and eventsourcing defines event classes (and their stored topics) for it
alone; only the type checker sees them as Records, to check their use of `require`, `record`,
`status` and `create`.

All of a case's state is declared here. `Filing.on_file` initialises it (a few attributes are
first set by the step that records them: facts, legal_reviewer, notice_facts, publication_url,
revoked_by) and the stages' `on_<verb>` handlers evolve it; money is in fen, instants are the
actors' `occurred_at`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from domain.clocks import not_before, within
from domain.envelope import Envelope
from domain.sanction import LAW, Sanction

if TYPE_CHECKING:
    from domain.record import Record

    _Base = Record
else:
    _Base = object

STEP = "处罚"

# Statuses before the decision: the §60 deadline runs while the case is in one of them.
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


class CaseState(_Base):
    """What a penalty case knows; the helpers the stages share."""

    # 立案 (filing)
    enterprise: str
    case_no: str
    violation: str
    basis: str
    violation_date: str
    harm: bool
    inspection: str | None
    finding: str | None
    hazard: str | None
    filed_at: datetime
    last_at: datetime  # the last step's instant: no step may precede it
    decision_due: date
    extensions: list[dict[str, Any]]
    # 调查取证, 审查, 法制审核 (investigation and review)
    officers: list[str]
    facts: str
    evidence: dict[str, dict[str, Any]]
    preserved: dict[str, dict[str, Any]]
    conclusion: str | None
    legal_opinion: str | None
    legal_reviewer: str
    # 告知, 陈述申辩, 听证 (notice and hearing)
    proposed: Sanction | None
    notice_facts: str
    noticed_at: datetime | None
    hearing_waived: bool
    hearing_requested_at: datetime | None
    hearing_at: datetime | None
    hearing_host: str | None
    hearing_outcome: str | None
    statements: list[dict[str, str]]
    # 决定, 送达, 执行 (decision, service, enforcement)
    decision_no: str | None
    decided: Sanction | None
    decided_at: datetime | None
    served_at: datetime | None
    paid_fen: int
    settled_on: date | None
    executed: set[str]
    executed_at: datetime | None
    # 公开, 撤销, 结案 (publication, revocation, closing)
    published_at: datetime | None
    publication_url: str
    revoked_at: datetime | None
    revoked_by: str
    withdrawn_at: datetime | None
    closed_at: datetime | None
    # late steps that still had to happen (§§48, 56, 61)
    breaches: list[dict[str, str]]

    if TYPE_CHECKING:
        # Defined by one stage and read by another (checked against the definitions by mypy).

        @property
        def hearing_request_due(self) -> date | None: ...  # hearing.Hearing, read by decide

        def owed_fen(self, at: date | datetime) -> int: ...  # enforcement, read by close

        def _pending(self) -> frozenset[str]: ...  # enforcement, read by close

        def _settle_if_done(self, at: datetime) -> None: ...  # enforcement, on serve

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
