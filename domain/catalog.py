"""The catalog (信息资源目录): every command and event type with its JSON Schema, its Chinese and
English names, the roles that may issue it and the rule it follows.

    CATALOG = build(AGGREGATES)
    KIND_NAMES = {a.KIND: a.KIND_ZH for a in AGGREGATES}  # "permit" → 安全生产许可证

`AGGREGATES` lists every aggregate the platform records; `build` reads the commands each one
declares (domain.commands: the `command` decorator on its handlers, `on_<verb>` its appliers)
into one mapping by command type. Importing a module registers nothing: what is in the catalog
is what this list names. The same schemas validate incoming commands (ops wires a validator
through the domain's SchemaCheck port) and are published by `anjian catalog`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from domain.accident import Accident
from domain.actor import Actor
from domain.certificate import TrainingCertificate
from domain.commands import SEALED_PERSON, CommandSpec, commands_of
from domain.credit_listing import CreditListing
from domain.data_subject import DataSubject
from domain.emergency import EmergencyIncident
from domain.enterprise import Enterprise
from domain.hazard import HazardCase
from domain.inspection import Inspection
from domain.penalty import PenaltyCase
from domain.permit import Permit
from domain.record import Record
from domain.rescue import RescueTeam
from domain.sensor import SensorAlarm, SensorDevice
from domain.warning import RiskWarning

__all__ = ["AGGREGATES", "CATALOG", "KIND_NAMES", "build", "schema_of", "sealed_fields"]

AGGREGATES: tuple[type[Record], ...] = (
    Actor,
    Enterprise,
    Accident,
    TrainingCertificate,
    CreditListing,
    DataSubject,
    Inspection,
    HazardCase,
    PenaltyCase,
    Permit,
    SensorDevice,
    SensorAlarm,
    EmergencyIncident,
    RescueTeam,
    RiskWarning,
)


def build(aggregates: Iterable[type[Record]]) -> Mapping[str, CommandSpec]:
    """Every command the aggregates declare, by type, aggregate by aggregate in the order
    given; TypeError if two aggregates declare one type or share a KIND."""
    catalog: dict[str, CommandSpec] = {}
    kinds: dict[str, type[Record]] = {}
    for aggregate in aggregates:
        if not aggregate.KIND or kinds.setdefault(aggregate.KIND, aggregate) is not aggregate:
            raise TypeError(f"{aggregate.__name__} needs a KIND of its own, has {aggregate.KIND!r}")
        for type_, spec in commands_of(aggregate).items():
            if type_ in catalog:
                raise TypeError(f"command {type_} declared twice")
            catalog[type_] = spec
    return MappingProxyType(catalog)


CATALOG = build(AGGREGATES)
KIND_NAMES = MappingProxyType({a.KIND: a.KIND_ZH for a in AGGREGATES})  # "permit" → 安全生产许可证


def schema_of(command_type: str) -> dict[str, Any]:
    return CATALOG[command_type].schema


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
