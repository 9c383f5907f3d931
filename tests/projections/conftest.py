from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.projections.world import World


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """In-memory SQLite event store, SQLite read-model file."""
    w = World(None, f"sqlite:///{tmp_path / 'readmodels.sqlite'}")
    yield w
    w.close()
