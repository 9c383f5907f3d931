"""Witnesses in another process (`anjian witness serve`, its own data directory) cosign the
platform's checkpoints; the rewrite of history by whoever holds ANJIAN_HOME is refused by the
witness, and the rewritten checkpoint never reaches a witness quorum in `audit check`."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.canonical import canonical_text
from ledger.note import Checkpoint
from ops.bootstrap import build
from ops.settings import load_settings
from ops.witness_client import HttpWitness
from services.ledger.errors import WitnessRefused
from tests.audit.conftest import cli
from tests.audit.history import History, record_history, record_more

ROOT = Path(__file__).resolve().parents[2]
VERIFIER = Path(__file__).with_name("cosignature_verify.mjs")


def anjian(*args: str) -> list[str]:
    return [sys.executable, "-c", "from ops.cli import main; main()", *args]


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


class WitnessProcess:
    """`anjian witness serve` in a child process on a free loopback port."""

    def __init__(self, home: Path, log_vkey: str) -> None:
        self.home = home
        self.log_vkey = log_vkey
        self.vkey = subprocess.run(
            anjian("witness", "key", "--home", str(home), "--name", "witness.test/w1"),
            env=env(),
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> None:
        self.process = subprocess.Popen(
            anjian("witness", "serve", "--home", str(self.home), "--log", self.log_vkey,
                   "--listen", "127.0.0.1:0"),
            env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        line = self.process.stdout.readline()  # "witness VKEY listening on URL"
        assert " listening on " in line, line + self.process.stderr.read()  # type: ignore[union-attr]
        self.url = line.split(" listening on ")[1].strip()

    def stop(self) -> str:
        """Stop it; its request log."""
        assert self.process is not None
        self.process.terminate()
        _, log = self.process.communicate(timeout=30)
        self.process = None
        return log

    def setting(self) -> str:
        return json.dumps([{"url": self.url, "vkey": self.vkey}])


@pytest.fixture
def witness(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WitnessProcess]:
    with build(load_settings()) as platform:  # makes the log key
        log_vkey = platform.ledger.signer.vkey
    w = WitnessProcess(tmp_path / "witness-home", log_vkey)
    w.start()
    monkeypatch.setenv("ANJIAN_WITNESSES", w.setting())
    yield w
    if w.process is not None:
        w.stop()


@pytest.fixture
def witnessed(witness: WitnessProcess, home: Path) -> History:
    return record_history(home)


def status() -> dict[str, Any]:
    result = cli("ledger", "status", "--json")
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def bundle_of(event_id: str, path: Path) -> dict[str, Any]:
    result = cli("audit", "proof", event_id, "-o", str(path))
    assert result.exit_code == 0, result.output
    return dict(json.loads(path.read_text(encoding="utf-8")))


def node_verify(note: str, vkey: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["node", str(VERIFIER), vkey], input=note, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


def test_each_sync_is_cosigned_and_the_bundle_carries_the_cosignature(
    witnessed: History, witness: WitnessProcess, tmp_path: Path
) -> None:
    (w,) = status()["witnesses"]
    assert w["cosigned"] is True
    assert w["vkey"] == witness.vkey
    bundle = bundle_of(witnessed.closure, tmp_path / "b.json")
    assert bundle["checkpoint"].count("\n\u2014 ") == 2  # one note: the log's line, the witness's
    done = cli("audit", "check", str(tmp_path / "b.json"), "--witness", witness.vkey,
               "--quorum", "1")  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "1 valid cosignature(s)" in done.stdout
    auditor = subprocess.run(
        [sys.executable, "-m", "audit", "check", str(tmp_path / "b.json"),
         "--witness", witness.vkey, "--quorum", "1"],
        cwd=tmp_path, env=env(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert auditor.returncode == 0, auditor.stdout + auditor.stderr
    assert "ok   witnesses" in auditor.stdout


def test_the_platform_s_cosigned_checkpoint_verifies_with_the_javascript_verifier(
    witnessed: History, witness: WitnessProcess, tmp_path: Path
) -> None:
    note = bundle_of(witnessed.last, tmp_path / "b.json")["checkpoint"]
    done = node_verify(note, witness.vkey)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("ok witness.test/w1 ")


def rewrite_history(history: History) -> None:
    """The issue's attack: alter a record and re-sign it with its signer's key (the operator
    derives custodial keys), delete the ledger's tables and the chain's state."""
    with sqlite3.connect(history.db) as db:
        oid, version = history.row(history.closure)
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE originator_id=? AND originator_version=?",
            (oid, version),
        ).fetchone()
        state = json.loads(state)
        envelope = json.loads(state["envelope"])
        envelope["data"]["document_no"] = "XH-REWRITTEN"
        key = history.keys[envelope["actor"]]
        text = canonical_text(envelope)
        state.update(envelope=text, signature=key.sign_b64(text.encode()), key_id=key.key_id)
        db.execute(
            "UPDATE stored_events SET state=? WHERE originator_id=? AND originator_version=?",
            (json.dumps(state).encode(), oid, version),
        )
        tables = db.execute("SELECT name FROM sqlite_master WHERE type='table' "
                            "AND name LIKE 'ledger%'").fetchall()  # fmt: skip
        for (table,) in tables:
            db.execute(f'DROP TABLE "{table}"')
    shutil.rmtree(history.home / "chain")


def test_the_rewritten_history_is_refused_by_the_witness_and_never_reaches_quorum(
    witnessed: History, witness: WitnessProcess, tmp_path: Path
) -> None:
    honest = bundle_of(witnessed.closure, tmp_path / "honest.json")
    size = len(witnessed.events)
    rewrite_history(witnessed)
    synced = cli("ledger", "sync", "--json")
    assert synced.exit_code == 0, synced.output  # the operator's sync goes through...
    (outcome,) = json.loads(synced.stdout)["witnesses"]
    assert outcome["cosigned"] is False  # ...but the witness refuses to cosign it
    assert "HTTP 422" in outcome["detail"]
    (w,) = status()["witnesses"]
    assert w["cosigned"] is False
    assert "HTTP 422" in w["error"]
    # The forked checkpoint, submitted as a log that never saw the witness: 409, its size.
    with build(load_settings()) as platform:
        forked = platform.ledger.checkpoints.latest()
    assert forked is not None
    assert forked.size == size
    with pytest.raises(WitnessRefused) as refused:
        HttpWitness(witness.url, witness.vkey).add_checkpoint(0, [], forked.note)
    assert (refused.value.status, refused.value.size) == (409, size)
    assert "409" in witness.stop()  # the witness's own log shows the refusals
    # The rewritten event's bundle has no cosignature, and the honest ones do not transfer.
    rewritten = bundle_of(witnessed.closure, tmp_path / "rewritten.json")
    assert "XH-REWRITTEN" in rewritten["event"]
    check = ("audit", "check", str(tmp_path / "rewritten.json"), "--witness", witness.vkey,
             "--quorum", "1")  # fmt: skip
    done = cli(*check)
    assert done.exit_code == 1
    assert "BundleInvalid: failed: witnesses, trust" in done.stderr
    body, _, _ = honest["checkpoint"].partition("\n\n")
    stolen = [line for line in honest["checkpoint"].split("\n") if "witness.test/w1" in line]
    rewritten["checkpoint"] += "\n".join(stolen) + "\n"
    (tmp_path / "rewritten.json").write_text(json.dumps(rewritten), encoding="utf-8")
    done = cli(*check)
    assert done.exit_code == 1
    assert "invalid: witness.test/w1" in done.stdout
    assert Checkpoint.parse(body + "\n").size >= 1


def test_a_restored_backup_is_a_rollback_the_witness_refuses(
    witnessed: History, witness: WitnessProcess, tmp_path: Path
) -> None:
    backup = tmp_path / "backup.sqlite"
    shutil.copy(witnessed.db, backup)
    record_more(witnessed, 3)
    assert cli("ledger", "sync", "--no-anchor").exit_code == 0
    assert status()["witnesses"][0]["cosigned"] is True
    shutil.copy(backup, witnessed.db)  # the three later records are gone
    record_more(witnessed, 2)  # and the operator goes on from the backup
    synced = cli("ledger", "sync", "--no-anchor", "--json")
    assert synced.exit_code == 0, synced.output
    (outcome,) = json.loads(synced.stdout)["witnesses"]
    assert outcome["cosigned"] is False
    assert "rolled back" in outcome["detail"]


def test_a_witness_that_is_down_is_reported_and_asked_again_by_the_next_sync(
    witnessed: History, witness: WitnessProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    witness.stop()
    record_more(witnessed, 2)
    synced = cli("ledger", "sync", "--no-anchor")
    assert synced.exit_code == 0, synced.output
    assert "NotCosigned: witness witness.test/w1" in synced.stderr
    (w,) = status()["witnesses"]
    assert w["cosigned"] is False
    assert w["url"] in w["error"]
    witness.start()  # back, on another port
    monkeypatch.setenv("ANJIAN_WITNESSES", witness.setting())
    synced = cli("ledger", "sync", "--no-anchor", "--json")
    (outcome,) = json.loads(synced.stdout)["witnesses"]
    assert outcome["cosigned"] is True, outcome
    assert status()["witnesses"][0]["cosigned"] is True
