"""Validates command data against the catalog's JSON Schemas (the domain's SchemaCheck port).

Beyond the schema, every string of the data must be plain text (domain.plain_text), and the
`uuid` format means the one written form of an id (domain.ids).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import fastjsonschema

from domain.catalog import CATALOG
from domain.errors import InvalidEnvelope, InvalidValue
from domain.ids import UUID_PATTERN
from domain.plain_text import check_plain

FORMATS = {"uuid": UUID_PATTERN}


class CatalogSchemas:
    """Compiled validators, one per command type, built on first use."""

    def __init__(self) -> None:
        self._compiled: dict[str, Callable[[Any], Any]] = {}

    def __call__(self, command_type: str, data: object) -> None:
        validate = self._compiled.get(command_type)
        if validate is None:
            spec = CATALOG.get(command_type)
            if spec is None:
                raise InvalidEnvelope(f"unknown command type {command_type!r}", field="type")
            validate = fastjsonschema.compile(spec.schema, formats=FORMATS)
            self._compiled[command_type] = validate
        try:
            validate(data)
        except fastjsonschema.JsonSchemaValueException as exc:
            field = exc.name or "data"
            raise InvalidValue(
                f"{command_type}: {exc.message}", field=field, rule="catalog JSON Schema"
            ) from None
        check_plain(data, "/data")
