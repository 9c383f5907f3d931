"""The catalog's schema strategies draw only values the catalog's own validator accepts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.catalog import CATALOG
from ops.schemas import CatalogSchemas
from tests.property.schemas import from_schema

check = CatalogSchemas()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.data())
def test_drawn_data_is_valid_for_the_catalog_schema(data: st.DataObject) -> None:
    ctype = data.draw(st.sampled_from(sorted(CATALOG)))
    check(ctype, data.draw(from_schema(CATALOG[ctype].schema)))


def test_every_catalog_schema_can_be_drawn_from() -> None:
    for spec in CATALOG.values():
        from_schema(spec.schema).validate()
