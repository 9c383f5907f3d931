"""Safety production permits: application to cancellation (安全生产许可证条例, 准入)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.errors import InvalidTransition, InvalidValue, NotAuthorized
from domain.permit import Permit
from tests.support import SHANGHAI, Harness

REGION = "420102"
APPLIED = datetime(2024, 3, 1, 10, 0, tzinfo=SHANGHAI)
GRANTED = datetime(2024, 3, 11, 10, 0, tzinfo=SHANGHAI)
EXPIRES = date(2027, 3, 11)
RENEWAL_DEADLINE = datetime(2026, 12, 11, 17, 0, tzinfo=SHANGHAI)


def apply(h: Harness, account: str, uscc: str, at: datetime = APPLIED) -> UUID:
    subject = uuid4()
    h.run_as(
        account,
        "permit.apply",
        REGION,
        {"enterprise": uscc, "industry": "hazardous_chemicals", "scope": "液氯生产"},
        subject=subject,
        occurred_at=at,
    )
    return subject


def act(
    h: Harness,
    subject: UUID,
    verb: str,
    data: dict[str, Any],
    at: datetime,
    *,
    account: str = "r-wuhan",
) -> Permit:
    h.run_as(account, f"permit.{verb}", REGION, data, subject=subject, occurred_at=at)
    return h.records.load(subject, Permit)


def granted(h: Harness, regulator: str, uscc: str | None = None) -> UUID:
    subject = apply(h, regulator, uscc or h.enterprise(regulator))
    act(h, subject, "grant", {"number": "(鄂)WH安许证字[2024]001"}, GRANTED)
    return subject


def test_granted_permit_runs_three_years_from_the_grant(h: Harness, regulator: str) -> None:
    p = h.records.load(granted(h, regulator), Permit)
    assert (p.status, p.granted_on, p.expires_on, p.decided_late) == (
        "active",
        GRANTED.date(),
        EXPIRES,
        False,
    )
    assert p.is_valid(EXPIRES - timedelta(days=1))
    assert not p.is_expired(EXPIRES - timedelta(days=1))
    assert p.is_expired(EXPIRES)
    assert not p.is_valid(datetime(2027, 3, 11, 0, 0, tzinfo=SHANGHAI))


def test_enterprise_applies_for_its_own_permit_but_cannot_grant_it(
    h: Harness, regulator: str
) -> None:
    uscc = h.enterprise(regulator)
    h.actor("e-permit", "enterprise", REGION, enterprise=uscc)
    subject = apply(h, "e-permit", uscc)
    with pytest.raises(NotAuthorized, match=r"may not issue permit\.grant"):
        act(h, subject, "grant", {"number": "自批"}, GRANTED, account="e-permit")


def test_permit_outside_the_licensed_industries_is_rejected(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    with pytest.raises(InvalidValue, match="industry"):
        h.run_as(
            regulator,
            "permit.apply",
            REGION,
            {"enterprise": uscc, "industry": "retail", "scope": "零售"},
        )


def test_decision_after_45_days_is_recorded_late(h: Harness, regulator: str) -> None:
    subject = apply(h, regulator, h.enterprise(regulator))
    assert h.records.load(subject, Permit).is_decision_overdue(APPLIED + timedelta(days=46))
    p = act(h, subject, "grant", {"number": "N-1"}, APPLIED + timedelta(days=46))
    assert p.decided_late is True
    assert p.expires_on == date(2027, 4, 16)


def test_decision_cannot_precede_the_application(h: Harness, regulator: str) -> None:
    subject = apply(h, regulator, h.enterprise(regulator))
    with pytest.raises(InvalidValue, match="precede"):
        act(h, subject, "grant", {"number": "N-1"}, APPLIED - timedelta(hours=1))


def test_refused_permit_cannot_be_granted(h: Harness, regulator: str) -> None:
    subject = apply(h, regulator, h.enterprise(regulator))
    p = act(h, subject, "refuse", {"reason": "安全条件不具备"}, GRANTED)
    assert p.status == "refused"
    with pytest.raises(InvalidTransition, match="refused; a grant needs applied"):
        act(h, subject, "grant", {"number": "N-1"}, GRANTED)


def test_renewal_applied_three_months_before_expiry_renews_three_years(
    h: Harness, regulator: str
) -> None:
    subject = granted(h, regulator)
    assert h.records.load(subject, Permit).renewal_deadline == RENEWAL_DEADLINE.date()
    p = act(h, subject, "apply_renewal", {}, RENEWAL_DEADLINE)
    assert p.renewal_pending
    p = act(h, subject, "renew", {"number": "N-2"}, RENEWAL_DEADLINE + timedelta(30))
    assert (p.expires_on, p.term_start, p.number, p.renewals, p.renewal_pending) == (
        date(2030, 3, 11),
        EXPIRES,
        "N-2",
        1,
        False,
    )
    assert p.is_valid(EXPIRES)


def test_renewal_outside_the_window_is_rejected(h: Harness, regulator: str) -> None:
    subject = granted(h, regulator)
    with pytest.raises(InvalidTransition, match="outside the window") as err:
        act(h, subject, "apply_renewal", {}, RENEWAL_DEADLINE + timedelta(days=1))
    assert "期满前3个月" in err.value.rule
    assert not h.records.load(subject, Permit).renewal_pending


def test_renewal_decision_needs_an_application(h: Harness, regulator: str) -> None:
    subject = granted(h, regulator)
    with pytest.raises(InvalidTransition, match="apply_renewal"):
        act(h, subject, "renew", {}, RENEWAL_DEADLINE)


def fatal_accident(h: Harness, regulator: str, uscc: str, happened: datetime, deaths: int) -> str:
    subject = uuid4()
    h.run_as(
        regulator,
        "accident.report",
        REGION,
        {
            "enterprise": uscc,
            "happened_at": happened.isoformat(),
            "kind": "explosion",
            "summary": "反应釜爆炸",
            "deaths": deaths,
            "serious_injuries": 0,
            "direct_loss": 0,
        },
        subject=subject,
        occurred_at=happened + timedelta(minutes=20),
    )
    return str(subject)


def test_extension_without_review_is_refused_after_a_fatal_accident_in_the_term(
    h: Harness, regulator: str
) -> None:
    uscc = h.enterprise(regulator)
    subject = granted(h, regulator, uscc)
    before_term = fatal_accident(h, regulator, uscc, GRANTED - timedelta(days=2), deaths=1)
    injury_only = fatal_accident(h, regulator, uscc, GRANTED + timedelta(days=100), deaths=0)
    fatal = fatal_accident(h, regulator, uscc, GRANTED + timedelta(days=400), deaths=1)
    act(h, subject, "apply_renewal", {}, RENEWAL_DEADLINE)
    with pytest.raises(InvalidTransition, match="death") as err:
        act(
            h,
            subject,
            "extend",
            {"no_fatal_accident": True, "accidents_checked": [injury_only, fatal]},
            RENEWAL_DEADLINE + timedelta(days=1),
        )
    assert "未发生死亡事故" in err.value.rule
    # A death before the term does not count; the reviewed renewal stays open.
    p = act(
        h,
        subject,
        "extend",
        {"no_fatal_accident": True, "accidents_checked": [before_term, injury_only]},
        RENEWAL_DEADLINE + timedelta(days=1),
    )
    assert (p.expires_on, p.renewals) == (date(2030, 3, 11), 1)


def test_extension_needs_the_no_fatal_accident_assertion(h: Harness, regulator: str) -> None:
    subject = granted(h, regulator)
    act(h, subject, "apply_renewal", {}, RENEWAL_DEADLINE)
    with pytest.raises(InvalidValue, match="no_fatal_accident"):
        act(
            h,
            subject,
            "extend",
            {"no_fatal_accident": False, "accidents_checked": []},
            RENEWAL_DEADLINE,
        )


def test_extension_cannot_cite_another_enterprises_accident(h: Harness, regulator: str) -> None:
    subject = granted(h, regulator)
    elsewhere = fatal_accident(h, regulator, h.enterprise(regulator), GRANTED, deaths=0)
    act(h, subject, "apply_renewal", {}, RENEWAL_DEADLINE)
    with pytest.raises(InvalidValue, match="is not about enterprise"):
        act(
            h,
            subject,
            "extend",
            {"no_fatal_accident": True, "accidents_checked": [elsewhere]},
            RENEWAL_DEADLINE,
        )


def test_refused_renewal_leaves_the_permit_to_expire(h: Harness, regulator: str) -> None:
    subject = granted(h, regulator)
    act(h, subject, "apply_renewal", {}, RENEWAL_DEADLINE)
    with pytest.raises(InvalidTransition, match="awaits its decision"):
        act(
            h,
            subject,
            "cancel",
            {"grounds": "expired"},
            datetime(2027, 3, 12, tzinfo=SHANGHAI),
        )
    p = act(
        h,
        subject,
        "refuse_renewal",
        {"reason": "条件不具备"},
        RENEWAL_DEADLINE + timedelta(days=20),
    )
    assert (p.renewal_pending, p.expires_on) == (False, EXPIRES)


def test_stop_order_suspends_and_reinstatement_restores(h: Harness, regulator: str) -> None:
    subject = granted(h, regulator)
    at = GRANTED + timedelta(days=200)
    p = act(
        h,
        subject,
        "suspend",
        {"reason": "重大事故隐患责令停产整顿", "stop_order": "hazard:HZ-2024-17"},
        at,
    )
    assert (p.status, p.is_valid(at)) == ("suspended", False)
    with pytest.raises(InvalidTransition, match="suspended; a suspension needs active"):
        act(h, subject, "suspend", {"reason": "again"}, at)
    with pytest.raises(InvalidTransition, match="suspended; a renewal application needs"):
        act(h, subject, "apply_renewal", {}, at)
    p = act(h, subject, "reinstate", {"reason": "整改验收合格"}, at + timedelta(30))
    assert (p.status, p.suspension_reason) == ("active", None)
    with pytest.raises(InvalidTransition, match="active; reinstatement needs suspended"):
        act(h, subject, "reinstate", {"reason": "again"}, at + timedelta(31))


def test_expired_suspended_permit_is_not_reinstated(h: Harness, regulator: str) -> None:
    subject = granted(h, regulator)
    act(h, subject, "suspend", {"reason": "停产整顿"}, GRANTED + timedelta(days=1000))
    with pytest.raises(InvalidTransition, match="cancelled, not reinstated"):
        act(
            h,
            subject,
            "reinstate",
            {"reason": "整改完成"},
            datetime(2027, 3, 11, 9, tzinfo=SHANGHAI),
        )
    p = act(
        h,
        subject,
        "cancel",
        {"grounds": "expired"},
        datetime(2027, 3, 11, 10, tzinfo=SHANGHAI),
    )
    assert p.status == "cancelled"


def test_expired_permit_without_renewal_is_cancelled(h: Harness, regulator: str) -> None:
    subject = granted(h, regulator)
    with pytest.raises(InvalidTransition, match="not expired"):
        act(
            h,
            subject,
            "cancel",
            {"grounds": "expired"},
            datetime(2027, 3, 10, 23, 59, tzinfo=SHANGHAI),
        )
    p = act(
        h,
        subject,
        "cancel",
        {"grounds": "expired"},
        datetime(2027, 3, 11, 0, 1, tzinfo=SHANGHAI),
    )
    assert p.status == "cancelled"
    with pytest.raises(InvalidTransition, match="cancelled"):
        act(h, subject, "apply_renewal", {}, datetime(2027, 3, 12, tzinfo=SHANGHAI))


def test_revoked_permit_is_cancelled_on_the_revocation_grounds_only(
    h: Harness, regulator: str
) -> None:
    subject = granted(h, regulator)
    at = GRANTED + timedelta(days=300)
    with pytest.raises(InvalidTransition, match="needs revoked"):
        act(h, subject, "cancel", {"grounds": "revoked"}, at)
    p = act(h, subject, "revoke", {"reason": "转让许可证", "decision": "PC-7"}, at)
    assert p.status == "revoked"
    with pytest.raises(InvalidTransition, match="revoked; reinstatement needs suspended"):
        act(h, subject, "reinstate", {"reason": "x"}, at)
    with pytest.raises(InvalidTransition, match="revoked; a cancellation needs"):
        act(h, subject, "cancel", {"grounds": "expired"}, at)
    assert act(h, subject, "cancel", {"grounds": "revoked"}, at).status == "cancelled"
