"""Sanction: the penalty a case proposes or decides (行政处罚法 2021 §9), as a value object.

JSON layout (the `proposed` / `penalty` objects of penalty commands), amounts in whole yuan:

    {"types": ["fine", "stop_order", ...],      # at least one, no repeats
     "fine_yuan": int,                           # iff "fine" in types
     "confiscation_yuan": int,                   # iff "confiscation" in types (value confiscated)
     "suspension_days": int}                     # iff "licence_suspension" in types

A sanction is *major* — it needs 法制审核 (§58) and gives the party the right to a hearing
(§63) — when it revokes a licence, stops production or closes the unit, or its fine or
confiscation reaches the large-amount threshold. The thresholds are set by provincial rules;
the defaults below are the ministry's (安全生产违法行为行政处罚办法: 生产经营单位 5万元) (?).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.commands import array, enum, integer, obj
from domain.errors import InvalidValue

LAW = "行政处罚法 2021"
TYPES = {
    "warning": "警告",
    "fine": "罚款",
    "confiscation": "没收违法所得、非法财物",
    "licence_suspension": "暂扣许可证件",
    "licence_revocation": "吊销许可证件",
    "stop_order": "责令停产停业",
    "closure": "责令关闭",
}
AMOUNTS = {"fine": "fine_yuan", "confiscation": "confiscation_yuan"}
HEAVY_TYPES = frozenset({"licence_revocation", "stop_order", "closure"})
# Carried out by the party or the authority after service; a warning is done by serving it.
TO_EXECUTE = frozenset(
    {"confiscation", "licence_suspension", "licence_revocation", "stop_order", "closure"}
)
RULES_VERSION = "large-amount thresholds v1"
LARGE_FINE_YUAN = 50_000  # (?) provincial rules may set another amount
LARGE_CONFISCATION_YUAN = 50_000  # (?)
MAX_YUAN = 100_000_000_000

SCHEMA = obj(
    {
        "types": array(enum(*TYPES), 1, len(TYPES)),
        "fine_yuan": integer(1, MAX_YUAN),
        "confiscation_yuan": integer(1, MAX_YUAN),
        "suspension_days": integer(1, 3650),
    },
    ("types",),
)


@dataclass(frozen=True)
class Sanction:
    types: frozenset[str]
    fine_yuan: int = 0
    confiscation_yuan: int = 0
    suspension_days: int = 0

    @classmethod
    def parse(cls, value: Mapping[str, Any], field: str) -> Sanction:
        """Check the cross-field rules the JSON Schema cannot state."""
        types = list(value["types"])
        if len(set(types)) != len(types):
            raise InvalidValue("a penalty type is listed twice", field=f"{field}.types")
        pairs = (*AMOUNTS.items(), ("licence_suspension", "suspension_days"))
        for kind, key in pairs:
            if (kind in types) != (key in value):
                raise InvalidValue(
                    f"{key} is given exactly when the penalty includes {kind}",
                    rule=f"{LAW} §9",
                    field=f"{field}.{key}",
                )
        if {"licence_suspension", "licence_revocation"} <= set(types):
            raise InvalidValue(
                "a licence is either suspended or revoked", rule=f"{LAW} §9", field=field
            )
        return cls(
            frozenset(types),
            value.get("fine_yuan", 0),
            value.get("confiscation_yuan", 0),
            value.get("suspension_days", 0),
        )

    @property
    def major(self) -> bool:
        """Needs 法制审核 (§58) and opens the right to a hearing (§63)."""
        return (
            bool(self.types & HEAVY_TYPES)
            or self.fine_yuan >= LARGE_FINE_YUAN
            or self.confiscation_yuan >= LARGE_CONFISCATION_YUAN
        )

    @property
    def to_execute(self) -> frozenset[str]:
        return self.types & TO_EXECUTE

    def heavier_than(self, other: Sanction) -> list[str]:
        """How this sanction exceeds `other` (empty when it does not)."""
        out = [f"adds {t}" for t in sorted(self.types - other.types)]
        for name in ("fine_yuan", "confiscation_yuan", "suspension_days"):
            if getattr(self, name) > getattr(other, name):
                out.append(f"raises {name} to {getattr(self, name)}")
        return out
