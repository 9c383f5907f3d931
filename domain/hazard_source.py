"""Major hazard source level (重大危险源分级, GB 18218-2018; 总局令第40号).

R = α · Σ βᵢ · qᵢ / Qᵢ, where qᵢ is the actual quantity of substance i, Qᵢ its critical
quantity, βᵢ its correction factor and α the correction for people within 500 m.
A unit is a major hazard source when Σ qᵢ/Qᵢ ≥ 1. Levels: 一级 R ≥ 100, 二级 50 ≤ R < 100,
三级 10 ≤ R < 50, 四级 R < 10.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.errors import InvalidValue

RULE = "GB 18218-2018 §4"


@dataclass(frozen=True)
class Substance:
    name: str
    quantity: float  # q, tonnes
    critical: float  # Q, tonnes
    beta: float  # β correction factor


def alpha(people_within_500m: int) -> float:
    """α by the number of people exposed within 500 m."""
    if people_within_500m < 0:
        raise InvalidValue("people_within_500m cannot be negative", rule=RULE)
    if people_within_500m >= 100:
        return 2.0
    if people_within_500m >= 50:
        return 1.5
    if people_within_500m >= 30:
        return 1.2
    if people_within_500m >= 1:
        return 1.0
    return 0.5


def checked(substances: Iterable[Substance]) -> list[Substance]:
    """The substances, each with a positive critical quantity Q (a divisor) and β."""
    items = list(substances)
    for s in items:
        if s.critical <= 0:
            raise InvalidValue(f"critical quantity of {s.name} must be positive", rule=RULE)
        if s.quantity < 0 or s.beta <= 0:
            raise InvalidValue(f"quantity and β of {s.name} must be positive", rule=RULE)
    return items


def ratio_sum(substances: Iterable[Substance]) -> float:
    return sum(s.quantity / s.critical for s in checked(substances))


def r_value(substances: Iterable[Substance], people_within_500m: int) -> float:
    items = checked(substances)
    return alpha(people_within_500m) * sum(s.beta * s.quantity / s.critical for s in items)


def level(r: float) -> int:
    """Level 1 (most severe) to 4."""
    if r >= 100:
        return 1
    if r >= 50:
        return 2
    if r >= 10:
        return 3
    return 4


LEVEL_ZH = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
