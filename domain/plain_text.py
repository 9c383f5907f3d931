"""Plain text: what every string of a command may hold, and how a terminal shows what it may not.

A command's strings reach terminals, tables, exports and other people's screens. Refused in
every string of a command's data, object keys included:

- C0 control characters other than tab (U+0009) and line feed (U+000A), and DEL (U+007F): a
  carriage return or an escape sequence rewrites what a terminal shows;
- C1 control characters (U+0080–U+009F): U+009B (CSI) starts an escape sequence on many
  terminals;
- the bidirectional formatting characters of Unicode UAX #9 §2: embeddings and overrides
  (U+202A–U+202E), isolates (U+2066–U+2069) and the marks U+200E, U+200F and U+061C, which
  reorder what a reader sees without changing the stored text (CVE-2021-42574).

Text stored before this rule may still hold them: `escape` shows each as `\\uXXXX`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from domain.errors import InvalidValue

__all__ = ["RULE", "UNSAFE", "check_plain", "escape", "json_nodes", "pointer_token"]

RULE = "plain text: no control or bidirectional formatting characters"
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape(text: str) -> str:
    """`text` with every refused character shown as `\\uXXXX` (safe to print on a terminal)."""
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def pointer_token(key: object) -> str:
    """One reference token of an RFC 6901 JSON Pointer ("~" as "~0", "/" as "~1")."""
    return str(key).replace("~", "~0").replace("/", "~1")


def json_nodes(value: object, at: str = "") -> Iterator[tuple[str, int, Any]]:
    """Every node of a parsed JSON value as (JSON Pointer, depth, node), in document order.

    Iterative, so a document nested deeper than the interpreter's recursion limit is walked
    too (the caller decides how deep is too deep). Object keys are nodes of their own, with
    the pointer of the member they name.
    """
    stack: list[tuple[str, int, Any]] = [(at, 0, value)]
    while stack:
        where, depth, node = stack.pop()
        yield where, depth, node
        if isinstance(node, dict):
            members = [(f"{where}/{pointer_token(k)}", k, v) for k, v in node.items()]
            for child, key, _ in members:
                yield child, depth + 1, key
            stack.extend((child, depth + 1, v) for child, _, v in reversed(members))
        elif isinstance(node, list):
            stack.extend((f"{where}/{i}", depth + 1, v) for i, v in reversed(list(enumerate(node))))


def check_plain(value: object, at: str = "") -> None:
    """InvalidValue naming the JSON Pointer of the first string or key that is not plain text.

    `at` is the pointer of `value` itself ("/data" for a command's data).
    """
    # Fast path, one C pass: repr() writes every character that is not printable (each one
    # refused here is a Cc or Cf character) as a backslash escape, so a value whose repr has
    # no backslash holds none. Anything else is walked to name the pointer.
    try:
        if "\\" not in repr(value):
            return
    except RecursionError:
        pass
    for where, _, node in json_nodes(value, at):
        if isinstance(node, str):
            found = UNSAFE.search(node)
            if found is not None:
                raise InvalidValue(
                    f"text holds the control or bidirectional formatting character "
                    f"U+{ord(found.group()):04X}",
                    field=where or "/",
                    rule=RULE,
                )
