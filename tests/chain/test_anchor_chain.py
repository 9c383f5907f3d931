"""The chain contract test case, run on each backend: in-process py-evm and anvil over RPC."""

from __future__ import annotations

import pytest
from web3 import EthereumTesterProvider, Web3
from web3.types import Wei

from ledger.chain import AnchorChain
from tests.chain.anchor_chain_contract import ANCHORER, OUTSIDER, OWNER, AnchorChainContract


class TestAnchorChainInProcess(AnchorChainContract):
    """py-evm through eth-tester: reverts arrive as eth_tester's TransactionFailed."""

    @pytest.fixture
    def w3(self) -> Web3:
        w3 = Web3(EthereumTesterProvider())
        for account in (OWNER, ANCHORER, OUTSIDER):
            w3.eth.send_transaction(
                {"from": w3.eth.accounts[0], "to": account.address, "value": Wei(10**21)}
            )
        return w3

    def mine(self, w3: Web3, blocks: int) -> None:
        w3.provider.ethereum_tester.mine_blocks(blocks)  # type: ignore[attr-defined]


class TestAnchorChainOverRpc(AnchorChainContract):
    """anvil over HTTP JSON-RPC: reverts arrive as web3's ContractLogicError."""

    @pytest.fixture
    def w3(self, anvil_rpc: str) -> Web3:
        return AnchorChain.http(anvil_rpc)

    def mine(self, w3: Web3, blocks: int) -> None:
        w3.provider.make_request("anvil_mine", [hex(blocks)])  # type: ignore[arg-type]
