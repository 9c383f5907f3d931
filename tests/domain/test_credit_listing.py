"""Serious-dishonesty listing (应急管理部令第11号): notice first, then listing, then removal
after the 3-year term or by credit repair after 12 months."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.credit_listing import CreditListing
from domain.errors import InvalidTransition, InvalidValue, NotAuthorized
from tests.support import SHANGHAI, Harness

REGION = "420102"
EVIDENCE = ["5b0f8f7e-3c1a-5d6e-9a47-61a1a1a2b3c4:1"]


def at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T10:00:00").replace(tzinfo=SHANGHAI)


@pytest.fixture
def uscc(h: Harness, regulator: str) -> str:
    uscc = h.enterprise(regulator)
    h.actor("e-1", "enterprise", REGION, enterprise=uscc)
    return uscc


def notify(h: Harness, uscc: str, when: str = "2024-03-01", **extra: Any) -> UUID:
    subject = uuid4()
    h.run_as(
        "r-wuhan",
        "credit.notify",
        REGION,
        {
            "enterprise": uscc,
            "case": "concealment",
            "facts": "瞒报事故",
            "basis": "令第11号 第5条",
            "evidence": EVIDENCE,
            **extra,
        },
        subject=subject,
        occurred_at=at(when),
    )
    return subject


def act(
    h: Harness,
    subject: UUID,
    verb: str,
    data: dict[str, Any],
    when: str,
    *,
    who: str = "r-wuhan",
) -> CreditListing:
    h.run_as(who, f"credit.{verb}", REGION, data, subject=subject, occurred_at=at(when))
    return h.records.load(subject, CreditListing)


def test_listing_follows_the_notice_and_runs_three_years(h: Harness, uscc: str) -> None:
    case = notify(h, uscc)
    listed = act(h, case, "list", {"decision_no": "L-1"}, "2024-03-10")
    assert (listed.status, str(listed.listed_on), str(listed.expires_on)) == (
        "listed",
        "2024-03-10",
        "2027-03-10",
    )
    assert listed.evidence == EVIDENCE


def test_a_listing_is_never_dated_before_its_notice(h: Harness, uscc: str) -> None:
    case = notify(h, uscc, "2024-03-10")
    with pytest.raises(InvalidTransition):
        act(h, case, "list", {"decision_no": "L-1"}, "2024-03-09")


def test_removal_after_the_term_but_not_before(h: Harness, uscc: str) -> None:
    case = notify(h, uscc)
    act(h, case, "list", {"decision_no": "L-1"}, "2024-03-10")
    with pytest.raises(InvalidTransition, match="2027-03-10"):
        act(h, case, "remove", {"grounds": "term_expired"}, "2027-03-09")
    removed = act(h, case, "remove", {"grounds": "term_expired"}, "2027-03-10")
    assert (removed.status, removed.removal) == ("removed", "term_expired")


def test_credit_repair_removes_after_twelve_months_with_evidence(h: Harness, uscc: str) -> None:
    case = notify(h, uscc)
    act(h, case, "list", {"decision_no": "L-1"}, "2024-03-10")
    with pytest.raises(InvalidTransition, match="2025-03-10"):
        act(
            h,
            case,
            "remove",
            {"grounds": "credit_repair", "repair_evidence": "已整改"},
            "2025-03-09",
        )
    with pytest.raises(InvalidValue, match="repair_evidence"):
        act(h, case, "remove", {"grounds": "credit_repair", "repair_evidence": " "}, "2025-03-10")
    removed = act(
        h, case, "remove", {"grounds": "credit_repair", "repair_evidence": "已整改"}, "2025-03-10"
    )
    assert removed.status == "removed"


def test_a_dropped_notice_cannot_be_listed(h: Harness, uscc: str) -> None:
    case = notify(h, uscc)
    act(h, case, "drop", {"reason": "陈述申辩成立"}, "2024-03-05")
    with pytest.raises(InvalidTransition):
        act(h, case, "list", {"decision_no": "L-1"}, "2024-03-10")


def test_only_a_regulator_gives_notice(h: Harness, uscc: str) -> None:
    with pytest.raises(NotAuthorized):
        h.run_as(
            "e-1",
            "credit.notify",
            REGION,
            {
                "enterprise": uscc,
                "case": "concealment",
                "facts": "x",
                "basis": "y",
                "evidence": EVIDENCE,
            },
            subject=uuid4(),
        )


def test_a_notice_cites_the_events_it_rests_on(h: Harness, uscc: str) -> None:
    with pytest.raises(InvalidValue, match="evidence"):
        notify(h, uscc, evidence=["not-an-event-id"])
