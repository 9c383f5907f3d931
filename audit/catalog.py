"""The catalog as the auditor needs it: for each event type, its kind, who may issue it, and
where eventsourcing stores it.

The platform publishes its catalog (`anjian catalog --json`, domain/catalog.py `describe`):
one entry per command type with, among others,

    {"type": "hazard.close", "roles": ["regulator"], "creates": false,
     "aggregate_topic": "domain.hazard:HazardCase", ...}

`catalog_from_json` reads exactly those fields, so an auditor builds the same `EventCatalog`
from the published document as the platform builds from its code, without importing the
domain. An event type `<kind>.<verb>` is recorded on a record of `kind`: its creation type
(`creates`) as the record's version 1 under `<aggregate_topic>.Created`, every other type as a
later version under `<aggregate_topic>.Event`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from audit.errors import AuditError

__all__ = ["CatalogFormatError", "EventCatalog", "EventRule", "catalog_from_json"]


class CatalogFormatError(AuditError, ValueError):
    """A catalog entry lacks a field the auditor reads, or a field has the wrong type."""


@dataclass(frozen=True, slots=True)
class EventRule:
    """What the catalog says of one event type."""

    kind: str  # the record kind, the type's prefix: "hazard"
    roles: frozenset[str]  # the registered roles that may issue it
    creates: bool  # it creates its record (version 1)
    aggregate_topic: str  # "domain.hazard:HazardCase": eventsourcing's topic of the kind

    @property
    def topic(self) -> str:
        """The topic its stored events carry (`module:Class.Created` or `module:Class.Event`)."""
        return f"{self.aggregate_topic}.{'Created' if self.creates else 'Event'}"


EventCatalog = Mapping[str, EventRule]


def _field(entry: Mapping[str, Any], name: str, kind: type) -> Any:
    value = entry.get(name)
    if not isinstance(value, kind):
        raise CatalogFormatError(f"catalog entry {entry.get('type')!r}: {name} is not a {kind}")
    return value


def catalog_from_json(entries: Iterable[Mapping[str, Any]]) -> dict[str, EventRule]:
    """The EventCatalog of published catalog entries (`anjian catalog --json`).

    Raises CatalogFormatError if an entry lacks `type`, `roles`, `creates` or
    `aggregate_topic`, or if a type is not `<kind>.<verb>` or is listed twice.
    """
    out: dict[str, EventRule] = {}
    for entry in entries:
        type_ = _field(entry, "type", str)
        kind, dot, verb = type_.partition(".")
        if not (kind and dot and verb):
            raise CatalogFormatError(f"catalog type {type_!r} is not <kind>.<verb>")
        if type_ in out:
            raise CatalogFormatError(f"catalog type {type_!r} is listed twice")
        roles = _field(entry, "roles", list)
        if not all(isinstance(r, str) for r in roles):
            raise CatalogFormatError(f"catalog entry {type_!r}: roles are not strings")
        out[type_] = EventRule(
            kind=kind,
            roles=frozenset(roles),
            creates=_field(entry, "creates", bool),
            aggregate_topic=_field(entry, "aggregate_topic", str),
        )
    return out
