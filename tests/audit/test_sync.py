"""`anjian ledger sync`: checkpoints at the cadence, anchors on the embedded chain, a queue while
the chain is away, lost anchors found and submitted again; `record` ends with a sync."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from web3.types import Wei

from ledger.chain import AnchorChain
from ops.chain_node import AnvilNode, dev_accounts
from ops.keystore import Keystore
from tests.audit.conftest import CHECKPOINT_EVERY, cli, verify_report
from tests.audit.history import History, record_history, record_more, sync
from tests.support import new_uscc


def checkpoint_sizes(history: History) -> list[int]:
    with history.connect() as db:
        return [r[0] for r in db.execute("SELECT tree_size FROM ledger_checkpoints ORDER BY seq")]


def anchor_rows(history: History) -> list[tuple[int, str]]:
    with history.connect() as db:
        return list(db.execute("SELECT tree_size, status FROM ledger_anchors ORDER BY id"))


def cadence(start: int, end: int, every: int) -> list[int]:
    """Checkpoint sizes a sync from `start` to `end` leaves must cut: every `every` leaves
    since the last checkpoint (at `start`), and one at `end`."""
    sizes = list(range(start + every, end + 1, every))
    return sizes if sizes and sizes[-1] == end else [*sizes, end]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_each_sync_cuts_checkpoints_at_the_cadence_and_one_at_its_end(history: History) -> None:
    first = history.events.index(history.rotation)  # leaves after the first sync
    assert checkpoint_sizes(history) == cadence(0, first, CHECKPOINT_EVERY) + cadence(
        first, len(history.events), CHECKPOINT_EVERY
    )
    # One anchor per sync: the newest checkpoint of each.
    assert anchor_rows(history) == [(first, "live"), (len(history.events), "live")]


def test_a_sync_with_nothing_new_signs_and_anchors_nothing(history: History) -> None:
    before = (checkpoint_sizes(history), anchor_rows(history))
    report = sync()
    assert (report.appended, report.checkpoints, report.anchor) == (0, [], None)
    assert (checkpoint_sizes(history), anchor_rows(history)) == before


def test_checkpoints_queue_while_the_chain_is_unreachable_and_are_anchored_later(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANJIAN_CHAIN_RPC_URL", f"http://127.0.0.1:{closed_port()}")
    record_more(history, 5)
    queued = sync()
    assert queued.appended == 5
    assert queued.anchor is None
    assert queued.chain_error is not None
    assert "unreachable" in queued.chain_error
    assert queued.queued == 2  # 16 -> 20 by the cadence, 21 at the end
    status = json.loads(cli("ledger", "status", "--json").stdout)
    assert status["queued"] == 2
    assert status["latest_anchor"]["tree_size"] == len(history.events)
    monkeypatch.delenv("ANJIAN_CHAIN_RPC_URL")
    later = sync()
    assert later.anchor is not None
    assert later.anchor.tree_size == len(history.events) + 5
    assert later.queued == 0
    assert verify_report()[0] == 0


def test_anchors_a_reset_chain_lost_are_found_and_submitted_again(history: History) -> None:
    (history.home / "chain" / "anvil-state.json").unlink()
    code, report = verify_report()
    assert code == 1
    assert {f["tree_size"] for f in report["failures"] if f["check"] == "anchor"} == {
        size for size, _ in anchor_rows(history)
    }
    again = sync()
    assert again.reanchored == 2
    assert [status for _, status in anchor_rows(history)] == ["lost", "lost", "live", "live"]
    code, report = verify_report()  # the anchors hold again, but only since the reset
    assert code == 1
    assert {f["check"] for f in report["failures"]} == {"trust"}
    listed = json.loads(cli("ledger", "status", "--json").stdout)
    assert listed["lost_anchors"] == 2
    assert [d["status"] for d in listed["deployments"]] == ["lost", "live"]


def test_verify_fails_when_the_chain_cannot_be_reached_unless_told_offline(
    history: History, monkeypatch: pytest.MonkeyPatch
) -> None:
    del history
    monkeypatch.setenv("ANJIAN_CHAIN_RPC_URL", f"http://127.0.0.1:{closed_port()}")
    code, report = verify_report()
    assert code == 1
    assert {f["check"] for f in report["failures"]} == {"chain"}
    code, report = verify_report("--offline")
    assert code == 0
    assert "anchors were not checked against a chain" in report["notes"]


def regulator_line(home: Path, account: str) -> str:
    key = Keystore(home / "keys").custodial(account)
    return json.dumps(
        {
            "type": "actor.register",
            "actor": "platform",
            "region": "420000",
            "data": {
                "account": account,
                "role": "regulator",
                "name": "武汉市应急管理局",
                "jurisdiction": "420100",
                "public_key": key.public_key_b64,
                "custody": "platform",
            },
        },
        ensure_ascii=False,
    )


def enterprise_line(account: str) -> str:
    return json.dumps(
        {
            "type": "enterprise.register",
            "actor": account,
            "region": "420102",
            "data": {
                "uscc": new_uscc(),
                "name": "武汉某化工有限公司",
                "industry": "hazardous_chemicals",
                "standardisation": "level2",
            },
        },
        ensure_ascii=False,
    )


def register_regulator(home: Path, tmp_path: Path) -> None:
    """The platform operator registers the custodial regulator r-1, without a sync."""
    lines = tmp_path / "regulator.jsonl"
    lines.write_text(regulator_line(home, "r-1") + "\n")
    result = cli("record", str(lines), "--as", "platform", "--no-sync")
    assert result.exit_code == 0, result.output


def test_record_ends_with_a_sync_unless_told_not_to(home: Path, tmp_path: Path) -> None:
    register_regulator(home, tmp_path)
    lines = tmp_path / "in.jsonl"
    lines.write_text(enterprise_line("r-1") + "\n")
    result = cli("record", str(lines), "--json", "--as", "r-1")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1  # stdout stays the receipts, one JSON a line
    assert all(json.loads(line)["event_id"] for line in result.stdout.splitlines())
    assert "ledger: +3 leaves" in result.stderr  # genesis, the regulator and the enterprise
    status = json.loads(cli("ledger", "status", "--json").stdout)
    assert (status["tree_size"], status["unlogged_notification_ids"]) == (3, 0)
    assert status["latest_anchor"]["tree_size"] == 3
    more = tmp_path / "more.jsonl"
    more.write_text(enterprise_line("r-1") + "\n")
    assert cli("record", str(more), "--no-sync", "--as", "r-1").exit_code == 0
    status = json.loads(cli("ledger", "status", "--json").stdout)
    assert (status["tree_size"], status["unlogged_notification_ids"]) == (3, 1)
    assert verify_report()[1]["pending"] == 1


def test_with_a_chain_rpc_url_the_same_code_anchors_on_that_chain(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with AnvilNode(tmp_path / "remote-chain", persist=False) as remote:
        monkeypatch.setenv("ANJIAN_CHAIN_RPC_URL", remote.rpc_url)
        history = record_history(home)
        status = json.loads(cli("ledger", "status", "--json").stdout)
        assert status["chain"] == remote.rpc_url
        assert status["latest_anchor"]["tree_size"] == len(history.events)
        code, report = verify_report()
        assert code == 0, report["failures"]
        assert report["chain_anchors"] == 2
    assert not (home / "chain").exists()  # no embedded node was started


def record_unsynced(home: Path, tmp_path: Path) -> None:
    """Genesis, a regulator and one enterprise, recorded without a sync (three events)."""
    register_regulator(home, tmp_path)
    lines = tmp_path / "in.jsonl"
    lines.write_text(enterprise_line("r-1") + "\n")
    result = cli("record", str(lines), "--no-sync", "--as", "r-1")
    assert result.exit_code == 0, result.output


def test_on_a_chain_other_than_the_dev_chain_only_the_configured_owner_key_deploys(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = dev_accounts(4)[3]
    with AnvilNode(tmp_path / "consortium", chain_id=2018, persist=False) as node:
        monkeypatch.setenv("ANJIAN_CHAIN_RPC_URL", node.rpc_url)
        record_unsynced(home, tmp_path)
        refused = cli("ledger", "sync")
        assert refused.exit_code == 1
        assert "ChainConflict: no Anchor contract recorded for chain 2018" in refused.stderr
        assert "ANJIAN_CHAIN_OWNER_KEY" in refused.stderr
        monkeypatch.setenv("ANJIAN_CHAIN_OWNER_KEY", "0x" + owner.key.hex())
        assert cli("ledger", "sync").exit_code == 0
        status = json.loads(cli("ledger", "status", "--json").stdout)
        assert [(d["chain_id"], d["owner"]) for d in status["deployments"]] == [
            (2018, owner.address)
        ]
        assert status["latest_anchor"]["tree_size"] == 3
        assert verify_report()[0] == 0


def test_a_pinned_contract_is_anchored_to_as_it_is_and_nothing_is_deployed(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator = dev_accounts(5)[4]
    anchorer = Keystore(home / "keys").anchorer_account()
    with AnvilNode(tmp_path / "consortium", chain_id=2018, persist=False) as node:
        w3 = AnchorChain.http(node.rpc_url)
        contract = AnchorChain.deploy(w3, operator)
        contract.allow(anchorer.address)
        w3.eth.send_transaction(  # anvil's dev accounts are unlocked: the operator pays gas
            {"from": operator.address, "to": anchorer.address, "value": Wei(10**18)}
        )
        monkeypatch.setenv("ANJIAN_CHAIN_RPC_URL", node.rpc_url)
        monkeypatch.setenv("ANJIAN_CHAIN_CONTRACT", contract.address.lower())
        record_unsynced(home, tmp_path)
        synced = cli("ledger", "sync", "--json")
        assert synced.exit_code == 0, synced.output
        assert json.loads(synced.stdout)["anchor"]["contract"] == contract.address
        status = json.loads(cli("ledger", "status", "--json").stdout)
        assert [(d["contract"], d["owner"]) for d in status["deployments"]] == [
            (contract.address, "operator")
        ]
        assert contract.head()[0] == 3
        assert verify_report()[0] == 0
