"""Reading one command line as I-JSON (RFC 7493): one meaning per document, or a typed error.

`json.loads` keeps the last of two members with the same name, so a line could be read one way
by us and another way by any other parser; I-JSON (§2.3) forbids such names, and so do we,
naming the key and where it is (a JSON Pointer). Nesting is bounded: no command is deeper than
a few levels, and every later step (canonical JSON, schema checks) may recurse.
"""

from __future__ import annotations

import json
from typing import Any

from domain.errors import InvalidEnvelope
from domain.plain_text import json_nodes, pointer_token

__all__ = ["MAX_DEPTH", "decode", "loads"]

MAX_DEPTH = 32  # the catalog's deepest command data is four levels below the line
I_JSON = "I-JSON (RFC 7493 §2.3)"


class _Repeated(dict[str, Any]):
    """An object that named `key` more than once (reported with its pointer after parsing)."""

    key: str


def _members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    repeated = _Repeated(obj)
    for key, _ in pairs:
        if key in seen:
            repeated.key = key
            break
        seen.add(key)
    return repeated


_decode = json.JSONDecoder(object_pairs_hook=_members).decode


def decode(raw: bytes) -> str:
    """A line read as bytes, as text: UTF-8 (RFC 8259 §8.1) or InvalidEnvelope naming the byte."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEnvelope(
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start} ({exc.reason})"
        ) from None


def loads(text: str) -> Any:
    """The JSON value of `text`; InvalidEnvelope for anything but one unambiguous document."""
    try:
        value = _decode(text)
    except RecursionError:
        raise InvalidEnvelope(f"nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:
        raise InvalidEnvelope(f"not JSON: {exc}") from None
    if text.count("[") + text.count("{") <= MAX_DEPTH and not _repeats(value):
        return value  # too few brackets to nest deeper, no object named a key twice
    for where, depth, node in json_nodes(value):
        if depth > MAX_DEPTH:
            raise InvalidEnvelope(f"nested deeper than {MAX_DEPTH} levels", field=where)
        if isinstance(node, _Repeated):
            raise InvalidEnvelope(
                f"duplicate key {node.key!r}",
                field=f"{where}/{pointer_token(node.key)}",
                rule=I_JSON,
            )
    return value


def _repeats(value: object) -> bool:
    """True when some object of `value` named a key twice (shallow values: one line's worth)."""
    if isinstance(value, dict):
        return isinstance(value, _Repeated) or any(map(_repeats, value.values()))
    if isinstance(value, list):
        return any(map(_repeats, value))
    return False
