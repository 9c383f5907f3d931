"""Pins what stored penalty data depends on: the topic strings and the command types.

eventsourcing stores each event under its topic (`module:qualname` of the event class) and each
created event with the aggregate's topic; reading the store resolves those strings back to
classes. Moving PenaltyCase to another module, or renaming it, would change the topics of new
events and leave the stored ones unresolvable, so these tests fail first. A deliberate move keeps
the old strings resolving (eventsourcing's `register_topic`) and updates the pins here.
"""

from __future__ import annotations

import json
from uuid import uuid4

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import get_topic, resolve_topic

from domain.catalog import CATALOG
from domain.penalty import PenaltyCase
from tests.support import Harness

AGGREGATE_TOPIC = "domain.penalty:PenaltyCase"
EVENT_TOPICS = {
    "Created": "domain.penalty:PenaltyCase.Created",
    "Event": "domain.penalty:PenaltyCase.Event",
}
# command type -> event name, as published by `anjian catalog`
COMMANDS = {
    "penalty.file": "PenaltyCaseFiled",
    "penalty.extend": "PenaltyDeadlineExtended",
    "penalty.investigate": "PenaltyEvidenceGathered",
    "penalty.preserve_evidence": "PenaltyEvidencePreserved",
    "penalty.decide_preserved": "PenaltyPreservedEvidenceDecided",
    "penalty.review": "PenaltyCaseReviewed",
    "penalty.legal_review": "PenaltyLegalReviewed",
    "penalty.notify": "PenaltyNoticeGiven",
    "penalty.state_defence": "PenaltyStatementMade",
    "penalty.request_hearing": "PenaltyHearingRequested",
    "penalty.schedule_hearing": "PenaltyHearingScheduled",
    "penalty.hold_hearing": "PenaltyHearingHeld",
    "penalty.decide": "PenaltyDecided",
    "penalty.serve": "PenaltyDecisionServed",
    "penalty.pay": "PenaltyFinePaid",
    "penalty.execute": "PenaltyExecuted",
    "penalty.publish": "PenaltyDecisionPublished",
    "penalty.revoke": "PenaltyDecisionRevoked",
    "penalty.withdraw_publication": "PenaltyPublicationWithdrawn",
    "penalty.close": "PenaltyCaseClosed",
}


def test_penalty_case_and_its_event_classes_keep_their_topics() -> None:
    events = {
        name: get_topic(value)
        for name in dir(PenaltyCase)
        if isinstance(value := getattr(PenaltyCase, name), type)
        and issubclass(value, CanMutateAggregate)
    }
    assert get_topic(PenaltyCase) == AGGREGATE_TOPIC
    assert events == EVENT_TOPICS


def test_stored_penalty_topics_resolve_to_the_aggregate_and_its_events() -> None:
    assert resolve_topic(AGGREGATE_TOPIC) is PenaltyCase
    assert resolve_topic(EVENT_TOPICS["Created"]) is PenaltyCase.Created
    assert resolve_topic(EVENT_TOPICS["Event"]) is PenaltyCase.Event


def test_penalty_events_are_stored_under_the_pinned_topics(h: Harness, regulator: str) -> None:
    h.actor("o-1", "regulator", "420100")
    uscc = h.enterprise(regulator)
    case = uuid4()
    filing = {
        "enterprise": uscc,
        "case_no": "鄂应急罚〔2024〕1号",
        "violation": "未按规定消除重大事故隐患",
        "basis": "安全生产法 §102",
        "violation_date": "2024-02-20",
    }
    extension = {"days": 30, "approved_by": "局长", "reason": "案情复杂"}
    h.run_as("o-1", "penalty.file", "420102", filing, subject=case)
    h.run_as("o-1", "penalty.extend", "420102", extension, subject=case)

    stored = list(h.records.recorder.select_events(case))
    assert [s.topic for s in stored] == [EVENT_TOPICS["Created"], EVENT_TOPICS["Event"]]
    assert json.loads(stored[0].state)["originator_topic"] == AGGREGATE_TOPIC
    assert h.records.load(case, PenaltyCase).history == ["penalty.file", "penalty.extend"]


def test_penalty_command_types_and_their_events_are_pinned() -> None:
    penalty = {t: spec.event for t, spec in CATALOG.items() if spec.aggregate is PenaltyCase}
    assert penalty == COMMANDS
    assert {t for t in CATALOG if t.startswith("penalty.")} == set(COMMANDS)
