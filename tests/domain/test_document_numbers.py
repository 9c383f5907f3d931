"""Document numbers (文号) in the forms authorities write them are accepted wherever a command
takes one: the authority's abbreviation, the year in 〔〕, the number and 号."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.catalog import CATALOG
from domain.commands import DOC_NO
from domain.errors import InvalidValue
from domain.hazard import HazardCase
from tests.support import Harness

REAL = ["汉应急责改〔2026〕12号", "(鄂)JZ安许证字〔2017〕0085", "鄂应急罚[2026]3号", "DB-1"]
NUMBERED = {
    ("hazard.order_rectification", "document_no"),
    ("hazard.list_for_supervision", "document_no"),
    ("hazard.close", "document_no"),
    ("credit.notify", "document_no"),
    ("credit.list", "decision_no"),
    ("inspection.order_measure", "measure_no"),
    ("permit.suspend", "stop_order"),
    ("permit.revoke", "decision"),
}


def _document_fields() -> set[tuple[str, str]]:
    found = set()
    for ctype, spec in CATALOG.items():
        data = spec.schema["properties"]
        found |= {(ctype, name) for name, s in data.items() if s == DOC_NO}
    return found


def test_every_document_number_field_takes_the_chinese_forms() -> None:
    assert _document_fields() == NUMBERED


def order_with(h: Harness, regulator: str, number: str) -> UUID:
    """Report a hazard and order its rectification under document `number`; the case."""
    uscc = h.enterprise(regulator)
    case = uuid4()
    data = {"enterprise": uscc, "grade": "general", "source": "public_tip", "description": "漏"}
    h.run_as(regulator, "hazard.report", "420102", data, subject=case)
    order = {"deadline": "2024-03-31", "requirements": "整改", "document_no": number}
    h.run_as(regulator, "hazard.order_rectification", "420102", order, subject=case)
    return case


@pytest.mark.parametrize("number", REAL)
def test_a_rectification_order_takes_a_real_document_number(
    h: Harness, regulator: str, number: str
) -> None:
    case = order_with(h, regulator, number)
    assert h.records.load(case, HazardCase).status == "ordered"


@pytest.mark.parametrize("number", ["汉应急 12号", "号\n", "<b>12</b>", "a\u202e号", ""])
def test_a_document_number_with_spaces_controls_or_markup_is_refused(
    h: Harness, regulator: str, number: str
) -> None:
    with pytest.raises(InvalidValue, match="document_no"):
        order_with(h, regulator, number)
