"""Hazard cases (事故隐患, 总局令第16号): the closed loop, major-hazard steps, overdue."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.errors import InvalidTransition, InvalidValue, NotAuthorized, NotFound
from domain.hazard import HazardCase
from tests.support import SHANGHAI, Harness

REGION = "420102"
OFFICERS = ["o-1", "o-2"]
EVIDENCE = [{"ref": "photo-1", "sha256": "ab" * 32}]
PLAN = {
    "goal": "消除液氯储罐泄漏隐患",
    "method": "更换阀门并增设泄漏报警",
    "funds_materials": "资金20万元，阀门已采购",
    "responsible": "设备部 张工",
    "time_limit": "2024-03-20",
    "safety_measures": "停用储罐，制定泄漏应急预案",
}


@pytest.fixture
def uscc(h: Harness, regulator: str) -> str:
    for account in OFFICERS:
        h.actor(account, "regulator", "420100")
    uscc = h.enterprise(regulator)
    h.actor("e-1", "enterprise", REGION, enterprise=uscc)
    return uscc


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=SHANGHAI)


def report(h: Harness, uscc: str, grade: str = "general", who: str = "e-1", **extra: Any) -> UUID:
    case = uuid4()
    data: dict[str, Any] = {
        "enterprise": uscc,
        "grade": grade,
        "source": "self_check" if who == "e-1" else "public_tip",
        "description": "液氯储罐阀门泄漏",
        **extra,
    }
    if grade == "major":
        data.setdefault("criterion_ref", "HC-2017-121-7")
    h.run_as(who, "hazard.report", REGION, data, subject=case)
    return case


def act(
    h: Harness,
    case: UUID,
    verb: str,
    data: dict[str, Any] | None = None,
    *,
    who: str = "r-wuhan",
    when: datetime | None = None,
) -> None:
    h.run_as(who, f"hazard.{verb}", REGION, data or {}, subject=case, occurred_at=when)


def load(h: Harness, case: UUID) -> HazardCase:
    return h.records.load(case, HazardCase)


def order(
    h: Harness, case: UUID, deadline: str = "2024-03-31", who: str = "r-wuhan", **extra: Any
) -> None:
    data = {"deadline": deadline, "requirements": "更换阀门", **extra}
    act(h, case, "order_rectification", data, who=who)


def rectify_and_request(h: Harness, case: UUID) -> None:
    act(h, case, "rectify", {"description": "已更换", "evidence": EVIDENCE}, who="e-1")
    act(h, case, "request_recheck", who="e-1")


def recheck(verb: str = "accept", **extra: Any) -> dict[str, Any]:
    text = "reasons" if verb == "reject" else "report"
    return {"officers": OFFICERS, "on_site": True, text: "现场复查", **extra}


def to_major_plan(h: Harness, uscc: str) -> UUID:
    case = report(h, uscc, "major", who="r-wuhan")
    order(h, case, stop_production=True, evacuate=True)
    act(
        h,
        case,
        "report_to_regulator",
        {"status_and_cause": "阀门老化", "harm_analysis": "可能引发中毒"},
        who="e-1",
    )
    act(h, case, "list_for_supervision", {"supervisor": "武汉市应急管理局", "document_no": "D-1"})
    act(h, case, "file_plan", PLAN, who="e-1")
    return case


def test_general_hazard_closes_the_loop_from_self_check_to_closure(h: Harness, uscc: str) -> None:
    case = report(h, uscc)
    order(h, case, deadline="2024-03-05", who="e-1")
    rectify_and_request(h, case)
    act(h, case, "accept", recheck())
    act(h, case, "close", {"document_no": "XH-1"})
    hz = load(h, case)
    assert (hz.status, hz.enterprise, hz.grade, hz.source) == (
        "closed",
        uscc,
        "general",
        "self_check",
    )
    assert hz.history == [
        "hazard.report",
        "hazard.order_rectification",
        "hazard.rectify",
        "hazard.request_recheck",
        "hazard.accept",
        "hazard.close",
    ]
    assert hz.breaches == []
    assert not hz.rectified_late


def test_major_hazard_goes_through_report_supervision_and_plan_to_closure(
    h: Harness, uscc: str
) -> None:
    case = to_major_plan(h, uscc)
    hz = load(h, case)
    assert (hz.status, hz.stop_production, hz.evacuate) == ("planned", True, True)
    assert hz.plan == PLAN
    rectify_and_request(h, case)
    act(h, case, "accept", recheck())
    act(h, case, "close")
    hz = load(h, case)
    assert hz.status == "closed"
    assert hz.criterion_ref == "HC-2017-121-7"
    assert hz.supervision is not None
    assert hz.supervision["lifted_at"] is not None


def test_major_hazard_must_cite_its_criterion(h: Harness, uscc: str) -> None:
    with pytest.raises(InvalidValue, match="criterion"):
        h.run_as(
            "r-wuhan",
            "hazard.report",
            REGION,
            {
                "enterprise": uscc,
                "grade": "major",
                "source": "public_tip",
                "description": "x",
            },
        )


def test_general_hazard_cites_no_major_criterion(h: Harness, uscc: str) -> None:
    with pytest.raises(InvalidValue, match="criterion_ref"):
        report(h, uscc, criterion_ref="HC-1")


def test_self_check_is_reported_by_the_enterprise_and_public_tips_by_the_regulator(
    h: Harness, uscc: str
) -> None:
    with pytest.raises(NotAuthorized, match="self_check"):
        report(h, uscc, who="r-wuhan", source="self_check")
    with pytest.raises(NotAuthorized, match="public_tip"):
        report(h, uscc, source="public_tip")


def test_enterprise_account_reports_only_its_own_hazards(
    h: Harness, regulator: str, uscc: str
) -> None:
    other = h.enterprise(regulator)
    with pytest.raises(NotAuthorized, match="bound to enterprise"):
        report(h, other)


def test_only_sensor_hazards_name_an_alarm(h: Harness, uscc: str) -> None:
    with pytest.raises(InvalidValue, match="alarm"):
        report(h, uscc, alarm=str(uuid4()))
    case = report(h, uscc, source="sensor", alarm=str(uuid4()))
    assert load(h, case).alarm is not None


def test_hazard_from_an_inspection_cites_an_existing_hazard_finding(
    h: Harness, regulator: str, uscc: str
) -> None:
    insp = uuid4()
    h.run_as(
        "o-1",
        "inspection.start",
        REGION,
        {"enterprise": uscc, "type": "routine_plan", "officers": OFFICERS},
        subject=insp,
    )
    for ref, kind in (("F-1", "hazard"), ("F-2", "violation")):
        h.run_as(
            "o-1",
            "inspection.record_finding",
            REGION,
            {"finding": ref, "kind": kind, "description": "x"},
            subject=insp,
        )
    found = {"source": "inspection", "inspection": str(insp)}
    with pytest.raises(InvalidValue, match="cites the inspection"):
        report(h, uscc, who="r-wuhan", source="inspection")
    with pytest.raises(NotFound, match="no finding F-9"):
        report(h, uscc, who="r-wuhan", **found, finding="F-9")
    with pytest.raises(InvalidValue, match="is a violation"):
        report(h, uscc, who="r-wuhan", **found, finding="F-2")
    with pytest.raises(InvalidValue, match="cites no inspection"):
        report(h, uscc, inspection=str(insp), finding="F-1")
    other = h.enterprise(regulator)
    with pytest.raises(InvalidValue, match="is about enterprise"):
        report(h, other, who="r-wuhan", **found, finding="F-1")
    case = report(h, uscc, who="r-wuhan", **found, finding="F-1")
    assert (load(h, case).inspection, load(h, case).finding) == (str(insp), "F-1")


def test_enterprise_cannot_order_rectification_of_a_major_hazard(h: Harness, uscc: str) -> None:
    case = report(h, uscc, "major", who="r-wuhan")
    with pytest.raises(NotAuthorized, match="only the regulator"):
        act(
            h,
            case,
            "order_rectification",
            {"deadline": "2024-03-31", "requirements": "x"},
            who="e-1",
        )


def test_general_hazard_takes_no_stop_or_evacuation_order(h: Harness, uscc: str) -> None:
    case = report(h, uscc)
    with pytest.raises(InvalidValue, match="major hazards only"):
        order(h, case, stop_production=True)
    with pytest.raises(InvalidValue, match="major hazards only"):
        order(h, case, evacuate=True)
    assert load(h, case).status == "reported"


def test_deadline_before_the_order_is_rejected(h: Harness, uscc: str) -> None:
    case = report(h, uscc)
    with pytest.raises(InvalidValue, match="before the day of the order"):
        order(h, case, deadline="2024-02-29")


def test_rectification_needs_an_order_first(h: Harness, uscc: str) -> None:
    case = report(h, uscc)
    with pytest.raises(InvalidTransition, match="needs ordered"):
        act(h, case, "rectify", {"description": "x", "evidence": EVIDENCE}, who="e-1")


def test_major_hazard_cannot_be_rectified_without_its_treatment_plan(h: Harness, uscc: str) -> None:
    case = report(h, uscc, "major", who="r-wuhan")
    order(h, case)
    with pytest.raises(InvalidTransition, match="six-item treatment plan"):
        act(h, case, "rectify", {"description": "x", "evidence": EVIDENCE}, who="e-1")


def test_major_hazard_is_reported_before_it_is_listed_for_supervision(
    h: Harness, uscc: str
) -> None:
    case = report(h, uscc, "major", who="r-wuhan")
    order(h, case)
    with pytest.raises(InvalidTransition, match="needs reported_to_regulator"):
        act(h, case, "list_for_supervision", {"supervisor": "局", "document_no": "D-1"})
    with pytest.raises(InvalidTransition, match="needs listed"):
        act(h, case, "file_plan", PLAN, who="e-1")


def test_supervision_and_plans_apply_to_major_hazards_only(h: Harness, uscc: str) -> None:
    case = report(h, uscc)
    order(h, case)
    with pytest.raises(InvalidTransition, match="major hazards only"):
        act(
            h,
            case,
            "report_to_regulator",
            {"status_and_cause": "x", "harm_analysis": "y"},
            who="e-1",
        )
    with pytest.raises(InvalidTransition, match="major hazards only"):
        act(h, case, "list_for_supervision", {"supervisor": "局", "document_no": "D-1"})


def test_treatment_plan_needs_all_six_items(h: Harness, uscc: str) -> None:
    case = to_major_plan(h, uscc)
    with pytest.raises(InvalidValue, match="安全措施和应急预案"):
        act(h, case, "file_plan", {**PLAN, "safety_measures": "  "}, who="e-1")
    without = {k: v for k, v in PLAN.items() if k != "funds_materials"}
    with pytest.raises(InvalidValue, match="funds_materials"):
        act(h, case, "file_plan", without, who="e-1")


def test_plan_time_limit_cannot_run_past_the_rectification_deadline(h: Harness, uscc: str) -> None:
    case = to_major_plan(h, uscc)
    with pytest.raises(InvalidValue, match="runs past the rectification deadline"):
        act(h, case, "file_plan", {**PLAN, "time_limit": "2024-04-01"}, who="e-1")


def test_major_hazard_cannot_close_before_acceptance(h: Harness, uscc: str) -> None:
    case = to_major_plan(h, uscc)
    act(h, case, "rectify", {"description": "x", "evidence": EVIDENCE}, who="e-1")
    version = load(h, case).version
    with pytest.raises(InvalidTransition, match="销号 needs accepted"):
        act(h, case, "close")
    act(h, case, "request_recheck", who="e-1")
    with pytest.raises(InvalidTransition, match="销号 needs accepted"):
        act(h, case, "close")
    assert load(h, case).version == version + 1


def test_recheck_is_on_site_by_two_officers(h: Harness, uscc: str) -> None:
    case = report(h, uscc)
    order(h, case)
    rectify_and_request(h, case)
    with pytest.raises(InvalidValue, match="on-site"):
        act(h, case, "accept", recheck(on_site=False))
    with pytest.raises(InvalidValue, match="listed twice"):
        act(h, case, "accept", recheck(officers=["o-1", "o-1"]))


def test_enterprise_cannot_accept_its_own_rectification(h: Harness, uscc: str) -> None:
    case = report(h, uscc)
    order(h, case)
    rectify_and_request(h, case)
    with pytest.raises(NotAuthorized, match="may not issue"):
        act(h, case, "accept", recheck(), who="e-1")


def test_rejected_recheck_returns_to_rectification_under_a_new_deadline(
    h: Harness, uscc: str
) -> None:
    case = to_major_plan(h, uscc)
    rectify_and_request(h, case)
    act(h, case, "reject", recheck("reject", deadline="2024-04-15"))
    hz = load(h, case)
    assert (hz.status, hz.deadline, hz.rejections) == ("planned", date(2024, 4, 15), 1)
    rectify_and_request(h, case)
    act(h, case, "accept", recheck())
    assert load(h, case).status == "accepted"


def test_recheck_later_than_10_days_after_the_request_is_recorded_as_a_breach(
    h: Harness, uscc: str
) -> None:
    case = report(h, uscc)
    order(h, case)
    act(
        h,
        case,
        "rectify",
        {"description": "x", "evidence": EVIDENCE},
        who="e-1",
        when=at("2024-03-04"),
    )
    act(h, case, "request_recheck", who="e-1", when=at("2024-03-04"))
    assert load(h, case).recheck_due == date(2024, 3, 14)
    act(h, case, "accept", recheck(), when=at("2024-03-15"))
    hz = load(h, case)
    assert hz.status == "accepted"
    assert hz.breaches == [
        {
            "rule": "总局令第16号 §18",
            "step": "acceptance",
            "due": "2024-03-14",
            "at": "2024-03-15T10:00:00+08:00",
        }
    ]


def test_recheck_on_the_10th_day_is_on_time(h: Harness, uscc: str) -> None:
    case = report(h, uscc)
    order(h, case)
    act(
        h,
        case,
        "rectify",
        {"description": "x", "evidence": EVIDENCE},
        who="e-1",
        when=at("2024-03-04"),
    )
    act(h, case, "request_recheck", who="e-1", when=at("2024-03-04"))
    act(h, case, "accept", recheck(), when=at("2024-03-14", 23))
    assert load(h, case).breaches == []


def test_overdue_is_derived_from_the_deadline(h: Harness, uscc: str) -> None:
    case = report(h, uscc)
    assert not load(h, case).is_overdue(at("2030-01-01"))
    order(h, case, deadline="2024-03-10")
    hz = load(h, case)
    assert hz.overdue_since == date(2024, 3, 11)
    assert not hz.is_overdue(at("2024-03-10", 23))
    assert hz.is_overdue(at("2024-03-11", 0))
    # 2024-03-10T16:30Z is already 03-11 00:30 in China Standard Time.
    assert hz.is_overdue(datetime.fromisoformat("2024-03-10T16:30:00+00:00"))
    act(
        h,
        case,
        "rectify",
        {"description": "x", "evidence": EVIDENCE},
        who="e-1",
        when=at("2024-03-12"),
    )
    hz = load(h, case)
    assert (hz.overdue_since, hz.is_overdue(at("2024-03-20")), hz.rectified_late) == (
        None,
        False,
        True,
    )


def test_closed_case_can_be_reopened_under_a_new_deadline(h: Harness, uscc: str) -> None:
    case = to_major_plan(h, uscc)
    with pytest.raises(InvalidTransition, match="reopening needs closed"):
        act(h, case, "reopen", {"reason": "复发", "deadline": "2024-05-01"})
    rectify_and_request(h, case)
    act(h, case, "accept", recheck())
    act(h, case, "close")
    act(h, case, "reopen", {"reason": "复查发现复发", "deadline": "2024-05-01"})
    hz = load(h, case)
    assert (hz.status, hz.deadline, hz.reopenings) == ("planned", date(2024, 5, 1), 1)
    assert hz.supervision is not None
    assert hz.supervision["lifted_at"] is None
    assert hz.is_overdue(at("2024-05-02"))


def test_step_dated_before_the_previous_step_is_rejected(h: Harness, uscc: str) -> None:
    case = report(h, uscc)
    with pytest.raises(InvalidTransition, match="dated before"):
        act(
            h,
            case,
            "order_rectification",
            {"deadline": "2024-03-31", "requirements": "x"},
            when=at("2024-02-01"),
        )
