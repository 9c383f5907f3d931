"""RFC 8785: our fast path must give exactly the reference implementation's bytes."""

from __future__ import annotations

import json
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


def test_key_order_of_astral_keys_is_judged_by_utf16_code_units() -> None:
    value = {"\U0001f600": 1, "\ufb01": 2}
    jcs = bytes(rfc8785.dumps(value)).decode("utf-8")
    code_point_order = '{"\ufb01":2,"\U0001f600":1}'
    assert jcs != code_point_order
    assert is_canonical(jcs)
    assert not is_canonical(code_point_order)


@settings(max_examples=300)
@given(json_values, json_values)
def test_a_parsed_value_never_changes_the_answer(value: Any, other: Any) -> None:
    # Callers pass what they parsed to spare a second parse; whatever they pass (even the
    # wrong object), the verdict must be the one the text alone gets.
    expected = reference(value)
    if expected is None:
        return
    text = expected.decode("utf-8")
    spaced = text.replace(",", ", ", 1)
    for candidate in (text, spaced):
        truth = is_canonical(candidate)
        for parsed in (json.loads(candidate), other, {"x": [1.5, 2**60]}):
            if isinstance(parsed, dict):
                assert is_canonical(candidate, parsed) is truth


@pytest.mark.parametrize(
    "text",
    ['{"a":1e+16}', '{"a":9007199254740993}', '{"a":"\\ud800"}', '{"b":1,"a":2}'],
)
def test_non_canonical_texts_stay_non_canonical_with_their_parse(text: str) -> None:
    parsed = json.loads(text)
    assert is_canonical(text, parsed) is is_canonical(text)
