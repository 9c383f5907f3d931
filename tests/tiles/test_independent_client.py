"""The tiles served over HTTP verify with an independent tlog-tiles client (JavaScript on
node's fetch and crypto, tests/tiles/tlog_tiles_client.mjs, written from the specification
texts, sharing no code with this implementation): the signed checkpoint, every tile and entry
bundle, the root recomputed per RFC 6962, consistency with an earlier checkpoint, and the
inclusion proofs of `anjian audit proof` bundles rebuilt from the tiles."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.checkpoints import StoredCheckpoint
from ops.bootstrap import build
from ops.cli import app as cli_app
from ops.settings import load_settings
from services.ledger.tiles import TileServer, index_path
from tests.audit.history import record_history, record_more, sync
from tests.ledger.test_checkpoints import forge_leaf_hash
from tests.tiles.conftest import SPEC_EXAMPLE
from tests.tiles.serving import log_app, serving
from tests.tiles.toylog import ToyLog, bundle_entries

CLIENT = Path(__file__).with_name("tlog_tiles_client.mjs")


def follow(
    base: str,
    vkey: str,
    *,
    previous: StoredCheckpoint | None = None,
    bundles: list[Path] = (),  # type: ignore[assignment]
) -> subprocess.CompletedProcess[str]:
    args = ["node", str(CLIENT), f"{base}/log", vkey]
    if previous is not None:
        args += ["--previous", f"{previous.size}:{base64.b64encode(previous.root).decode()}"]
    args += [str(b) for b in bundles]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def verified(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["ok"] is True
    return report


def toy_bundle(toy: ToyLog, path: Path, index: int, checkpoint: StoredCheckpoint) -> Path:
    """A bundle's proof fields (audit/bundle.py layout) from the Python log."""
    full = toy.server().tile(f"tile/entries/{index_path(index // 256)}").data
    body = {
        "leaf": base64.b64encode(bundle_entries(full)[index % 256]).decode(),
        "leaf_index": index,
        "tree_size": checkpoint.size,
        "inclusion_proof": [
            base64.b64encode(h).decode() for h in toy.log.inclusion(index, checkpoint.size)
        ],
        "checkpoint": checkpoint.note,
    }
    path.write_text(json.dumps(body))
    return path


def test_a_log_of_70000_leaves_verifies_with_an_independent_client(
    big_log: ToyLog, tmp_path: Path
) -> None:
    checkpoint = big_log.checkpoints.latest()
    assert checkpoint is not None
    bundle = toy_bundle(big_log, tmp_path / "b.json", 65_600, checkpoint)
    with serving(log_app(big_log.server())) as base:
        report = verified(follow(base, big_log.signer.vkey, bundles=[bundle]))
    assert report["size"] == SPEC_EXAMPLE
    assert report["root"] == base64.b64encode(checkpoint.root).decode()
    assert report["entries"] == SPEC_EXAMPLE
    full0 = [f"tile/0/{n:03d}" for n in range(273)]
    assert report["tiles"] == [*full0, "tile/0/273.p/112", "tile/1/000", "tile/1/001.p/17",
                               "tile/2/000.p/1"]  # fmt: skip


def test_a_checkpoint_advancing_stays_consistent_for_the_client(
    toy: ToyLog, tmp_path: Path
) -> None:
    first = toy.grow(200)  # partial tiles only
    with serving(log_app(toy.server())) as base:
        before = verified(follow(base, toy.signer.vkey))
        assert before["tiles"] == ["tile/0/000.p/200"]
        second = toy.grow(56)  # exactly 256: a full tile and a level-1 tile of width 1
        bundle = toy_bundle(toy, tmp_path / "b.json", 199, first)
        at_256 = verified(follow(base, toy.signer.vkey, previous=first, bundles=[bundle]))
        assert at_256["tiles"] == ["tile/0/000", "tile/1/000.p/1"]
        assert at_256["consistent_with_previous"] is True
        toy.grow(700)
        after = verified(follow(base, toy.signer.vkey, previous=second))
        assert after["size"] == 956


def test_the_client_rejects_a_checkpoint_it_cannot_trust(toy: ToyLog, tmp_path: Path) -> None:
    first = toy.grow(10)
    stranger = ToyLog.sqlite(tmp_path / "other.sqlite")
    try:
        other = stranger.grow(10)
        with serving(log_app(toy.server())) as base:
            wrong_key = follow(base, stranger.signer.vkey)
            assert wrong_key.stdout.startswith("fail no signature by"), wrong_key.stdout
            forked = follow(base, toy.signer.vkey, previous=other)
            assert forked.stdout.startswith("fail the tree is not consistent"), forked.stdout
            assert verified(follow(base, toy.signer.vkey, previous=first))["size"] == 10
    finally:
        stranger.close()


def test_the_client_catches_tiles_that_contradict_the_checkpoint(toy: ToyLog) -> None:
    toy.grow(300)
    forge_leaf_hash(toy.log, 7)  # behind the log's back, after the checkpoint was signed
    with serving(log_app(toy.server())) as base:
        done = follow(base, toy.signer.vkey)
    assert done.returncode == 1
    assert done.stdout == "fail tile 1/0: hash 0 is not its tile's\n"


# -- the platform: events recorded through the write path, bundles by `anjian audit proof` ----


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "var"
    monkeypatch.setenv("ANJIAN_HOME", str(home))
    for name in ("ANJIAN_CHAIN_RPC_URL", "ANJIAN_DATABASE_URL", "ANJIAN_CHAIN_OWNER_KEY",
                 "ANJIAN_CHAIN_CONTRACT", "ANJIAN_CHECKPOINT_EVERY_LEAVES"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return home


def audit_proof(event_id: str, path: Path) -> Path:
    result = CliRunner().invoke(cli_app, ["audit", "proof", event_id, "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


def test_the_platform_log_verifies_with_an_independent_client_before_and_at_256(
    home: Path, tmp_path: Path
) -> None:
    history = record_history(home)
    with build(load_settings()) as platform:
        ledger = platform.ledger
        vkey = ledger.signer.vkey
        with serving(log_app(TileServer.of(ledger))) as base:
            small = ledger.checkpoints.latest()
            assert small is not None
            assert small.size < 256
            bundles = [
                audit_proof(e, tmp_path / f"small-{i}.json")
                for i, e in enumerate([history.events[0], history.hazard_report, history.last])
            ]
            report = verified(follow(base, vkey, bundles=bundles))
            assert report["size"] == small.size
            assert report["tiles"] == [f"tile/0/000.p/{small.size}"]

            more = record_more(history, 256 - ledger.log.size())
            sync()
            full = ledger.checkpoints.latest()
            assert full is not None
            assert full.size == 256
            bundles.append(audit_proof(more[-1], tmp_path / "last.json"))
            assert json.loads(bundles[-1].read_text())["leaf_index"] == 255
            report = verified(follow(base, vkey, previous=small, bundles=bundles))
            assert report["tiles"] == ["tile/0/000", "tile/1/000.p/1"]
            assert report["consistent_with_previous"] is True


def test_the_client_rejects_a_bundle_whose_proof_the_tiles_do_not_give(
    toy: ToyLog, tmp_path: Path
) -> None:
    checkpoint = toy.grow(300)
    bundle = toy_bundle(toy, tmp_path / "b.json", 42, checkpoint)
    body = json.loads(bundle.read_text())
    body["inclusion_proof"][3] = base64.b64encode(bytes(32)).decode()
    bundle.write_text(json.dumps(body))
    with serving(log_app(toy.server())) as base:
        done = follow(base, toy.signer.vkey, bundles=[bundle])
    assert (
        done.stdout == f"fail {bundle}: the inclusion proof from tiles differs from the bundle's\n"
    )
