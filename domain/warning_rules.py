"""The warning rulebook: the warning module's rules kept as versioned data
(domain/rulebooks/warning-v<N>.json), read into a `Rulebook`.

    {"rulebook": "warning", "version": 1, "title": str, "effective_from": "YYYY-MM-DD",
     "source": str, "acknowledge_minutes": 30,
     "rules": [{"id": str, "kind": KIND, "zh": str, "en": str, "basis": str,
                "lift": {"zh": str, "en": str}, ...parameters}, ...]}

The code knows the kinds and their parameters (KINDS); ids, names, numbers, levels and windows
are the rulebook's. Every warning step names `<rule id>` and the rulebook version, and its
command id is derived from `<rule id>@<version>` (domain.policy.command_id), so a new version
of the rulebook decides anew and never collides with the old one's records.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from domain.errors import InvalidValue

__all__ = ["KINDS", "RULEBOOKS", "Rule", "Rulebook", "default_rulebook", "rulebook_of"]

RULEBOOKS = Path(__file__).parent / "rulebooks"
LEVELS = ("blue", "yellow", "orange", "red")
# kind → the parameters a rule of that kind must give
KINDS: dict[str, tuple[str, ...]] = {
    "gas_alarm": ("levels", "major_source_levels", "major_source_alarms", "major_source_level"),
    "alarm_unacknowledged": ("minutes", "steps"),
    "recurring_alarm": ("count", "window_hours", "level"),
    "major_hazard_overdue": ("level", "escalate_after_days", "escalated_level"),
    "repeat_hazard": ("window_days", "level"),
    "permit_invalid": ("level", "operating"),
    "accident": ("level",),
    "accident_county": ("level", "days"),
}


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    zh: str
    en: str
    basis: str
    lift_zh: str
    lift_en: str
    params: MappingProxyType[str, Any]

    def __getitem__(self, name: str) -> Any:
        return self.params[name]


@dataclass(frozen=True)
class Rulebook:
    version: int
    title: str
    effective_from: date
    source: str
    acknowledge_minutes: int
    rules: tuple[Rule, ...]
    digest_text: str  # the file's JSON as read (shown by `anjian warnings rules`)

    def by_kind(self, kind: str) -> Rule | None:
        return next((r for r in self.rules if r.kind == kind), None)

    def ref(self, rule: Rule) -> str:
        """The rule as decisions name it: `<id>@<version>`."""
        return f"{rule.id}@{self.version}"

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(self.digest_text)
        return out


def _need(obj: dict[str, Any], name: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = obj.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise InvalidValue(f"{where}.{name} is missing or not a {kind}", field=f"{where}.{name}")
    return value


def _level(value: object, where: str) -> str:
    if value not in LEVELS:
        raise InvalidValue(
            f"{where} must be one of {', '.join(LEVELS)}, got {value!r}", field=where
        )
    return str(value)


def rulebook_of(text: str) -> Rulebook:
    """The rulebook of JSON `text`; InvalidValue names the first field that is wrong."""
    try:
        obj = json.loads(text)
    except ValueError as exc:
        raise InvalidValue(f"the rulebook is not JSON: {exc}", field="rulebook") from None
    if not isinstance(obj, dict) or obj.get("rulebook") != "warning":
        raise InvalidValue('not a warning rulebook ("rulebook": "warning")', field="rulebook")
    version = _need(obj, "version", int, "rulebook")
    if version < 1:
        raise InvalidValue("rulebook.version must be ≥ 1", field="rulebook.version")
    try:
        effective = date.fromisoformat(_need(obj, "effective_from", str, "rulebook"))
    except ValueError:
        raise InvalidValue(
            "rulebook.effective_from must be YYYY-MM-DD", field="rulebook.effective_from"
        ) from None
    minutes = _need(obj, "acknowledge_minutes", int, "rulebook")
    rules: list[Rule] = []
    seen: set[str] = set()
    for i, raw in enumerate(_need(obj, "rules", list, "rulebook")):
        where = f"rules[{i}]"
        if not isinstance(raw, dict):
            raise InvalidValue(f"{where} must be an object", field=where)
        rid = _need(raw, "id", str, where)
        kind = _need(raw, "kind", str, where)
        if kind not in KINDS:
            raise InvalidValue(f"{where}.kind {kind!r} is not one of {sorted(KINDS)}", field=where)
        if rid in seen or not rid.replace("-", "").isalnum() or rid != rid.lower():
            raise InvalidValue(f"{where}.id {rid!r} is repeated or not a-z0-9-", field=where)
        seen.add(rid)
        for name in KINDS[kind]:
            if name not in raw:
                raise InvalidValue(f"{where} ({rid}) needs {name}", field=f"{where}.{name}")
        for name in ("level", "escalated_level", "major_source_level"):
            if name in raw:
                _level(raw[name], f"{where}.{name}")
        for alarm, lvl in raw.get("levels", {}).items():
            _level(lvl, f"{where}.levels.{alarm}")
        lift = _need(raw, "lift", dict, where)
        reserved = {"id", "kind", "zh", "en", "basis", "lift"}
        rules.append(
            Rule(
                id=rid,
                kind=kind,
                zh=_need(raw, "zh", str, where),
                en=_need(raw, "en", str, where),
                basis=_need(raw, "basis", str, where),
                lift_zh=_need(lift, "zh", str, f"{where}.lift"),
                lift_en=_need(lift, "en", str, f"{where}.lift"),
                params=MappingProxyType({k: v for k, v in raw.items() if k not in reserved}),
            )
        )
    kinds = [r.kind for r in rules]
    missing = [k for k in KINDS if k not in kinds]
    if missing or len(set(kinds)) != len(kinds):
        raise InvalidValue(
            f"a warning rulebook has one rule of each kind (missing: {missing or 'none'})",
            field="rulebook.rules",
        )
    return Rulebook(
        version=version,
        title=_need(obj, "title", str, "rulebook"),
        effective_from=effective,
        source=_need(obj, "source", str, "rulebook"),
        acknowledge_minutes=minutes,
        rules=tuple(rules),
        digest_text=text,
    )


def default_rulebook() -> Rulebook:
    """The newest rulebook shipped with the platform (the highest warning-v<N>.json)."""
    files = sorted(RULEBOOKS.glob("warning-v*.json"), key=lambda p: int(p.stem.rpartition("v")[2]))
    return rulebook_of(files[-1].read_text("utf-8"))
