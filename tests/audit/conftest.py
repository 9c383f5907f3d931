"""Audit fixtures: a data directory with a recorded, logged and anchored history."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ops.cli import app
from tests.audit.history import History, record_history

CHECKPOINT_EVERY = 4


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An embedded-default data directory (SQLite, local anvil) with a small cadence."""
    home = tmp_path / "var"
    monkeypatch.setenv("ANJIAN_HOME", str(home))
    monkeypatch.setenv("ANJIAN_CHECKPOINT_EVERY_LEAVES", str(CHECKPOINT_EVERY))
    for name in (
        "ANJIAN_CHAIN_RPC_URL",
        "ANJIAN_DATABASE_URL",
        "ANJIAN_CHAIN_OWNER_KEY",
        "ANJIAN_CHAIN_CONTRACT",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def history(home: Path) -> History:
    return record_history(home)


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def failures(report: dict[str, Any], **fields: Any) -> list[dict[str, Any]]:
    """The report's failures whose fields include all of `fields`."""
    return [f for f in report["failures"] if all(f.get(k) == v for k, v in fields.items())]


def verify_report(*args: str) -> tuple[int, dict[str, Any]]:
    """Run `anjian audit verify --json`; its exit code and JSON report."""
    result = cli("audit", "verify", "--json", *args)
    assert result.stdout, result.output
    return result.exit_code, json.loads(result.stdout)
