"""The auditor's one-parse canonical check agrees with ledger.canonical's reference check."""

from __future__ import annotations

import json
import random

import pytest

from audit.events import _canonical_value
from ledger.canonical import canonical_text, is_canonical

SAMPLES = [
    '{"a":1,"b":[true,false,null],"c":"x"}',
    '{"b":1,"a":2}',  # keys out of order
    '{"a": 1}',  # whitespace
    '{"a":1.0}',  # JCS writes 1
    '{"a":1}',
    '{"a":1e21}',
    '{"a":1e+21}',  # the JCS form of 1e21
    '{"a":9007199254740993}',  # beyond 2**53
    '{"a":9007199254740991}',
    '{"a":"\\u00e9"}',  # JCS writes é itself
    '{"a":"é"}',
    '{"a":"\\u001f"}',
    '{"a":"\\n\\t"}',
    '{"a":"\\/"}',
    '{"\U0001f600":1,"\ufb33":2}',  # UTF-16 order puts the astral key first
    '{"\ufb33":2,"\U0001f600":1}',
    '{"a":-0}',
    "[1,2]",
    "null",
    "not json",
    "",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_the_one_parse_check_agrees_with_the_reference(text: str) -> None:
    canonical, value = _canonical_value(text)
    assert canonical is is_canonical(text), text
    if canonical:
        assert value == json.loads(text)


def value(rng: random.Random, alphabet: list[str]) -> object:
    return rng.choice(
        [
            rng.randrange(-(2**53) + 1, 2**53),
            rng.random() * 10 ** rng.randrange(-30, 30),
            "".join(rng.choices(alphabet, k=5)),
            None,
            True,
            [1, "x"],
        ]
    )


def test_random_envelopes_agree_with_the_reference() -> None:
    rng = random.Random(8785)
    alphabet = ["a", "Z", "é", "液", "\U0001f600", '"', "\\", "\n", "\x7f", " "]
    for _ in range(500):
        doc = {
            "".join(rng.choices(alphabet, k=rng.randrange(1, 4))): value(rng, alphabet)
            for _ in range(rng.randrange(1, 5))
        }
        for text in (canonical_text(doc), json.dumps(doc, ensure_ascii=False, sort_keys=True)):
            assert _canonical_value(text)[0] is is_canonical(text), text
        big = json.dumps({"n": rng.randrange(2**53, 2**60)})  # beyond the I-JSON range
        assert _canonical_value(big)[0] is is_canonical(big)
