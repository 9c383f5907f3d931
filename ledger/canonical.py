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


class _NotFast(Exception):
    """The document needs the reference implementation."""


def _on_float(text: str) -> float:
    raise _NotFast


def _on_int(text: str) -> int:
    v = int(text)
    if -_MAX_SAFE <= v <= _MAX_SAFE:
        return v
    raise _NotFast  # outside the I-JSON range: the reference implementation rejects it


def _int_or_double(text: str) -> int | float:
    v = int(text)
    return v if -_MAX_SAFE <= v <= _MAX_SAFE else float(text)


_strict_loads = json.JSONDecoder(parse_float=_on_float, parse_int=_on_int).decode


def _has_astral(text: str) -> bool:
    # Python sorts keys by code point, JCS by UTF-16 code unit; the two orders differ only
    # when a key holds a character above U+FFFF (a surrogate pair in UTF-16). Such a character
    # takes 4 bytes in UTF-16, every other one (a lone surrogate included) 2: one C pass,
    # several times faster than a regular expression search over CJK text.
    return not text.isascii() and len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


def _fast(value: Any) -> bytes | None:
    """JCS bytes by the standard library, or None when the document needs rfc8785.

    The stdlib output is parsed back with hooks that fire only for numbers, which is where
    the stdlib and JCS can differ (number formatting, the I-JSON integer range); key order
    differs only for characters above U+FFFF; lone surrogates fail the UTF-8 encoding.
    """
    try:
        text = _dumps(value)
        if _has_astral(text):
            return None
        _strict_loads(text)
        return text.encode("utf-8")
    except (_NotFast, TypeError, ValueError, UnicodeEncodeError):
        return None


def canonical_text(value: Any) -> str:
    """The RFC 8785 canonical JSON text of `value`."""
    return canonical_bytes(value).decode("utf-8")


def canonical_bytes(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of `value` (a JSON-compatible Python value)."""
    fast = _fast(value)
    if fast is not None:
        return fast
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CanonicalError(str(exc)) from exc


def _plain(value: Any) -> bool:
    """True when `value` holds no float and no integer outside the I-JSON range: where the
    standard library writes numbers exactly as JCS does."""
    stack = [value]
    while stack:
        v = stack.pop()
        kind = type(v)
        if kind is dict:
            stack.extend(v.values())
        elif kind is list:
            stack.extend(v)
        elif kind is int:
            if not -_MAX_SAFE <= v <= _MAX_SAFE:
                return False
        elif kind is float:
            return False
    return True


def is_canonical(text: str | bytes, parsed: dict[str, Any] | None = None) -> bool:
    """True when `text` parses as JSON and is byte-for-byte its own canonical form.

    `parsed`: the object the caller already parsed `text` into, if any. When the standard
    library writes it back as exactly `text` and it needs no JCS number or key-order rule,
    `text` is the JCS form of a value and so canonical, with no second parse. (This does not
    depend on `parsed` really coming from `text`.) Otherwise the full check decides.
    """
    raw = text if isinstance(text, str) else text.decode("utf-8", errors="strict")
    if parsed is not None and _plain(parsed) and not _has_astral(raw):
        try:
            if _dumps(parsed) == raw and raw.encode("utf-8"):
                return True
        except (TypeError, ValueError, UnicodeEncodeError):
            pass  # the full check below decides
    try:
        if _has_astral(raw):
            raise _NotFast
        value = _strict_loads(raw)
    except _NotFast:
        try:
            # JCS numbers are IEEE doubles: integers beyond 2**53 are read as such.
            value = json.loads(raw, parse_int=_int_or_double)
            return canonical_bytes(value) == raw.encode("utf-8")
        except (ValueError, CanonicalError):
            return False
    except ValueError:
        return False
    try:
        return _dumps(value) == raw and bool(raw.encode("utf-8"))
    except (ValueError, UnicodeEncodeError):
        return False
