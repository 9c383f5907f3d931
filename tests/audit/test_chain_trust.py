"""What the chain binds: `audit verify` and `ledger status` flag a redeployed contract, anchors
resubmitted after a chain reset, a contract deployed after the checkpoints it anchors, and
say plainly that a dev chain's anchors do not bind the operator. The rewrite attack (alter and
re-sign an event, delete the ledger tables and the chain state, sync again) is flagged against
the deployment the auditor pinned by its block hash."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from audit.chain_trust import DEV_OWNER, ContractPin
from audit.rpc import RpcClient
from ledger.canonical import canonical_text
from ops.chain_node import AnvilNode, dev_accounts
from tests.audit.conftest import cli, failures, verify_report
from tests.audit.history import History, sync

DEV_NOTE = "anchors do not bind the operator"


def deployment(history: History) -> tuple[str, int]:
    with history.connect() as db:
        row = db.execute(
            "SELECT contract, block_number FROM ledger_deployments WHERE status='live'"
        ).fetchone()
    return str(row[0]), int(row[1])


def anchor_blocks(history: History) -> list[tuple[int, int]]:
    with history.connect() as db:
        rows = db.execute(
            "SELECT tree_size, block_number FROM ledger_anchors WHERE status='live' ORDER BY id"
        ).fetchall()
    return [(int(r[0]), int(r[1])) for r in rows]


def block_hash(history: History, number: int) -> str:
    """The auditor's own look at the chain: the hash of a block, to pin."""
    with AnvilNode(history.home / "chain") as node:
        found = RpcClient(node.rpc_url).block_hash(number)
    assert found is not None
    return found


def trust_failures(report: dict[str, object]) -> list[str]:
    return [str(f["message"]) for f in failures(report, check="trust")]


def rewrite_history(history: History) -> None:
    """The operator's rewrite: alter a logged event and re-sign it with its signer's key, delete
    every ledger table and the chain's state, and sync again."""
    oid, version = history.row(history.closure)
    with history.connect() as db:
        state = json.loads(
            db.execute(
                "SELECT state FROM stored_events WHERE originator_id=? AND originator_version=?",
                (oid, version),
            ).fetchone()[0]
        )
        envelope = json.loads(state["envelope"])
        envelope["data"]["document_no"] = "XH-0"
        text = canonical_text(envelope)
        state.update(envelope=text, signature=history.keys["r-wuhan"].sign_b64(text.encode()))
        db.execute(
            "UPDATE stored_events SET state=? WHERE originator_id=? AND originator_version=?",
            (json.dumps(state).encode(), oid, version),
        )
        tables = [
            r[0]
            for r in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'ledger_%'"
            )
        ]
        for table in tables:
            db.execute(f"DROP TABLE {table}")
    (history.home / "chain" / "anvil-state.json").unlink()
    sync()


def test_the_rewrite_attack_is_flagged_against_the_pinned_deployment_block_hash(
    history: History,
) -> None:
    contract, block = deployment(history)
    newest = anchor_blocks(history)[-1][1]  # the block of the newest anchor the auditor saw
    pin = f"{contract}@{block_hash(history, newest)}"
    code, report = verify_report("--contract", pin)
    assert code == 0, report["failures"]
    assert any(n.startswith("binds: ") for n in report["notes"])

    rewrite_history(history)
    # What the issue observed: the contract redeployed at the same address in the same block.
    assert deployment(history) == (contract, block)
    code, report = verify_report("--contract", pin)
    assert code == 1
    assert any("is not on chain 31337" in m for m in trust_failures(report)), report["failures"]
    # Without the pin, nothing the operator kept tells; the verdict says the chain does not bind.
    code, report = verify_report()
    assert code == 0, report["failures"]
    assert any(DEV_NOTE in n for n in report["notes"])
    assert any(n.startswith("nothing pinned") for n in report["notes"])
    # A pinned block number does not bind either, and the verdict says so.
    code, report = verify_report("--contract", f"{contract}@{block}")
    assert code == 0, report["failures"]
    assert any("a block number does not bind" in n for n in report["notes"])


def test_a_pinned_deployment_block_binds_the_address(history: History) -> None:
    contract, block = deployment(history)
    code, report = verify_report("--contract", f"{contract}@{block_hash(history, block)}")
    assert code == 0, report["failures"]
    assert any(n.startswith("binds: ") for n in report["notes"])


def test_a_pin_of_another_contract_fails_the_audit(history: History) -> None:
    contract, block = deployment(history)
    other = "0x" + "ab" * 20
    code, report = verify_report("--contract", f"{other}@{block_hash(history, block)}")
    assert code == 1
    assert any(f"you pinned {other}" in m for m in trust_failures(report))
    assert any("neither deploys" in m for m in trust_failures(report))
    del contract


def test_a_malformed_pin_is_refused_on_one_line() -> None:
    result = cli("audit", "verify", "--contract", "0x1234@latest")
    assert result.exit_code == 2
    assert result.stderr.startswith("ContractPinError: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_redeployed_contract_and_resubmitted_anchors_are_flagged(history: History) -> None:
    sizes = [size for size, _ in anchor_blocks(history)]
    (history.home / "chain" / "anvil-state.json").unlink()
    assert sync().reanchored == 2
    code, report = verify_report()
    assert code == 1
    messages = trust_failures(report)
    assert any("was deployed again" in m for m in messages), messages
    resubmitted = failures(report, check="trust")
    assert sorted(f["tree_size"] for f in resubmitted if "resubmitted" in f["message"]) == sizes
    assert {f["check"] for f in report["failures"]} == {"trust"}
    status = json.loads(cli("ledger", "status", "--json").stdout)
    flagged = [t["message"] for t in status["trust"] if t["failure"]]
    assert any("was deployed again" in m for m in flagged)
    assert sum("resubmitted" in m for m in flagged) == 2
    table = cli("ledger", "status").stdout
    assert "FLAG the anchor of checkpoint" in table


def test_a_contract_deployed_after_the_checkpoints_it_anchors_is_flagged(
    history: History,
) -> None:
    with history.connect() as db:
        for seq, created in db.execute("SELECT seq, created_at FROM ledger_checkpoints").fetchall():
            earlier = datetime.fromisoformat(created) - timedelta(days=1)
            db.execute(
                "UPDATE ledger_checkpoints SET created_at=? WHERE seq=?",
                (earlier.isoformat(sep=" "), seq),
            )
    code, report = verify_report()
    assert code == 1
    assert any(
        "after checkpoint #1 it anchors" in m and "block timestamp" in m
        for m in trust_failures(report)
    ), report["failures"]
    status = json.loads(cli("ledger", "status", "--json").stdout)
    assert any("after checkpoint #1" in t["message"] for t in status["trust"] if t["failure"])


def test_a_dev_chain_is_stated_not_to_bind_the_operator(history: History) -> None:
    code, report = verify_report()
    assert code == 0, report["failures"]
    assert any(DEV_NOTE in n and "chain 31337" in n for n in report["notes"])
    status = json.loads(cli("ledger", "status", "--json").stdout)
    assert [t["failure"] for t in status["trust"] if DEV_NOTE in t["message"]] == [False]
    del history


def test_the_dev_owner_is_the_dev_chains_account_zero() -> None:
    assert dev_accounts(1)[0].address == DEV_OWNER


def test_a_pin_parses_a_block_hash_or_a_number() -> None:
    address = "0x" + "12" * 20
    assert ContractPin.parse(f"{address}@0x{'AB' * 32}") == ContractPin(
        address, block_hash="0x" + "ab" * 32
    )
    assert ContractPin.parse(f"{address}@7") == ContractPin(address, block_number=7)
