"""The anchor record as carried in offline proof bundles."""

from __future__ import annotations

import pytest

from ledger.chain import AnchorReceipt

RECEIPT = AnchorReceipt(
    chain_id=31337,
    contract="0x5FbDB2315678afecb367f032d93F642f64180aa3",
    tx_hash="0x" + "ab" * 32,
    block_number=7,
    tree_size=1024,
    root=bytes(range(32)),
)


def test_receipt_json_round_trips_with_hex_root() -> None:
    data = RECEIPT.to_json()
    assert data["root"] == "0x" + bytes(range(32)).hex()
    assert AnchorReceipt.from_json(data) == RECEIPT


def test_receipt_json_accepts_a_lowercase_contract_address() -> None:
    data = {**RECEIPT.to_json(), "contract": RECEIPT.contract.lower()}
    assert AnchorReceipt.from_json(data) == RECEIPT


@pytest.mark.parametrize(
    "change",
    [
        {"root": "0x1234"},
        {"tx_hash": "0x12"},
        {"root": "not hex"},
        {"chain_id": None},
        {"contract": "0x1234"},
    ],
)
def test_malformed_receipt_json_is_refused(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        AnchorReceipt.from_json({**RECEIPT.to_json(), **change})


def test_receipt_json_without_a_field_is_refused() -> None:
    data = RECEIPT.to_json()
    del data["block_number"]
    with pytest.raises(ValueError, match="malformed anchor"):
        AnchorReceipt.from_json(data)
