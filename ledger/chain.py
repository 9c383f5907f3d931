"""Anchoring checkpoint heads on an EVM chain through the Anchor contract (web3 8).

The same code runs against an in-process py-evm (`Web3(EthereumTesterProvider())`, tests)
and a node over JSON-RPC (`AnchorChain.connect(url, ...)`: the embedded anvil, Hyperledger
Besu in production). Transactions are legacy (type 0) with the node's gas price, signed
locally with an eth-account key, so they work on chains without EIP-1559 and on Besu's
zero-gas-price networks. One `AnchorChain` is one signer on one contract; it keeps the
signer's nonce locally so transactions can be pipelined. Not thread-safe.

Anchored log layout (the contract's `Anchored(uint64 indexed tree_size, bytes32 root,
address indexed anchorer)`): topics = [keccak256("Anchored(uint64,bytes32,address)"),
tree_size as a 32-byte big-endian word, anchorer left-padded to 32 bytes]; data = root
(32 bytes).

`AnchorReceipt.to_json()` layout (the `anchor` object of an offline proof bundle):
{"chain_id": int, "contract": EIP-55 address, "tx_hash": 0x + 64 hex, "block_number": int,
"tree_size": int, "root": 0x + 64 hex}.

Errors (queue-friendly: the caller keeps a checkpoint queued on ChainUnavailable)::

    LedgerError (ledger.errors)
    └── ChainError
        ├── ChainUnavailable        node unreachable or timed out: queue, retry later
        │   └── ConfirmationTimeout sent, not confirmed in time (carries tx_hash); anchor()
        │                           may be called again for the same head: it is idempotent
        ├── AnchorRejected          the contract reverted (not an anchorer, size does not
        │   │                       grow, not the owner...): retrying the same call fails
        │   └── AnchorConflict      another root is already anchored at this tree size
        ├── ContractMissing         no Anchor contract at the address (a reset dev chain)
        └── AnchorMissing           verify_anchor: the chain does not (any more) hold it
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import requests
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress, HexStr
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import (
    ContractLogicError,
    ProviderConnectionError,
    TimeExhausted,
    TransactionNotFound,
    Web3Exception,
)
from web3.providers.rpc.utils import ExceptionRetryConfiguration
from web3.types import Nonce, TxParams, TxReceipt, Wei

from ledger.contracts import ContractArtifact, load_artifact
from ledger.errors import LedgerError

__all__ = [
    "ANCHORED_TOPIC",
    "ANCHOR_GAS_LIMIT",
    "AnchorChain",
    "AnchorConflict",
    "AnchorMissing",
    "AnchorReceipt",
    "AnchorRejected",
    "ChainError",
    "ChainUnavailable",
    "ConfirmationTimeout",
    "ContractMissing",
]

ANCHORED_TOPIC = bytes(Web3.keccak(text="Anchored(uint64,bytes32,address)"))
# anchor(uint64,bytes32) calldata, built by hand on the hot path (web3's encoder costs ~1 ms):
# selector ‖ tree_size as a 32-byte big-endian word ‖ root.
_ANCHOR_SELECTOR = bytes(Web3.keccak(text="anchor(uint64,bytes32)"))[:4]
_ZERO_ROOT = bytes(32)
# Gas limit of an anchor sent without simulation: the contract uses about 70k for the first
# anchor and 53k after it, whatever the number of events covered (bench/anchor.py).
ANCHOR_GAS_LIMIT = 100_000
_T = TypeVar("_T")


def _revert_errors() -> tuple[type[BaseException], ...]:
    """Revert exceptions: web3's over RPC, eth-tester's in process (a test-only package)."""
    errors: list[type[BaseException]] = [ContractLogicError]
    try:
        from eth_tester.exceptions import TransactionFailed

        errors.append(TransactionFailed)
    except ImportError:  # production installs have no eth-tester
        pass
    return tuple(errors)


_REVERTS = _revert_errors()
_UNREACHABLE = (OSError, ProviderConnectionError, TimeExhausted)  # requests errors are OSErrors


class ChainError(LedgerError):
    """Base class of the chain adapter's errors (a LedgerError, like all of the ledger's)."""


class ChainUnavailable(ChainError):
    """The node could not be reached or did not answer in time; retry later."""


class ConfirmationTimeout(ChainUnavailable):
    """A transaction was sent but had not reached the wanted confirmations in time."""

    def __init__(self, tx_hash: str, confirmations: int, wanted: int) -> None:
        super().__init__(f"transaction {tx_hash} has {confirmations} of {wanted} confirmations")
        self.tx_hash = tx_hash
        self.confirmations = confirmations
        self.wanted = wanted


class AnchorRejected(ChainError):
    """The contract refused the call; `reason` is the revert message when the node gave one."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AnchorConflict(AnchorRejected):
    """The chain already holds a different root for this tree size: a forked history."""

    def __init__(self, tree_size: int, expected: bytes, anchored: bytes) -> None:
        super().__init__(
            f"tree size {tree_size} is anchored with root 0x{anchored.hex()}, "
            f"not 0x{expected.hex()}"
        )
        self.tree_size = tree_size
        self.expected = expected
        self.anchored = anchored


class ContractMissing(ChainError):
    """There is no Anchor contract at the address on this chain."""


class AnchorMissing(ChainError):
    """The chain does not (or no longer) hold the anchor a receipt describes."""

    def __init__(self, receipt: AnchorReceipt, reason: str) -> None:
        super().__init__(f"anchor of tree size {receipt.tree_size} ({receipt.tx_hash}): {reason}")
        self.receipt = receipt
        self.reason = reason


@dataclass(frozen=True)
class AnchorReceipt:
    """Where a head (tree_size, root) was anchored: enough for anyone to look it up again."""

    chain_id: int
    contract: str
    tx_hash: str
    block_number: int
    tree_size: int
    root: bytes

    def to_json(self) -> dict[str, int | str]:
        return {
            "chain_id": self.chain_id,
            "contract": self.contract,
            "tx_hash": self.tx_hash,
            "block_number": self.block_number,
            "tree_size": self.tree_size,
            "root": "0x" + self.root.hex(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AnchorReceipt:
        """Parse the bundle form; raises ValueError on a malformed field."""
        try:
            root = bytes.fromhex(str(data["root"]).removeprefix("0x"))
            tx_hash = str(data["tx_hash"]).lower()
            receipt = cls(
                chain_id=int(data["chain_id"]),
                contract=Web3.to_checksum_address(str(data["contract"])),
                tx_hash=tx_hash,
                block_number=int(data["block_number"]),
                tree_size=int(data["tree_size"]),
                root=root,
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"malformed anchor: {exc!r}") from None
        if len(root) != 32 or len(bytes.fromhex(tx_hash.removeprefix("0x"))) != 32:
            raise ValueError("malformed anchor: root and tx_hash must be 32 bytes")
        return receipt


@contextmanager
def _translated() -> Iterator[None]:
    """Map web3 / transport / eth-tester exceptions onto the ChainError tree."""
    try:
        yield
    except ChainError:
        raise
    except _REVERTS as exc:
        raise AnchorRejected(_revert_reason(exc)) from exc
    except _UNREACHABLE as exc:
        raise ChainUnavailable(f"chain node unreachable: {exc}") from exc
    except Web3Exception as exc:
        raise ChainError(f"{type(exc).__name__}: {exc}") from exc


def _revert_reason(exc: BaseException) -> str:
    message = getattr(exc, "message", None) or (str(exc.args[0]) if exc.args else str(exc))
    return str(message).removeprefix("execution reverted: ")


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


class AnchorChain:
    """The Anchor contract at `address`, read through `w3` and written by `account`.

    `account` may be None for a read-only client (an auditor verifying anchors).
    `confirmations` is K: a transaction counts once its block has K-1 blocks on top.
    `poll_latency` is the receipt polling period (about 1 ms suits a local node; a
    consortium chain with 2 s blocks is fine with 0.2 s). `timeout` bounds each wait.
    """

    def __init__(
        self,
        w3: Web3,
        address: str,
        account: LocalAccount | None = None,
        *,
        confirmations: int = 1,
        poll_latency: float = 0.001,
        timeout: float = 60.0,
        from_block: int = 0,
        artifact: ContractArtifact | None = None,
    ) -> None:
        if confirmations < 1:
            raise ValueError("confirmations must be at least 1")
        self.w3 = w3
        self.artifact = artifact or load_artifact("Anchor")
        self.address: ChecksumAddress = Web3.to_checksum_address(address)
        self.account = account
        self.confirmations = confirmations
        self.poll_latency = poll_latency
        self.timeout = timeout
        self.from_block = from_block
        self.contract: Contract = w3.eth.contract(address=self.address, abi=self.artifact.abi)
        self._chain_id: int | None = None
        self._nonce: int | None = None
        self._gas_price_cache: tuple[int, float] | None = None

    # ----------------------------------------------------------------- construction

    @staticmethod
    def http(url: str, *, request_timeout: float = 10.0, retries: int = 2) -> Web3:
        """A Web3 over HTTP JSON-RPC that fails fast when the node is down (few retries).

        The default "validation" middleware is removed: it asks the node for its chain id
        before every call (our transactions are signed with the chain id, so the node checks
        it anyway) and it rejects blocks whose extraData exceeds 32 bytes, as Besu QBFT
        blocks do. ENS resolution is removed too: addresses here are always hex.
        """
        provider = Web3.HTTPProvider(
            url,
            request_kwargs={"timeout": request_timeout},
            exception_retry_configuration=ExceptionRetryConfiguration(
                errors=(ConnectionError, requests.HTTPError, requests.Timeout),
                retries=retries,
                backoff_factor=0.05,
            ),
        )
        w3 = Web3(provider)
        w3.middleware_onion.remove("validation")
        w3.middleware_onion.remove("ens_name_to_address")
        return w3

    @classmethod
    def connect(
        cls, url: str, address: str, account: LocalAccount | None = None, **options: Any
    ) -> AnchorChain:
        """Bind to a deployed contract on the node at `url` (nothing is sent yet)."""
        return cls(cls.http(url), address, account, **options)

    @classmethod
    def deploy(
        cls,
        w3: Web3,
        owner: LocalAccount,
        *,
        artifact: ContractArtifact | None = None,
        **options: Any,
    ) -> AnchorChain:
        """Deploy a new Anchor contract owned by `owner`; the result signs as the owner."""
        artifact = artifact or load_artifact("Anchor")
        chain = cls(w3, "0x" + "00" * 20, owner, artifact=artifact, **options)
        tx_hash = chain._send(None, HexStr(_hex(artifact.bytecode)))
        receipt = chain._wait_receipt(tx_hash)
        if receipt["status"] != 1 or receipt["contractAddress"] is None:
            raise AnchorRejected(f"deployment {tx_hash} failed")
        options.setdefault("from_block", int(receipt["blockNumber"]))
        return cls(w3, receipt["contractAddress"], owner, artifact=artifact, **options)

    def as_account(self, account: LocalAccount | None) -> AnchorChain:
        """The same contract and settings, signed by another account."""
        return AnchorChain(
            self.w3,
            self.address,
            account,
            confirmations=self.confirmations,
            poll_latency=self.poll_latency,
            timeout=self.timeout,
            from_block=self.from_block,
            artifact=self.artifact,
        )

    # ----------------------------------------------------------------------- reads

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            with _translated():
                self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    def _call(self, fn: Callable[[], _T]) -> _T:
        with _translated():
            return fn()

    def ensure_contract(self) -> None:
        """Raise ContractMissing unless the address holds exactly the artifact's code."""
        code = self._call(lambda: bytes(self.w3.eth.get_code(self.address)))
        if not code:
            raise ContractMissing(f"no contract at {self.address} on chain {self.chain_id}")
        if code != self.artifact.bytecode_runtime:
            raise ContractMissing(f"the code at {self.address} is not the Anchor artifact")

    def head(self) -> tuple[int, bytes]:
        """The latest anchored (tree_size, root); (0, 32 zero bytes) before any anchor."""
        size, root = self._call(lambda: self.contract.functions.head().call())
        return int(size), bytes(root)

    def root_at(self, tree_size: int) -> bytes | None:
        """The root anchored at exactly `tree_size`, or None if that size was never anchored."""
        root = bytes(self._call(lambda: self.contract.functions.root_at(tree_size).call()))
        return None if root == _ZERO_ROOT else root

    def owner(self) -> str:
        return str(self._call(lambda: self.contract.functions.owner().call()))

    def is_anchorer(self, account: str) -> bool:
        address = Web3.to_checksum_address(account)
        return bool(self._call(lambda: self.contract.functions.is_anchorer(address).call()))

    def find_anchor(self, tree_size: int) -> AnchorReceipt | None:
        """Look up, from the Anchored logs, the transaction that anchored `tree_size`."""
        # Topics as 0x-hex text: eth-tester silently matches nothing for HexBytes topics.
        size_topic = HexStr(_hex(tree_size.to_bytes(32, "big")))
        logs = self._call(
            lambda: self.w3.eth.get_logs(
                {
                    "address": self.address,
                    "topics": [HexStr(_hex(ANCHORED_TOPIC)), size_topic],
                    "fromBlock": self.from_block,
                    "toBlock": "latest",
                }
            )
        )
        for log in logs:
            return AnchorReceipt(
                chain_id=self.chain_id,
                contract=self.address,
                tx_hash=_hex(bytes(log["transactionHash"])),
                block_number=int(log["blockNumber"]),
                tree_size=tree_size,
                root=bytes(log["data"])[:32],
            )
        return None

    # ---------------------------------------------------------------------- writes

    def allow(self, account: str) -> None:
        """Owner only: add `account` to the anchorers (no transaction if it already is one)."""
        address = Web3.to_checksum_address(account)
        if self.is_anchorer(address):
            return
        self._transact_and_wait(self.contract.encode_abi("add_anchorer", args=[address]))

    def disallow(self, account: str) -> None:
        """Owner only: remove `account` from the anchorers (no transaction if it is not one)."""
        address = Web3.to_checksum_address(account)
        if not self.is_anchorer(address):
            return
        self._transact_and_wait(self.contract.encode_abi("remove_anchorer", args=[address]))

    def transfer_ownership(self, new_owner: str) -> None:
        """Owner only: hand the allow-list to `new_owner`."""
        address = Web3.to_checksum_address(new_owner)
        self._transact_and_wait(self.contract.encode_abi("transfer_ownership", args=[address]))

    def anchor(self, tree_size: int, root: bytes) -> AnchorReceipt:
        """Anchor the head (tree_size, root) and wait for K confirmations.

        Idempotent: if this exact head is already on chain (an earlier attempt that timed
        out did land), its existing receipt is returned and nothing is sent. Raises
        AnchorConflict if another root holds this size, AnchorRejected if the size does not
        grow or the signer is not an anchorer, ChainUnavailable (and ConfirmationTimeout)
        when the node cannot be reached in time.
        """
        # Sequential use re-reads the nonce (one RPC): a node restored from an older state
        # (a crash between two state dumps) would otherwise hold our next nonce forever.
        self._nonce = None
        try:
            tx_hash = self.submit(tree_size, root)
        except AnchorRejected:
            existing = self._existing_anchor(tree_size, root)
            if existing is None:
                raise
            return existing
        return self.wait(tx_hash, tree_size, root)

    def submit(self, tree_size: int, root: bytes, *, preflight: bool = True) -> str:
        """Send the anchor transaction without waiting (pipelining); returns its hash.

        Successive submits number their transactions from a locally kept nonce, so a burst
        costs no nonce look-ups; `anchor` and any failed `wait` re-read it from the node.

        With `preflight` the call is first simulated (eth_estimateGas), so a revert is raised
        here as AnchorRejected and no failing transaction is sent. Without it (one RPC less)
        the gas limit is ANCHOR_GAS_LIMIT and a refusal shows up in `wait` instead.
        """
        if len(root) != 32:
            raise ValueError(f"a root has 32 bytes, got {len(root)}")
        if not 0 < tree_size < 2**64:
            raise ValueError(f"tree size {tree_size} is outside 1..2**64-1")
        data = _ANCHOR_SELECTOR + tree_size.to_bytes(32, "big") + root
        gas = None if preflight else ANCHOR_GAS_LIMIT
        return self._send(self.address, HexStr(_hex(data)), gas=gas)

    def wait(self, tx_hash: str, tree_size: int, root: bytes) -> AnchorReceipt:
        """Wait for K confirmations of an anchor transaction sent by `submit`."""
        receipt = self._wait_receipt(tx_hash)
        if receipt["status"] != 1:
            # Lost a race (e.g. a retried head landed meanwhile): the same head already on
            # chain is success; anything else is the contract refusing this head.
            existing = self._existing_anchor(tree_size, root)
            if existing is not None:
                return existing
            raise AnchorRejected(f"transaction {tx_hash} reverted: {self._why_rejected(tree_size)}")
        anchored = self._anchored_log(receipt)
        if anchored is None:
            raise ContractMissing(
                f"transaction {tx_hash} to {self.address} emitted no Anchored event: "
                "the contract is not there (a reset chain?)"
            )
        size, logged_root = anchored
        if size != tree_size or logged_root != root:
            raise ChainError(f"transaction {tx_hash} anchored ({size}, 0x{logged_root.hex()})")
        return AnchorReceipt(
            chain_id=self.chain_id,
            contract=self.address,
            tx_hash=tx_hash,
            block_number=int(receipt["blockNumber"]),
            tree_size=tree_size,
            root=root,
        )

    # ---------------------------------------------------------------- verification

    def verify_anchor(self, receipt: AnchorReceipt, *, check_code: bool = True) -> None:
        """Check that the chain still holds `receipt`'s anchor; raise AnchorMissing if not.

        Checks: same chain id; the Anchor artifact's code at the contract (check_code);
        the transaction's receipt exists, succeeded, is in the recorded block and carries
        an Anchored log from the contract with the same size and root; the contract's
        state maps the size to the same root. ChainUnavailable means "could not check".
        """
        if self.chain_id != receipt.chain_id:
            raise AnchorMissing(receipt, f"connected to chain {self.chain_id}")
        if Web3.to_checksum_address(receipt.contract) != self.address:
            raise AnchorMissing(receipt, f"the client is bound to contract {self.address}")
        if check_code:
            try:
                self.ensure_contract()
            except ContractMissing as exc:
                raise AnchorMissing(receipt, str(exc)) from None
        try:
            tx_receipt = self._call(
                lambda: self.w3.eth.get_transaction_receipt(HexStr(receipt.tx_hash))
            )
        except ChainError as exc:
            if isinstance(exc.__cause__, TransactionNotFound):
                raise AnchorMissing(receipt, "transaction not found on chain") from None
            raise
        if tx_receipt["status"] != 1:
            raise AnchorMissing(receipt, "transaction reverted")
        if int(tx_receipt["blockNumber"]) != receipt.block_number:
            raise AnchorMissing(
                receipt,
                f"transaction is in block {tx_receipt['blockNumber']}, not the recorded one",
            )
        anchored = self._anchored_log(tx_receipt)
        if anchored != (receipt.tree_size, receipt.root):
            raise AnchorMissing(receipt, f"transaction's Anchored event is {anchored}")
        if self.root_at(receipt.tree_size) != receipt.root:
            raise AnchorMissing(receipt, "contract state holds another root for this size")

    # -------------------------------------------------------------------- internals

    def _existing_anchor(self, tree_size: int, root: bytes) -> AnchorReceipt | None:
        """The receipt of (tree_size, root) once it has K confirmations, if already on chain.

        AnchorConflict when another root holds the size; ConfirmationTimeout when the earlier
        transaction has not yet got its K confirmations.
        """
        anchored = self.root_at(tree_size)
        if anchored is None:
            return None
        if anchored != root:
            raise AnchorConflict(tree_size, root, anchored)
        found = self.find_anchor(tree_size)
        if found is not None:
            self._wait_receipt(found.tx_hash)
        return found

    def _why_rejected(self, tree_size: int) -> str:
        if self.account is not None and not self.is_anchorer(self.account.address):
            return "not an anchorer"
        if self.head()[0] >= tree_size:
            return "tree size must grow"
        return "reverted"

    def _anchored_log(self, receipt: TxReceipt) -> tuple[int, bytes] | None:
        """(tree_size, root) of the receipt's Anchored log from this contract, if any."""
        for log in receipt["logs"]:
            topics = [bytes(t) for t in log["topics"]]
            if (
                Web3.to_checksum_address(log["address"]) == self.address
                and len(topics) == 3
                and topics[0] == ANCHORED_TOPIC
            ):
                return int.from_bytes(topics[1], "big"), bytes(log["data"])[:32]
        return None

    def _signer(self) -> LocalAccount:
        if self.account is None:
            raise ChainError("this client is read-only: it has no signing account")
        return self.account

    def _send(self, to: ChecksumAddress | None, data: HexStr, gas: int | None = None) -> str:
        """Simulate (unless `gas` is given), sign and send one legacy transaction.

        Returns the transaction hash as 0x-hex.
        """
        account = self._signer()
        tx: TxParams = {"from": account.address, "data": data, "value": Wei(0)}
        if to is not None:
            tx["to"] = to
        with _translated():
            if gas is None:
                estimate = self.w3.eth.estimate_gas(tx)  # a revert surfaces here, unsent
                gas = estimate + estimate // 5
            if self._nonce is None:
                self._nonce = self.w3.eth.get_transaction_count(account.address, "pending")
            tx.update(
                {
                    "gas": gas,
                    "gasPrice": Wei(self._gas_price()),
                    "nonce": Nonce(self._nonce),
                    "chainId": self.chain_id,
                }
            )
            del tx["from"]
            signed = account.sign_transaction(cast(dict[str, Any], tx))
            try:
                tx_hash = self.w3.eth.send_raw_transaction(signed.raw_transaction)
            except BaseException:
                self._nonce = None  # re-read from the node: the send may or may not have landed
                raise
        self._nonce += 1
        return _hex(bytes(tx_hash))

    def _gas_price(self) -> int:
        """The node's gas price, re-read at most once a second (one RPC less per anchor)."""
        now = time.monotonic()
        if self._gas_price_cache is None or now - self._gas_price_cache[1] > 1.0:
            self._gas_price_cache = (int(self.w3.eth.gas_price), now)
        return self._gas_price_cache[0]

    def _transact_and_wait(self, data: HexStr) -> None:
        self._nonce = None  # see anchor()
        tx_hash = self._send(self.address, data)
        receipt = self._wait_receipt(tx_hash)
        if receipt["status"] != 1:
            raise AnchorRejected(f"transaction {tx_hash} reverted")

    def _wait_receipt(self, tx_hash: str) -> TxReceipt:
        """Poll until the transaction has K confirmations (the receipt re-read after K>1).

        A failed wait forgets the local nonce: the transaction may never land.
        """
        try:
            return self._poll_receipt(tx_hash)
        except ChainError:
            self._nonce = None
            raise

    def _poll_receipt(self, tx_hash: str) -> TxReceipt:
        deadline = time.monotonic() + self.timeout
        seen = 0
        while True:
            with _translated():
                try:
                    receipt: TxReceipt | None = self.w3.eth.get_transaction_receipt(HexStr(tx_hash))
                except TransactionNotFound:
                    receipt = None
                if receipt is not None:
                    if self.confirmations == 1:
                        return receipt
                    seen = self.w3.eth.block_number - int(receipt["blockNumber"]) + 1
                    if seen >= self.confirmations:
                        # The block may have been replaced while we waited (a reorg).
                        try:
                            again = self.w3.eth.get_transaction_receipt(HexStr(tx_hash))
                        except TransactionNotFound:
                            seen = 0
                        else:
                            if again["blockHash"] == receipt["blockHash"]:
                                return again
                            seen = 0
            if time.monotonic() >= deadline:
                raise ConfirmationTimeout(tx_hash, seen, self.confirmations)
            time.sleep(self.poll_latency)
