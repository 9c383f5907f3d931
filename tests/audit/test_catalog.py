"""The auditor's catalog is read from the catalog the platform publishes (`anjian catalog
--json`): the same rules as the platform's own, and a malformed entry is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from audit.catalog import CatalogFormatError, EventRule, catalog_from_json
from services.ledger.catalog import event_catalog
from tests.audit.conftest import cli


def published() -> list[dict[str, Any]]:
    result = cli("catalog", "--json")
    assert result.exit_code == 0, result.output
    entries: list[dict[str, Any]] = json.loads(result.stdout)
    return entries


def test_the_published_catalog_gives_the_auditor_the_platforms_rules() -> None:
    rules = catalog_from_json(published())
    assert rules == dict(event_catalog())
    assert rules["hazard.close"] == EventRule(
        kind="hazard",
        roles=frozenset({"regulator"}),
        creates=False,
        aggregate_topic="domain.hazard:HazardCase",
    )
    assert rules["hazard.report"].topic == "domain.hazard:HazardCase.Created"
    assert rules["hazard.close"].topic == "domain.hazard:HazardCase.Event"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"aggregate_topic": None}, "aggregate_topic is not a <class 'str'>"),
        ({"roles": "regulator"}, "roles is not a <class 'list'>"),
        ({"roles": [1]}, "roles are not strings"),
        ({"creates": "no"}, "creates is not a <class 'bool'>"),
        ({"type": "hazard"}, "is not <kind>.<verb>"),
    ],
)
def test_a_malformed_catalog_entry_is_refused(change: dict[str, Any], message: str) -> None:
    entry = next(e for e in published() if e["type"] == "hazard.close")
    with pytest.raises(CatalogFormatError, match=message):
        catalog_from_json([{**entry, **change}])


def test_a_type_listed_twice_is_refused() -> None:
    entry = next(e for e in published() if e["type"] == "hazard.close")
    with pytest.raises(CatalogFormatError, match="listed twice"):
        catalog_from_json([entry, entry])
