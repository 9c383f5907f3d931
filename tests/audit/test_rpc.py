"""The auditor's stdlib chain client agrees with web3 and the contract it reads."""

from __future__ import annotations

import pytest
from web3 import Web3

from audit.errors import BundleFormatError, RpcError
from audit.rpc import ANCHORED_TOPIC, ROOT_AT_SELECTOR, Anchor, RpcClient
from ledger.chain import ANCHORED_TOPIC as LEDGER_ANCHORED_TOPIC
from ledger.chain import AnchorReceipt
from ledger.contracts import load_artifact


def test_the_keccak_constants_are_the_contracts() -> None:
    # Derivation: Web3.keccak(text="Anchored(uint64,bytes32,address)"), and the first four
    # bytes of Web3.keccak(text="root_at(uint64)").
    assert bytes(Web3.keccak(text="Anchored(uint64,bytes32,address)")) == ANCHORED_TOPIC
    assert ANCHORED_TOPIC == LEDGER_ANCHORED_TOPIC
    assert bytes(Web3.keccak(text="root_at(uint64)"))[:4] == ROOT_AT_SELECTOR
    abi = {item.get("name") for item in load_artifact("Anchor").abi}
    assert {"Anchored", "root_at"} <= abi


def test_the_anchor_json_is_the_ledgers_receipt_json() -> None:
    receipt = AnchorReceipt(
        31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", "0x" + "ab" * 32, 7, 13, b"\x01" * 32
    )
    anchor = Anchor.from_json(receipt.to_json())
    assert anchor.to_json() == receipt.to_json()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("chain_id", "31337"),
        ("block_number", -1),
        ("tree_size", True),
        ("contract", "0x1234"),
        ("tx_hash", "ab" * 32),
        ("root", "0x" + "zz" * 32),
    ],
)
def test_a_malformed_anchor_is_a_format_error(field: str, value: object) -> None:
    good = AnchorReceipt(
        31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", "0x" + "ab" * 32, 7, 13, b"\x01" * 32
    ).to_json()
    with pytest.raises(BundleFormatError):
        Anchor.from_json({**good, field: value})


def test_an_unreachable_node_is_an_rpc_error() -> None:
    with pytest.raises(RpcError):
        RpcClient("http://127.0.0.1:9", timeout=1).chain_id()
    with pytest.raises(RpcError, match="HTTP"):
        RpcClient("file:///etc/passwd")
