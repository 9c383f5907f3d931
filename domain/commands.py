"""Declaring commands: the `command` decorator, `CommandSpec`, the roles that sign commands and
the JSON Schema fragments command data is described with.

An aggregate method decorated with `command` is the handler of the command `<KIND>.<verb>`;
`on_<verb>` on the same class is the applier that evolves state from its event. Both are read
from the class once, by `commands_of`: nothing is registered when a module is imported. The
catalog (domain.catalog) is built from the list of aggregates.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, TypeVar

from eventsourcing.utils import get_topic

from domain.ids import UUID_PATTERN
from domain.instants import FIRST_YEAR, LAST_YEAR, Path, instant_paths

__all__ = [
    "ACCOUNT_ROLES",
    "ROLES",
    "CommandSpec",
    "command",
    "commands_of",
]

F = TypeVar("F", bound=Callable[..., Any])

# Roles that sign commands.
PLATFORM = "platform"  # the platform itself (genesis, actor administration)
REGULATOR = "regulator"  # 应急管理/安监 officers of a province, prefecture or county
ENTERPRISE = "enterprise"  # a 生产经营单位's account
DEVICE = "device"  # a sensor gateway or inspection terminal with its own key
AUDITOR = "auditor"  # reads the log, proofs and anchors; signs no business command
INTEGRATOR = "integrator"  # a program reading records within a jurisdiction; no business command
ADMIN = "admin"  # administers accounts (registers actors, changes rights); no business command
# A module of the platform (风险预警, 应急协调指挥) with its own key: only its commands.
SERVICE = "service"
ROLES = (PLATFORM, REGULATOR, ENTERPRISE, DEVICE, AUDITOR, INTEGRATOR, ADMIN, SERVICE)
# The roles that administer actors and sign no business command: the catalog lists them only
# on actor.* commands (tests/domain/test_roles.py).
ACCOUNT_ROLES = (PLATFORM, ADMIN)


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
    method: str  # the name of the handler, the aggregate's command method
    handler: Callable[..., Any]  # creates: (cmd, ctx) -> aggregate; else (aggregate, cmd, ctx)
    applier: str  # the method that evolves the aggregate from the event: on_<verb>
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


@cache
def commands_of(aggregate: type[Any]) -> Mapping[str, CommandSpec]:
    """The commands declared on `aggregate` (a Record subclass with its `KIND`), by type, in
    the order they are defined; read from the class once.

    The MRO is walked so an aggregate can take its commands from mixins (one per procedure
    stage); the most derived definition of a name wins. Every command must have its applier,
    `on_<verb>`, on the aggregate: TypeError names the one that has not.
    """
    kind = aggregate.KIND
    seen: set[str] = set()
    specs: dict[str, CommandSpec] = {}
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
        applier = f"on_{meta['verb']}"
        if not callable(getattr(aggregate, applier, None)):
            raise TypeError(f"{aggregate.__name__} handles {type_} but has no {applier}")
        specs[type_] = CommandSpec(
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
            handler=getattr(aggregate, name),
            applier=applier,
            properties=meta["properties"],
            required=meta["required"],
            step=meta["step"],
        )
    return specs


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
# A document number (文号) as authorities write it: 汉应急责改〔2026〕12号, 武应急罚〔2019〕6号,
# (鄂)JZ安许证字〔2017〕0085, or a plain code (DB-1): the authority's abbreviation, the year in
# 〔〕 (or [] ［］ （） ()), the number and 号; no spaces, control or markup characters.
DOC_NO = {
    "type": "string",
    "minLength": 1,
    "maxLength": 100,
    "pattern": r"^[A-Za-z0-9_.:/\-\u3400-\u4dbf\u4e00-\u9fff〔〕［］\[\]（）()【】]+$",
    "description": "文号, e.g. 汉应急责改〔2026〕12号",
}


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
