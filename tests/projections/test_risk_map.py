"""The four-colour risk map's formula (projections/rulebooks/riskmap-v1.json): every colour
explained by the factors that made it, and a formula file without the four bands refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from projections.risk_map import FORMULA, formula


def facts(**over: object) -> dict[str, object]:
    return {"points": {}, "sources": {}, "hazards": {}, "warnings": {}, **over}


def test_a_quiet_enterprise_is_blue_and_explains_nothing() -> None:
    assert formula().rate(facts()) == (0, "blue", [])


def test_each_factor_adds_its_points_and_says_what_it_saw() -> None:
    score, colour, explain = formula().rate(
        facts(
            points={"P-1": "yellow", "P-2": "orange"},  # highest orange: 25
            sources={"T-01": 3},  # 三级: 10
            hazards={"h1": ["major", True], "h2": ["general", True], "h3": ["major", False]},
            warnings={"w1": "yellow"},  # 10
        )
    )
    # 25 + 10 + (25 + 3) + 10 = 73: red from 70
    assert (score, colour) == (73, "red")
    assert [(x["factor"], x["points"]) for x in explain] == [
        ("risk_point", 25),
        ("hazard_source", 10),
        ("open_hazard", 28),
        ("warning", 10),
    ]


def test_open_hazards_are_capped() -> None:
    many = {f"h{i}": ["major", True] for i in range(5)}
    score, colour, _ = formula().rate(facts(hazards=many))
    assert (score, colour) == (40, "orange")


def test_a_formula_without_the_four_colours_is_refused(tmp_path: Path) -> None:
    raw = json.loads(FORMULA.read_text("utf-8"))
    raw["colours"] = raw["colours"][:3]
    bad = tmp_path / "riskmap-v9.json"
    bad.write_text(json.dumps(raw), "utf-8")
    with pytest.raises(ValueError, match="the four"):
        formula(bad)
