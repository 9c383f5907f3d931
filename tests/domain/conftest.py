from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support import Harness


@pytest.fixture
def h() -> Iterator[Harness]:
    harness = Harness()
    yield harness
    harness.close()


@pytest.fixture
def regulator(h: Harness) -> str:
    """A Wuhan (420100) regulator account with its own key."""
    h.actor("r-wuhan", "regulator", "420100")
    return "r-wuhan"
