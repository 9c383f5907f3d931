"""The catalog as the auditor reads it (audit/catalog.py), built from the entries the
platform publishes (`anjian catalog --json`), so audit and ledger guard check events against
the domain's catalog without importing the domain."""

from __future__ import annotations

from functools import cache
from types import MappingProxyType

from audit.catalog import EventCatalog, catalog_from_json
from domain.catalog import CATALOG

__all__ = ["event_catalog"]


@cache
def event_catalog() -> EventCatalog:
    """The platform's catalog as audit data, read-only (built once per process)."""
    return MappingProxyType(catalog_from_json(spec.describe() for spec in CATALOG.values()))
