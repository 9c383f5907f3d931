"""Enterprise registration, profile, risk points and major hazard sources (准入)."""

from __future__ import annotations

import pytest

from domain.enterprise import Enterprise
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotAuthorized
from domain.ids import enterprise_id
from tests.support import Harness, new_uscc


def test_registered_enterprise_is_active_with_its_profile(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    ent = h.records.load(enterprise_id(uscc), Enterprise)
    assert (ent.uscc, ent.status, ent.industry, ent.region) == (
        uscc,
        "active",
        "hazardous_chemicals",
        "420102",
    )


def test_bad_check_character_is_rejected_naming_position_18(h: Harness, regulator: str) -> None:
    uscc = new_uscc()
    bad = uscc[:17] + ("0" if uscc[17] != "0" else "1")
    with pytest.raises(InvalidValue, match="position 18"):
        h.enterprise(regulator, uscc=bad)


def test_letter_outside_the_alphabet_is_rejected_naming_its_position(
    h: Harness, regulator: str
) -> None:
    with pytest.raises(InvalidValue, match=r"position 1[^0-9]"):
        h.enterprise(regulator, uscc="I1420102MA0000001X")


def test_same_uscc_cannot_register_twice(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    with pytest.raises(AlreadyExists):
        h.enterprise(regulator, uscc=uscc)


def test_region_outside_hubei_is_rejected(h: Harness, regulator: str) -> None:
    with pytest.raises(InvalidValue, match="region"):
        h.enterprise(regulator, region="110101")


def test_regulator_cannot_register_outside_its_jurisdiction(h: Harness, regulator: str) -> None:
    with pytest.raises(NotAuthorized, match="jurisdiction"):
        h.enterprise(regulator, region="420502")


def test_major_hazard_source_level_follows_r_value(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    # R = α·Σβq/Q = 2.0 · (2·100/10 + 1.5·50/50) = 2.0 · 21.5 = 43 → 三级 (10 ≤ R < 50)
    h.run_as(
        regulator,
        "enterprise.register_hazard_source",
        "420102",
        {
            "uscc": uscc,
            "source": "T-01",
            "name": "液氯储罐区",
            "substances": [
                {"name": "氯", "quantity": 100, "critical": 10, "beta": 2},
                {"name": "氨", "quantity": 50, "critical": 50, "beta": 1.5},
            ],
            "people_within_500m": 120,
        },
        subject=enterprise_id(uscc),
    )
    ent = h.records.load(enterprise_id(uscc), Enterprise)
    assert ent.hazard_sources["T-01"]["r"] == 43.0
    assert ent.hazard_sources["T-01"]["level"] == 3


def test_below_critical_quantity_is_not_a_major_hazard_source(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    with pytest.raises(InvalidValue, match="not a major hazard source"):
        h.run_as(
            regulator,
            "enterprise.register_hazard_source",
            "420102",
            {
                "uscc": uscc,
                "source": "T-02",
                "name": "小储罐",
                "substances": [{"name": "氨", "quantity": 1, "critical": 10, "beta": 1}],
                "people_within_500m": 0,
            },
            subject=enterprise_id(uscc),
        )


def test_zero_critical_quantity_is_refused_naming_the_substance(h: Harness, regulator: str) -> None:
    # Σq/Q was summed before Q was checked: Q = 0 raised ZeroDivisionError (a traceback).
    uscc = h.enterprise(regulator)
    with pytest.raises(InvalidValue, match="critical quantity of 氨 must be positive"):
        h.run_as(
            regulator,
            "enterprise.register_hazard_source",
            "420102",
            {
                "uscc": uscc,
                "source": "T-03",
                "name": "储罐",
                "substances": [{"name": "氨", "quantity": 1, "critical": 0, "beta": 1}],
                "people_within_500m": 0,
            },
            subject=enterprise_id(uscc),
        )


def test_risk_point_records_five_highs_and_colour(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    h.run_as(
        regulator,
        "enterprise.assess_risk_point",
        "420102",
        {
            "uscc": uscc,
            "point": "RP-1",
            "name": "氯化工艺",
            "five_highs": ["process", "goods"],
            "colour": "red",
        },
        subject=enterprise_id(uscc),
    )
    ent = h.records.load(enterprise_id(uscc), Enterprise)
    assert ent.risk_points["RP-1"]["colour"] == "red"


def test_deregistered_enterprise_takes_no_more_changes(h: Harness, regulator: str) -> None:
    uscc = h.enterprise(regulator)
    h.run_as(
        regulator,
        "enterprise.deregister",
        "420102",
        {"uscc": uscc, "reason": "关闭"},
        subject=enterprise_id(uscc),
    )
    with pytest.raises(InvalidTransition, match="deregistered"):
        h.run_as(
            regulator,
            "enterprise.update_profile",
            "420102",
            {"uscc": uscc, "name": "新名"},
            subject=enterprise_id(uscc),
        )


def test_enterprise_account_acts_only_on_its_own_enterprise(h: Harness, regulator: str) -> None:
    mine, other = h.enterprise(regulator), h.enterprise(regulator)
    h.actor("e-mine", "enterprise", "420102", enterprise=mine)
    h.run_as(
        "e-mine",
        "enterprise.update_profile",
        "420102",
        {"uscc": mine, "employees": 80},
        subject=enterprise_id(mine),
    )
    with pytest.raises(NotAuthorized, match="bound to enterprise"):
        h.run_as(
            "e-mine",
            "enterprise.update_profile",
            "420102",
            {"uscc": other, "employees": 80},
            subject=enterprise_id(other),
        )
