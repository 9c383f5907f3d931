"""Checking anchors on an EVM chain over JSON-RPC, with the standard library only.

An auditor needs no web3 stack: a handful of JSON-RPC calls (eth_chainId,
eth_getTransactionReceipt, eth_getBlockByNumber, eth_getLogs, eth_call) settle whether an
anchor is on chain. The Anchor contract's ABI facts used here (ledger/contracts/Anchor.vy):

    event Anchored(uint64 indexed tree_size, bytes32 root, address indexed anchorer)
        topics = [ANCHORED_TOPIC, tree_size as a 32-byte word, anchorer as a 32-byte word]
        data   = root (32 bytes)
    root_at(uint64) -> bytes32      calldata = ROOT_AT_SELECTOR || tree_size as a 32-byte word

The two constants are Keccak-256 values (not in hashlib), written out here and checked against
web3's Keccak in tests/audit/test_rpc.py:

    ANCHORED_TOPIC   = keccak256("Anchored(uint64,bytes32,address)")
    ROOT_AT_SELECTOR = keccak256("root_at(uint64)")[:4]

Anchor JSON (the `anchor` object of a bundle, ledger.chain.AnchorReceipt.to_json):
{"chain_id": int, "contract": 0x + 40 hex, "tx_hash": 0x + 64 hex, "block_number": int,
"tree_size": int, "root": 0x + 64 hex}.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audit.errors import BundleFormatError, RpcError

__all__ = [
    "ANCHORED_TOPIC",
    "ROOT_AT_SELECTOR",
    "Anchor",
    "ChainAnchor",
    "RpcClient",
    "anchor_problems",
]

ANCHORED_TOPIC = bytes.fromhex("70878238987665fce2e1dd4700d75f27ab37f288b340423549c1cf3998e05500")
ROOT_AT_SELECTOR = bytes.fromhex("757f33f3")
ANCHOR_FIELDS = ("chain_id", "contract", "tx_hash", "block_number", "tree_size", "root")

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


def _word(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def _int_field(data: Mapping[str, Any], name: str) -> int:
    value = data[name]
    if type(value) is not int or value < 0:
        raise BundleFormatError(f"anchor.{name} must be a non-negative integer")
    return value


def _str_field(data: Mapping[str, Any], name: str, pattern: re.Pattern[str]) -> str:
    value = data[name]
    if not isinstance(value, str) or not pattern.match(value):
        raise BundleFormatError(f"anchor.{name} is not 0x-hex of the right length")
    return value


@dataclass(frozen=True)
class Anchor:
    """Where a checkpoint head (tree_size, root) was anchored."""

    chain_id: int
    contract: str
    tx_hash: str
    block_number: int
    tree_size: int
    root: bytes

    @classmethod
    def from_json(cls, data: object) -> Anchor:
        """Parse the bundle form strictly: exactly the six fields, with their types."""
        if not isinstance(data, Mapping) or set(data) != set(ANCHOR_FIELDS):
            raise BundleFormatError(f"anchor must be an object with fields {ANCHOR_FIELDS}")
        return cls(
            chain_id=_int_field(data, "chain_id"),
            contract=_str_field(data, "contract", _ADDRESS),
            tx_hash=_str_field(data, "tx_hash", _HASH),
            block_number=_int_field(data, "block_number"),
            tree_size=_int_field(data, "tree_size"),
            root=bytes.fromhex(_str_field(data, "root", _HASH)[2:]),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "contract": self.contract,
            "tx_hash": self.tx_hash,
            "block_number": self.block_number,
            "tree_size": self.tree_size,
            "root": "0x" + self.root.hex(),
        }


@dataclass(frozen=True)
class ChainAnchor:
    """An Anchored event as found on chain."""

    tree_size: int
    root: bytes
    tx_hash: str
    block_number: int
    anchorer: str


class RpcClient:
    """A minimal JSON-RPC client over HTTP(S). Raises RpcError when it cannot get an answer."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise RpcError(f"not an HTTP(S) JSON-RPC URL: {url!r}")
        self.url = url
        self.timeout = timeout
        self._chain_id: int | None = None
        self._ids = 0

    def call(self, method: str, *params: Any) -> Any:
        self._ids += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._ids, "method": method, "params": params})
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            self.url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read())
        except (OSError, ValueError) as exc:
            raise RpcError(f"{method} to {self.url} failed: {exc}") from None
        if not isinstance(answer, dict):
            raise RpcError(f"{method}: not a JSON-RPC answer")
        if "error" in answer:
            raise RpcError(f"{method}: {answer['error']}")
        return answer.get("result")

    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.call("eth_chainId"), 16)
        return self._chain_id

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        result = self.call("eth_getTransactionReceipt", tx_hash)
        return result if isinstance(result, dict) else None

    def block_hash(self, number: int) -> str | None:
        block = self.call("eth_getBlockByNumber", hex(number), False)
        return str(block["hash"]).lower() if isinstance(block, dict) else None

    def root_at(self, contract: str, tree_size: int) -> bytes:
        data = "0x" + ROOT_AT_SELECTOR.hex() + tree_size.to_bytes(32, "big").hex()
        result = self.call("eth_call", {"to": contract, "data": data}, "latest")
        return bytes.fromhex(str(result).removeprefix("0x"))[:32]

    def anchored(self, contract: str, from_block: int = 0) -> list[ChainAnchor]:
        """Every Anchored event the contract emitted from `from_block` on, in chain order."""
        logs = self.call(
            "eth_getLogs",
            {
                "address": contract,
                "topics": ["0x" + ANCHORED_TOPIC.hex()],
                "fromBlock": hex(from_block),
                "toBlock": "latest",
            },
        )
        found = []
        for log in logs or []:
            topics = log.get("topics", [])
            if len(topics) != 3:
                continue
            found.append(
                ChainAnchor(
                    tree_size=int(topics[1], 16),
                    root=bytes.fromhex(str(log["data"]).removeprefix("0x"))[:32],
                    tx_hash=str(log["transactionHash"]).lower(),
                    block_number=int(log["blockNumber"], 16),
                    anchorer="0x" + str(topics[2])[-40:],
                )
            )
        return found


def anchor_problems(client: RpcClient, anchor: Anchor) -> list[str]:
    """What is wrong with `anchor` on the chain behind `client` (empty: it holds).

    Checks: the chain id; the transaction's receipt exists, succeeded and sits in the recorded
    block, which is the chain's block at that height; the receipt carries an Anchored event
    from the contract with the anchor's size and root; the contract's state still maps the
    size to the root. Raises RpcError when the node cannot be asked.
    """
    chain_id = client.chain_id()
    if chain_id != anchor.chain_id:
        return [f"the node serves chain {chain_id}, the anchor is on chain {anchor.chain_id}"]
    receipt = client.receipt(anchor.tx_hash)
    if receipt is None:
        return ["the anchor transaction is not on the chain"]
    problems = []
    if int(str(receipt.get("status", "0x0")), 16) != 1:
        problems.append("the anchor transaction reverted")
    block = int(str(receipt["blockNumber"]), 16)
    if block != anchor.block_number:
        problems.append(f"the transaction is in block {block}, not block {anchor.block_number}")
    elif client.block_hash(block) != str(receipt["blockHash"]).lower():
        problems.append(f"block {block} of the chain is not the block holding the transaction")
    contract = anchor.contract.lower()
    events = [
        log
        for log in receipt.get("logs", [])
        if str(log.get("address", "")).lower() == contract
        and log.get("topics")
        and str(log["topics"][0]).lower() == "0x" + ANCHORED_TOPIC.hex()
    ]
    if not events:
        problems.append(f"the transaction carries no Anchored event from {anchor.contract}")
    else:
        topics = events[0]["topics"]
        size = int(topics[1], 16) if len(topics) > 1 else -1
        root = bytes.fromhex(str(events[0]["data"]).removeprefix("0x"))[:32]
        if (size, root) != (anchor.tree_size, anchor.root):
            problems.append(
                f"its Anchored event holds tree size {size} and root 0x{root.hex()}, "
                f"not {anchor.tree_size} and 0x{anchor.root.hex()}"
            )
    state_root = client.root_at(anchor.contract, anchor.tree_size)
    if state_root != anchor.root:
        problems.append(
            f"the contract maps tree size {anchor.tree_size} to 0x{state_root.hex()}, "
            f"not 0x{anchor.root.hex()}"
        )
    return problems
