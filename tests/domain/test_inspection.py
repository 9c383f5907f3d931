"""Inspections (监管执法检查): two officers, findings, measures, closing."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.errors import (
    AlreadyExists,
    InvalidTransition,
    InvalidValue,
    NotAnOfficer,
    NotAuthorized,
    NotFound,
)
from domain.inspection import Inspection
from tests.support import Harness

REGION = "420102"
OFFICERS = ["o-1", "o-2"]


@pytest.fixture
def uscc(h: Harness, regulator: str) -> str:
    for account in OFFICERS:
        h.actor(account, "regulator", "420100")
    return h.enterprise(regulator)


def start(h: Harness, uscc: str, type_: str = "routine_plan", **extra: Any) -> UUID:
    case = uuid4()
    data = {"enterprise": uscc, "type": type_, "officers": OFFICERS, **extra}
    h.run_as("o-1", "inspection.start", REGION, data, subject=case)
    return case


def act(h: Harness, case: UUID, verb: str, data: dict[str, Any], who: str = "o-1") -> None:
    h.run_as(who, f"inspection.{verb}", REGION, data, subject=case)


def finding(h: Harness, case: UUID, ref: str = "F-1", kind: str = "hazard") -> None:
    act(h, case, "record_finding", {"finding": ref, "kind": kind, "description": "安全阀失效"})


def load(h: Harness, case: UUID) -> Inspection:
    return h.records.load(case, Inspection)


def test_inspection_records_findings_and_measures_then_closes(h: Harness, uscc: str) -> None:
    case = start(h, uscc)
    finding(h, case, "F-1")
    finding(h, case, "F-2", kind="violation")
    act(
        h,
        case,
        "order_measure",
        {
            "measure_no": "M-1",
            "measure": "order_correct",
            "findings": ["F-1"],
            "deadline": "2024-03-15",
        },
    )
    act(
        h,
        case,
        "order_measure",
        {
            "measure_no": "M-2",
            "measure": "seal_equipment",
            "findings": ["F-1", "F-2"],
            "items": ["1号反应釜"],
        },
    )
    act(h, case, "close", {"summary": "发现隐患2项"}, who="o-2")
    insp = load(h, case)
    assert (insp.status, insp.enterprise, insp.officers) == ("closed", uscc, OFFICERS)
    assert set(insp.findings) == {"F-1", "F-2"}
    assert insp.measures["M-2"]["items"] == ["1号反应釜"]
    assert not insp.stop_ordered


def test_inspection_needs_two_officers(h: Harness, uscc: str) -> None:
    with pytest.raises(InvalidValue, match="officers"):
        start(h, uscc, officers=["o-1"])


def test_the_same_officer_does_not_count_twice(h: Harness, uscc: str) -> None:
    with pytest.raises(InvalidValue, match="listed twice"):
        h.run_as(
            "o-1",
            "inspection.start",
            REGION,
            {"enterprise": uscc, "type": "routine_plan", "officers": ["o-1", "o-1"]},
        )


def test_officers_are_registered_regulators(h: Harness, uscc: str) -> None:
    h.actor("e-1", "enterprise", REGION, enterprise=uscc)
    with pytest.raises(InvalidValue, match="not a registered actor"):
        start(h, uscc, officers=["o-1", "nobody"])
    with pytest.raises(InvalidValue, match="not an active regulator"):
        start(h, uscc, officers=["o-1", "e-1"])


def test_officers_have_jurisdiction_over_the_enterprise(h: Harness, uscc: str) -> None:
    h.actor("o-yichang", "regulator", "420500")
    with pytest.raises(InvalidValue, match="no jurisdiction"):
        start(h, uscc, officers=["o-1", "o-yichang"])


def test_a_regulator_not_among_the_officers_cannot_start_the_inspection(
    h: Harness, regulator: str, uscc: str
) -> None:
    data = {"enterprise": uscc, "type": "routine_plan", "officers": OFFICERS}
    with pytest.raises(NotAnOfficer, match="r-wuhan is not one of the officers") as caught:
        h.run_as(regulator, "inspection.start", REGION, data)
    assert (caught.value.field, caught.value.rule) == ("actor", "安全生产法 §68; 行政处罚法 §42")


@pytest.mark.parametrize(
    ("verb", "data"),
    [
        ("record_finding", {"finding": "F-2", "kind": "hazard", "description": "代签"}),
        ("order_measure", {"measure_no": "M-1", "measure": "stop_production", "findings": ["F-1"]}),
        ("close", {"summary": "代为结束"}),
    ],
)
def test_a_regulator_not_among_the_officers_cannot_record_the_inspections_steps(
    h: Harness, regulator: str, uscc: str, verb: str, data: dict[str, Any]
) -> None:
    """r-wuhan covers the enterprise's region and may issue every inspection command, but it
    did not inspect: only o-1 and o-2 sign this inspection's record."""
    case = start(h, uscc)
    finding(h, case)
    with pytest.raises(NotAnOfficer, match="not one of the officers"):
        act(h, case, verb, data, who=regulator)
    assert load(h, case).version == 2
    act(h, case, verb, data, who="o-2")  # the other inspecting officer may


def test_enterprise_cannot_start_an_inspection(h: Harness, uscc: str) -> None:
    h.actor("e-1", "enterprise", REGION, enterprise=uscc)
    with pytest.raises(NotAuthorized, match="may not issue"):
        h.run_as(
            "e-1",
            "inspection.start",
            REGION,
            {"enterprise": uscc, "type": "routine_plan", "officers": OFFICERS},
        )


def test_double_random_inspection_cites_its_draw(h: Harness, uscc: str) -> None:
    with pytest.raises(InvalidValue, match="source_ref"):
        start(h, uscc, "double_random")
    case = start(h, uscc, "double_random", source_ref="DRAW-2024-03-017")
    assert load(h, case).source_ref == "DRAW-2024-03-017"


def test_re_inspection_follows_a_closed_inspection_of_the_same_enterprise(
    h: Harness, regulator: str, uscc: str
) -> None:
    with pytest.raises(InvalidValue, match="previous inspection"):
        start(h, uscc, "re_inspection")
    first = start(h, uscc)
    with pytest.raises(InvalidTransition, match="still in_progress"):
        start(h, uscc, "re_inspection", previous=str(first))
    act(h, first, "close", {"summary": "完成"})
    other = h.enterprise(regulator)
    with pytest.raises(NotFound, match="no inspection"):
        start(h, other, "re_inspection", previous=str(first))
    again = start(h, uscc, "re_inspection", previous=str(first))
    assert load(h, again).previous == str(first)


def test_only_a_re_inspection_names_a_previous_one(h: Harness, uscc: str) -> None:
    first = start(h, uscc)
    with pytest.raises(InvalidValue, match="only a re-inspection"):
        start(h, uscc, previous=str(first))


def test_finding_ids_are_unique_in_an_inspection(h: Harness, uscc: str) -> None:
    case = start(h, uscc)
    finding(h, case, "F-1")
    with pytest.raises(AlreadyExists, match="F-1"):
        finding(h, case, "F-1")


def test_measure_must_answer_a_recorded_finding(h: Harness, uscc: str) -> None:
    case = start(h, uscc)
    with pytest.raises(NotFound, match="no finding F-9"):
        act(
            h,
            case,
            "order_measure",
            {"measure_no": "M-1", "measure": "stop_production", "findings": ["F-9"]},
        )
    assert load(h, case).version == 1


def test_order_to_correct_sets_a_deadline_not_in_the_past(h: Harness, uscc: str) -> None:
    case = start(h, uscc)
    finding(h, case)
    order = {"measure_no": "M-1", "measure": "order_correct", "findings": ["F-1"]}
    with pytest.raises(InvalidValue, match="deadline"):
        act(h, case, "order_measure", order)
    with pytest.raises(InvalidValue, match="before the order"):
        act(h, case, "order_measure", {**order, "deadline": "2024-02-01"})


def test_sealing_lists_the_sealed_equipment(h: Harness, uscc: str) -> None:
    case = start(h, uscc)
    finding(h, case)
    with pytest.raises(InvalidValue, match="sealed equipment"):
        act(
            h,
            case,
            "order_measure",
            {"measure_no": "M-1", "measure": "seal_equipment", "findings": ["F-1"]},
        )


def test_stop_production_order_is_visible(h: Harness, uscc: str) -> None:
    case = start(h, uscc)
    finding(h, case)
    act(
        h,
        case,
        "order_measure",
        {"measure_no": "M-1", "measure": "stop_production", "findings": ["F-1"]},
    )
    assert load(h, case).stop_ordered


def test_closed_inspection_takes_no_more_findings_or_measures(h: Harness, uscc: str) -> None:
    case = start(h, uscc)
    finding(h, case)
    act(h, case, "close", {"summary": "完成"})
    with pytest.raises(InvalidTransition, match="closed"):
        finding(h, case, "F-2")
    with pytest.raises(InvalidTransition, match="closed"):
        act(
            h,
            case,
            "order_measure",
            {"measure_no": "M-1", "measure": "stop_production", "findings": ["F-1"]},
        )
    with pytest.raises(InvalidTransition, match="closed"):
        act(h, case, "close", {"summary": "再次"})


def test_step_dated_before_the_start_is_rejected(h: Harness, uscc: str) -> None:
    case = start(h, uscc)
    with pytest.raises(InvalidTransition, match="dated before"):
        h.run_as(
            "o-1",
            "inspection.record_finding",
            REGION,
            {"finding": "F-1", "kind": "hazard", "description": "x"},
            subject=case,
            occurred_at=h.clock.replace(year=2023),
        )
