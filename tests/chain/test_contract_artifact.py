"""The committed contract artifact is exactly what its source compiles to, for old EVMs."""

from __future__ import annotations

import hashlib
import json

import vyper
from vyper.compiler.settings import Settings

from ledger.contracts import CONTRACTS_DIR, load_artifact
from ledger.contracts.build import artifact_text, build_artifact


def test_committed_artifact_equals_a_fresh_build() -> None:
    # If this fails: python -m ledger.contracts.build, and commit Anchor.json.
    committed = (CONTRACTS_DIR / "Anchor.json").read_text(encoding="utf-8")
    assert committed == artifact_text(build_artifact("Anchor"))


def test_artifact_names_its_compiler_target_and_source_hash() -> None:
    data = json.loads((CONTRACTS_DIR / "Anchor.json").read_text(encoding="utf-8"))
    source = (CONTRACTS_DIR / "Anchor.vy").read_bytes()
    assert data["compiler"] == "vyper"
    assert data["compiler_version"] == "0.4.3"
    assert data["evm_version"] == "paris"
    assert data["source_sha256"] == hashlib.sha256(source).hexdigest()
    assert load_artifact("Anchor").source_sha256 == data["source_sha256"]


def test_bytecode_has_no_push0_so_pre_shanghai_chains_can_run_it() -> None:
    source = (CONTRACTS_DIR / "Anchor.vy").read_text(encoding="utf-8")
    paris = vyper.compile_code(
        source, output_formats=["opcodes"], settings=Settings(evm_version="paris")
    )
    assert "PUSH0" not in paris["opcodes"].split()
    # The probe can fail: the same source for a newer EVM does use PUSH0.
    cancun = vyper.compile_code(
        source.replace("# pragma evm-version paris\n", ""),
        output_formats=["opcodes"],
        settings=Settings(evm_version="cancun"),
    )
    assert "PUSH0" in cancun["opcodes"].split()


def test_abi_offers_the_anchor_admin_and_lookup_functions() -> None:
    abi = load_artifact("Anchor").abi
    functions = {item["name"] for item in abi if item["type"] == "function"}
    events = {item["name"] for item in abi if item["type"] == "event"}
    assert {"anchor", "head", "root_at", "add_anchorer", "remove_anchorer", "owner"} <= functions
    assert {"Anchored", "AnchorerAdded", "AnchorerRemoved"} <= events
