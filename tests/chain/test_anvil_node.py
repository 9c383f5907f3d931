"""The supervised local node: start, stop, persistence, resets and outages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from web3 import Web3

from ledger.chain import AnchorChain, AnchorMissing, ChainUnavailable, ContractMissing
from ops.chain_node import (
    DEV_CHAIN_ID,
    AnvilNode,
    AnvilNotInstalled,
    NodeStartFailed,
    dev_accounts,
    find_anvil,
)
from tests.chain.anchor_chain_contract import ANCHORER, OWNER, root_of


@pytest.fixture
def node(tmp_path: Path) -> Iterator[AnvilNode]:
    """A node of the test's own: these tests stop, reset and kill it."""
    with AnvilNode(tmp_path / "chain") as node:
        yield node


def deploy_and_allow(rpc_url: str) -> AnchorChain:
    admin = AnchorChain.deploy(AnchorChain.http(rpc_url), OWNER)
    admin.allow(ANCHORER.address)
    return admin.as_account(ANCHORER)


def test_dev_accounts_are_the_funded_accounts_of_the_well_known_mnemonic(
    anvil_rpc: str,
) -> None:
    accounts = dev_accounts(3)
    assert accounts[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
    w3 = AnchorChain.http(anvil_rpc)
    assert all(w3.eth.get_balance(a.address) > 0 for a in accounts)


def test_node_answers_on_a_loopback_port_with_its_chain_id(anvil_node: AnvilNode) -> None:
    assert anvil_node.rpc_url.startswith("http://127.0.0.1:")
    assert Web3(Web3.HTTPProvider(anvil_node.rpc_url)).eth.chain_id == DEV_CHAIN_ID


def test_anchors_survive_a_restart_with_the_state_file(node: AnvilNode) -> None:
    chain = deploy_and_allow(node.rpc_url)
    receipt = chain.anchor(12, root_of("12"))
    url = node.rpc_url
    node.restart()
    assert node.rpc_url == url
    assert node.state_file.exists()
    chain.verify_anchor(receipt)
    assert chain.head() == (12, root_of("12"))
    assert chain.anchor(13, root_of("13")).tree_size == 13  # the nonce carries on too


def test_verify_anchor_detects_an_anchor_lost_in_a_chain_reset(node: AnvilNode) -> None:
    chain = deploy_and_allow(node.rpc_url)
    receipt = chain.anchor(12, root_of("12"))
    node.stop()
    node.reset_state()
    node.start()
    with pytest.raises(AnchorMissing, match="no contract"):
        chain.verify_anchor(receipt)
    with pytest.raises(AnchorMissing, match="transaction not found"):
        chain.verify_anchor(receipt, check_code=False)
    # Anchoring into the void is noticed rather than recorded as a success.
    with pytest.raises(ContractMissing):
        AnchorChain.connect(node.rpc_url, chain.address, ANCHORER).anchor(13, root_of("13"))


def test_a_lost_anchor_is_submitted_again_to_a_redeployed_contract(node: AnvilNode) -> None:
    chain = deploy_and_allow(node.rpc_url)
    lost = chain.anchor(12, root_of("12"))
    node.stop()
    node.reset_state()
    node.start()
    again = deploy_and_allow(node.rpc_url)  # same deployer and nonce: same address
    assert again.address == chain.address
    with pytest.raises(AnchorMissing, match="transaction not found"):
        again.verify_anchor(lost)
    receipt = again.anchor(lost.tree_size, lost.root)
    again.verify_anchor(receipt)
    assert again.head() == (12, root_of("12"))


def test_an_unreachable_node_is_reported_as_unavailable_then_anchoring_resumes(
    node: AnvilNode,
) -> None:
    chain = deploy_and_allow(node.rpc_url)
    chain.anchor(1, root_of("1"))
    node.stop()
    with pytest.raises(ChainUnavailable):
        chain.anchor(2, root_of("2"))
    with pytest.raises(ChainUnavailable):
        chain.head()
    node.start()  # the queued checkpoint goes in on the next attempt
    chain.verify_anchor(chain.anchor(2, root_of("2")))


def test_anchors_lost_in_a_crash_are_detected_and_anchored_again(tmp_path: Path) -> None:
    # A long dump interval makes the loss certain: only the clean restart writes state.
    with AnvilNode(tmp_path / "chain", state_interval=3600) as node:
        chain = deploy_and_allow(node.rpc_url)
        kept = chain.anchor(1, root_of("1"))
        node.restart()
        lost = chain.anchor(2, root_of("2"))
        node.kill()
        node.start()
        chain.verify_anchor(kept)
        with pytest.raises(AnchorMissing, match="transaction not found"):
            chain.verify_anchor(lost)
        again = chain.anchor(2, root_of("2"))  # the same client: its nonce follows the node
        chain.verify_anchor(again)
        assert chain.head() == (2, root_of("2"))


def test_ensure_running_restarts_a_node_that_died(node: AnvilNode) -> None:
    assert not node.ensure_running()
    node.kill()
    assert not node.running
    assert node.ensure_running()
    assert Web3(Web3.HTTPProvider(node.rpc_url)).eth.chain_id == DEV_CHAIN_ID


def test_a_missing_binary_tells_how_to_install_it(tmp_path: Path) -> None:
    with pytest.raises(AnvilNotInstalled, match="npm ci"):
        find_anvil(tmp_path)


def test_a_taken_fixed_port_fails_to_start(anvil_node: AnvilNode, tmp_path: Path) -> None:
    with pytest.raises(NodeStartFailed, match="in use"), AnvilNode(tmp_path, port=anvil_node.port):
        pass
