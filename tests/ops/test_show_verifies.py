"""`anjian show` and `anjian history` verify what they display: a fine changed in the store is
flagged, never shown as if sound."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner, Result

from ops.bootstrap import store_env
from ops.cli import app
from ops.settings import load_settings
from tests.audit.tamper import rewrite
from tests.projections.scenes import Site
from tests.projections.world import WUHAN, World

runner = CliRunner()
DECIDE = 5  # file, investigate, review, notify, decide


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture
def penalised(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Site, UUID]]:
    """A data directory holding a decided fine of 20 000 yuan."""
    home = tmp_path / "var"
    monkeypatch.setenv("ANJIAN_HOME", str(home))
    monkeypatch.delenv("ANJIAN_DATABASE_URL", raising=False)
    world = World(store_env(load_settings()), f"sqlite:///{tmp_path / 'scratch.sqlite'}")
    try:
        site = Site(world, WUHAN, "420102")
        case = site.penalty(fine_yuan=20_000)
        yield home, site, case
    finally:
        world.close()


def fine(data: dict[str, Any], yuan: int) -> None:
    data["penalty"]["fine_yuan"] = yuan


def test_show_verifies_a_sound_event(penalised: tuple[Path, Site, UUID]) -> None:
    _, _, case = penalised
    result = cli("show", f"{case}:{DECIDE}", "--json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert shown["verified"] == {"ok": True, "failed": [], "leaf_index": None}
    assert cli("ledger", "sync", "--no-anchor").exit_code == 0
    text = cli("show", f"{case}:{DECIDE}")
    assert text.exit_code == 0, text.output
    assert "核验 verified" in text.stdout
    assert "matches leaf" in text.stdout


def test_show_flags_a_fine_changed_in_the_store(penalised: tuple[Path, Site, UUID]) -> None:
    home, _, case = penalised
    rewrite(home, f"{case}:{DECIDE}", lambda d: fine(d, 500), key=None)
    result = cli("show", f"{case}:{DECIDE}")
    assert result.exit_code == 1
    assert "核验 TAMPERED" in result.stdout
    assert "[signature]" in result.stdout
    assert '"fine_yuan": 500' in result.stdout  # shown, flagged
    assert result.stderr.startswith("EventTampered: 1 shown event(s) failed verification")
    as_json = cli("show", f"{case}:{DECIDE}", "--json")
    assert as_json.exit_code == 1
    verified = json.loads(as_json.stdout)["verified"]
    assert verified["ok"] is False
    assert [f["check"] for f in verified["failed"]] == ["signature"]


def test_show_flags_a_logged_fine_re_signed_by_its_officer(
    penalised: tuple[Path, Site, UUID],
) -> None:
    """The signature holds (the insider holds the officer's key), the leaf does not."""
    home, site, case = penalised
    assert cli("ledger", "sync", "--no-anchor").exit_code == 0
    officer = site.h.keys[site.officers[0]]
    rewrite(home, f"{case}:{DECIDE}", lambda d: fine(d, 500), key=officer)
    result = cli("show", f"{case}:{DECIDE}", "--json")
    assert result.exit_code == 1
    verified = json.loads(result.stdout)["verified"]
    assert [f["check"] for f in verified["failed"]] == ["leaf"]
    assert "no longer rebuilds to leaf" in verified["failed"][0]["message"]


def test_history_flags_the_tampered_entry(penalised: tuple[Path, Site, UUID]) -> None:
    home, site, case = penalised
    sound = cli("history", "--enterprise", site.uscc, "--json")
    assert sound.exit_code == 0, sound.output
    assert all(e["verified"]["ok"] for e in json.loads(sound.stdout))
    rewrite(home, f"{case}:{DECIDE}", lambda d: fine(d, 500), key=None)
    result = cli("history", "--enterprise", site.uscc)
    assert result.exit_code == 1
    assert f"TAMPERED {case}:{DECIDE}: [signature]" in result.stdout
    assert result.stderr.startswith("EventTampered: ")
    entries = json.loads(cli("history", "--enterprise", site.uscc, "--json").stdout)
    flagged = [e["event_id"] for e in entries if not e["verified"]["ok"]]
    assert flagged == [f"{case}:{DECIDE}"]
