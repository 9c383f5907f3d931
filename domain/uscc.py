"""Unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters over the alphabet 0-9 A-H J-N P-R T U W-Y (no I O S V Z), each valued by its
index. Position 18 is the check character: alphabet[(31 - Σ vᵢ·wᵢ mod 31) mod 31] over
positions 1–17 with the weights below. Positions 3–8 are the GB/T 2260 division code of the
registering authority.
"""

from __future__ import annotations

import re
from operator import mul

from domain.errors import InvalidValue

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_VALID = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
RULE = "GB 32100-2015"


def check_character(first17: str) -> str:
    """The check character for the first 17 characters (assumed valid characters)."""
    if len(first17) != 17:
        raise ValueError(f"the check character needs 17 characters, got {len(first17)}")
    total = sum(map(mul, map(_VALUE.__getitem__, first17), WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def validate_uscc(code: str, *, field: str = "uscc") -> str:
    """Return the code if valid; raise InvalidValue naming the position otherwise."""
    if not isinstance(code, str):
        raise InvalidValue("USCC must be a string", rule=RULE, field=field)
    if len(code) != 18:
        raise InvalidValue(f"USCC must have 18 characters, got {len(code)}", rule=RULE, field=field)
    if _VALID.fullmatch(code) is not None:
        expected = check_character(code[:17])
        if code[17] == expected:
            return code
    for pos, c in enumerate(code, start=1):
        if c not in _VALUE:
            raise InvalidValue(
                f"USCC position {pos}: {c!r} is not in the GB 32100 alphabet "
                "(digits and upper-case letters except I, O, S, V, Z)",
                rule=RULE,
                field=field,
            )
    if not code[2:8].isdigit():
        raise InvalidValue(
            f"USCC positions 3-8 must be a GB/T 2260 division code, got {code[2:8]!r}",
            rule=RULE,
            field=field,
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise InvalidValue(
            f"USCC position 18: check character is {code[17]!r}, expected {expected!r}",
            rule=RULE,
            field=field,
        )
    return code


def make_uscc(body17: str) -> str:
    """Append the check character to 17 valid characters (used by demo data and tests)."""
    return body17 + check_character(body17)
