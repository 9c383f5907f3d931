"""A record holding an event its kind does not know (written into the store around the write
path) cannot be read: loading it raises UnknownEventType naming the record, the version and
the type, and every command on it is refused with that error, never a TypeError."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.errors import DomainError, UnknownEventType
from domain.hazard import HazardCase
from tests.insider import insider_write, topic_of
from tests.support import Harness

REGION = "420102"


@pytest.fixture
def hazard(h: Harness, regulator: str) -> UUID:
    uscc = h.enterprise(regulator)
    case = uuid4()
    h.run_as(
        regulator,
        "hazard.report",
        REGION,
        {"enterprise": uscc, "grade": "general", "source": "public_tip", "description": "堵塞"},
        subject=case,
    )
    return case


def insider(h: Harness, account: str, event_type: str, subject: UUID, data: dict[str, Any]) -> str:
    """`account` signs `event_type` on `subject`; stored as its next hazard event, unchecked."""
    return insider_write(
        h.records,
        h.keys[account],
        actor=account,
        role=h.roles(account),
        event_type=event_type,
        subject=subject,
        region=REGION,
        data=data,
        topic=topic_of("hazard"),
    )


@pytest.mark.parametrize(
    "event_type",
    [
        "hazard.nonexistent_verb",  # no such verb anywhere
        "permit.suspend",  # a verb of another kind, which hazards do not have
        "permit.close",  # a verb hazards have too, but of another kind
    ],
)
def test_loading_a_record_with_an_unknown_event_raises_the_typed_error(
    h: Harness, regulator: str, hazard: UUID, event_type: str
) -> None:
    insider(h, regulator, event_type, hazard, {})
    with pytest.raises(UnknownEventType) as raised:
        h.records.load(hazard, HazardCase)
    error = raised.value
    assert (error.record, error.version, error.event_type) == (hazard, 2, event_type)
    assert str(error) == (
        f"hazard record {hazard}, version 2: unknown event type {event_type!r}; "
        "the record cannot be read [type] (信息资源目录 catalog)"
    )


def test_every_command_on_that_record_is_refused_with_the_typed_error(
    h: Harness, regulator: str, hazard: UUID
) -> None:
    insider(h, regulator, "hazard.nonexistent_verb", hazard, {})
    with pytest.raises(DomainError) as raised:
        h.run_as(
            regulator,
            "hazard.order_rectification",
            REGION,
            {"deadline": "2024-05-05", "requirements": "疏通"},
            subject=hazard,
        )
    assert isinstance(raised.value, UnknownEventType)
