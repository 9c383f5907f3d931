"""Signed receipts: `anjian record --receipts DIR` keeps the log key's promise of each event's
leaf, and `anjian audit receipt` later holds the log to it. An operator who rewrites history
and rebuilds the log with the same key is caught by an old receipt naming the altered leaf."""

from __future__ import annotations

import json
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from domain.stored import parse_event_id
from ledger.errors import InvalidSignatureError, ReceiptFormatError, UnverifiedNoteError
from ledger.note import Checkpoint, Signer, sign_checkpoint
from ledger.receipt import Receipt, open_receipt
from ops.cli.receipt_files import receipt_file_name
from ops.keystore import Keystore
from tests.audit.conftest import cli
from tests.audit.tamper import forget_ledger, rewrite
from tests.ops.test_cli_record import enterprise_line, register_regulator, regulator_line, write
from tests.support import new_uscc

REGION = "420102"


def record(tmp_path: Path, lines: list[dict[str, Any]], *args: str) -> list[dict[str, Any]]:
    f = write(tmp_path / "in.jsonl", lines)
    result = cli("record", str(f), "--json", *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def enterprise_account(home: Path, uscc: str, account: str = "e-1") -> dict[str, Any]:
    """The platform registers a custodial enterprise account bound to `uscc`."""
    line = regulator_line(home, account)
    data = {"role": "enterprise", "name": "企业账户", "jurisdiction": REGION, "enterprise": uscc}
    return {**line, "data": {**cast(dict[str, Any], line["data"]), **data}}


def accident(uscc: str, deaths: int) -> dict[str, Any]:
    happened = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    return {
        "type": "accident.report",
        "actor": "e-1",
        "region": REGION,
        "data": {
            "enterprise": uscc,
            "happened_at": happened,
            "kind": "explosion",
            "summary": "反应釜爆炸",
            "deaths": deaths,
            "serious_injuries": 0,
            "direct_loss": 2_000_000,
        },
    }


def enterprise_with_account(home: Path, tmp_path: Path) -> str:
    register_regulator(home, tmp_path)
    uscc = new_uscc(REGION)
    record(tmp_path, [enterprise_line(uscc)], "--as", "r-wh-1", "--no-sync")
    record(tmp_path, [enterprise_account(home, uscc)], "--as", "platform", "--no-sync")
    return uscc


def receipt(receipts: Path, event_id: str) -> Path:
    return receipts / receipt_file_name(event_id)


def audit_receipt(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("audit", "receipt", str(path), "--json", *args)
    return result.exit_code, json.loads(result.stdout) if result.stdout else {}


def test_a_receipt_is_pending_until_synced_then_included(home: Path, tmp_path: Path) -> None:
    register_regulator(home, tmp_path)
    receipts = tmp_path / "receipts"
    (done,) = record(
        tmp_path, [enterprise_line(new_uscc())], "--as", "r-wh-1", "--no-sync",
        "--receipts", str(receipts),
    )  # fmt: skip
    path = receipt(receipts, done["event_id"])
    assert path.read_text() == done["receipt"]
    assert stat.S_IMODE(receipts.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    pending = cli("audit", "receipt", str(path))
    assert pending.exit_code == 1
    assert "ReceiptPending: not yet logged" in pending.stderr

    assert cli("ledger", "sync", "--no-anchor").exit_code == 0
    code, verdict = audit_receipt(path)
    assert code == 0, verdict
    assert verdict["status"] == "included"
    assert verdict["event_id"] == done["event_id"]
    assert verdict["trust"]["pinned"] is False


def test_a_receipt_is_a_signed_note_of_the_event_position_leaf_and_time(
    home: Path, tmp_path: Path
) -> None:
    register_regulator(home, tmp_path)
    receipts = tmp_path / "receipts"
    (done,) = record(
        tmp_path, [enterprise_line(new_uscc())], "--as", "r-wh-1", "--receipts", str(receipts)
    )
    log_key = Signer("anjian.hubei.gov.cn/log", Keystore(home / "keys").log_key().seed)
    promised = open_receipt(done["receipt"], [log_key.verifier])
    assert promised.event_id == done["event_id"]
    assert promised.notification_id == done["notification_id"]
    assert done["receipt"].startswith("anjian.hubei.gov.cn/log/receipt\nevent ")
    subject, version = parse_event_id(done["event_id"])
    with sqlite3.connect(home / "anjian.sqlite") as db:
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (subject.hex, version),
        ).fetchone()
    assert promised.recorded_at == json.loads(state)["timestamp"]["_data_"]
    code, verdict = audit_receipt(receipt(receipts, done["event_id"]), "--log-key", log_key.vkey)
    assert code == 0, verdict
    assert verdict["trust"] == {"log_keys": [log_key.vkey], "pinned": True}


def test_the_rewrite_attack_is_shown_by_an_old_receipt_naming_the_altered_leaf(
    home: Path, tmp_path: Path
) -> None:
    """3 deaths rewritten to 0, re-signed with the enterprise's custodial key, the ledger
    tables and the chain deleted and rebuilt with the same log key: `audit verify` is
    satisfied, the old receipt is not."""
    uscc = enterprise_with_account(home, tmp_path)
    receipts = tmp_path / "receipts"
    (report,) = record(
        tmp_path, [accident(uscc, deaths=3)], "--as", "e-1", "--receipts", str(receipts)
    )
    old = receipt(receipts, report["event_id"])
    assert audit_receipt(old)[0] == 0

    custodial = Keystore(home / "keys").custodial("e-1")
    rewrite(home, report["event_id"], lambda d: d.update(deaths=0), custodial)
    forget_ledger(home)
    assert cli("ledger", "sync").exit_code == 0
    assert cli("audit", "verify", "--offline").exit_code == 0  # the log alone is satisfied

    code, verdict = audit_receipt(old)
    assert code == 1
    assert verdict["status"] == "contradicted"
    leaf = verdict["leaf_index"]
    assert verdict["message"].startswith(f"the log contradicts this receipt: leaf {leaf} ")
    text = cli("audit", "receipt", str(old))
    assert text.exit_code == 1
    assert f"ReceiptContradicted: the log contradicts this receipt: leaf {leaf}" in text.stderr


def test_a_receipt_of_an_event_deleted_before_it_was_logged_proves_the_deletion(
    home: Path, tmp_path: Path
) -> None:
    register_regulator(home, tmp_path)
    receipts = tmp_path / "receipts"
    first, _second = record(
        tmp_path, [enterprise_line(new_uscc()), enterprise_line(new_uscc())],
        "--as", "r-wh-1", "--no-sync", "--receipts", str(receipts),
    )  # fmt: skip
    path = receipt(receipts, first["event_id"])
    subject, version = parse_event_id(first["event_id"])
    with sqlite3.connect(home / "anjian.sqlite") as db:
        db.execute(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (subject.hex, version),
        )
    before = cli("audit", "receipt", str(path))
    assert before.exit_code == 1
    assert "the event store contradicts this receipt: it no longer holds" in before.stderr

    assert cli("ledger", "sync", "--no-anchor").exit_code == 0
    code, verdict = audit_receipt(path)
    assert code == 1
    assert verdict["status"] == "contradicted"
    assert f"it passed notification {first['notification_id']}" in verdict["message"]
    assert "deleted before it was logged" in verdict["message"]


def test_a_receipt_signed_by_another_key_is_refused(home: Path, tmp_path: Path) -> None:
    register_regulator(home, tmp_path)
    receipts = tmp_path / "receipts"
    (done,) = record(
        tmp_path, [enterprise_line(new_uscc())], "--as", "r-wh-1", "--receipts", str(receipts)
    )
    genuine = open_receipt(
        done["receipt"],
        [Signer("anjian.hubei.gov.cn/log", Keystore(home / "keys").log_key().seed).verifier],
    )
    forger = Signer.generate("anjian.hubei.gov.cn/log")
    forged = tmp_path / "forged.receipt"
    forged.write_text(_sign(genuine, forger))
    result = cli("audit", "receipt", str(forged))
    assert result.exit_code == 1
    assert result.stderr.startswith("ReceiptRefused: ")
    pinned = cli("audit", "receipt", str(receipt(receipts, done["event_id"])), "--log-key",
                 forger.vkey)  # fmt: skip
    assert pinned.exit_code == 1
    assert pinned.stderr.startswith("ReceiptRefused: ")


def _sign(receipt: Receipt, signer: Signer) -> str:
    from ledger.note import sign_note

    return sign_note(receipt.body, signer)


def test_a_checkpoint_is_never_read_as_a_receipt() -> None:
    signer = Signer.generate("example.org/log")
    note = sign_checkpoint(Checkpoint("example.org/log", 3, b"\0" * 32), signer)
    with pytest.raises(ReceiptFormatError):
        open_receipt(note, [signer.verifier])


def test_an_altered_receipt_is_refused() -> None:
    signer = Signer.generate("example.org/log")
    note = _sign(Receipt("example.org/log", "a:1", 5, b"\1" * 32, "2026-01-01T00:00:00"), signer)
    with pytest.raises(InvalidSignatureError):
        open_receipt(note.replace("notification 5", "notification 6"), [signer.verifier])
    with pytest.raises(UnverifiedNoteError):
        open_receipt(note, [Signer.generate("example.org/log").verifier])


def test_a_receipt_file_is_never_overwritten_by_another_receipt(home: Path, tmp_path: Path) -> None:
    register_regulator(home, tmp_path)
    receipts = tmp_path / "receipts"
    line = {**enterprise_line(new_uscc()), "id": "6f1e0a52-7c8e-4f58-9a53-3f4a1a0e2b11"}
    (done,) = record(tmp_path, [line], "--as", "r-wh-1", "--no-sync", "--receipts", str(receipts))
    path = receipt(receipts, done["event_id"])
    (again,) = record(tmp_path, [line], "--as", "r-wh-1", "--no-sync", "--receipts", str(receipts))
    assert again["recorded_before"]
    assert again["receipt"] == done["receipt"]  # the same bytes
    path.write_text("another receipt\n")
    f = write(tmp_path / "again.jsonl", [line])
    result = cli("record", str(f), "--as", "r-wh-1", "--no-sync", "--receipts", str(receipts))
    assert result.exit_code == 1
    assert result.stderr.startswith("ReceiptFileConflict: ")
    assert path.read_text() == "another receipt\n"
