"""Acceptance: any event of the demo province replayed from its own proof bundle is answered
with the original event; nothing is stored, and the ledger and the audit still pass."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from ledger.keys import key_id
from ops.bootstrap import build
from ops.cli import app
from ops.settings import load_settings

runner = CliRunner()


def cli(home: Path, *args: str) -> Result:
    return runner.invoke(app, list(args), env={"ANJIAN_HOME": str(home)})


def replay_line(bundle: dict[str, Any]) -> dict[str, Any]:
    """The signed command a bundle proves, as `anjian record` takes it."""
    return {
        "envelope": json.loads(bundle["event"]),
        "signature": bundle["signature"],
        "key_id": key_id(base64.b64decode(bundle["actor_key"])),
    }


@pytest.mark.slow
def test_every_demo_event_replayed_from_its_bundle_is_answered_and_the_ledger_holds(
    tmp_path: Path,
) -> None:
    home = tmp_path / "var"
    made = cli(home, "demo", "--enterprises", "5", "--months", "3", "--json")
    assert made.exit_code == 0, made.output
    status = json.loads(cli(home, "ledger", "status", "--json").stdout)
    count = status["last_notification_id"]
    assert status["tree_size"] == count

    p = build(load_settings(home=home))
    try:
        event_ids = [r.event_id for r in p.records.notifications()]
    finally:
        p.close()
    assert len(event_ids) == count
    replays = []
    for event_id in event_ids:
        bundle = cli(home, "audit", "proof", event_id)
        assert bundle.exit_code == 0, bundle.output
        replays.append(replay_line(json.loads(bundle.stdout)))
    lines = tmp_path / "replays.jsonl"
    lines.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in replays), "utf-8")

    for batch in ("1", "50"):
        result = cli(home, "record", str(lines), "--json", "--batch", batch)
        assert result.exit_code == 0, result.output
        receipts = [json.loads(line) for line in result.stdout.splitlines()]
        assert [(r["event_id"], r["recorded_before"]) for r in receipts] == [
            (e, True) for e in event_ids
        ]
    assert json.loads(cli(home, "ledger", "status", "--json").stdout)["tree_size"] == count
    assert cli(home, "ledger", "sync").exit_code == 0
    verified = cli(home, "audit", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["events"] == count
