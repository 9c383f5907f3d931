"""Accidents: derived grade, late reports, casualty updates, investigation (事故报告和调查处理)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.accident import Accident, grade_of
from domain.errors import InvalidTransition, InvalidValue, NotAuthorized, NotFound
from tests.support import T0, Harness, new_uscc

REGION = "420102"


def report(
    h: Harness,
    account: str,
    uscc: str,
    *,
    at: datetime | None = None,
    happened: datetime | None = None,
    **figures: Any,
) -> UUID:
    subject = uuid4()
    at = at or h.tick()
    data = {
        "enterprise": uscc,
        "happened_at": (happened or at - timedelta(minutes=30)).isoformat(),
        "kind": "fall_from_height",
        "summary": "脚手架坍塌",
        "deaths": 0,
        "serious_injuries": 0,
        "direct_loss": 0,
        **figures,
    }
    h.run_as(account, "accident.report", REGION, data, subject=subject, occurred_at=at)
    return subject


def act(
    h: Harness,
    account: str,
    subject: UUID,
    verb: str,
    data: dict[str, Any],
    *,
    at: datetime | None = None,
) -> Accident:
    h.run_as(account, f"accident.{verb}", REGION, data, subject=subject, occurred_at=at)
    return h.records.load(subject, Accident)


@pytest.mark.parametrize(
    ("deaths", "injuries", "loss", "grade"),
    [
        (0, 0, 0, "general"),
        (2, 9, 9_999_999, "general"),
        (3, 0, 0, "larger"),
        (0, 10, 0, "larger"),
        (0, 0, 10_000_000, "larger"),
        (9, 49, 49_999_999, "larger"),
        (10, 0, 0, "major"),
        (1, 50, 0, "major"),
        (0, 0, 50_000_000, "major"),
        (29, 99, 99_999_999, "major"),
        (30, 0, 0, "especially_major"),
        (0, 100, 0, "especially_major"),
        (1, 1, 100_000_000, "especially_major"),
    ],
)
def test_accident_grade_is_the_highest_band_any_measure_reaches(
    deaths: int, injuries: int, loss: int, grade: str
) -> None:
    assert grade_of(deaths, injuries, loss).grade == grade


def test_reported_accident_derives_its_grade(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    # 1 death is 一般, but 12 serious injuries reach 较大: the highest band wins.
    acc = h.records.load(
        report(h, regulator, uscc, deaths=1, serious_injuries=12, direct_loss=200_000), Accident
    )
    assert (acc.grade, acc.grade_zh, acc.status, acc.enterprise, acc.reported_late) == (
        "larger",
        "较大",
        "reported",
        uscc,
        False,
    )


def test_report_after_one_hour_is_recorded_late_not_rejected(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    at = h.tick()
    acc = h.records.load(
        report(h, regulator, uscc, at=at, happened=at - timedelta(minutes=61)), Accident
    )
    assert acc.reported_late is True


def test_report_before_the_accident_happened_is_rejected(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    at = h.tick()
    with pytest.raises(InvalidValue, match="before it happened") as err:
        report(h, regulator, uscc, at=at, happened=at + timedelta(hours=1))
    assert "§9" in err.value.rule


def test_report_about_an_unregistered_enterprise_is_rejected(h: Harness, regulator: str) -> None:
    with pytest.raises(NotFound, match="not registered"):
        report(h, regulator, new_uscc())


def test_enterprise_account_reports_only_its_own_accidents(h: Harness, regulator: str) -> None:
    mine, other = h.enterprise(regulator), h.enterprise(regulator)
    h.actor("e-acc", "enterprise", REGION, enterprise=mine)
    report(h, "e-acc", mine)
    with pytest.raises(NotAuthorized, match="bound to enterprise"):
        report(h, "e-acc", other)


def test_casualty_update_rederives_the_grade(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    subject = report(h, regulator, uscc, deaths=2)
    acc = act(h, regulator, subject, "update_casualties", {"deaths": 3, "note": "1人抢救无效"})
    assert (acc.deaths, acc.grade) == (3, "larger")
    acc = act(h, regulator, subject, "update_casualties", {"direct_loss": 60_000_000})
    assert (acc.deaths, acc.direct_loss, acc.grade) == (3, 60_000_000, "major")


def test_casualty_update_after_30_days_is_rejected(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    happened = h.tick()
    subject = report(h, regulator, uscc, happened=happened)
    act(h, regulator, subject, "update_casualties", {"deaths": 1}, at=happened + timedelta(days=30))
    with pytest.raises(InvalidTransition, match="30 days") as err:
        act(
            h,
            regulator,
            subject,
            "update_casualties",
            {"deaths": 2},
            at=happened + timedelta(days=30, minutes=1),
        )
    assert "§13" in err.value.rule
    assert h.records.load(subject, Accident).deaths == 1


def test_casualty_update_without_figures_is_rejected(h: Harness, regulator: str) -> None:
    subject = report(h, regulator, h.enterprise(regulator))
    with pytest.raises(InvalidValue, match="deaths, serious_injuries or direct_loss"):
        act(h, regulator, subject, "update_casualties", {"note": "无变化"})


def test_investigation_runs_from_opening_to_closing(h: Harness, regulator: str) -> None:
    subject = report(h, regulator, h.enterprise(regulator), deaths=1)
    act(h, regulator, subject, "open_investigation", {"authority": "武汉市人民政府"})
    acc = act(h, regulator, subject, "submit_report", {"cause": "未系安全带", "liability": True})
    assert (acc.status, acc.liability, acc.investigation_late) == ("report_submitted", True, False)
    acc = act(h, regulator, subject, "close", {"decision": "批复结案"})
    assert acc.status == "closed"
    assert acc.history == [
        "accident.report",
        "accident.open_investigation",
        "accident.submit_report",
        "accident.close",
    ]


def test_case_cannot_close_before_the_investigation_report(h: Harness, regulator: str) -> None:
    subject = report(h, regulator, h.enterprise(regulator))
    act(h, regulator, subject, "open_investigation", {"authority": "区政府"})
    with pytest.raises(InvalidTransition, match="investigating") as err:
        act(h, regulator, subject, "close", {"decision": "结案"})
    assert "§32" in err.value.rule


def test_report_needs_an_open_investigation(h: Harness, regulator: str) -> None:
    subject = report(h, regulator, h.enterprise(regulator))
    with pytest.raises(InvalidTransition, match="reported"):
        act(h, regulator, subject, "submit_report", {"cause": "x", "liability": False})


def test_enterprise_cannot_open_an_investigation(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    h.actor("e-inv", "enterprise", REGION, enterprise=uscc)
    subject = report(h, regulator, uscc)
    with pytest.raises(NotAuthorized, match="may not issue"):
        act(h, "e-inv", subject, "open_investigation", {"authority": "自己"})


def test_investigation_report_after_60_days_is_flagged_late(h: Harness, regulator: str) -> None:
    happened = T0
    subject = report(h, regulator, h.enterprise(regulator), happened=happened)
    act(h, regulator, subject, "open_investigation", {"authority": "市政府"})
    acc = h.records.load(subject, Accident)
    assert acc.investigation_due == (happened + timedelta(days=60)).date()
    assert acc.is_investigation_overdue(happened + timedelta(days=61))
    acc = act(
        h,
        regulator,
        subject,
        "submit_report",
        {"cause": "x", "liability": False},
        at=happened + timedelta(days=61),
    )
    assert acc.investigation_late is True
    assert not acc.is_investigation_overdue(happened + timedelta(days=62))


def test_investigation_extends_once_by_at_most_60_days(h: Harness, regulator: str) -> None:
    happened = T0
    subject = report(h, regulator, h.enterprise(regulator), happened=happened)
    act(h, regulator, subject, "open_investigation", {"authority": "市政府"})
    with pytest.raises(InvalidValue, match="smaller than or equal to 60"):
        act(h, regulator, subject, "extend_investigation", {"days": 61, "reason": "过长"})
    acc = act(
        h,
        regulator,
        subject,
        "extend_investigation",
        {"days": 30, "reason": "技术鉴定"},
        at=happened + timedelta(days=50),
    )
    assert acc.investigation_due == (happened + timedelta(days=90)).date()
    with pytest.raises(InvalidTransition, match="extended already"):
        act(
            h,
            regulator,
            subject,
            "extend_investigation",
            {"days": 10, "reason": "再延"},
            at=happened + timedelta(days=51),
        )


def test_extension_after_the_due_date_is_rejected(h: Harness, regulator: str) -> None:
    happened = T0
    subject = report(h, regulator, h.enterprise(regulator), happened=happened)
    act(h, regulator, subject, "open_investigation", {"authority": "市政府"})
    with pytest.raises(InvalidTransition, match="before the due date"):
        act(
            h,
            regulator,
            subject,
            "extend_investigation",
            {"days": 10, "reason": "迟"},
            at=happened + timedelta(days=61),
        )


def test_concealment_is_flagged_once_and_kept_after_closing(h: Harness, regulator: str) -> None:
    subject = report(h, regulator, h.enterprise(regulator), deaths=1)
    acc = act(
        h, regulator, subject, "flag_concealment", {"finding": "concealed", "basis": "群众举报核实"}
    )
    assert acc.concealment == "concealed"
    with pytest.raises(InvalidTransition, match="flagged concealed already"):
        act(h, regulator, subject, "flag_concealment", {"finding": "false_report", "basis": "再次"})
    act(h, regulator, subject, "open_investigation", {"authority": "市政府"})
    act(h, regulator, subject, "submit_report", {"cause": "x", "liability": True})
    acc = act(h, regulator, subject, "close", {"decision": "结案"})
    assert (acc.status, acc.concealment) == ("closed", "concealed")
    with pytest.raises(InvalidTransition, match="closed"):
        act(h, regulator, subject, "update_casualties", {"deaths": 2})
