"""RFC 8785: our fast path must give exactly the reference implementation's bytes."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.canonical import CanonicalError, canonical_bytes, is_canonical

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def reference(value: Any) -> bytes | None:
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, ValueError, TypeError):
        return None


@settings(max_examples=400)
@given(json_values)
def test_fast_path_agrees_with_the_reference_implementation(value: Any) -> None:
    expected = reference(value)
    if expected is None:
        with pytest.raises(CanonicalError):
            canonical_bytes(value)
    else:
        assert canonical_bytes(value) == expected
        assert is_canonical(expected.decode("utf-8"))


def test_keys_sort_by_utf16_code_units_not_code_points() -> None:
    # U+FB01 sorts after U+1F600 by code point but before it in UTF-16 (0xD83D...).
    value = {"\U0001f600": 1, "\ufb01": 2}
    assert canonical_bytes(value) == bytes(rfc8785.dumps(value))


def test_numbers_use_ecmascript_formatting() -> None:
    # RFC 8785 §3.2.2.3: 1e+21 is the shortest ES form; 1.0 prints as 1.
    assert canonical_bytes([1.0, 1e21, 0.000001]) == b"[1,1e+21,0.000001]"


@pytest.mark.parametrize(
    "text",
    [
        '{"b":1,"a":2}',  # keys out of order
        '{"a": 1}',  # whitespace
        '{"a":1.0}',  # non-shortest number
        '{"a":"\\u00e9"}',  # escaped where JCS writes the character
        '{"a":-0}',
        "not json",
    ],
)
def test_non_canonical_texts_are_recognised(text: str) -> None:
    assert not is_canonical(text)


def test_integers_beyond_ijson_range_are_rejected() -> None:
    with pytest.raises(CanonicalError):
        canonical_bytes({"n": 2**53})
