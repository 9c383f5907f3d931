"""The contract test case of the chain port: every chain implementation must pass it.

Subclassed once per implementation (in-process py-evm; anvil over JSON-RPC) in
test_anchor_chain.py. Each test deploys a fresh Anchor contract, so tests are independent.
"""

from __future__ import annotations

import hashlib

import pytest
from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3 import Web3

from ledger.chain import (
    AnchorChain,
    AnchorConflict,
    AnchorMissing,
    AnchorReceipt,
    AnchorRejected,
    ChainError,
    ConfirmationTimeout,
    ContractMissing,
)
from ops.chain_node import dev_accounts

OWNER, ANCHORER, OUTSIDER = dev_accounts(3)


def root_of(label: str) -> bytes:
    """A stand-in Merkle root: SHA-256 of a label (any 32 non-zero bytes would do)."""
    return hashlib.sha256(label.encode()).digest()


class AnchorChainContract:
    """Behaviour every AnchorChain backend must show; subclasses provide `w3` and `mine`."""

    @pytest.fixture
    def w3(self) -> Web3:
        raise NotImplementedError

    def mine(self, w3: Web3, blocks: int) -> None:
        """Produce `blocks` empty blocks (both backends mine one block per transaction)."""
        raise NotImplementedError

    @pytest.fixture
    def admin(self, w3: Web3) -> AnchorChain:
        return AnchorChain.deploy(w3, OWNER)

    @pytest.fixture
    def anchorer(self, admin: AnchorChain) -> AnchorChain:
        admin.allow(ANCHORER.address)
        return admin.as_account(ANCHORER)

    def as_(self, chain: AnchorChain, account: LocalAccount) -> AnchorChain:
        return chain.as_account(account)

    # --------------------------------------------------------------- deployment

    def test_deployer_owns_a_contract_with_no_anchorer_and_an_empty_head(
        self, admin: AnchorChain
    ) -> None:
        assert admin.owner() == OWNER.address
        assert not admin.is_anchorer(OWNER.address)
        assert admin.head() == (0, bytes(32))
        assert admin.root_at(1) is None
        admin.ensure_contract()  # the deployed code is exactly the committed artifact

    def test_an_address_without_the_contract_is_reported_missing(self, w3: Web3) -> None:
        chain = AnchorChain(w3, OUTSIDER.address, ANCHORER)
        with pytest.raises(ContractMissing):
            chain.ensure_contract()

    # ------------------------------------------------------------ the allow-list

    def test_only_allow_listed_accounts_can_anchor(self, admin: AnchorChain) -> None:
        for account in (OUTSIDER, OWNER):  # the owner administers but does not anchor
            with pytest.raises(AnchorRejected, match="not an anchorer"):
                self.as_(admin, account).anchor(1, root_of("a"))
        assert admin.head() == (0, bytes(32))

    def test_only_the_owner_can_add_or_remove_anchorers(self, anchorer: AnchorChain) -> None:
        with pytest.raises(AnchorRejected, match="only the owner"):
            anchorer.allow(OUTSIDER.address)
        with pytest.raises(AnchorRejected, match="only the owner"):
            anchorer.disallow(ANCHORER.address)
        assert not anchorer.is_anchorer(OUTSIDER.address)
        assert anchorer.is_anchorer(ANCHORER.address)

    def test_a_removed_anchorer_can_no_longer_anchor(
        self, admin: AnchorChain, anchorer: AnchorChain
    ) -> None:
        anchorer.anchor(1, root_of("a"))
        admin.disallow(ANCHORER.address)
        assert not admin.is_anchorer(ANCHORER.address)
        with pytest.raises(AnchorRejected, match="not an anchorer"):
            anchorer.anchor(2, root_of("b"))

    def test_ownership_transfer_moves_the_admin_rights(self, admin: AnchorChain) -> None:
        admin.transfer_ownership(OUTSIDER.address)
        assert admin.owner() == OUTSIDER.address
        with pytest.raises(AnchorRejected, match="only the owner"):
            admin.allow(ANCHORER.address)
        self.as_(admin, OUTSIDER).allow(ANCHORER.address)
        assert admin.is_anchorer(ANCHORER.address)

    def test_admin_changes_emit_events(self, admin: AnchorChain) -> None:
        admin.allow(ANCHORER.address)
        admin.disallow(ANCHORER.address)
        events = admin.contract.events
        added = events.AnchorerAdded().get_logs(from_block=0)
        removed = events.AnchorerRemoved().get_logs(from_block=0)
        assert [e["args"]["account"] for e in added] == [ANCHORER.address]
        assert [e["args"]["account"] for e in removed] == [ANCHORER.address]

    def test_a_read_only_client_cannot_send(self, admin: AnchorChain) -> None:
        with pytest.raises(ChainError, match="read-only"):
            admin.as_account(None).anchor(1, root_of("a"))

    # ------------------------------------------------------------------ anchoring

    def test_anchor_records_the_head_and_the_root_by_size(self, anchorer: AnchorChain) -> None:
        first = anchorer.anchor(3, root_of("3"))
        second = anchorer.anchor(8, root_of("8"))
        assert anchorer.head() == (8, root_of("8"))
        assert anchorer.root_at(3) == root_of("3")
        assert anchorer.root_at(8) == root_of("8")
        assert anchorer.root_at(5) is None
        assert (first.tree_size, first.root, second.tree_size) == (3, root_of("3"), 8)
        assert second.block_number > first.block_number
        assert first.chain_id == anchorer.chain_id
        assert first.contract == anchorer.address

    def test_anchor_emits_anchored_with_size_root_and_anchorer(self, anchorer: AnchorChain) -> None:
        receipt = anchorer.anchor(5, root_of("5"))
        logs = anchorer.contract.events.Anchored().get_logs(from_block=0)
        assert [dict(log["args"]) for log in logs] == [
            {"tree_size": 5, "root": root_of("5"), "anchorer": ANCHORER.address}
        ]
        assert "0x" + bytes(logs[0]["transactionHash"]).hex() == receipt.tx_hash

    def test_tree_size_must_strictly_grow(self, anchorer: AnchorChain) -> None:
        anchorer.anchor(10, root_of("10"))
        with pytest.raises(AnchorRejected, match="tree size must grow"):
            anchorer.anchor(9, root_of("9"))
        assert anchorer.head() == (10, root_of("10"))

    def test_another_root_at_an_anchored_size_is_a_conflict(self, anchorer: AnchorChain) -> None:
        anchorer.anchor(10, root_of("10"))
        with pytest.raises(AnchorConflict) as caught:
            anchorer.anchor(10, root_of("forged"))
        assert caught.value.anchored == root_of("10")
        assert caught.value.expected == root_of("forged")

    def test_anchoring_the_same_head_again_returns_the_first_receipt(
        self, anchorer: AnchorChain
    ) -> None:
        first = anchorer.anchor(4, root_of("4"))
        assert anchorer.anchor(4, root_of("4")) == first

    def test_a_zero_root_is_refused(self, anchorer: AnchorChain) -> None:
        with pytest.raises(AnchorRejected, match="root cannot be zero"):
            anchorer.anchor(1, bytes(32))

    def test_malformed_heads_are_refused_before_sending(self, anchorer: AnchorChain) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            anchorer.anchor(1, b"short")
        with pytest.raises(ValueError, match="tree size"):
            anchorer.anchor(0, root_of("0"))
        with pytest.raises(ValueError, match="tree size"):
            anchorer.anchor(2**64, root_of("big"))

    def test_an_unsimulated_refused_anchor_fails_when_waited(
        self, w3: Web3, anchorer: AnchorChain
    ) -> None:
        anchorer.anchor(10, root_of("10"))
        tx_hash = anchorer.submit(7, root_of("7"), preflight=False)
        with pytest.raises(AnchorRejected, match="tree size must grow"):
            anchorer.wait(tx_hash, 7, root_of("7"))
        assert w3.eth.get_transaction_receipt(HexStr(tx_hash))["status"] == 0

    def test_pipelined_anchors_all_land_in_order(self, anchorer: AnchorChain) -> None:
        heads = [(size, root_of(str(size))) for size in range(1, 21)]
        sent = [anchorer.submit(size, root) for size, root in heads]
        receipts = [
            anchorer.wait(h, size, root) for h, (size, root) in zip(sent, heads, strict=True)
        ]
        assert [r.tree_size for r in receipts] == list(range(1, 21))
        assert anchorer.head() == heads[-1]

    def test_anchor_waits_for_k_confirmations(self, w3: Web3, anchorer: AnchorChain) -> None:
        patient = AnchorChain(w3, anchorer.address, ANCHORER, confirmations=3, timeout=0.05)
        tx_hash = patient.submit(1, root_of("1"))
        # The node mines only on demand, so no block lands on top of ours meanwhile.
        with pytest.raises(ConfirmationTimeout) as caught:
            patient.wait(tx_hash, 1, root_of("1"))
        assert (caught.value.tx_hash, caught.value.confirmations) == (tx_hash, 1)
        self.mine(w3, 2)
        receipt = patient.wait(tx_hash, 1, root_of("1"))
        assert w3.eth.block_number - receipt.block_number + 1 == 3

    def test_retrying_an_anchor_that_timed_out_returns_the_landed_one(
        self, w3: Web3, anchorer: AnchorChain
    ) -> None:
        patient = AnchorChain(w3, anchorer.address, ANCHORER, confirmations=2, timeout=0.05)
        with pytest.raises(ConfirmationTimeout) as caught:
            patient.anchor(1, root_of("1"))
        with pytest.raises(ConfirmationTimeout):  # landed, but still short of K
            patient.anchor(1, root_of("1"))
        self.mine(w3, 1)
        before = w3.eth.get_transaction_count(ANCHORER.address)
        receipt = patient.anchor(1, root_of("1"))  # the queue's retry of the same head
        assert receipt.tx_hash == caught.value.tx_hash
        assert w3.eth.get_transaction_count(ANCHORER.address) == before  # nothing new sent

    def test_gas_per_anchor_is_bounded_whatever_the_events_covered(
        self, w3: Web3, anchorer: AnchorChain
    ) -> None:
        receipts = [
            anchorer.anchor(1, root_of("1")),
            anchorer.anchor(2, root_of("2")),
            anchorer.anchor(2**40, root_of("2**40")),
            anchorer.anchor(2**64 - 1, root_of("max")),
        ]
        gas = [int(w3.eth.get_transaction_receipt(HexStr(r.tx_hash))["gasUsed"]) for r in receipts]
        assert max(gas) <= 80_000
        assert gas[1] == gas[2]  # a later anchor costs the same for 2 or 2**40 events

    # ------------------------------------------------------------- verification

    def test_find_anchor_locates_the_transaction_of_a_size(self, anchorer: AnchorChain) -> None:
        receipt = anchorer.anchor(6, root_of("6"))
        anchorer.anchor(9, root_of("9"))
        assert anchorer.find_anchor(6) == receipt
        assert anchorer.find_anchor(7) is None

    def test_verify_anchor_accepts_what_the_chain_holds(self, anchorer: AnchorChain) -> None:
        receipt = anchorer.anchor(6, root_of("6"))
        anchorer.verify_anchor(receipt)
        anchorer.as_account(None).verify_anchor(AnchorReceipt.from_json(receipt.to_json()))

    @pytest.mark.parametrize(
        "change",
        [
            {"root": "0x" + root_of("forged").hex()},
            {"tree_size": 7},
            {"block_number": 1},
            {"tx_hash": "0x" + "ab" * 32},
            {"chain_id": 1},
        ],
        ids=["root", "tree_size", "block_number", "tx_hash", "chain_id"],
    )
    def test_verify_anchor_rejects_an_altered_receipt(
        self, anchorer: AnchorChain, change: dict[str, object]
    ) -> None:
        receipt = anchorer.anchor(6, root_of("6"))
        altered = AnchorReceipt.from_json({**receipt.to_json(), **change})
        with pytest.raises(AnchorMissing):
            anchorer.verify_anchor(altered)

    def test_verify_anchor_rejects_an_anchor_of_another_contract(
        self, w3: Web3, anchorer: AnchorChain
    ) -> None:
        receipt = anchorer.anchor(6, root_of("6"))
        other = AnchorChain.deploy(w3, OWNER)
        with pytest.raises(AnchorMissing, match="bound to contract"):
            other.verify_anchor(receipt)
