"""The verdict of `audit check` states, in Chinese and English, what was proven and what was
not: a skipped check or a trust root not supplied is never stated as proven."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from audit.bundle import Step, check_bundle
from audit.verdict import NEVER, PROVES, Trust, bundle_verdict, verdict
from tests.audit.conftest import cli
from tests.audit.history import History


def proof(history: History, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    path = tmp_path / "bundle.json"
    result = cli("audit", "proof", history.hazard_report, "-o", str(path))
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text(encoding="utf-8")), path


def test_a_bundle_checked_without_trust_roots_is_unverified(
    history: History, tmp_path: Path
) -> None:
    doc, _ = proof(history, tmp_path)
    result = check_bundle(doc)
    said = bundle_verdict(
        result, log_key_pinned=False, contract_pinned=False, witnesses=0, quorum=None
    )
    assert said.status == "UNVERIFIED"
    assert said.headline.zh.startswith("未验证")
    assert said.headline.en.startswith("UNVERIFIED: no trusted log key")
    assert PROVES["signature"] in said.proven
    assert PROVES["anchor"] not in said.proven  # skipped: no --rpc
    ens = [s.en for s in said.not_proven]
    assert any(e.startswith("not checked (anchor)") for e in ens)
    assert any(e.startswith("the log key was taken from the bundle itself") for e in ens)
    assert any(e.startswith("no independent witness cosigned") for e in ens)


def test_a_pinned_bundle_is_verified_within_the_limits_it_states(
    history: History, tmp_path: Path
) -> None:
    doc, _ = proof(history, tmp_path)
    result = check_bundle(doc, log_key=doc["log_key"], contract=doc["anchor"]["contract"])
    said = verdict(result.steps, Trust(log_key_pinned=True, contract_pinned=True))
    assert said.status == "VERIFIED"
    assert said.proven == [PROVES[s.name] for s in result.steps if s.ok]
    assert said.not_proven[-len(NEVER) :] == list(NEVER)  # what no bundle proves, always
    assert not any("pin it" in s.en for s in said.not_proven)


def test_a_failed_check_makes_the_verdict_invalid_and_is_not_proven(
    history: History, tmp_path: Path
) -> None:
    doc, _ = proof(history, tmp_path)
    doc["leaf_index"] += 1
    said = verdict(check_bundle(doc, log_key=doc["log_key"]).steps, Trust(log_key_pinned=True))
    assert said.status == "INVALID"
    assert said.headline.en == "INVALID: checks failed (inclusion)"
    assert "inclusion" in said.headline.zh
    assert PROVES["inclusion"] not in said.proven
    assert said.not_proven[0].en == "the inclusion check failed"


def test_a_witness_quorum_not_reached_is_stated_and_does_not_verify() -> None:
    steps = [Step("signature", True, ""), Step("witnesses", False, "1 of 2")]
    said = verdict(steps, Trust(cosignatures=1, quorum=2))
    assert said.status == "INVALID"
    assert "the witness quorum was not reached (1/2)" in [s.en for s in said.not_proven]
    unchecked = verdict([Step("witnesses", None, "")], Trust())
    assert PROVES["witnesses"] not in unchecked.proven
    quorum = verdict([Step("witnesses", True, "")], Trust(cosignatures=2, quorum=2))
    assert quorum.status == "VERIFIED"  # a witness quorum ties the log without a pinned key


def test_an_unknown_check_is_named_not_dropped() -> None:
    said = verdict([Step("novel", None, "")], Trust(log_key_pinned=True))
    assert said.not_proven[0].en == "not checked (novel): the novel check held"


def test_audit_check_prints_the_bilingual_verdict(history: History, tmp_path: Path) -> None:
    doc, path = proof(history, tmp_path)
    text = cli("audit", "check", str(path), "--log-key", doc["log_key"])
    assert "已证明 Proven:" in text.stdout
    assert "未证明 Not proven:" in text.stdout
    assert "成立" in text.stdout
    done = cli("audit", "check", str(path), "--json")
    assert json.loads(done.stdout)["verdict"]["status"] == "UNVERIFIED"
