"""Penalty cases (行政处罚法 2021): every step, its clocks, payment and the late fee.

Dates: 2024-03-01 is a Friday. With weekends as the only non-working days, 5 working days
after Fri 03-01 end on Fri 03-08, 7 working days end on Tue 03-12, and 3 working days after
Mon 03-04 end on Thu 03-07.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.clocks import TooEarly, TooLate
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotAuthorized, NotFound
from domain.penalty import PenaltyCase
from tests.support import SHANGHAI, Harness

REGION = "420102"
OFFICERS = ["o-1", "o-2"]
SMALL = {"types": ["fine"], "fine_yuan": 10_000}
MAJOR = {"types": ["fine", "stop_order"], "fine_yuan": 100_000}
EVIDENCE = [{"ref": "E-1", "sha256": "cd" * 32, "description": "现场照片"}]
RIGHTS = ["statement", "defence"]


@pytest.fixture
def uscc(h: Harness, regulator: str) -> str:
    for account in (*OFFICERS, "o-3"):
        h.actor(account, "regulator", "420100")
    uscc = h.enterprise(regulator)
    h.actor("e-1", "enterprise", REGION, enterprise=uscc)
    return uscc


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=SHANGHAI)


D0 = at("2024-03-01")


def file(h: Harness, uscc: str, when: datetime = D0, **extra: Any) -> UUID:
    case = uuid4()
    data = {
        "enterprise": uscc,
        "case_no": "鄂应急罚〔2024〕1号",
        "violation": "未按规定消除重大事故隐患",
        "basis": "安全生产法 §102",
        "violation_date": "2024-02-20",
        **extra,
    }
    h.run_as("o-1", "penalty.file", REGION, data, subject=case, occurred_at=when)
    return case


def act(
    h: Harness,
    case: UUID,
    verb: str,
    data: dict[str, Any] | None = None,
    *,
    who: str = "o-1",
    when: datetime = D0,
) -> None:
    h.run_as(who, f"penalty.{verb}", REGION, data or {}, subject=case, occurred_at=when)


def load(h: Harness, case: UUID) -> PenaltyCase:
    return h.records.load(case, PenaltyCase)


def investigate(h: Harness, case: UUID, when: datetime = D0) -> None:
    data = {"officers": OFFICERS, "facts": "储罐区未设泄漏报警", "evidence": EVIDENCE}
    act(h, case, "investigate", data, when=when)


def reviewed(h: Harness, uscc: str, proposed: dict[str, Any] = SMALL) -> UUID:
    case = file(h, uscc)
    investigate(h, case)
    act(h, case, "review", {"conclusion": "penalty", "opinion": "事实清楚", "proposed": proposed})
    return case


def notice(proposed: dict[str, Any], rights: list[str] | None = None) -> dict[str, Any]:
    if rights is None:
        rights = [*RIGHTS, "hearing"] if proposed is MAJOR else RIGHTS
    return {"facts": "事实", "basis": "安全生产法 §102", "proposed": proposed, "rights": rights}


def noticed(h: Harness, uscc: str, proposed: dict[str, Any] = SMALL) -> UUID:
    case = reviewed(h, uscc, proposed)
    if proposed is MAJOR:
        approve(h, case)
    act(h, case, "notify", notice(proposed))
    return case


def approve(h: Harness, case: UUID) -> None:
    act(h, case, "legal_review", {"opinion": "approved", "comments": "合法"}, who="r-wuhan")


def decide(h: Harness, case: UUID, penalty: dict[str, Any] = SMALL, when: datetime = D0) -> None:
    data = {"decision_no": "决-1", "outcome": "penalty", "penalty": penalty, "reasons": "理由"}
    act(h, case, "decide", data, when=when)


def served(h: Harness, uscc: str, fine_yuan: int = 10_000) -> UUID:
    """A small fine decided and served on the spot on Fri 2024-03-01 (payment due 03-16)."""
    penalty = {"types": ["fine"], "fine_yuan": fine_yuan}
    case = noticed(h, uscc, penalty)
    decide(h, case, penalty)
    act(h, case, "serve", {"method": "on_the_spot", "receipt": "R-1"})
    return case


# -- the whole procedure ---------------------------------------------------------------------


def test_small_fine_goes_from_filing_to_closure(h: Harness, uscc: str) -> None:
    case = noticed(h, uscc)
    act(h, case, "state_defence", {"statement": "已整改，请求从轻"}, who="e-1")
    decide(h, case)
    act(h, case, "serve", {"method": "on_the_spot", "receipt": "R-1"})
    act(h, case, "publish", {"url": "https://yjt.hubei.gov.cn/cf/1"})
    act(h, case, "pay", {"amount_fen": 1_000_000, "receipt": "BANK-1"}, when=at("2024-03-05"))
    assert load(h, case).status == "executed"
    act(h, case, "close", {"summary": "罚款已缴清"}, when=at("2024-03-06"))
    pc = load(h, case)
    assert (pc.status, pc.enterprise, pc.owed_fen(at("2024-06-01")), pc.breaches) == (
        "closed",
        uscc,
        0,
        [],
    )
    assert pc.decision_due == date(2024, 5, 30)
    assert pc.officers == OFFICERS


def test_major_case_goes_through_legal_review_notice_and_hearing(h: Harness, uscc: str) -> None:
    case = reviewed(h, uscc, MAJOR)
    approve(h, case)
    act(h, case, "notify", notice(MAJOR))
    act(h, case, "request_hearing", {"note": "要求听证"}, who="e-1", when=at("2024-03-04"))
    act(
        h,
        case,
        "schedule_hearing",
        {"hearing_at": "2024-03-13T09:30:00+08:00", "place": "局三楼", "host": "o-3"},
        when=at("2024-03-04"),
    )
    act(
        h,
        case,
        "hold_hearing",
        {"outcome": "held", "transcript_sha256": "ef" * 32},
        who="o-3",
        when=at("2024-03-13", 11),
    )
    decide(h, case, MAJOR, when=at("2024-03-15"))
    act(h, case, "serve", {"method": "direct", "receipt": "R-1"}, when=at("2024-03-18"))
    act(
        h,
        case,
        "execute",
        {"carried_out": ["stop_order"], "note": "已停产整顿"},
        when=at("2024-03-19"),
    )
    assert load(h, case).status == "served"
    act(h, case, "pay", {"amount_fen": 10_000_000, "receipt": "BANK-1"}, when=at("2024-03-20"))
    act(h, case, "close", {"summary": "执行完毕"}, when=at("2024-03-21"))
    pc = load(h, case)
    assert (pc.status, pc.hearing_outcome, pc.hearing_host, pc.breaches) == (
        "closed",
        "held",
        "o-3",
        [],
    )


def test_review_concluding_no_penalty_drops_the_case(h: Harness, uscc: str) -> None:
    case = file(h, uscc)
    investigate(h, case)
    act(h, case, "review", {"conclusion": "no_penalty", "opinion": "违法行为轻微并及时改正"})
    with pytest.raises(InvalidTransition, match="is dropped; the decision needs noticed"):
        decide(h, case)
    act(h, case, "close", {"summary": "不予处罚"})
    assert load(h, case).status == "closed"


def test_decision_not_to_penalise_after_the_defence_is_served_and_closed(
    h: Harness, uscc: str
) -> None:
    case = noticed(h, uscc)
    act(h, case, "decide", {"decision_no": "决-1", "outcome": "no_penalty", "reasons": "申辩成立"})
    act(h, case, "serve", {"method": "direct", "receipt": "R-1"})
    with pytest.raises(InvalidTransition, match="not to penalise is not published"):
        act(h, case, "publish", {"url": "https://x/1"})
    act(h, case, "close", {"summary": "不予处罚"})
    assert load(h, case).status == "closed"


# -- 立案: the time bar ----------------------------------------------------------------------


def test_filing_beyond_the_two_year_time_bar_is_rejected(h: Harness, uscc: str) -> None:
    with pytest.raises(TooLate, match="more than 2 years") as exc:
        file(h, uscc, violation_date="2022-02-28")
    assert exc.value.rule == "行政处罚法 2021 §36"
    case = file(h, uscc, violation_date="2022-03-01")
    assert load(h, case).status == "filed"


def test_harm_to_life_or_health_extends_the_time_bar_to_five_years(h: Harness, uscc: str) -> None:
    file(h, uscc, violation_date="2020-03-01", harm_to_life_or_health=True)
    with pytest.raises(TooLate, match="more than 5 years"):
        file(h, uscc, violation_date="2019-02-28", harm_to_life_or_health=True)


def test_time_bar_counts_from_the_end_of_a_continuing_violation_to_its_discovery(
    h: Harness, uscc: str
) -> None:
    file(h, uscc, violation_date="2021-01-01", violation_ended="2023-06-30")
    file(h, uscc, violation_date="2021-01-01", discovered_on="2022-12-31")
    with pytest.raises(InvalidValue, match="end before it began"):
        file(h, uscc, violation_date="2024-01-02", violation_ended="2024-01-01")
    with pytest.raises(InvalidValue, match="discovered_on"):
        file(h, uscc, violation_date="2024-02-20", discovered_on="2024-03-02")


def test_case_from_an_inspection_cites_an_existing_finding(h: Harness, uscc: str) -> None:
    insp = uuid4()
    h.run_as(
        "o-1",
        "inspection.start",
        REGION,
        {"enterprise": uscc, "type": "complaint", "officers": OFFICERS, "source_ref": "TIP-7"},
        subject=insp,
    )
    h.run_as(
        "o-1",
        "inspection.record_finding",
        REGION,
        {"finding": "F-1", "kind": "violation", "description": "无证作业"},
        subject=insp,
    )
    with pytest.raises(NotFound, match="no finding F-2"):
        file(h, uscc, inspection=str(insp), finding="F-2")
    with pytest.raises(InvalidValue, match="both inspection and finding"):
        file(h, uscc, inspection=str(insp))
    with pytest.raises(NotFound, match="no hazard case"):
        file(h, uscc, hazard=str(uuid4()))
    case = file(h, uscc, inspection=str(insp), finding="F-1")
    assert load(h, case).finding == "F-1"


# -- 调查取证 --------------------------------------------------------------------------------


def test_investigation_needs_two_distinct_registered_officers(h: Harness, uscc: str) -> None:
    case = file(h, uscc)
    for officers, message in (
        (["o-1", "o-1"], "listed twice"),
        (["o-1", "ghost"], "not a registered actor"),
        (["o-1"], "officers"),
    ):
        with pytest.raises(InvalidValue, match=message):
            act(h, case, "investigate", {"officers": officers, "facts": "x"})
    assert load(h, case).status == "filed"


def test_evidence_refs_are_unique(h: Harness, uscc: str) -> None:
    case = file(h, uscc)
    investigate(h, case)
    with pytest.raises(AlreadyExists, match="recorded already"):
        investigate(h, case)


def test_review_without_evidence_proposes_no_penalty(h: Harness, uscc: str) -> None:
    case = file(h, uscc)
    act(h, case, "investigate", {"officers": OFFICERS, "facts": "x"})
    with pytest.raises(InvalidTransition, match="no evidence") as exc:
        act(h, case, "review", {"conclusion": "penalty", "opinion": "x", "proposed": SMALL})
    assert exc.value.rule == "行政处罚法 2021 §40"


def test_preserved_evidence_must_be_decided_before_review(h: Harness, uscc: str) -> None:
    case = file(h, uscc)
    investigate(h, case)
    act(h, case, "preserve_evidence", {"item": "P-1", "description": "账簿", "approved_by": "局长"})
    with pytest.raises(InvalidTransition, match="P-1 awaits a decision"):
        act(h, case, "review", {"conclusion": "penalty", "opinion": "x", "proposed": SMALL})
    act(
        h,
        case,
        "decide_preserved",
        {"item": "P-1", "disposition": "release"},
        when=at("2024-03-12", 17),
    )
    assert load(h, case).breaches == []
    with pytest.raises(InvalidTransition, match="decided already"):
        act(
            h,
            case,
            "decide_preserved",
            {"item": "P-1", "disposition": "confiscate"},
            when=at("2024-03-12", 18),
        )


def test_late_decision_on_preserved_evidence_is_recorded_as_a_breach(h: Harness, uscc: str) -> None:
    case = file(h, uscc)
    investigate(h, case)
    act(h, case, "preserve_evidence", {"item": "P-1", "description": "账簿", "approved_by": "局长"})
    act(
        h,
        case,
        "decide_preserved",
        {"item": "P-1", "disposition": "release"},
        when=at("2024-03-13"),
    )
    assert load(h, case).breaches == [
        {
            "rule": "行政处罚法 2021 §56",
            "step": "preserved evidence",
            "due": "2024-03-12",
            "at": "2024-03-13T10:00:00+08:00",
        }
    ]


# -- 法制审核 and 告知 ------------------------------------------------------------------------


def test_major_penalty_needs_legal_review_before_notice(h: Harness, uscc: str) -> None:
    case = reviewed(h, uscc, MAJOR)
    with pytest.raises(InvalidTransition, match="法制审核") as exc:
        act(h, case, "notify", notice(MAJOR))
    assert exc.value.rule == "行政处罚法 2021 §58"


def test_large_fine_alone_is_a_major_penalty(h: Harness, uscc: str) -> None:
    large = {"types": ["fine"], "fine_yuan": 50_000}
    case = reviewed(h, uscc, large)
    with pytest.raises(InvalidTransition, match="法制审核"):
        act(h, case, "notify", notice(large, [*RIGHTS, "hearing"]))


def test_legal_reviewer_did_not_investigate_the_case(h: Harness, uscc: str) -> None:
    case = reviewed(h, uscc, MAJOR)
    with pytest.raises(InvalidValue, match="investigated this case"):
        act(h, case, "legal_review", {"opinion": "approved", "comments": "x"}, who="o-2")


def test_legal_review_can_return_the_case_to_investigation(h: Harness, uscc: str) -> None:
    case = reviewed(h, uscc, MAJOR)
    act(h, case, "legal_review", {"opinion": "returned", "comments": "证据不足"}, who="r-wuhan")
    assert load(h, case).status == "investigating"


def test_notice_states_the_rights_to_state_and_defend(h: Harness, uscc: str) -> None:
    case = reviewed(h, uscc)
    with pytest.raises(InvalidValue, match="state and defend"):
        act(h, case, "notify", {**notice(SMALL), "rights": ["statement", "hearing"]})


def test_notice_offers_a_hearing_exactly_for_major_penalties(h: Harness, uscc: str) -> None:
    small = reviewed(h, uscc)
    with pytest.raises(InvalidValue, match="exactly when"):
        act(h, small, "notify", notice(SMALL, [*RIGHTS, "hearing"]))
    major = reviewed(h, uscc, MAJOR)
    approve(h, major)
    with pytest.raises(InvalidValue, match="exactly when"):
        act(h, major, "notify", notice(MAJOR, RIGHTS))


def test_penalty_amounts_match_their_types(h: Harness, uscc: str) -> None:
    case = reviewed(h, uscc)
    for proposed, message in (
        ({"types": ["fine"]}, "fine_yuan"),
        ({"types": ["warning"], "fine_yuan": 5}, "fine_yuan"),
        ({"types": ["warning", "warning"]}, "listed twice"),
        ({"types": ["licence_suspension"]}, "suspension_days"),
    ):
        with pytest.raises(InvalidValue, match=message):
            act(h, case, "notify", notice(proposed, RIGHTS))


# -- 决定 --------------------------------------------------------------------------------


def test_no_penalty_decision_without_notice(h: Harness, uscc: str) -> None:
    case = reviewed(h, uscc)
    version = load(h, case).version
    with pytest.raises(InvalidTransition, match="no decision without notice") as exc:
        decide(h, case)
    assert exc.value.rule == "行政处罚法 2021 §62"
    assert load(h, case).version == version


def test_decision_cannot_be_heavier_than_the_notice(h: Harness, uscc: str) -> None:
    case = noticed(h, uscc)
    with pytest.raises(InvalidValue, match="heavier than the notice") as exc:
        decide(h, case, {"types": ["fine"], "fine_yuan": 20_000})
    assert exc.value.rule == "行政处罚法 2021 §45"
    with pytest.raises(InvalidValue, match="adds warning"):
        decide(h, case, {"types": ["fine", "warning"], "fine_yuan": 10_000})
    decide(h, case, {"types": ["fine"], "fine_yuan": 8_000})
    assert load(h, case).fine_fen == 800_000


def test_no_decision_while_the_party_may_still_ask_for_a_hearing(h: Harness, uscc: str) -> None:
    case = noticed(h, uscc, MAJOR)
    with pytest.raises(TooEarly, match="until 2024-03-08"):
        decide(h, case, MAJOR, when=at("2024-03-08", 17))
    decide(h, case, MAJOR, when=at("2024-03-11"))
    assert load(h, case).status == "decided"


def test_party_may_waive_the_hearing(h: Harness, uscc: str) -> None:
    case = noticed(h, uscc, MAJOR)
    act(h, case, "state_defence", {"statement": "无异议", "waives_hearing": True}, who="e-1")
    with pytest.raises(InvalidTransition, match="waived"):
        act(h, case, "request_hearing", who="e-1")
    decide(h, case, MAJOR)
    assert load(h, case).status == "decided"


def test_hearing_request_after_5_days_is_rejected(h: Harness, uscc: str) -> None:
    timely, late = noticed(h, uscc, MAJOR), noticed(h, uscc, MAJOR)
    act(h, timely, "request_hearing", who="e-1", when=at("2024-03-08", 17))
    assert load(h, timely).status == "hearing_requested"
    with pytest.raises(TooLate, match="within 5 working days") as exc:
        act(h, late, "request_hearing", who="e-1", when=at("2024-03-11", 9))
    assert exc.value.rule == "行政处罚法 2021 §64 (一)"


def test_a_backdated_hearing_request_is_judged_when_the_platform_records_it(
    h: Harness, uscc: str
) -> None:
    case = noticed(h, uscc, MAJOR)
    h.recording_at = at("2024-03-11", 9)  # the party asks on Monday, dated the Friday before
    with pytest.raises(TooLate, match="recorded 2024-03-11T09:00:00") as exc:
        act(h, case, "request_hearing", who="e-1", when=at("2024-03-08", 17))
    assert exc.value.field == "occurred_at"
    # A regulator recording a request it received in time attests its date.
    act(h, case, "request_hearing", who="o-1", when=at("2024-03-08", 17))
    assert load(h, case).status == "hearing_requested"


def test_no_hearing_for_a_penalty_that_is_not_major(h: Harness, uscc: str) -> None:
    case = noticed(h, uscc)
    with pytest.raises(InvalidTransition, match="not one for which a hearing"):
        act(h, case, "request_hearing", who="e-1")


def test_no_decision_before_the_requested_hearing_is_held(h: Harness, uscc: str) -> None:
    case = noticed(h, uscc, MAJOR)
    act(h, case, "request_hearing", who="e-1")
    with pytest.raises(InvalidTransition, match="decide after it"):
        decide(h, case, MAJOR, when=at("2024-03-20"))


def test_hearing_is_notified_at_least_7_working_days_ahead(h: Harness, uscc: str) -> None:
    case = noticed(h, uscc, MAJOR)
    act(h, case, "request_hearing", who="e-1")
    with pytest.raises(TooEarly, match="less than 7 working days") as exc:
        act(
            h,
            case,
            "schedule_hearing",
            {"hearing_at": "2024-03-11T09:00:00+08:00", "place": "局", "host": "o-3"},
        )
    assert exc.value.rule == "行政处罚法 2021 §64 (二)"
    act(
        h,
        case,
        "schedule_hearing",
        {"hearing_at": "2024-03-12T09:00:00+08:00", "place": "局", "host": "o-3"},
    )
    with pytest.raises(TooEarly, match="scheduled for 2024-03-12"):
        act(
            h,
            case,
            "hold_hearing",
            {"outcome": "held", "transcript_sha256": "ef" * 32},
            when=at("2024-03-11"),
        )


def test_hearing_host_did_not_investigate_the_case(h: Harness, uscc: str) -> None:
    case = noticed(h, uscc, MAJOR)
    act(h, case, "request_hearing", who="e-1")
    with pytest.raises(InvalidValue, match="cannot host its hearing"):
        act(
            h,
            case,
            "schedule_hearing",
            {"hearing_at": "2024-03-20T09:00:00+08:00", "place": "局", "host": "o-1"},
        )


def test_decision_after_90_days_is_rejected(h: Harness, uscc: str) -> None:
    case = noticed(h, uscc)
    assert load(h, case).is_decision_overdue(at("2024-05-31"))
    with pytest.raises(TooLate, match="due by 2024-05-30") as exc:
        decide(h, case, when=at("2024-05-31"))
    assert exc.value.rule == "行政处罚法 2021 §60"
    with pytest.raises(TooLate, match="can no longer be extended"):
        act(
            h,
            case,
            "extend",
            {"days": 30, "approved_by": "局长", "reason": "复杂"},
            when=at("2024-05-31"),
        )


def test_approved_extension_moves_the_decision_deadline(h: Harness, uscc: str) -> None:
    case = noticed(h, uscc)
    act(
        h,
        case,
        "extend",
        {"days": 30, "approved_by": "局长", "reason": "案情复杂"},
        when=at("2024-05-30"),
    )
    pc = load(h, case)
    assert (pc.decision_due, pc.is_decision_overdue(at("2024-05-31"))) == (date(2024, 6, 29), False)
    decide(h, case, when=at("2024-05-31"))


# -- 送达, 执行 ------------------------------------------------------------------------------


def test_service_on_the_spot_is_on_the_day_of_the_decision(h: Harness, uscc: str) -> None:
    case = noticed(h, uscc)
    decide(h, case)
    with pytest.raises(InvalidValue, match="on the day"):
        act(h, case, "serve", {"method": "on_the_spot", "receipt": "R-1"}, when=at("2024-03-04"))


def test_late_service_is_recorded_as_a_breach(h: Harness, uscc: str) -> None:
    case = noticed(h, uscc)
    decide(h, case)
    act(h, case, "serve", {"method": "mail", "receipt": "EMS-1"}, when=at("2024-03-13"))
    pc = load(h, case)
    assert pc.status == "served"
    assert [(b["rule"], b["due"]) for b in pc.breaches] == [("行政处罚法 2021 §61", "2024-03-12")]
    assert pc.payment_due == date(2024, 3, 28)


def test_late_fee_accrues_3_percent_a_day_after_15_days(h: Harness, uscc: str) -> None:
    pc = load(h, served(h, uscc))
    assert pc.payment_due == date(2024, 3, 16)
    assert pc.owed_fen(date(2024, 3, 16)) == 1_000_000
    assert pc.late_fee_fen(date(2024, 3, 17)) == 30_000
    assert pc.owed_fen(at("2024-03-26")) == 1_300_000


def test_late_fee_is_capped_at_the_fine(h: Harness, uscc: str) -> None:
    pc = load(h, served(h, uscc))
    assert pc.late_fee_fen(date(2024, 4, 18)) == 990_000  # 33 days late
    assert pc.late_fee_fen(date(2024, 4, 19)) == 1_000_000  # 34 days: capped
    assert pc.owed_fen(date(2025, 1, 1)) == 2_000_000


def test_partial_payments_settle_the_fine(h: Harness, uscc: str) -> None:
    case = served(h, uscc)
    act(h, case, "pay", {"amount_fen": 400_000, "receipt": "B-1"}, when=at("2024-03-10"))
    pc = load(h, case)
    assert (pc.status, pc.owed_fen(date(2024, 3, 10))) == ("served", 600_000)
    act(h, case, "pay", {"amount_fen": 600_000, "receipt": "B-2"}, when=at("2024-03-15"))
    pc = load(h, case)
    assert (pc.status, pc.owed_fen(date(2024, 12, 1))) == ("executed", 0)


def test_late_payment_must_include_the_late_fee(h: Harness, uscc: str) -> None:
    case = served(h, uscc)
    act(h, case, "pay", {"amount_fen": 1_000_000, "receipt": "B-1"}, when=at("2024-03-26"))
    pc = load(h, case)
    assert (pc.status, pc.owed_fen(date(2024, 3, 26))) == ("served", 300_000)
    with pytest.raises(InvalidTransition, match="not fully executed"):
        act(h, case, "close", {"summary": "x"}, when=at("2024-03-26"))
    with pytest.raises(InvalidValue, match="exceeds the 300000 fen owed"):
        act(h, case, "pay", {"amount_fen": 300_001, "receipt": "B-2"}, when=at("2024-03-26"))
    act(h, case, "pay", {"amount_fen": 300_000, "receipt": "B-2"}, when=at("2024-03-26"))
    pc = load(h, case)
    assert (pc.status, pc.late_fee_fen(date(2024, 6, 1))) == ("executed", 300_000)


def test_execution_records_only_pending_penalties(h: Harness, uscc: str) -> None:
    case = served(h, uscc)
    with pytest.raises(InvalidValue, match="stop_order is not a pending penalty"):
        act(h, case, "execute", {"carried_out": ["stop_order"], "note": "x"})


def test_enterprise_cannot_record_its_own_payment(h: Harness, uscc: str) -> None:
    case = served(h, uscc)
    with pytest.raises(NotAuthorized, match="may not issue"):
        act(h, case, "pay", {"amount_fen": 1, "receipt": "B-1"}, who="e-1")


# -- 公开, 撤销 ------------------------------------------------------------------------------


def test_revoked_published_decision_is_withdrawn_before_the_case_closes(
    h: Harness, uscc: str
) -> None:
    case = served(h, uscc)
    act(h, case, "publish", {"url": "https://x/1"})
    with pytest.raises(AlreadyExists, match="published already"):
        act(h, case, "publish", {"url": "https://x/2"})
    act(
        h,
        case,
        "revoke",
        {"by": "reconsideration", "reason": "认定事实错误"},
        when=at("2024-03-04"),
    )
    assert load(h, case).withdrawal_due == date(2024, 3, 7)
    with pytest.raises(InvalidTransition, match="withdraw it first"):
        act(h, case, "close", {"summary": "x"}, when=at("2024-03-05"))
    act(h, case, "withdraw_publication", {"explanation": "决定已撤销"}, when=at("2024-03-08"))
    act(h, case, "close", {"summary": "决定撤销"}, when=at("2024-03-08"))
    pc = load(h, case)
    assert pc.status == "closed"
    assert [(b["rule"], b["due"]) for b in pc.breaches] == [("行政处罚法 2021 §48", "2024-03-07")]


def test_withdrawal_within_3_working_days_is_on_time(h: Harness, uscc: str) -> None:
    case = served(h, uscc)
    act(h, case, "publish", {"url": "https://x/1"})
    act(h, case, "revoke", {"by": "court", "reason": "x"}, when=at("2024-03-04"))
    act(h, case, "withdraw_publication", {"explanation": "x"}, when=at("2024-03-07", 18))
    assert load(h, case).breaches == []
    with pytest.raises(InvalidTransition, match="withdrawn already"):
        act(h, case, "withdraw_publication", {"explanation": "x"}, when=at("2024-03-07", 19))


def test_unpublished_revoked_decision_has_nothing_to_withdraw(h: Harness, uscc: str) -> None:
    case = served(h, uscc)
    act(h, case, "revoke", {"by": "self_correction", "reason": "x"})
    with pytest.raises(InvalidTransition, match="not published"):
        act(h, case, "withdraw_publication", {"explanation": "x"})
    act(h, case, "close", {"summary": "撤销"})


def test_step_dated_before_the_previous_step_is_rejected(h: Harness, uscc: str) -> None:
    case = file(h, uscc)
    with pytest.raises(TooEarly, match="dated before"):
        investigate(h, case, when=at("2024-02-29"))
