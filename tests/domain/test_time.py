"""Declared and recorded time (issue 8, item 3): `occurred_at` is bounded by the platform's
recorded time, every record reads in order, records are not dated before their enterprise or
the law they cite, the regulated party's statutory clocks run on recorded time, and migrated
history is judged on its declared time — a privilege of the platform's own signatures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.accident import Accident
from domain.certificate import TrainingCertificate
from domain.clocks import TooEarly, TooLate
from domain.errors import (
    FutureDated,
    InstantOutOfRange,
    InvalidTransition,
    MigrationRefused,
    NotInForce,
)
from domain.hazard import HazardCase
from domain.ids import actor_id, enterprise_id
from domain.permit import Permit
from ledger.keys import KeyPair
from tests.support import SHANGHAI, Harness, new_uscc

REGION = "420102"
NOW = datetime(2024, 6, 3, 10, 0, tzinfo=SHANGHAI)  # the platform's clock in these tests
EVIDENCE = [{"ref": "photo-1", "sha256": "ab" * 32}]


@pytest.fixture
def uscc(h: Harness, regulator: str) -> str:
    """An enterprise registered on 2024-01-02, with its own account e-1."""
    code = new_uscc(REGION)
    data = {"uscc": code, "name": "化工厂", "industry": "hazardous_chemicals"}
    register(h, regulator, code, data, at("2024-01-02"))
    h.actor("e-1", "enterprise", REGION, enterprise=code)
    return code


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=SHANGHAI)


def register(h: Harness, regulator: str, code: str, data: dict[str, Any], when: datetime) -> None:
    data = {"standardisation": "level2", **data}
    h.run_as(
        regulator,
        "enterprise.register",
        REGION,
        data,
        subject=enterprise_id(code),
        occurred_at=when,
    )


def run(h: Harness, who: str, ctype: str, data: dict[str, Any], subject: UUID, **kw: Any) -> None:
    h.run_as(who, ctype, REGION, data, subject=subject, **kw)


def accident(h: Harness, who: str, uscc: str, happened: datetime, **kw: Any) -> UUID:
    subject = uuid4()
    data = {
        "enterprise": uscc,
        "happened_at": happened.isoformat(),
        "kind": "fall_from_height",
        "summary": "脚手架坍塌",
        "deaths": 0,
        "serious_injuries": 1,
        "direct_loss": 0,
    }
    run(h, who, "accident.report", data, subject, **kw)
    return subject


def granted(h: Harness, regulator: str, uscc: str) -> UUID:
    """A permit applied for on 2024-03-01 and granted on 2024-03-11 (expires 2027-03-11)."""
    permit = uuid4()
    apply = {"enterprise": uscc, "industry": "hazardous_chemicals", "scope": "液氯生产"}
    run(h, regulator, "permit.apply", apply, permit, occurred_at=at("2024-03-01"))
    run(h, regulator, "permit.grant", {"number": "鄂WH001"}, permit, occurred_at=at("2024-03-11"))
    return permit


def update(h: Harness, who: str, subject: UUID, when: datetime, **kw: Any) -> None:
    """One more death reported on the accident `subject`, dated `when`."""
    run(h, who, "accident.update_casualties", {"deaths": 1}, subject, occurred_at=when, **kw)


# -- the bound: declared time is never after the recorded time plus the skew ------------------


def test_a_step_dated_after_the_recorded_time_plus_the_skew_is_refused_in_one_line(
    h: Harness, uscc: str
) -> None:
    h.recording_at = NOW
    with pytest.raises(FutureDated) as exc:
        accident(h, "e-1", uscc, NOW, occurred_at=NOW + timedelta(minutes=6))
    assert exc.value.field == "occurred_at"
    assert "recorded time 2024-06-03T02:00:00+00:00" in str(exc.value)
    assert "\n" not in str(exc.value)
    accident(h, "e-1", uscc, NOW, occurred_at=NOW + timedelta(minutes=5))  # within the skew


def test_an_enterprise_dating_its_step_in_2999_locks_no_regulator_out(
    h: Harness, regulator: str, uscc: str
) -> None:
    """Accepted, a step dated 2999 would put every later step of the record before it. 2999
    is outside the years any record may carry; 2090 is inside them, yet far ahead of the
    platform's clock."""
    h.recording_at = NOW
    case = uuid4()
    report = {"enterprise": uscc, "grade": "general", "source": "self_check", "description": "漏"}
    with pytest.raises(InstantOutOfRange):
        run(h, "e-1", "hazard.report", report, case, occurred_at=at("2999-01-01"))
    with pytest.raises(FutureDated):
        run(h, "e-1", "hazard.report", report, case, occurred_at=at("2090-01-01"))
    run(h, "e-1", "hazard.report", report, case, occurred_at=NOW - timedelta(hours=1))
    order = {"deadline": "2024-06-10", "requirements": "更换阀门"}
    run(h, regulator, "hazard.order_rectification", order, case, occurred_at=NOW)
    assert h.records.load(case, HazardCase).status == "ordered"


def test_the_event_carries_the_recorded_time_beside_the_declared_one(h: Harness, uscc: str) -> None:
    h.recording_at = NOW
    subject = accident(h, "e-1", uscc, at("2024-03-01"), occurred_at=at("2024-03-01", 11))
    stored = h.records.stored(f"{subject}:1")
    assert stored.envelope["occurred_at"] == "2024-03-01T11:00:00+08:00"
    assert datetime.fromisoformat(stored.recorded_at) == NOW.astimezone(UTC)


# -- every record orders its steps -------------------------------------------------------------


def test_a_casualty_update_dated_before_the_accident_is_refused(
    h: Harness, regulator: str, uscc: str
) -> None:
    subject = accident(h, "e-1", uscc, at("2024-03-01"), occurred_at=at("2024-03-01", 11))
    with pytest.raises(TooEarly, match="dated before the previous step"):
        update(h, "e-1", subject, at("2024-02-20"))
    with pytest.raises(TooEarly):  # a regulator is held to the order as well
        update(h, regulator, subject, at("2024-02-20"))


def test_a_permit_step_dated_before_the_previous_step_is_refused(
    h: Harness, regulator: str, uscc: str
) -> None:
    permit = granted(h, regulator, uscc)
    with pytest.raises(TooEarly, match=r"permit\.suspend at 2024-03-05"):
        run(
            h,
            regulator,
            "permit.suspend",
            {"reason": "停产整顿"},
            permit,
            occurred_at=at("2024-03-05"),
        )
    run(
        h, regulator, "permit.suspend", {"reason": "停产整顿"}, permit, occurred_at=at("2024-03-12")
    )
    assert h.records.load(permit, Permit).status == "suspended"


def test_a_record_dated_before_its_enterprise_was_registered_is_refused(
    h: Harness, uscc: str
) -> None:
    with pytest.raises(
        TooEarly, match=r"before enterprise \w+ was registered on 2024-01-02"
    ) as exc:
        accident(h, "e-1", uscc, at("2023-12-30"), occurred_at=at("2023-12-31"))
    assert exc.value.field == "occurred_at"


def test_a_record_dated_before_the_law_it_cites_took_effect_is_refused(
    h: Harness, regulator: str
) -> None:
    code = new_uscc(REGION)
    register(
        h,
        regulator,
        code,
        {"uscc": code, "name": "老厂", "industry": "metallurgy"},
        at("2020-01-02"),
    )
    evidence = accident(h, regulator, code, at("2023-09-01"), occurred_at=at("2023-09-01", 11))
    notice = {
        "enterprise": code,
        "case": "concealment",
        "facts": "瞒报事故",
        "basis": "应急管理部令第11号 第6条",
        "evidence": [f"{evidence}:1"],
    }
    with pytest.raises(NotInForce, match="before 应急管理部令第11号 took effect on 2023-10-01"):
        run(h, regulator, "credit.notify", notice, uuid4(), occurred_at=at("2023-09-30", 16))
    run(h, regulator, "credit.notify", notice, uuid4(), occurred_at=at("2023-10-01", 9))


# -- the regulated party's clocks run on the recorded time --------------------------------------


def test_a_late_accident_report_backdated_by_three_months_shows_as_late(
    h: Harness, regulator: str, uscc: str
) -> None:
    h.recording_at = NOW
    happened = NOW - timedelta(days=92)
    subject = accident(h, "e-1", uscc, happened, occurred_at=happened + timedelta(minutes=30))
    assert h.records.load(subject, Accident).reported_late is True
    # A regulator entering the report it received in time attests that time.
    attested = accident(h, regulator, uscc, happened, occurred_at=happened + timedelta(minutes=30))
    assert h.records.load(attested, Accident).reported_late is False


def test_a_casualty_update_after_30_days_backdated_into_the_window_is_refused(
    h: Harness, uscc: str
) -> None:
    happened = at("2024-03-01")
    subject = accident(h, "e-1", uscc, happened, occurred_at=happened + timedelta(minutes=30))
    h.recording_at = happened + timedelta(days=31)
    with pytest.raises(TooLate, match="recorded 2024-04-01T10:00:00\\+08:00") as exc:
        update(h, "e-1", subject, happened + timedelta(days=10))
    assert exc.value.field == "occurred_at"
    h.recording_at = happened + timedelta(days=29)
    update(h, "e-1", subject, happened + timedelta(days=10))
    assert h.records.load(subject, Accident).deaths == 1


def test_a_renewal_applied_late_and_backdated_into_the_window_is_refused(
    h: Harness, regulator: str, uscc: str
) -> None:
    permit = granted(h, regulator, uscc)
    h.recording_at = at("2026-12-20")  # nine days after the last day, 2026-12-11
    with pytest.raises(TooLate, match="outside the window"):
        run(h, "e-1", "permit.apply_renewal", {}, permit, occurred_at=at("2026-12-10"))
    h.recording_at = None
    run(h, "e-1", "permit.apply_renewal", {}, permit, occurred_at=at("2026-12-10"))
    assert h.records.load(permit, Permit).renewal_pending


def test_the_decision_period_runs_from_when_the_application_was_recorded(
    h: Harness, uscc: str
) -> None:
    permit = uuid4()
    apply = {"enterprise": uscc, "industry": "hazardous_chemicals", "scope": "液氯生产"}
    h.recording_at = at("2024-05-01")
    run(h, "e-1", "permit.apply", apply, permit, occurred_at=at("2024-03-01"))
    assert str(h.records.load(permit, Permit).decision_due) == "2024-06-15"


def test_a_review_applied_late_and_backdated_into_the_window_is_refused(
    h: Harness, regulator: str, uscc: str
) -> None:
    cert = uuid4()
    holder = {"ref": str(uuid4()), "commitment": "ab" * 32, "sealed": "eA=="}
    issue = {
        "enterprise": uscc,
        "holder": holder,
        "category": "electrical",
        "operation": "低压电工作业",
        "number": "T-1",
        "exam_score": 90,
        "exam_on": "2024-01-20",
    }
    run(h, regulator, "certificate.issue", issue, cert, occurred_at=at("2024-02-01"))
    h.recording_at = at("2027-02-05")  # review due 2027-02-01
    with pytest.raises(InvalidTransition, match="outside the window"):
        run(
            h,
            "e-1",
            "certificate.apply_review",
            {"class_hours": 8},
            cert,
            occurred_at=at("2027-01-20"),
        )
    h.recording_at = at("2027-01-25")
    run(
        h, "e-1", "certificate.apply_review", {"class_hours": 8}, cert, occurred_at=at("2027-01-20")
    )
    assert h.records.load(cert, TrainingCertificate).review_pending


def test_a_backdated_rectification_is_late_and_the_recheck_runs_from_the_request_recorded(
    h: Harness, regulator: str, uscc: str
) -> None:
    case = uuid4()
    report = {"enterprise": uscc, "grade": "general", "source": "self_check", "description": "漏"}
    run(h, "e-1", "hazard.report", report, case, occurred_at=at("2024-03-01"))
    order = {"deadline": "2024-03-10", "requirements": "更换阀门"}
    run(h, regulator, "hazard.order_rectification", order, case, occurred_at=at("2024-03-02"))
    h.recording_at = at("2024-03-20")
    done = {"description": "已更换", "evidence": EVIDENCE}
    run(h, "e-1", "hazard.rectify", done, case, occurred_at=at("2024-03-09"))
    run(h, "e-1", "hazard.request_recheck", {}, case, occurred_at=at("2024-03-09", 11))
    hz = h.records.load(case, HazardCase)
    assert hz.rectified_late is True
    assert str(hz.recheck_due) == "2024-03-30"  # 10 days from 03-20, not from 03-09


# -- migration: history from before go-live ----------------------------------------------------


def test_migrated_history_is_judged_on_its_declared_time_and_still_ordered(
    h: Harness, uscc: str
) -> None:
    h.actor("e-custodial", "enterprise", REGION, enterprise=uscc, custody="platform")
    h.recording_at = NOW  # the migration date
    h.records.go_live = NOW - timedelta(days=30)
    happened = at("2024-03-01")
    subject = accident(
        h,
        "e-custodial",
        uscc,
        happened,
        occurred_at=happened + timedelta(minutes=30),
        channel="migration",
    )
    assert h.records.load(subject, Accident).reported_late is False
    update(h, "e-custodial", subject, at("2024-03-20"), channel="migration")
    assert h.records.load(subject, Accident).deaths == 1
    with pytest.raises(TooEarly):
        update(h, "e-custodial", subject, at("2024-03-10"), channel="migration")
    with pytest.raises(FutureDated):
        update(h, "e-custodial", subject, at("2024-07-01"), channel="migration")


def test_migrated_history_dated_after_go_live_is_refused(h: Harness, uscc: str) -> None:
    """Live work may not borrow migration's privilege of being judged on its declared time:
    an accident reported 34 days late, dated inside the live period, is refused."""
    h.actor("e-custodial", "enterprise", REGION, enterprise=uscc, custody="platform")
    h.recording_at = NOW
    h.records.go_live = NOW - timedelta(days=60)
    happened = NOW - timedelta(days=34)
    with pytest.raises(MigrationRefused, match="before go-live"):
        accident(h, "e-custodial", uscc, happened, occurred_at=happened, channel="migration")


def test_an_account_that_rotated_to_its_own_key_can_no_longer_claim_a_channel(
    h: Harness, uscc: str
) -> None:
    """A custodial enterprise account that rotates to a key of its own is no longer signed
    for by the platform: it cannot claim migration (nor any channel) with its new key."""
    h.actor("e-custodial", "enterprise", REGION, enterprise=uscc, custody="platform")
    h.recording_at = NOW
    h.records.go_live = NOW
    own = KeyPair.generate()
    h.run_as(
        "e-custodial",
        "actor.rotate_key",
        REGION,
        {"public_key": own.public_key_b64},
        subject=actor_id("e-custodial"),
        channel="cli",
    )
    h.keys["e-custodial"] = own
    happened = NOW - timedelta(days=34)
    for channel in ("migration", "cli"):
        with pytest.raises(MigrationRefused, match="signs with its own key"):
            accident(h, "e-custodial", uscc, happened, occurred_at=happened, channel=channel)


def test_an_own_key_actor_claiming_migration_is_refused(h: Harness, uscc: str) -> None:
    h.recording_at = NOW
    happened = NOW - timedelta(days=92)
    with pytest.raises(MigrationRefused, match="signs with its own key") as exc:
        accident(
            h,
            "e-1",
            uscc,
            happened,
            occurred_at=happened + timedelta(minutes=30),
            channel="migration",
        )
    assert exc.value.field == "channel"
