"""`anjian audit proof` writes an offline bundle; `audit check` verifies it with no database
and fails after any change to any of its fields."""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audit.bundle import BUNDLE_FIELDS, check_bundle
from audit.rpc import ANCHOR_FIELDS, RpcClient
from ledger import rfc6962
from ledger.canonical import canonical_text
from ledger.errors import ProofLengthError
from ledger.keys import KeyPair
from ledger.note import Checkpoint, Signer, sign_checkpoint
from ledger.rfc6962 import leaf_hash
from ops.chain_node import AnvilNode
from tests.audit.conftest import cli
from tests.audit.history import History, record_more

BIN = Path(sys.executable).parent


@pytest.fixture
def chain(history: History) -> Iterator[str]:
    """The embedded chain, serving its persisted state while the test checks bundles."""
    with AnvilNode(history.home / "chain") as node:
        yield node.rpc_url


def proof(event_id: str, path: Path) -> dict[str, Any]:
    result = cli("audit", "proof", event_id, "-o", str(path))
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def auditor_env() -> dict[str, str]:
    """The environment of an auditor's shell: nothing of the platform's configuration."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ANJIAN_")}


def run_auditor(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=auditor_env(), capture_output=True, text=True, timeout=120, check=False
    )


def test_a_bundle_passes_audit_check_in_a_fresh_process_without_the_database(
    history: History, chain: str, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle.json"
    key = proof(history.hazard_report, bundle)["log_key"]
    auditor = tmp_path / "auditor"
    auditor.mkdir()
    for argv in (
        [str(BIN / "anjian"), "audit", "check", str(bundle), "--rpc", chain, "--log-key", key],
        [sys.executable, "-m", "audit", "check", str(bundle), "--rpc", chain, "--log-key", key],
    ):
        done = run_auditor(auditor, *argv)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "FAIL" not in done.stdout
        assert "anchor" in done.stdout
    assert list(auditor.iterdir()) == []  # no data directory, no database was created


def test_a_changed_bundle_fails_in_a_fresh_process_naming_the_check(
    history: History, chain: str, tmp_path: Path
) -> None:
    doc = proof(history.hazard_report, tmp_path / "bundle.json")
    doc["leaf_index"] += 1
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(doc), encoding="utf-8")
    key = doc["log_key"]
    done = run_auditor(
        tmp_path, sys.executable, "-m", "audit", "check", str(changed), "--log-key", key
    )
    assert done.returncode == 1
    assert "FAIL inclusion" in done.stdout
    assert "BundleInvalid: failed: inclusion" in done.stderr
    cli_done = cli("audit", "check", str(changed), "--rpc", chain, "--log-key", key)
    assert cli_done.exit_code == 1
    assert "inclusion" in cli_done.stderr


def test_the_bundle_has_exactly_the_documented_fields(history: History, tmp_path: Path) -> None:
    doc = proof(history.hazard_report, tmp_path / "bundle.json")
    assert list(doc) == list(BUNDLE_FIELDS)
    assert list(doc["anchor"]) == list(ANCHOR_FIELDS)
    leaf = json.loads(base64.b64decode(doc["leaf"]))
    assert canonical_text(leaf["envelope"]) == doc["event"]
    assert leaf["event"]["id"] + ":1" == history.hazard_report
    # The earliest checkpoint holding the event, consistent with a later anchored tree.
    assert doc["tree_size"] < doc["anchor"]["tree_size"]
    assert doc["consistency_proof"]


def test_the_newest_event_is_proved_by_the_anchored_checkpoint_itself(
    history: History, chain: str, tmp_path: Path
) -> None:
    doc = proof(history.last, tmp_path / "bundle.json")
    assert doc["tree_size"] == doc["anchor"]["tree_size"] == len(history.events)
    assert doc["consistency_proof"] == []
    assert check_bundle(doc, rpc=RpcClient(chain), log_key=doc["log_key"]).ok


def test_a_bundle_pins_the_log_key_and_the_contract(
    history: History, chain: str, tmp_path: Path
) -> None:
    doc = proof(history.hazard_report, tmp_path / "bundle.json")
    rpc = RpcClient(chain)
    assert check_bundle(doc, rpc=rpc, log_key=doc["log_key"], contract=doc["anchor"]["contract"]).ok
    other_key = Signer.generate(doc["log_key"].split("+")[0]).vkey
    assert [s.name for s in check_bundle(doc, log_key=other_key).failed] == [
        "checkpoint",
        "inclusion",
        "consistency",
    ]
    other_contract = "0x" + "11" * 20
    pinned = check_bundle(doc, contract=other_contract, log_key=doc["log_key"])
    assert [s.name for s in pinned.failed] == ["contract"]


def test_a_bundle_checked_offline_says_the_anchor_was_not_looked_up(
    history: History, tmp_path: Path
) -> None:
    doc = proof(history.hazard_report, tmp_path / "bundle.json")
    result = check_bundle(doc, log_key=doc["log_key"])
    assert result.ok
    assert [s.name for s in result.steps if s.ok is None] == ["anchor"]
    assert result.to_json()["not_checked"] == ["anchor"]


def test_no_bundle_for_an_event_the_log_has_not_reached(history: History, tmp_path: Path) -> None:
    (event,) = record_more(history, 1)
    result = cli("audit", "proof", event, "-o", str(tmp_path / "b.json"))
    assert result.exit_code == 1
    assert "ProofUnavailable" in result.stderr
    assert "not logged yet" in result.stderr


# -- any change to any field fails ----------------------------------------------------------------

# The hazard report is leaf 7; its first checkpoint has 8 leaves (3 inclusion hashes) and the
# first anchor 13 (RFC 9162: consistency 8 -> 13 is one hash). test_paths_cover_the_bundle
# keeps this list equal to the bundle's actual leaves.
PATHS = [
    "event",
    "signature",
    "actor_key",
    "leaf",
    "leaf_index",
    "tree_size",
    "inclusion_proof.0",
    "inclusion_proof.1",
    "inclusion_proof.2",
    "checkpoint",
    "log_key",
    "anchor.chain_id",
    "anchor.contract",
    "anchor.tx_hash",
    "anchor.block_number",
    "anchor.tree_size",
    "anchor.root",
    "consistency_proof.0",
]
# Fields only the chain can vouch for: a bundle changed there still passes offline.
CHAIN_ONLY = {"anchor.chain_id", "anchor.contract", "anchor.tx_hash", "anchor.block_number"}
# Offline, the anchored size is bound only as far as the consistency proof's shape goes: RFC
# 9162 proofs from 8 leaves to 13 and to 14 are both one hash, and the verifier cannot tell
# the sizes apart (`rfc6962.verify_consistency(8, 14, r8, r13, proof_8_13)` holds). The
# chain's Anchored event pins it.
SHAPE_ONLY = {"anchor.tree_size"}


def leaf_paths(value: Any, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in leaf_paths(v, f"{prefix}{k}.")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in leaf_paths(v, f"{prefix}{i}.")]
    return [prefix[:-1]]


def mutate(path: str, value: Any) -> Any:
    """The smallest change to the field at `path` that keeps its type and encoding."""
    if isinstance(value, int):
        return value + 1
    assert isinstance(value, str)
    if path.startswith("anchor."):  # 0x-hex: change the last digit
        return value[:-1] + ("0" if value[-1].lower() != "0" else "1")
    if path == "log_key":  # name+keyid+base64(0x01 || key): one bit of the key
        name, kid, key = value.split("+", 2)
        return f"{name}+{kid}+{flip_b64(key, -1)}"
    if path == "checkpoint":  # the signed note: one bit of the root in its body
        origin, size, root, rest = value.split("\n", 3)
        return "\n".join([origin, size, flip_b64(root, 0), rest])
    if path == "event":  # the envelope text: one character of its payload
        i = value.index("valve")
        return value[:i] + "V" + value[i + 1 :]
    return flip_b64(value, None)  # signature, actor_key, leaf, proof hashes


def flip_b64(text: str, at: int | None) -> str:
    """Flip one bit of base64 `text`'s bytes (at byte `at`, default the middle one)."""
    raw = bytearray(base64.b64decode(text, validate=True))
    raw[len(raw) // 2 if at is None else at] ^= 1
    return base64.b64encode(bytes(raw)).decode()


def changed(doc: dict[str, Any], path: str) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    node[key] = mutate(path, node[key])
    assert out != doc
    return out


@pytest.fixture
def bundle(history: History, tmp_path: Path) -> dict[str, Any]:
    return proof(history.hazard_report, tmp_path / "bundle.json")


def test_paths_cover_the_bundle(bundle: dict[str, Any]) -> None:
    assert leaf_paths(bundle) == PATHS


@pytest.mark.parametrize("path", PATHS)
def test_audit_check_fails_after_any_change_to_any_field(
    bundle: dict[str, Any], chain: str, path: str
) -> None:
    key = bundle["log_key"]
    assert check_bundle(bundle, rpc=RpcClient(chain), log_key=key).ok
    tampered = changed(bundle, path)
    result = check_bundle(tampered, rpc=RpcClient(chain), log_key=key)
    assert not result.ok, path
    if path not in SHAPE_ONLY:
        assert check_bundle(tampered, log_key=key).ok is (path in CHAIN_ONLY)


def test_offline_the_anchored_size_is_pinned_only_by_the_proof_shape(
    bundle: dict[str, Any],
) -> None:
    """Why anchor.tree_size is in SHAPE_ONLY (a property of RFC 9162, not of our verifier)."""
    size1, size2 = bundle["tree_size"], bundle["anchor"]["tree_size"]
    assert (size1, size2) == (8, 13)
    root1 = base64.b64decode(bundle["checkpoint"].split("\n")[2])
    root2 = bytes.fromhex(bundle["anchor"]["root"][2:])
    proof = [base64.b64decode(h) for h in bundle["consistency_proof"]]
    rfc6962.verify_consistency(size1, size2, root1, root2, proof)
    rfc6962.verify_consistency(size1, size2 + 1, root1, root2, proof)
    with pytest.raises(ProofLengthError):
        rfc6962.verify_consistency(size1, 17, root1, root2, proof)


def test_the_inclusion_proof_in_a_bundle_is_the_rfc9162_one(bundle: dict[str, Any]) -> None:
    # Independent cross-check of the stored tree: the proof verifies with the standard verifier
    # against the root in the checkpoint note.
    root = base64.b64decode(bundle["checkpoint"].split("\n")[2])
    rfc6962.verify_inclusion(
        bundle["leaf_index"],
        bundle["tree_size"],
        rfc6962.leaf_hash(base64.b64decode(bundle["leaf"])),
        [base64.b64decode(h) for h in bundle["inclusion_proof"]],
        root,
    )


# -- fail closed --------------------------------------------------------------------------------


def forged_bundle(doc: dict[str, Any]) -> dict[str, Any]:
    """A fully forged bundle: the forger's own actor key, event, leaf, one-leaf tree and log
    key under the real origin name, the real anchor object copied (checked offline)."""
    origin = doc["log_key"].split("+")[0]
    actor, log = KeyPair.generate(), Signer.generate(origin)
    envelope = json.loads(doc["event"])
    envelope["data"]["description"] = "forged: no hazard was ever reported"
    event = canonical_text(envelope)
    signature = actor.sign_b64(event.encode())
    record = json.loads(base64.b64decode(doc["leaf"]))
    record.update(envelope=envelope, signature=signature, key_id=actor.key_id)
    leaf = canonical_text(record).encode()
    checkpoint = Checkpoint(origin, 1, leaf_hash(leaf))
    anchor = {**doc["anchor"], "tree_size": 1, "root": "0x" + leaf_hash(leaf).hex()}
    return {
        **doc,
        "event": event,
        "signature": signature,
        "actor_key": base64.b64encode(actor.public_key).decode(),
        "leaf": base64.b64encode(leaf).decode(),
        "leaf_index": 0,
        "tree_size": 1,
        "inclusion_proof": [],
        "checkpoint": sign_checkpoint(checkpoint, log),
        "log_key": log.vkey,
        "anchor": anchor,
        "consistency_proof": [],
    }


def test_a_forged_bundle_fails_audit_check_unless_the_forger_s_key_is_pinned(
    history: History, tmp_path: Path
) -> None:
    doc = proof(history.hazard_report, tmp_path / "bundle.json")
    forged = forged_bundle(doc)
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged), encoding="utf-8")
    # Unpinned, every check of the forged bundle holds, yet nothing is trusted: UNVERIFIED.
    result = check_bundle(forged)
    assert [s.name for s in result.failed] == ["trust"]
    assert result.unverified
    done = cli("audit", "check", str(path))
    assert done.exit_code == 1
    assert done.stderr.startswith("UNVERIFIED: no trusted log key")
    auditor = run_auditor(tmp_path, sys.executable, "-m", "audit", "check", str(path))
    assert auditor.returncode == 1
    assert auditor.stderr.startswith("UNVERIFIED: no trusted log key")
    # Pinned to the platform's log key, it fails; pinned to the forger's, it passes.
    assert cli("audit", "check", str(path), "--log-key", doc["log_key"]).exit_code == 1
    assert cli("audit", "check", str(path), "--log-key", forged["log_key"]).exit_code == 0


def test_a_skipped_check_is_listed_as_not_checked(history: History, tmp_path: Path) -> None:
    doc = proof(history.hazard_report, tmp_path / "bundle.json")
    done = cli("audit", "check", str(tmp_path / "bundle.json"), "--log-key", doc["log_key"])
    assert done.exit_code == 0
    assert done.stdout.splitlines()[-1] == "not checked: anchor"
