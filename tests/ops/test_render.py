"""CLI rendering shows what actors wrote, as written, whatever it holds."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from ops.bootstrap import store_env
from ops.cli import app
from ops.cli.output import local_time, text_table
from ops.settings import Settings
from tests.projections.scenes import Site
from tests.projections.world import WUHAN, World


def rendered(*cells: str) -> str:
    console = Console(width=200, record=True)
    console.print(text_table("t", ["a"] * len(cells), [cells]))
    return console.export_text()


def test_table_cells_are_text_never_console_markup() -> None:
    # A name "x[/y]" was read as a closing markup tag: MarkupError stopped every table
    # (enterprises, credit, history) of the jurisdiction holding it.
    out = rendered("x[/y]", "[bold]b[/bold]", "[/]")
    assert "x[/y]" in out
    assert "[bold]b[/bold]" in out
    assert "[/]" in out


def test_an_instant_no_calendar_converts_is_shown_as_written() -> None:
    assert local_time("2024-03-05T02:12:00+00:00") == "2024-03-05 10:12:00"
    assert local_time("9999-12-31T23:59:00-01:00") == "9999-12-31T23:59:00-01:00"


def test_every_view_of_an_enterprise_named_like_markup_shows_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "var"
    monkeypatch.setenv("ANJIAN_HOME", str(home))
    w = World(store_env(Settings(home=home)), f"sqlite:///{tmp_path / 'scratch.sqlite'}")
    site = Site(w, WUHAN, "420102", name="x[/y]")
    site.penalty()
    w.close()
    for args in (
        ["enterprises"],
        ["history", "--enterprise", site.uscc],
        ["credit"],
        ["credit", "--enterprise", site.uscc],
        ["dashboard"],
        ["analytics", "top_open_risk"],
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    assert "x[/y]" in CliRunner().invoke(app, ["enterprises"]).stdout
