"""Absolute bounds of every instant at intake: occurred_at and each date or instant in data.

One command dated 9999-12-31T23:59:00-01:00 (year 10000 in UTC) or 0001-01-01… was accepted,
logged and anchored, and from then on every read command failed with an OverflowError.
"""

from __future__ import annotations

from datetime import datetime
from uuid import uuid4

import pytest

from domain.catalog import CATALOG
from domain.commands import DATE, INSTANT, obj
from domain.envelope import parse_instant
from domain.errors import InstantOutOfRange
from domain.instants import check_instants, instant_paths
from tests.support import Harness, new_uscc

POISONED = [
    "9999-12-31T23:59:00-01:00",  # year 10000 in UTC
    "0001-01-01T00:00:00+01:00",  # year 0 in UTC
    "2100-01-01T00:00:00+08:00",
    "1948-12-31T23:59:59+08:00",
    "2024-03-01T10:00:00+15:00",  # no zone lies beyond ±14:00
    "2024-03-01T10:00:00+08:00:30",  # RFC 3339 offsets are whole minutes
]


def stored(h: Harness) -> int:
    return int(h.records.recorder.max_notification_id() or 0)


@pytest.mark.parametrize("when", POISONED)
def test_poisoned_occurred_at_is_refused_naming_the_field(
    h: Harness, regulator: str, when: str
) -> None:
    before = stored(h)
    with pytest.raises(InstantOutOfRange) as refused:
        h.run_as(
            regulator,
            "enterprise.register",
            "420102",
            {
                "uscc": new_uscc(),
                "name": "企业",
                "industry": "fireworks",
                "standardisation": "none",
            },
            occurred_at=datetime.fromisoformat(when),
        )
    assert refused.value.field == "occurred_at"
    assert "\n" not in str(refused.value)
    assert stored(h) == before


@pytest.mark.parametrize("deadline", ["9999-12-31", "0001-01-01", "2100-01-01", "1948-12-31"])
def test_out_of_range_date_in_data_is_refused_with_its_json_pointer(
    h: Harness, regulator: str, deadline: str
) -> None:
    uscc = h.enterprise(regulator)
    case = uuid4()
    h.run_as(
        regulator,
        "hazard.report",
        "420102",
        {"enterprise": uscc, "grade": "general", "source": "public_tip", "description": "泄漏"},
        subject=case,
    )
    before = stored(h)
    with pytest.raises(InstantOutOfRange) as refused:
        h.run_as(
            regulator,
            "hazard.order_rectification",
            "420102",
            {"deadline": deadline, "requirements": "限期整改"},
            subject=case,
        )
    assert refused.value.field == "/data/deadline"
    assert stored(h) == before


@pytest.mark.parametrize("happened", POISONED[:-1])  # the last fails the schema's shape first
def test_out_of_range_instant_in_data_is_refused_with_its_json_pointer(
    h: Harness, regulator: str, happened: str
) -> None:
    uscc = h.enterprise(regulator)
    with pytest.raises(InstantOutOfRange) as refused:
        h.run_as(
            regulator,
            "accident.report",
            "420102",
            {
                "enterprise": uscc,
                "happened_at": happened,
                "kind": "fire",
                "summary": "火灾",
                "deaths": 0,
                "serious_injuries": 0,
                "direct_loss": 0,
            },
        )
    assert refused.value.field == "/data/happened_at"


@pytest.mark.parametrize(
    "edge",
    [
        "1949-01-01T00:00:00+14:00",  # 1948-12-31T10:00Z: the written year counts
        "2099-12-31T23:59:59.999999-14:00",  # 2100-01-01T13:59Z
        "2024-03-01T10:00:00-12:00",
        "2024-03-01T10:00:00Z",
    ],
)
def test_the_edges_of_the_bounds_are_instants_the_platform_records(edge: str) -> None:
    assert parse_instant(edge, "occurred_at") == datetime.fromisoformat(edge)
    check_instants(instant_paths(obj({"at": INSTANT})), {"at": edge})


def test_dates_in_nested_arrays_are_found_and_named_by_pointer() -> None:
    schema = obj({"items": {"type": "array", "items": obj({"due": DATE})}})
    check_instants(instant_paths(schema), {"items": [{"due": "2099-12-31"}]})
    with pytest.raises(InstantOutOfRange) as refused:
        check_instants(
            instant_paths(schema), {"items": [{"due": "2024-01-01"}, {"due": "2100-01-01"}]}
        )
    assert refused.value.field == "/data/items/1/due"


def test_every_date_and_instant_the_catalog_declares_is_bounded() -> None:
    """Each catalog field of format date or date-time is found by the intake's check."""
    declared: dict[str, set[str]] = {}
    for ctype, spec in CATALOG.items():
        for name, prop in spec.properties.items():
            if prop.get("format") in ("date", "date-time"):
                declared.setdefault(ctype, set()).add(name)
    found = {
        ctype: {path[0] for path, _ in spec.instants if path and path[0] is not None}
        for ctype, spec in CATALOG.items()
        if spec.instants
    }
    assert found == declared
    assert {"hazard.order_rectification", "accident.report", "penalty.schedule_hearing"} <= set(
        found
    )


def test_bounds_are_published_in_the_catalog_schemas() -> None:
    assert "1949..2099" in DATE["description"]
    assert "1949..2099" in INSTANT["description"]
    assert "±14:00" in INSTANT["description"]
