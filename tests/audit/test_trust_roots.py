"""`anjian audit roots` prints what an auditor must obtain out of band, and those roots, pinned,
are what makes `audit check` verify a bundle."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from audit.bundle import check_bundle
from audit.verdict import Trust, verdict
from ops.cli.audit import _witness_keys
from tests.audit.conftest import cli
from tests.audit.history import History


def test_roots_name_the_log_key_the_chain_and_the_contract(
    history: History, tmp_path: Path
) -> None:
    done = cli("audit", "roots", "--json")
    assert done.exit_code == 0, done.output
    roots = json.loads(done.stdout)
    path = tmp_path / "bundle.json"
    assert cli("audit", "proof", history.hazard_report, "-o", str(path)).exit_code == 0
    bundle = json.loads(path.read_text(encoding="utf-8"))
    assert roots["log_key"] == bundle["log_key"]
    assert roots["origin"] == bundle["log_key"].split("+")[0]
    assert roots["witnesses"] == []
    (live,) = [c for c in roots["contracts"] if c["status"] == "live"]
    assert live["chain_id"] == bundle["anchor"]["chain_id"]
    assert live["address"].lower() == bundle["anchor"]["contract"].lower()
    assert 0 <= live["deployment_block"] <= bundle["anchor"]["block_number"]
    # Pinned, the published roots make the check verify the bundle.
    result = check_bundle(bundle, log_key=roots["log_key"], contract=live["address"])
    assert verdict(result.steps, Trust(True, True)).status == "VERIFIED"


def test_roots_in_text_say_no_witness_is_configured(history: History) -> None:
    done = cli("audit", "roots")
    assert done.exit_code == 0, done.output
    assert "witness keys: none configured" in done.stdout
    assert "chain id 31337" in done.stdout
    assert "deployed in block" in done.stdout


def test_witness_keys_are_read_from_the_shapes_settings_may_hold() -> None:
    vkey = "witness.example+1a2b3c4d+AQID"
    assert _witness_keys(None) == []
    assert _witness_keys("") == []
    assert _witness_keys(f"https://w.example {vkey}") == [vkey]
    assert _witness_keys([{"url": "https://w.example", "vkey": vkey}]) == [vkey]
    assert _witness_keys([SimpleNamespace(url="https://w.example", vkey=vkey)]) == [vkey]
