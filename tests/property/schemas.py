"""Hypothesis strategies from the catalog's JSON Schemas (draft 2020-12, the subset it uses).

hypothesis-jsonschema does this for any schema, but its newest release (0.23.1) calls
Hypothesis internals that Hypothesis 6.170 no longer has (`many.more()`), so every object
schema fails to generate. The catalog uses a small, fixed vocabulary, translated here
keyword by keyword; a keyword outside it raises, so a new schema feature cannot be silently
left ungenerated. tests/property/test_schemas.py checks that every value drawn is valid for
the catalog's own validator.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

ANNOTATIONS = frozenset({"$schema", "$id", "title", "description"})
KEYWORDS = {
    "object": frozenset({"type", "properties", "required", "additionalProperties"}),
    "string": frozenset({"type", "minLength", "maxLength", "pattern", "format", "enum"}),
    "integer": frozenset({"type", "minimum", "maximum"}),
    "number": frozenset({"type", "minimum"}),
    "boolean": frozenset({"type"}),
    "array": frozenset({"type", "items", "minItems", "maxItems"}),
}
# Text that terminals, renderers and databases treat specially, drawn besides random text.
TRICKY = ["[/]", "[bold]", "x[/y]", "%s", "{0}", "\\", "'\"", "🙂", "a\nb", "a\tb"]
# Arrays longer than this above their minimum add time, not cases: the schema allows up to
# 1000 items, and one item already exercises each projection's handling of the list.
EXTRA_ITEMS = 12


def from_schema(schema: Mapping[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy for values valid against `schema`."""
    if "const" in schema:
        _only(schema, frozenset({"const"}))
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind not in KEYWORDS:
        raise ValueError(f"schema type {kind!r} is not supported: {dict(schema)}")
    _only(schema, KEYWORDS[kind])
    build = {
        "object": _object,
        "string": _string,
        "integer": _integer,
        "number": _number,
        "boolean": lambda _: st.booleans(),
        "array": _array,
    }[kind]
    return build(schema)


def _only(schema: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = schema.keys() - allowed - ANNOTATIONS
    if unknown:
        raise ValueError(f"schema keywords {sorted(unknown)} are not supported: {dict(schema)}")


def _object(schema: Mapping[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    if schema.get("additionalProperties") is not False:
        raise ValueError("only closed objects (additionalProperties: false) are supported")
    properties: Mapping[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", ()))
    return st.fixed_dictionaries(
        {k: from_schema(v) for k, v in properties.items() if k in required},
        optional={k: from_schema(v) for k, v in properties.items() if k not in required},
    )


def _string(schema: Mapping[str, Any]) -> st.SearchStrategy[str]:
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    fmt = schema.get("format")
    low, high = schema.get("minLength", 0), schema.get("maxLength")
    if fmt == "date":
        strategy: st.SearchStrategy[str] = st.dates().map(date.isoformat)
    elif fmt == "date-time":
        strategy = st.builds(_instant, st.datetimes(), st.integers(-23 * 60 - 59, 23 * 60 + 59))
    elif fmt == "uuid":
        strategy = st.uuids().map(str)
    elif fmt is not None:
        raise ValueError(f"string format {fmt!r} is not supported")
    elif "pattern" in schema:
        strategy = st.from_regex(schema["pattern"], fullmatch=True)
    else:
        # Plain text only (domain.plain_text): the write path refuses control and bidi
        # characters before any schema rule, so drawing them would test nothing further.
        plain = st.characters(
            codec="utf-8",
            exclude_categories=("Cc", "Cs"),
            exclude_characters="\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
            "\u2066\u2067\u2068\u2069",
        )
        text = st.text(plain, min_size=low, max_size=high)
        tricky = [t for t in TRICKY if low <= len(t) <= (high or len(t))]
        return text | st.sampled_from(tricky) if tricky else text
    return strategy.filter(lambda s: low <= len(s) <= (high or len(s)))


def _instant(local: datetime, offset_minutes: int) -> str:
    """RFC 3339 text of `local` at an offset (whole minutes, within ±23:59; 0 written Z)."""
    if offset_minutes == 0:
        return local.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")
    return local.replace(tzinfo=timezone(timedelta(minutes=offset_minutes))).isoformat()


def _integer(schema: Mapping[str, Any]) -> st.SearchStrategy[int]:
    return st.integers(schema.get("minimum"), schema.get("maximum"))


def _number(schema: Mapping[str, Any]) -> st.SearchStrategy[float | int]:
    low = schema.get("minimum")
    return st.integers(min_value=None if low is None else int(low)) | st.floats(
        min_value=low, allow_nan=False, allow_infinity=False
    )


def _array(schema: Mapping[str, Any]) -> st.SearchStrategy[list[Any]]:
    low = schema.get("minItems", 0)
    high = min(schema.get("maxItems", low + EXTRA_ITEMS), low + EXTRA_ITEMS)
    return st.lists(from_schema(schema["items"]), min_size=low, max_size=high)
