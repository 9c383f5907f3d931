"""A missing data directory is reported, not silently created: only the commands that create
records (`demo`, `record`) start a store where there is none."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ops.cli import app
from tests.ops.test_cli_record import register_regulator

runner = CliRunner()
READS = [
    ["dashboard"],
    ["todo", "--region", "420100"],
    ["enterprises"],
    ["show", "00000000-0000-0000-0000-000000000000:1"],
    ["export", "hazards", "-o", "hazards.csv"],
    ["projections", "status"],
    ["ledger", "status"],
]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "var"


@pytest.mark.parametrize("argv", READS, ids=lambda a: " ".join(a[:2]))
def test_a_read_without_a_data_directory_names_it_and_creates_nothing(
    home: Path, argv: list[str]
) -> None:
    result = runner.invoke(app, argv)
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("NoStore: the data directory ")
    assert str(home) in line
    assert "ANJIAN_HOME" in line
    assert not home.exists()


def test_an_empty_data_directory_is_named_too(home: Path) -> None:
    home.mkdir()
    result = runner.invoke(app, ["dashboard"])
    assert result.exit_code == 1
    assert "holds no event store" in result.output
    assert list(home.iterdir()) == []


def test_record_creates_the_store_and_reads_then_work(home: Path, tmp_path: Path) -> None:
    register_regulator(home, tmp_path)
    result = runner.invoke(app, ["enterprises", "--json"])
    assert result.exit_code == 0, result.output
