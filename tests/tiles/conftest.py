"""Tile fixtures: a toy log of 70,000 leaves (the example of c2sp.org/tlog-tiles), built once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tiles.toylog import ToyLog

SPEC_EXAMPLE = 70_000


@pytest.fixture(scope="session")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToyLog]:
    """70,000 logged events under a checkpoint of 70,000 leaves. Tests must not grow it."""
    toy = ToyLog.sqlite(tmp_path_factory.mktemp("big") / "log.sqlite")
    toy.grow(SPEC_EXAMPLE)
    yield toy
    toy.close()


@pytest.fixture
def toy(tmp_path: Path) -> Iterator[ToyLog]:
    toy = ToyLog.sqlite(tmp_path / "log.sqlite")
    yield toy
    toy.close()
