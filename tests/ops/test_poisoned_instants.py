"""Acceptance: a poisoned or far-future instant is refused with one line, and every read
command still works — also on a store that already holds one.

Before, `anjian record` accepted occurred_at 9999-12-31T23:59:00-01:00 (year 10000 in UTC);
from then on history, enterprises, credit, dashboard, export and `projections rebuild` all
failed with an OverflowError traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from typer.testing import CliRunner, Result

from ledger.canonical import canonical_text
from ops.bootstrap import build, store_env
from ops.cli import app
from ops.settings import Settings
from projections.analytics import ANALYSES
from tests.projections.poison import FAR_FUTURE, poisoned_hazard
from tests.projections.scenes import Site
from tests.projections.world import WUHAN, World

runner = CliRunner()


def cli(*args: str) -> Result:
    return runner.invoke(app, list(args))


@pytest.fixture
def province(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, World, Site]:
    """A data directory (ANJIAN_HOME) with an enterprise and a hazard; the world stays open
    to sign more."""
    home = tmp_path / "var"
    monkeypatch.setenv("ANJIAN_HOME", str(home))
    w = World(store_env(Settings(home=home)), f"sqlite:///{tmp_path / 'scratch.sqlite'}")
    site = Site(w, WUHAN, "420102")
    site.hazard()
    return home, w, site


def presigned(w: World, account: str, ctype: str, data: dict[str, Any], **env: Any) -> str:
    """A pre-signed command line, signed by the account's own key (no intake signing)."""
    envelope = {
        "actor": account,
        "data": data,
        "id": str(uuid4()),
        "occurred_at": "2024-03-05T10:00:00+08:00",
        "region": "420102",
        "role": "regulator",
        "subject": str(uuid4()),
        "type": ctype,
        **env,
    }
    text = canonical_text(envelope)
    key = w.h.keys[account]
    return json.dumps(
        {"envelope": envelope, "signature": key.sign_b64(text.encode()), "key_id": key.key_id}
    )


def stored(home: Path) -> int:
    p = build(Settings(home=home))
    try:
        return int(p.records.recorder.max_notification_id() or 0)
    finally:
        p.close()


def every_read_command_exits_0(uscc: str, tmp: Path) -> list[Result]:
    runs = [
        cli("projections", "rebuild"),
        cli("history", "--enterprise", uscc),
        cli("enterprises"),
        cli("credit"),
        cli("credit", "--enterprise", uscc),
        cli("dashboard"),
        *[cli("analytics", name) for name in ANALYSES],
        cli("export", "hazards", "--format", "csv", "-o", str(tmp / "hazards.csv")),
        cli("export", "timeline", "--format", "parquet", "-o", str(tmp / "timeline.parquet")),
    ]
    for r in runs:
        assert r.exit_code == 0, (r.output, r.exception)
    return runs


@pytest.mark.parametrize(
    "case",
    [
        ("hazard.report", None, {"occurred_at": FAR_FUTURE}, "[occurred_at]"),
        ("hazard.report", None, {"occurred_at": "0001-01-01T00:00:00+01:00"}, "[occurred_at]"),
        (
            "accident.report",
            {"happened_at": FAR_FUTURE, "kind": "fire", "summary": "火灾"},
            {},
            "[/data/happened_at]",
        ),
    ],
)
def test_poisoned_instant_is_refused_in_one_line_and_every_read_still_works(
    province: tuple[Path, World, Site],
    tmp_path: Path,
    case: tuple[str, dict[str, Any] | None, dict[str, Any], str],
) -> None:
    home, w, site = province
    ctype, data, envelope, field = case
    base = {"enterprise": site.uscc}
    if data is None:
        base |= {"grade": "general", "source": "public_tip", "description": "储罐泄漏"}
    else:
        base |= data | {"deaths": 0, "serious_injuries": 0, "direct_loss": 0}
    line = presigned(w, WUHAN, ctype, base, **envelope)
    (tmp_path / "in.jsonl").write_text(line + "\n", encoding="utf-8")
    before = stored(home)

    result = cli("record", str(tmp_path / "in.jsonl"), "--no-sync")

    assert result.exit_code == 1
    assert result.stderr.startswith("InstantOutOfRange: line 1: ")
    assert field in result.stderr
    assert result.stderr.count("\n") == 1
    assert stored(home) == before
    every_read_command_exits_0(site.uscc, tmp_path)


def test_a_store_already_holding_a_poisoned_instant_reads_and_lists_it(
    province: tuple[Path, World, Site], tmp_path: Path
) -> None:
    _, w, site = province
    poisoned = poisoned_hazard(w.h, WUHAN, site.uscc)
    site.hazard()  # recorded after it, and still read

    runs = every_read_command_exits_0(site.uscc, tmp_path)

    assert all("1 stored event(s) set aside" in r.stderr for r in runs[1:])
    listed = cli("projections", "quarantine", "--json")
    assert listed.exit_code == 0, listed.output
    [entry] = json.loads(listed.stdout)
    assert entry["event_id"] == poisoned
    assert "InstantOutOfRange" in entry["reason"]
    shown = cli("show", poisoned)  # the signed record itself stays readable, as written
    assert shown.exit_code == 0, shown.output
    assert FAR_FUTURE in shown.stdout


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+00:00", "9999-12-31T23:59:00-01:00"])
def test_a_read_asked_about_an_instant_beyond_the_bounds_is_refused_in_one_line(
    province: tuple[Path, World, Site], at: str
) -> None:
    # `dashboard --at 0001-01-01…` subtracted a year from it: OverflowError, a traceback.
    for command in ("dashboard", "credit"):
        result = cli(command, "--at", at)
        assert result.exit_code == 2, (result.output, result.exception)
        assert result.stderr.startswith("InstantOutOfRange: ")
        assert result.stderr.count("\n") == 1
