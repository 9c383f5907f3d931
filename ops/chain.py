"""The chain of these settings, wired for the ledger service (its `Chain` port).

Which node: ANJIAN_CHAIN_RPC_URL (or an explicit URL) is used as it is. Without, the embedded
anvil (ops/chain_node.py): the one a long-running process keeps (`ResidentNode`: `anjian serve`,
`anjian worker ledger`), found by its URL in $ANJIAN_HOME/chain/node.url while it answers; else one
started from $ANJIAN_HOME/chain for the duration of the operation, under
$ANJIAN_HOME/chain/node.lock so that two commands never run two nodes on one state file, and
stopped again (its state is dumped on the clean stop).

Which contract: the platform uses one Anchor contract per chain, recorded in
`ledger_deployments` (ledger/anchors.py):

- ANJIAN_CHAIN_CONTRACT pins an operator-deployed contract, which must already allow-list
  the platform's anchorer; it is never redeployed.
- Otherwise the recorded contract is used while the chain still holds its code; the first
  time, or after the chain lost it (a reset dev node), the owner deploys a new one.

Owner of the contract: the key in ANJIAN_CHAIN_OWNER_KEY; without it, the dev chain's account 0
on the embedded node or on any chain with the dev chain id 31337; elsewhere none (then only a
pinned contract can be used). The owner allow-lists the anchorer and, where gas costs
something, keeps its balance topped up. The anchorer is the platform's own secp256k1 key
(Keystore.anchorer_account, anchorer.secp256k1 in the signing keys' directory).

The chain stack (web3, eth-account) is imported only inside the functions, so that the
commands that never anchor (status, proofs, offline audits) do not load it.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from ledger.anchors import AnchorStore
from ops.file_lock import locked
from ops.keystore import Keystore
from ops.settings import Settings
from services.ledger.errors import ChainConflict, ChainUnreachable

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

    from ledger.chain import AnchorChain
    from ops.chain_node import AnvilNode

__all__ = ["FUND_AMOUNT", "FUND_BELOW", "ResidentNode", "SettingsChain", "chain_rpc"]

FUND_BELOW = 10**18  # anchorer balance (wei) under which the owner tops it up...
FUND_AMOUNT = 10 * 10**18  # ...with this much, where gas is not free


class SettingsChain:
    """services.ledger.chain.Chain for these settings and the platform's keys."""

    def __init__(self, settings: Settings, keystore: Keystore) -> None:
        self.settings = settings
        self.keystore = keystore

    def describe(self) -> str:
        s = self.settings
        return s.chain_rpc_url or f"embedded anvil, state in {s.home / 'chain'}"

    def rpc(self, override: str | None = None) -> AbstractContextManager[str]:
        return chain_rpc(self.settings, override)

    @contextmanager
    def anchoring(self, anchors: AnchorStore) -> Iterator[AnchorChain]:
        with chain_rpc(self.settings) as url:
            yield _connect(
                self.settings, self.keystore, anchors, url, embedded=not self.settings.chain_rpc_url
            )


@contextmanager
def chain_rpc(settings: Settings, override: str | None = None) -> Iterator[str]:
    """The chain's JSON-RPC URL: `override`, ANJIAN_CHAIN_RPC_URL, or the embedded anvil,
    started from $ANJIAN_HOME/chain for the duration (ChainUnreachable if it cannot start)."""
    url = override or settings.chain_rpc_url or _resident_url(settings)
    if url:
        yield url
        return
    from ops.chain_node import AnvilNode, ChainNodeError

    chain_dir = settings.home / "chain"
    with locked(chain_dir / "node.lock"):
        try:
            node = AnvilNode(chain_dir)
            node.start()
        except ChainNodeError as exc:
            raise ChainUnreachable(f"the embedded chain node did not start: {exc}") from exc
        try:
            yield node.rpc_url
        finally:
            node.stop()


def _resident_url(settings: Settings) -> str | None:
    """The URL of the embedded node a long-running process keeps, while it answers."""
    from ops.chain_node import DEV_CHAIN_ID, rpc_chain_id

    try:
        url = (settings.home / "chain" / RESIDENT_URL).read_text().strip()
        return url if rpc_chain_id(url, 2.0) == DEV_CHAIN_ID else None
    except (OSError, ValueError):
        return None


RESIDENT_URL = "node.url"
RESIDENT_PID = "node.pid"


def _remember(chain_dir: Path, pid: int | None) -> None:
    if pid is not None:
        (chain_dir / RESIDENT_PID).write_text(f"{pid}\n")


def _end_orphan(pid_file: Path, timeout: float = 15.0) -> None:
    """Stop the anvil a killed server left running on this state file (we hold the node lock,
    so no live process owns it): two nodes must never write one state file."""
    try:
        pid = int(pid_file.read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"anvil" not in command:
        return
    os.kill(pid, signal.SIGTERM)  # anvil dumps its state on SIGTERM
    deadline = time.monotonic() + timeout
    while Path(f"/proc/{pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    if Path(f"/proc/{pid}").exists():
        os.kill(pid, signal.SIGKILL)


class ResidentNode:
    """The embedded anvil kept running for the life of a process (`anjian serve`): started
    under $ANJIAN_HOME/chain/node.lock (held until `stop`), restarted by its supervisor when it
    dies (same port, same state file), its URL in node.url for every command of this home.
    Nothing to do with ANJIAN_CHAIN_RPC_URL set: the chain is someone else's."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stack = ExitStack()
        self.node: AnvilNode | None = None

    def start(self) -> None:
        if self.settings.chain_rpc_url or self.node is not None:
            return
        from ops.chain_node import AnvilNode, ChainNodeError

        chain_dir = self.settings.home / "chain"
        chain_dir.mkdir(parents=True, exist_ok=True)
        self._stack.enter_context(locked(chain_dir / "node.lock"))
        try:
            _end_orphan(chain_dir / RESIDENT_PID)
            node = AnvilNode(chain_dir)
            node.start()
        except ChainNodeError as exc:
            self._stack.close()
            raise ChainUnreachable(f"the embedded chain node did not start: {exc}") from exc
        node.child.on_start = lambda child: _remember(chain_dir, child.pid)
        _remember(chain_dir, node.pid)
        node.child.watch()
        (chain_dir / RESIDENT_URL).write_text(node.rpc_url + "\n")
        self.node = node

    def stop(self) -> None:
        node, self.node = self.node, None
        if node is not None:
            (self.settings.home / "chain" / RESIDENT_URL).unlink(missing_ok=True)
            node.stop()
            (self.settings.home / "chain" / RESIDENT_PID).unlink(missing_ok=True)
        self._stack.close()


def _owner(settings: Settings, chain_id: int, embedded: bool) -> LocalAccount | None:
    from eth_account import Account

    from ops.chain_node import DEV_CHAIN_ID, dev_accounts

    key = settings.chain_owner_key.get_secret_value()
    if key:
        owner: LocalAccount = Account.from_key(key)
        return owner
    if embedded or chain_id == DEV_CHAIN_ID:
        return dev_accounts(1)[0]
    return None


def _fund(w3: Web3, owner: LocalAccount, to: str, timeout: float = 30.0) -> None:
    """Top up `to` from `owner` where gas costs something (a dev chain)."""
    from web3 import Web3
    from web3.types import Nonce, TxParams, Wei

    gas_price = int(w3.eth.gas_price)
    if gas_price == 0 or int(w3.eth.get_balance(Web3.to_checksum_address(to))) >= FUND_BELOW:
        return
    tx: TxParams = {
        "to": Web3.to_checksum_address(to),
        "value": Wei(FUND_AMOUNT),
        "gas": 21_000,
        "gasPrice": Wei(gas_price),
        "nonce": Nonce(w3.eth.get_transaction_count(owner.address, "pending")),
        "chainId": int(w3.eth.chain_id),
    }
    signed = owner.sign_transaction(cast(dict[str, Any], tx))
    w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction), timeout=timeout, poll_latency=0.005
    )


def _connect(
    settings: Settings, keystore: Keystore, anchors: AnchorStore, url: str, embedded: bool
) -> AnchorChain:
    """The anchorer's client of the platform's contract: deployed, allow-listed, funded."""
    from web3 import Web3

    from ledger.chain import AnchorChain, ContractMissing

    w3 = AnchorChain.http(url)
    anchorer = keystore.anchorer_account()
    options: dict[str, Any] = {"confirmations": settings.confirmations}
    probe = AnchorChain(w3, "0x" + "00" * 20, anchorer, **options)
    chain_id = probe.chain_id
    owner = _owner(settings, chain_id, embedded)
    pinned = settings.chain_contract
    deployed = anchors.deployment(chain_id)
    if pinned and (deployed is None or deployed.contract.lower() != pinned.lower()):
        anchors.add_deployment(chain_id, Web3.to_checksum_address(pinned), 0, "operator")
        deployed = anchors.deployment(chain_id)
    if deployed is not None:
        chain = AnchorChain(
            w3, deployed.contract, anchorer, from_block=deployed.block_number, **options
        )
        try:
            chain.ensure_contract()
        except ContractMissing:
            if pinned:
                raise
            deployed = None  # a reset chain: deploy again below
    if deployed is None:
        if owner is None:
            raise ChainConflict(
                f"no Anchor contract recorded for chain {chain_id}: set ANJIAN_CHAIN_OWNER_KEY "
                "to deploy one, or ANJIAN_CHAIN_CONTRACT to use an operator-deployed one"
            )
        admin = AnchorChain.deploy(w3, owner, **options)
        anchors.add_deployment(chain_id, admin.address, admin.from_block, owner.address)
        chain = admin.as_account(anchorer)
    if owner is not None:
        if not chain.is_anchorer(anchorer.address):
            chain.as_account(owner).allow(anchorer.address)
        _fund(w3, owner, anchorer.address)
    return chain
