"""`anjian actors keys`: every actor's keys with their history, rebuilt from the log, in the
documented JSON format an integrator verifies CloudEvent signatures with."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.actor import PLATFORM_ACCOUNT
from domain.ids import actor_id
from ledger.keys import KeyPair
from ops.bootstrap import build
from ops.cli import app
from ops.settings import load_settings
from services.actor_keys import actor_keys
from services.ingest.genesis import ensure_genesis
from tests.support import Harness

runner = CliRunner()


def test_keys_carry_their_rotation_and_revocation_history() -> None:
    h = Harness()
    h.actor("o-1", "regulator", "420100")
    first = h.keys["o-1"]
    second = KeyPair.generate()
    h.run_as(
        "o-1", "actor.rotate_key", "420100", {"public_key": second.public_key_b64},
        subject=actor_id("o-1"),
    )  # fmt: skip
    h.keys["o-1"] = second
    h.run_as(
        PLATFORM_ACCOUNT, "actor.revoke_key", "420100",
        {"key_id": first.key_id, "reason": "终端遗失"}, subject=actor_id("o-1"),
    )  # fmt: skip
    keys = actor_keys(h.records)
    assert list(keys) == sorted(keys)
    assert [(k["key_id"], k["status"]) for k in keys["o-1"]] == [
        (first.key_id, "revoked"),
        (second.key_id, "current"),
    ]
    entry = keys["o-1"][1]
    assert base64.b64decode(entry["public_key"]) == second.public_key
    assert entry["since"] > keys["o-1"][0]["since"]
    assert set(entry) == {"key_id", "public_key", "status", "since"}
    h.close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "var"
    monkeypatch.setenv("ANJIAN_HOME", str(home))
    with build(load_settings(home=home)) as p:
        ensure_genesis(p.ingest)
    return home


def test_actors_keys_prints_json_and_writes_the_same_to_a_file(home: Path, tmp_path: Path) -> None:
    printed = runner.invoke(app, ["actors", "keys", "--json"])
    assert printed.exit_code == 0, printed.output
    keys = json.loads(printed.stdout)
    with build(load_settings(home=home)) as p:
        platform_key = p.keystore.platform_key()
    assert keys[PLATFORM_ACCOUNT] == [
        {
            "key_id": platform_key.key_id,
            "public_key": platform_key.public_key_b64,
            "status": "current",
            "since": keys[PLATFORM_ACCOUNT][0]["since"],
        }
    ]
    out = tmp_path / "actor-keys.json"
    written = runner.invoke(app, ["actors", "keys", "--out", str(out)])
    assert written.exit_code == 0, written.output
    assert json.loads(out.read_text()) == keys
    table = runner.invoke(app, ["actors", "keys"])
    assert platform_key.key_id[:8] in table.stdout
