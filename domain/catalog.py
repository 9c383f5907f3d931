"""The catalog (信息资源目录): every command and event type with its JSON Schema, its Chinese and
English names, the roles that may issue it and the rule it follows.

Aggregates declare their commands with the `command` decorator; Record subclasses register them
here when their class is created. The same schemas validate incoming commands (ops wires a
validator through the domain's SchemaCheck port) and are published by `anjian catalog`.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from eventsourcing.utils import get_topic

from domain.ids import UUID_PATTERN
from domain.instants import FIRST_YEAR, LAST_YEAR, Path, instant_paths

__all__ = [
    "CATALOG",
    "CommandSpec",
    "command",
    "schema_of",
]

F = TypeVar("F", bound=Callable[..., Any])

# Roles that sign commands.
PLATFORM = "platform"  # the platform itself (genesis, actor administration)
REGULATOR = "regulator"  # 应急管理/安监 officers of a province, prefecture or county
ENTERPRISE = "enterprise"  # a 生产经营单位's account
DEVICE = "device"  # a sensor gateway or inspection terminal with its own key
ROLES = (PLATFORM, REGULATOR, ENTERPRISE, DEVICE)


@dataclass(frozen=True)
class CommandSpec:
    """One command type and the event it records."""

    type: str  # "<kind>.<verb>", e.g. "hazard.report"
    event: str  # event type name, e.g. "HazardReported"
    zh: str  # Chinese name of the command
    en: str
    event_zh: str  # Chinese name of the event
    rule: str  # the law, regulation or invariant it follows
    roles: frozenset[str]
    creates: bool
    aggregate: builtins.type[Any]
    method: str
    properties: Mapping[str, Any]
    required: tuple[str, ...]
    step: str  # lifecycle stage: 准入 / 监管 / 执法 / 处罚 / 信用 / 平台

    @property
    def schema(self) -> dict[str, Any]:
        """JSON Schema (draft 2020-12) of the command's `data` object."""
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"urn:anjian:command:{self.type}",
            "title": f"{self.zh} / {self.en}",
            "type": "object",
            "properties": dict(self.properties),
            "required": list(self.required),
            "additionalProperties": False,
        }

    @cached_property
    def instants(self) -> tuple[tuple[Path, str], ...]:
        """Where `data` holds dates and instants, which the write path bounds (domain.instants)."""
        return instant_paths(self.schema)

    def describe(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "event": self.event,
            "zh": self.zh,
            "en": self.en,
            "event_zh": self.event_zh,
            "rule": self.rule,
            "roles": sorted(self.roles),
            "creates": self.creates,
            "aggregate": self.aggregate.__name__,
            # Where its events are stored: the auditor checks each event against it.
            "aggregate_topic": get_topic(self.aggregate),
            "stage": self.step,
            "schema": self.schema,
        }


CATALOG: dict[str, CommandSpec] = {}


def command(
    verb: str,
    *,
    event: str,
    zh: str,
    en: str,
    event_zh: str,
    rule: str,
    roles: tuple[str, ...],
    properties: Mapping[str, Any],
    required: tuple[str, ...] = (),
    creates: bool = False,
    step: str = "监管",
) -> Callable[[F], F]:
    """Declare an aggregate method as the handler of command `<KIND>.<verb>`.

    Creation handlers are classmethods `(cls, cmd, ctx) -> aggregate`; the others are methods
    `(self, cmd, ctx) -> None`. Both check everything and then record the command.
    """

    def mark(fn: F) -> F:
        target = fn.__func__ if isinstance(fn, classmethod) else fn
        target.__anjian_command__ = {  # type: ignore[attr-defined]
            "verb": verb,
            "event": event,
            "zh": zh,
            "en": en,
            "event_zh": event_zh,
            "rule": rule,
            "roles": frozenset(roles),
            "properties": properties,
            "required": tuple(required),
            "creates": creates,
            "step": step,
        }
        return fn

    return mark


def register(aggregate: type[Any], kind: str) -> None:
    """Register the commands declared on `aggregate` (called by Record.__init_subclass__)."""
    # Walk the MRO so an aggregate can take its commands from mixins (one per procedure
    # stage); the most derived definition of a name wins.
    seen: set[str] = set()
    attrs = [(n, a) for klass in aggregate.__mro__ for n, a in vars(klass).items()]
    for name, attr in attrs:
        if name in seen:
            continue
        seen.add(name)
        fn = attr.__func__ if isinstance(attr, classmethod) else attr
        meta = getattr(fn, "__anjian_command__", None)
        if meta is None:
            continue
        type_ = f"{kind}.{meta['verb']}"
        if type_ in CATALOG and CATALOG[type_].aggregate is not aggregate:
            raise TypeError(f"command {type_} declared twice")
        CATALOG[type_] = CommandSpec(
            type=type_,
            event=meta["event"],
            zh=meta["zh"],
            en=meta["en"],
            event_zh=meta["event_zh"],
            rule=meta["rule"],
            roles=meta["roles"],
            creates=meta["creates"],
            aggregate=aggregate,
            method=name,
            properties=meta["properties"],
            required=meta["required"],
            step=meta["step"],
        )


def schema_of(command_type: str) -> dict[str, Any]:
    return CATALOG[command_type].schema


# -- JSON Schema fragments ------------------------------------------------------------------


def text(max_length: int = 500, min_length: int = 1) -> dict[str, Any]:
    return {"type": "string", "minLength": min_length, "maxLength": max_length}


def enum(*values: str) -> dict[str, Any]:
    return {"type": "string", "enum": list(values)}


def integer(minimum: int = 0, maximum: int | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        s["maximum"] = maximum
    return s


def number(minimum: float = 0) -> dict[str, Any]:
    return {"type": "number", "minimum": minimum}


def boolean() -> dict[str, Any]:
    return {"type": "boolean"}


# The write path also checks the calendar and the bounds (domain.instants), and says so here.
DATE = {
    "type": "string",
    "format": "date",
    "pattern": r"^\d{4}-\d{2}-\d{2}$",
    "description": f"a calendar date in the years {FIRST_YEAR}..{LAST_YEAR}",
}
INSTANT = {
    "type": "string",
    "format": "date-time",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)$",
    "description": f"an instant written in the years {FIRST_YEAR}..{LAST_YEAR} "
    "with a UTC offset within ±14:00",
}
# The alphabet and check character are checked by domain.uscc, whose errors name the position.
USCC = {
    "type": "string",
    "minLength": 18,
    "maxLength": 18,
    "description": "统一社会信用代码 (GB 32100-2015): 0-9 A-H J-N P-R T U W-Y, check char 18",
}
REGION = {"type": "string", "pattern": r"^\d{6}$", "description": "GB/T 2260 division code"}
# Ids in their one written form (domain.ids): lower-case, hyphenated.
UUID_ = {"type": "string", "format": "uuid", "pattern": UUID_PATTERN}
REF = {"type": "string", "minLength": 1, "maxLength": 100, "pattern": r"^[A-Za-z0-9_.:/-]+$"}


def array(items: Mapping[str, Any], min_items: int = 0, max_items: int = 1000) -> dict[str, Any]:
    return {"type": "array", "items": dict(items), "minItems": min_items, "maxItems": max_items}


def obj(properties: Mapping[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": dict(properties),
        "required": list(required),
        "additionalProperties": False,
    }


# Personal data never enters the log in the clear (PIPL): a sealed subject, see the vault.
SEALED_PERSON = obj(
    {
        "ref": UUID_,
        "commitment": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        # Base64 of the vault's ciphertext, never readable text: plaintext in this field
        # would enter the log for good.
        "sealed": {
            "type": "string",
            "minLength": 4,
            "maxLength": 4000,
            "pattern": "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
            "description": "base64 of the vault's ciphertext of the person",
        },
    },
    ("ref", "commitment", "sealed"),
)


def sealed_fields(command_type: str) -> dict[str, bool]:
    """The `data` fields of a command that hold sealed persons: name → True when the field is
    an array of them (the intake seals these; the personal-data view reads them)."""
    spec = CATALOG.get(command_type)
    if spec is None:
        return {}
    out: dict[str, bool] = {}
    for name, schema in spec.properties.items():
        if schema == SEALED_PERSON:
            out[name] = False
        elif schema.get("type") == "array" and schema.get("items") == SEALED_PERSON:
            out[name] = True
    return out
