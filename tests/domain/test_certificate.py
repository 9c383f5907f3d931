"""Special-operation certificates: exam, 6-year validity, reviews (特种作业操作证, 总局令第30号)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.certificate import CATEGORIES, TrainingCertificate
from domain.errors import InvalidTransition, InvalidValue, NotAuthorized
from tests.support import SHANGHAI, Harness

REGION = "420102"
ISSUED = datetime(2024, 3, 1, 10, 0, tzinfo=SHANGHAI)
DUE = date(2027, 3, 1)
WINDOW_OPENS = datetime(2026, 12, 31, 9, 0, tzinfo=SHANGHAI)  # 60 days before DUE


def sealed_holder() -> dict[str, str]:
    """A holder in the vault's sealed form (the domain never sees the plain person)."""
    return {"ref": str(uuid4()), "commitment": "5e" * 32, "sealed": "bm90IGEgcmVhbCBjaXBoZXI="}


def issue(h: Harness, regulator: str, uscc: str, **over: Any) -> UUID:
    subject = uuid4()
    data = {
        "enterprise": uscc,
        "holder": sealed_holder(),
        "category": "welding_cutting",
        "operation": "熔化焊接与热切割作业",
        "number": "T420102199001011234",
        "exam_score": 86,
        "exam_on": "2024-02-20",
        **over,
    }
    h.run_as(regulator, "certificate.issue", REGION, data, subject=subject, occurred_at=ISSUED)
    return subject


def act(
    h: Harness,
    subject: UUID,
    verb: str,
    data: dict[str, Any],
    at: datetime,
    *,
    account: str = "r-wuhan",
) -> TrainingCertificate:
    h.run_as(account, f"certificate.{verb}", REGION, data, subject=subject, occurred_at=at)
    return h.records.load(subject, TrainingCertificate)


@pytest.fixture
def cert(h: Harness, regulator: str) -> UUID:
    return issue(h, regulator, h.enterprise(regulator))


def test_certificate_issued_after_the_exam_is_valid_six_years(h: Harness, cert: UUID) -> None:
    c = h.records.load(cert, TrainingCertificate)
    assert (c.status, c.issued_on, c.valid_until, c.review_due) == (
        "active",
        ISSUED.date(),
        date(2030, 3, 1),
        DUE,
    )
    assert c.is_valid(DUE)
    assert not c.is_valid(date(2027, 3, 2))  # review overdue
    assert c.is_review_overdue(date(2027, 3, 2))
    assert c.is_expired(date(2030, 3, 1))
    assert c.holder_commitment == "5e" * 32


def test_there_are_eleven_categories(h: Harness, regulator: str) -> None:
    assert len(CATEGORIES) == 11
    with pytest.raises(InvalidValue, match="category"):
        issue(h, regulator, h.enterprise(regulator), category="driving")


def test_certificate_exam_below_80_is_rejected(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    with pytest.raises(InvalidValue, match="79 is below the pass mark 80") as err:
        issue(h, regulator, uscc, exam_score=79)
    assert "80分合格" in err.value.rule
    assert h.records.load(issue(h, regulator, uscc, exam_score=80), TrainingCertificate)


def test_certificate_cannot_precede_its_exam(h: Harness, regulator: str) -> None:
    with pytest.raises(InvalidValue, match="after the exam"):
        issue(h, regulator, h.enterprise(regulator), exam_on="2024-03-02")


def test_plain_holder_identity_is_rejected(h: Harness, regulator: str) -> None:
    plain = {"name": "张三", "id_number": "420102199001011234", "phone": "13800000000"}
    with pytest.raises(InvalidValue, match="holder"):
        issue(h, regulator, h.enterprise(regulator), holder=plain)


def test_enterprise_cannot_issue_certificates(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    h.actor("e-cert", "enterprise", REGION, enterprise=uscc)
    with pytest.raises(NotAuthorized, match="may not issue"):
        issue(h, "e-cert", uscc)


def test_review_in_the_window_moves_the_due_date_three_years(h: Harness, cert: UUID) -> None:
    c = act(h, cert, "apply_review", {"class_hours": 8}, WINDOW_OPENS)
    assert c.review_pending
    assert not c.is_review_overdue(date(2027, 3, 10))  # applied in time, decision pending
    c = act(h, cert, "review", {"result": "passed", "clean_years": 3}, WINDOW_OPENS + timedelta(20))
    assert (c.review_due, c.valid_until, c.reviews, c.review_pending) == (
        date(2030, 3, 1),
        date(2030, 3, 1),
        1,
        False,
    )


@pytest.mark.parametrize(
    "at",
    [WINDOW_OPENS - timedelta(days=1), datetime(2027, 3, 2, 9, 0, tzinfo=SHANGHAI)],
    ids=["61-days-before", "after-due"],
)
def test_review_applied_outside_the_60_day_window_is_rejected(
    h: Harness, cert: UUID, at: datetime
) -> None:
    with pytest.raises(InvalidTransition, match="outside the window") as err:
        act(h, cert, "apply_review", {"class_hours": 16}, at)
    assert "60日内" in err.value.rule


def test_review_needs_eight_class_hours(h: Harness, cert: UUID) -> None:
    with pytest.raises(InvalidValue, match="at least 8") as err:
        act(h, cert, "apply_review", {"class_hours": 7}, WINDOW_OPENS)
    assert "8个学时" in err.value.rule


def test_review_needs_an_application(h: Harness, cert: UUID) -> None:
    with pytest.raises(InvalidTransition, match="apply_review"):
        act(h, cert, "review", {"result": "passed", "clean_years": 3}, WINDOW_OPENS)


def test_ten_clean_years_move_the_review_six_years_and_renew(h: Harness, cert: UUID) -> None:
    act(h, cert, "apply_review", {"class_hours": 8}, WINDOW_OPENS)
    c = act(h, cert, "review", {"result": "passed", "clean_years": 10}, WINDOW_OPENS + timedelta(5))
    assert (c.review_due, c.valid_until) == (date(2033, 3, 1), date(2033, 3, 1))


def test_review_at_the_end_of_validity_renews_for_six_years(h: Harness, cert: UUID) -> None:
    act(h, cert, "apply_review", {"class_hours": 8}, WINDOW_OPENS)
    act(h, cert, "review", {"result": "passed", "clean_years": 3}, WINDOW_OPENS + timedelta(5))
    second_window = datetime(2030, 1, 15, 9, 0, tzinfo=SHANGHAI)
    act(h, cert, "apply_review", {"class_hours": 12}, second_window)
    c = act(h, cert, "review", {"result": "passed", "clean_years": 6}, second_window)
    assert (c.review_due, c.valid_until, c.reviews) == (date(2033, 3, 1), date(2036, 3, 1), 2)


def test_failed_review_allows_one_re_review_within_30_days(h: Harness, cert: UUID) -> None:
    act(h, cert, "apply_review", {"class_hours": 8}, WINDOW_OPENS)
    failed_at = datetime(2027, 2, 20, 9, 0, tzinfo=SHANGHAI)
    c = act(h, cert, "review", {"result": "failed", "clean_years": 3}, failed_at)
    assert (c.status, c.failed_reviews, c.retake_until) == ("active", 1, date(2027, 3, 22))
    assert not c.is_review_overdue(date(2027, 3, 10))
    act(h, cert, "apply_review", {"class_hours": 8}, datetime(2027, 3, 20, tzinfo=SHANGHAI))
    c = act(
        h,
        cert,
        "review",
        {"result": "failed", "clean_years": 3},
        datetime(2027, 3, 25, tzinfo=SHANGHAI),
    )
    assert c.status == "invalid"
    with pytest.raises(InvalidTransition, match="invalid; a review application needs active"):
        act(h, cert, "apply_review", {"class_hours": 8}, datetime(2027, 3, 26, tzinfo=SHANGHAI))


def test_re_review_after_30_days_is_rejected(h: Harness, cert: UUID) -> None:
    act(h, cert, "apply_review", {"class_hours": 8}, WINDOW_OPENS)
    act(h, cert, "review", {"result": "failed", "clean_years": 3}, WINDOW_OPENS)
    with pytest.raises(InvalidTransition, match="re-review") as err:
        act(h, cert, "apply_review", {"class_hours": 8}, WINDOW_OPENS + timedelta(days=31))
    assert "再复审" in err.value.rule


def test_review_overdue_certificate_is_cancelled(h: Harness, cert: UUID) -> None:
    with pytest.raises(InvalidTransition, match="not overdue"):
        act(h, cert, "cancel", {"grounds": "review_overdue"}, datetime(2027, 3, 1, tzinfo=SHANGHAI))
    c = act(h, cert, "cancel", {"grounds": "review_overdue"}, datetime(2027, 3, 2, tzinfo=SHANGHAI))
    assert c.status == "cancelled"


def test_certificate_is_cancelled_as_expired_only_once_expired(h: Harness, cert: UUID) -> None:
    with pytest.raises(InvalidTransition, match="valid until 2030-03-01"):
        act(h, cert, "cancel", {"grounds": "expired"}, datetime(2030, 2, 28, tzinfo=SHANGHAI))
    c = act(h, cert, "cancel", {"grounds": "expired"}, datetime(2030, 3, 1, tzinfo=SHANGHAI))
    assert c.status == "cancelled"


def test_suspended_certificate_is_reinstated_or_revoked(h: Harness, cert: UUID) -> None:
    at = ISSUED + timedelta(days=100)
    c = act(h, cert, "suspend", {"reason": "违章作业", "until": "2024-12-31"}, at)
    assert (c.status, c.is_valid(at)) == ("suspended", False)
    with pytest.raises(InvalidTransition, match="suspended; a review application needs"):
        act(h, cert, "apply_review", {"class_hours": 8}, WINDOW_OPENS)
    assert act(h, cert, "reinstate", {}, at + timedelta(days=30)).status == "active"
    with pytest.raises(InvalidTransition, match="active; reinstatement needs suspended"):
        act(h, cert, "reinstate", {}, at + timedelta(days=31))
    assert act(h, cert, "revoke", {"reason": "伪造证件"}, at + timedelta(days=40)).status == (
        "revoked"
    )
    with pytest.raises(InvalidTransition, match="revoked"):
        act(h, cert, "suspend", {"reason": "again"}, at + timedelta(days=41))


def test_expired_suspended_certificate_is_not_reinstated(h: Harness, cert: UUID) -> None:
    act(h, cert, "suspend", {"reason": "违章作业"}, datetime(2030, 1, 1, tzinfo=SHANGHAI))
    with pytest.raises(InvalidTransition, match="expired on 2030-03-01"):
        act(h, cert, "reinstate", {}, datetime(2030, 3, 2, tzinfo=SHANGHAI))
