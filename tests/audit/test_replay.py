"""Nothing the write path accepts halts the ledger: every event of a logged and anchored history
sent again (pre-signed from `anjian show --json`, and as unsigned lines reusing its command id,
equal or changed) is answered or refused, and `ledger sync` and `audit verify` still pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.audit.conftest import cli, verify_report
from tests.audit.history import History, record_history


def write(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    return path


def event_count() -> int:
    return int(json.loads(cli("ledger", "status", "--json").stdout)["last_notification_id"])


def replay_everything(history: History, tmp_path: Path) -> None:
    presigned, unsigned = [], []
    for event_id in history.events:
        shown = json.loads(cli("show", event_id, "--json").stdout)
        presigned.append({k: shown[k] for k in ("envelope", "signature", "key_id")})
        env = shown["envelope"]
        fields = ("type", "actor", "region", "data", "id", "subject", "occurred_at")
        unsigned.append({k: env[k] for k in fields})
    before = event_count()

    for batch in ("1", "5"):
        result = cli("record", str(write(tmp_path / "signed.jsonl", presigned)), "--json",
                     "--no-sync", "--batch", batch)  # fmt: skip
        assert result.exit_code == 0, result.output
        receipts = [json.loads(line) for line in result.stdout.splitlines()]
        assert [(r["event_id"], r["recorded_before"]) for r in receipts] == [
            (e, True) for e in history.events
        ]
    result = cli(
        "record", str(write(tmp_path / "unsigned.jsonl", unsigned)), "--no-sync", "--migrate"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == history.events

    for event_id, line in zip(history.events, unsigned, strict=True):
        changed = {**line, "data": {**line["data"], "note": "replayed"}}
        result = cli(
            "record", str(write(tmp_path / "changed.jsonl", [changed])), "--no-sync", "--migrate"
        )
        assert result.exit_code == 1
        assert result.stderr.startswith(
            f"DuplicateCommand: line 1: command {line['id']} was already recorded as event "
            f"{event_id}; this one differs in data.note"
        )
    assert event_count() == before


def test_replaying_every_event_leaves_the_ledger_syncing_and_the_audit_passing(
    history: History, tmp_path: Path
) -> None:
    replay_everything(history, tmp_path)
    assert cli("ledger", "sync").exit_code == 0
    code, report = verify_report()
    assert code == 0, report["failures"]
    assert report["events"] == len(history.events)


@pytest.mark.postgres
def test_replaying_every_event_on_postgres_leaves_the_ledger_and_the_audit_whole(
    home: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ANJIAN_DATABASE_URL", postgres_url)
    history = record_history(home)
    replay_everything(history, tmp_path)
    assert cli("ledger", "sync").exit_code == 0
    code, report = verify_report()
    assert code == 0, report["failures"]
