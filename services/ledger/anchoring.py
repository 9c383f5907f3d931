"""Anchoring the newest checkpoint: settings wired to a concrete chain (ledger/chain.py).

On the chain the endpoint gives (ops/chain_endpoint.py: ANJIAN_CHAIN_RPC_URL or the embedded
anvil) the platform uses one Anchor contract, recorded in `ledger_deployments`
(ledger/anchors.py):

- ANJIAN_CHAIN_CONTRACT pins an operator-deployed contract, which must already allow-list
  the platform's anchorer; it is never redeployed.
- Otherwise the recorded contract is used while the chain still holds its code; the first
  time, or after the chain lost it (a reset dev node), the owner deploys a new one.

Owner of the contract: the key in ANJIAN_CHAIN_OWNER_KEY; without it, the dev chain's account 0
on the embedded node or on any chain with the dev chain id 31337; elsewhere none (then only a
pinned contract can be used). The owner allow-lists the anchorer and, where gas costs
something, keeps its balance topped up. The anchorer is the platform's own secp256k1 key
(Keystore.anchorer_account, keys/anchorer.secp256k1).

Then the recorded anchors the chain lost are submitted again (ledger.anchors.reanchor_lost),
the chain's newest anchor is checked to be a head of this log, and the newest checkpoint is
anchored if it is newer than the newest anchor. An unreachable chain is no error: the outcome
says why, and the checkpoints stay queued. A chain that contradicts the log, or refuses our
anchor, raises ChainConflict.

The chain stack (web3, eth-account) is imported here only inside the functions, so that the
commands that never anchor (status, proofs, offline audits) do not load it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ledger.anchors import reanchor_lost
from ops.chain_endpoint import chain_rpc
from ops.settings import Settings
from services.ledger.errors import ChainConflict, ChainUnreachable
from services.ledger.stores import Ledger

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

    from ledger.chain import AnchorChain, AnchorReceipt

__all__ = ["FUND_AMOUNT", "FUND_BELOW", "AnchorOutcome", "anchor_newest"]

FUND_BELOW = 10**18  # anchorer balance (wei) under which the owner tops it up...
FUND_AMOUNT = 10 * 10**18  # ...with this much, where gas is not free


@dataclass
class AnchorOutcome:
    """What one anchoring pass did (whatever it did before the chain went away stays done)."""

    anchor: AnchorReceipt | None = None  # the newest checkpoint, anchored now
    reanchored: int = 0  # recorded anchors the chain had lost, submitted again
    chain_error: str | None = None  # why the chain could not be used (checkpoints queue)


def anchor_newest(ledger: Ledger) -> AnchorOutcome:
    """Anchor the newest checkpoint (see the module docstring). Raises ChainConflict."""
    from ledger.chain import AnchorRejected, ChainError, ChainUnavailable, ContractMissing

    settings = ledger.settings
    outcome = AnchorOutcome()
    try:
        with chain_rpc(settings) as url:
            chain = _connect(ledger, url, embedded=not settings.chain_rpc_url)
            outcome.reanchored = reanchor_lost(ledger.anchors, chain)
            _check_head(ledger, chain)
            latest = ledger.checkpoints.latest()
            if latest is not None and latest.size > ledger.anchors.anchored_size():
                receipt = chain.anchor(latest.size, latest.root)
                ledger.anchors.add(receipt, latest.seq)
                outcome.anchor = receipt
    except (ChainUnavailable, ChainUnreachable) as exc:
        outcome.chain_error = str(exc)
    except (AnchorRejected, ContractMissing) as exc:
        raise ChainConflict(f"the chain refused the anchor: {exc}") from exc
    except ChainError as exc:
        raise ChainConflict(str(exc)) from exc
    return outcome


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


def _connect(ledger: Ledger, url: str, embedded: bool) -> AnchorChain:
    """The anchorer's client of the platform's contract: deployed, allow-listed, funded."""
    from web3 import Web3

    from ledger.chain import AnchorChain, ContractMissing

    settings = ledger.settings
    w3 = AnchorChain.http(url)
    anchorer = ledger.platform.keystore.anchorer_account()
    options: dict[str, Any] = {"confirmations": settings.confirmations}
    probe = AnchorChain(w3, "0x" + "00" * 20, anchorer, **options)
    chain_id = probe.chain_id
    owner = _owner(settings, chain_id, embedded)
    pinned = settings.chain_contract
    deployed = ledger.anchors.deployment(chain_id)
    if pinned and (deployed is None or deployed.contract.lower() != pinned.lower()):
        ledger.anchors.add_deployment(chain_id, Web3.to_checksum_address(pinned), 0, "operator")
        deployed = ledger.anchors.deployment(chain_id)
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
        ledger.anchors.add_deployment(chain_id, admin.address, admin.from_block, owner.address)
        chain = admin.as_account(anchorer)
    if owner is not None:
        if not chain.is_anchorer(anchorer.address):
            chain.as_account(owner).allow(anchorer.address)
        _fund(w3, owner, anchorer.address)
    return chain


def _check_head(ledger: Ledger, chain: AnchorChain) -> None:
    """The chain's newest anchor must be a head of this log."""
    size, root = chain.head()
    have = ledger.log.size()
    if size > have:
        raise ChainConflict(
            f"the chain's newest anchor covers {size} leaves, the log holds {have}: "
            "a forged anchor, or leaves lost from the log"
        )
    if size and ledger.log.root(size) != root:
        raise ChainConflict(
            f"the chain anchors root 0x{root.hex()} at size {size}, "
            f"the log's root there is 0x{ledger.log.root(size).hex()}"
        )
