"""RFC 8785 JSON Canonicalization Scheme (JCS).

`canonical_bytes` is the only way Anjian turns a JSON value into bytes that get signed or
hashed. The fast path uses the standard library for documents that hold no floats and whose
object keys are all ASCII: for those, `json.dumps(sort_keys=True, ensure_ascii=False,
separators=(",", ":"))` produces exactly the JCS bytes (JCS sorts keys by UTF-16 code units,
which equals code-point order for ASCII, and escapes strings as ECMAScript's JSON.stringify
does, which is what `json` does without `ensure_ascii`). Anything else goes through the `rfc8785`
reference implementation. tests/ledger/test_canonical.py checks both paths agree on random
documents.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

__all__ = ["CanonicalError", "canonical_bytes", "canonical_text", "is_canonical"]


class CanonicalError(ValueError):
    """The value cannot be canonicalised (NaN, infinity, non-JSON type, lone surrogate)."""


_dumps = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


_MAX_SAFE = 2**53 - 1


def _fast_path_ok(value: Any) -> bool:
    stack = [value]
    while stack:
        v = stack.pop()
        t = type(v)
        if t is int:
            if -_MAX_SAFE <= v <= _MAX_SAFE:
                continue
            return False  # I-JSON range: let the reference implementation reject it
        if t is str or t is bool or v is None:
            if t is str and not v.isascii():
                # Lone surrogates must be rejected, which json.dumps would not do.
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError:
                    return False
            continue
        if t is dict:
            for k, item in v.items():
                if type(k) is not str or not k.isascii():
                    return False
                stack.append(item)
            continue
        if t is list or t is tuple:
            stack.extend(v)
            continue
        return False  # floats, subclasses, anything exotic: use the reference implementation
    return True


def canonical_text(value: Any) -> str:
    """The RFC 8785 canonical JSON text of `value`."""
    return canonical_bytes(value).decode("utf-8")


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of `value` (a JSON-compatible Python value)."""
    if _fast_path_ok(value):
        return _dumps(value).encode("utf-8")
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CanonicalError(str(exc)) from exc


def is_canonical(text: str | bytes) -> bool:
    """True when `text` parses as JSON and is byte-for-byte its own canonical form."""
    raw = text.encode("utf-8") if isinstance(text, str) else text
    try:
        return canonical_bytes(json.loads(raw)) == raw
    except (ValueError, CanonicalError):
        return False
