"""An unknown region code is an error naming the code, never shown as the prefecture it sits in."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValue
from domain.regions import DISTRICTS, validate_region


@pytest.mark.parametrize("code", ["420199", "420101", "420108", "421900", "429099", "430100"])
def test_a_made_up_code_is_refused_naming_it(code: str) -> None:
    with pytest.raises(InvalidValue, match=code):
        validate_region(code, field="--region")


@pytest.mark.parametrize("code", ["420000", "420100", *DISTRICTS, "420502", "429004"])
def test_the_province_prefectures_and_known_districts_pass(code: str) -> None:
    assert validate_region(code) == code
