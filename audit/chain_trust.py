"""What the chain binds: redeployed contracts, resubmitted anchors, dev chains, a pinned contract.

An anchor proves that a head (tree size, root) was on the chain by its block's time, and only
as far as the chain itself cannot be rewritten by whoever rewrites the log. This module states
where that does not hold, from the platform's deployment and anchor records and, given a chain
RPC, from the chain:

- `trust` failures (the chain does not bind part of the history):
  * the Anchor contract was deployed again on a chain (a chain reset): the history signed before
    the redeployment is anchored only since then;
  * anchors resubmitted after the chain lost them: each head is proven only since it was
    submitted again;
  * the contract was deployed more than `DEPLOY_GRACE` after the first checkpoint it anchors
    was signed (the deployment block's timestamp, or the recorded deployment time without a
    chain): that checkpoint is proven only since the deployment;
  * the block the auditor pinned (`ContractPin`, kept outside the data directory) is not on
    the chain, is not the chain's block at its height, or anchors a root the log no longer has.
- notes (statements, not failures):
  * a dev chain (chain id 31337, or a contract deployed by the dev chain's account 0, whose key
    is public): whoever holds the data directory can reset it and anchor another history at the
    same address and block, so its anchors do not bind the operator;
  * without a pinned block hash, nothing outside the data directory says which chain the
    anchors must be on: the note gives the newest anchor's block hash seen now, to pin.

What binds against a chain reset is a pinned block hash, best the block of an anchor the auditor
saw: a reset dev chain redeploys the contract at the same address (same deployer, same nonce)
in the same block number, and block hashes commit to every block before them, but on a chain
whose blocks the operator mints (a dev chain) even the deployment block can be reproduced to the
byte, timestamps included. An anchor block cannot: it holds the root the auditor saw, and a
rewritten log has another root at that size. A block number alone binds nothing.

Standard library only (an auditor runs it anywhere); it talks to the node through
`RpcClient.call`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from audit.errors import RpcError
from audit.findings import AuditReport
from audit.rpc import ANCHORED_TOPIC, RpcClient

__all__ = [
    "DEPLOY_GRACE",
    "DEV_CHAIN_ID",
    "DEV_OWNER",
    "ContractPin",
    "DeploymentRecord",
    "FirstAnchored",
    "Resubmission",
    "TrustFinding",
    "apply",
    "chain_trust",
]

DEV_CHAIN_ID = 31337  # anvil's and hardhat's default chain id
# Account 0 of the public test mnemonic ("test test ... junk"), the dev chains' deployer.
DEV_OWNER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
# How long after the first checkpoint it anchors a contract may be deployed: one sync signs
# the checkpoint and deploys right after it, in seconds; more means the checkpoint waited.
DEPLOY_GRACE = timedelta(minutes=5)

LogRoot = Callable[[int], bytes | None]  # the log's root at a tree size (None: beyond the log)
_PIN = re.compile(r"^(0x[0-9a-fA-F]{40})@(0x[0-9a-fA-F]{64}|[0-9]+)$")


@dataclass(frozen=True)
class ContractPin:
    """What an auditor keeps outside the data directory: the Anchor contract's address and a
    block of its chain, by hash (the deployment block, or better a block holding its anchors;
    binds) or a deployment block by number only (does not bind: see the module docstring)."""

    address: str
    block_hash: str | None = None
    block_number: int | None = None

    @classmethod
    def parse(cls, text: str) -> ContractPin:
        """`ADDRESS@0xBLOCKHASH` or `ADDRESS@BLOCKNUMBER`; ValueError otherwise."""
        m = _PIN.match(text.strip())
        if m is None:
            raise ValueError(
                f"{text!r} is not ADDRESS@0xBLOCKHASH (or ADDRESS@BLOCKNUMBER): 0x + 40 hex, "
                "then the deployment block's 0x + 64 hex hash or its number"
            )
        address, block = m.groups()
        if block.startswith("0x"):
            return cls(address, block_hash=block.lower())
        return cls(address, block_number=int(block))


@dataclass(frozen=True)
class DeploymentRecord:
    """A row of the platform's deployment records (ledger_deployments)."""

    chain_id: int
    contract: str
    block_number: int
    owner: str
    deployed_at: datetime
    live: bool


@dataclass(frozen=True)
class Resubmission:
    """A head anchored again after the chain lost it: first anchored in `first_tx` at
    `first_anchored_at`, found lost at `lost_at`, anchored again in `tx_hash` at
    `resubmitted_at` (all recorded by the platform)."""

    checkpoint_seq: int
    tree_size: int
    first_tx: str
    first_anchored_at: datetime
    lost_at: datetime | None
    tx_hash: str
    resubmitted_at: datetime


@dataclass(frozen=True)
class FirstAnchored:
    """The first checkpoint the live contract's anchors cover (the earliest signed of those no
    larger than its first anchor), and when it was signed."""

    checkpoint_seq: int
    tree_size: int
    signed_at: datetime


@dataclass(frozen=True)
class TrustFinding:
    """One statement about what the chain binds; `failure` ones make an audit fail."""

    failure: bool
    message: str
    tree_size: int | None = None
    tx_hash: str | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"failure": self.failure, "message": self.message}
        if self.tree_size is not None:
            out["tree_size"] = self.tree_size
        if self.tx_hash is not None:
            out["tx_hash"] = self.tx_hash
        return out


def chain_trust(
    deployments: Sequence[DeploymentRecord],
    resubmissions: Sequence[Resubmission],
    first: FirstAnchored | None,
    *,
    chain: RpcClient | None = None,
    pin: ContractPin | None = None,
    newest_anchor_block: int | None = None,
    log_root: LogRoot = lambda size: None,
) -> list[TrustFinding]:
    """What the chain binds and does not (see the module docstring), failures first."""
    out: list[TrustFinding] = []
    live = next((d for d in reversed(deployments) if d.live), None)
    out += _redeployments(deployments)
    out += [_resubmitted(r) for r in resubmissions]
    if live is not None:
        deployed_at, how = live.deployed_at, "recorded"
        if chain is not None:
            # Unreadable: the recorded time stands (the chain checks fail for the node).
            with contextlib.suppress(RpcError):
                deployed_at, how = _block_time(chain, live.block_number), "block timestamp"
        if first is not None and deployed_at > first.signed_at + DEPLOY_GRACE:
            out.append(
                TrustFinding(
                    True,
                    f"contract {live.contract} was deployed at {_iso(deployed_at)} ({how}, block "
                    f"{live.block_number}), after checkpoint #{first.checkpoint_seq} it anchors "
                    f"was signed at {_iso(first.signed_at)}: the chain proves that head only "
                    "since the deployment",
                    tree_size=first.tree_size,
                )
            )
    if pin is not None:
        out += _pinned(pin, live, chain, log_root)
    elif live is not None:
        out.append(TrustFinding(False, _unpinned(live, chain, newest_anchor_block)))
    if live is not None and (
        live.chain_id == DEV_CHAIN_ID or live.owner.lower() == DEV_OWNER.lower()
    ):
        out.append(TrustFinding(False, _dev_chain(live)))
    return sorted(out, key=lambda f: not f.failure)


def apply(report: AuditReport, findings: Sequence[TrustFinding]) -> None:
    """Failures as `trust` failures of `report`, statements as its notes."""
    for f in findings:
        if f.failure:
            report.fail("trust", f.message, tree_size=f.tree_size, tx_hash=f.tx_hash)
        else:
            report.notes.append(f.message)


def _redeployments(deployments: Sequence[DeploymentRecord]) -> list[TrustFinding]:
    out = []
    previous: dict[int, DeploymentRecord] = {}
    for after in deployments:
        before = previous.get(after.chain_id)
        previous[after.chain_id] = after
        if before is None:
            continue
        out.append(
            TrustFinding(
                True,
                f"the Anchor contract on chain {after.chain_id} was deployed again at "
                f"{_iso(after.deployed_at)} ({after.contract}, block {after.block_number}; "
                f"before: {before.contract}, block {before.block_number}): the chain was reset "
                f"or replaced, so it does not bind the history signed before "
                f"{_iso(after.deployed_at)}",
            )
        )
    return out


def _resubmitted(r: Resubmission) -> TrustFinding:
    lost = f", found lost at {_iso(r.lost_at)}" if r.lost_at is not None else ""
    return TrustFinding(
        True,
        f"the anchor of checkpoint #{r.checkpoint_seq} was resubmitted at "
        f"{_iso(r.resubmitted_at)} after the chain lost it (first anchored at "
        f"{_iso(r.first_anchored_at)} in {r.first_tx}{lost}): the chain proves this head only "
        "since it was resubmitted",
        tree_size=r.tree_size,
        tx_hash=r.tx_hash,
    )


def _pinned(
    pin: ContractPin, live: DeploymentRecord | None, chain: RpcClient | None, log_root: LogRoot
) -> list[TrustFinding]:
    fail: list[TrustFinding] = []
    if live is None:
        return [TrustFinding(True, f"you pinned contract {pin.address}; no deployment is recorded")]
    if live.contract.lower() != pin.address.lower():
        fail.append(
            TrustFinding(
                True,
                f"the platform anchors to contract {live.contract}, you pinned {pin.address}",
            )
        )
    if pin.block_number is not None:
        if live.block_number != pin.block_number:
            fail.append(
                TrustFinding(
                    True,
                    f"the contract is recorded as deployed in block {live.block_number}, "
                    f"you pinned block {pin.block_number}",
                )
            )
        return [
            *fail,
            TrustFinding(
                False,
                "a block number does not bind: a reset chain redeploys the contract at the same "
                "address in the same block; pin a block hash instead (--contract ADDRESS@0xHASH "
                "of a block holding its anchors)",
            ),
        ]
    if chain is None:
        return [
            *fail,
            TrustFinding(True, "the pinned block could not be checked: no chain to ask"),
        ]
    try:
        fail += _pinned_block(pin, live, chain, log_root)
    except RpcError as exc:
        fail.append(TrustFinding(True, f"the pinned block could not be checked: {exc}"))
    if not fail:
        fail.append(
            TrustFinding(
                False,
                f"binds: the pinned block {pin.block_hash} is on chain {live.chain_id} and what "
                f"it holds of contract {pin.address} agrees with the log",
            )
        )
    return fail


def _pinned_block(
    pin: ContractPin, live: DeploymentRecord, chain: RpcClient, log_root: LogRoot
) -> list[TrustFinding]:
    block = chain.call("eth_getBlockByHash", pin.block_hash, False)
    if not isinstance(block, dict):
        return [
            TrustFinding(
                True,
                f"the pinned block {pin.block_hash} is not on chain {chain.chain_id()}: the "
                f"chain was reset or replaced, and contract {live.contract} (deployed in block "
                f"{live.block_number}) holds anchors that do not continue the chain you pinned",
            )
        ]
    number = int(str(block["number"]), 16)
    out = []
    if chain.block_hash(number) != pin.block_hash:
        out.append(
            TrustFinding(
                True, f"the pinned block {pin.block_hash} is not the chain's block {number}"
            )
        )
    created, anchored = False, 0
    for tx in block.get("transactions", []):
        receipt = chain.receipt(str(tx))
        if receipt is None:
            continue
        created |= str(receipt.get("contractAddress") or "").lower() == pin.address.lower()
        for size, root in _anchored(receipt, pin.address):
            anchored += 1
            mine = log_root(size)
            if mine != root:
                have = "no root there" if mine is None else f"the root 0x{mine.hex()}"
                out.append(
                    TrustFinding(
                        True,
                        f"the pinned block {number} anchors root 0x{root.hex()} at tree size "
                        f"{size}; the log has {have}: the log was rewritten since",
                        tree_size=size,
                    )
                )
    if created and number != live.block_number:
        out.append(
            TrustFinding(
                True,
                f"the pinned block {number} deployed the contract; the platform records block "
                f"{live.block_number}",
            )
        )
    if not created and not anchored:
        out.append(
            TrustFinding(
                True,
                f"the pinned block {number} neither deploys {pin.address} nor holds its anchors",
            )
        )
    return out


def _anchored(receipt: dict[str, object], contract: str) -> list[tuple[int, bytes]]:
    """The (tree size, root) of each Anchored event of `contract` in a receipt."""
    out = []
    logs = receipt.get("logs")
    for log in logs if isinstance(logs, list) else []:
        topics = log.get("topics") or []
        if (
            str(log.get("address", "")).lower() == contract.lower()
            and len(topics) == 3
            and str(topics[0]).lower() == "0x" + ANCHORED_TOPIC.hex()
        ):
            root = bytes.fromhex(str(log.get("data", "")).removeprefix("0x"))[:32]
            out.append((int(str(topics[1]), 16), root))
    return out


def _unpinned(live: DeploymentRecord, chain: RpcClient | None, newest: int | None) -> str:
    block = live.block_number if newest is None else newest
    seen = _hash_note(chain, block)
    return (
        "nothing pinned: only the platform's own records say which contract and chain the "
        "anchors are on, and a reset chain redeploys the same address in the same block. Pin "
        f"the block of the newest anchor seen now (block {block}) to detect a rewrite later: "
        f"--contract {live.contract}@{seen}"
    )


def _dev_chain(live: DeploymentRecord) -> str:
    return (
        f"chain {live.chain_id} is a development chain (the embedded node, or a contract deployed "
        "by the dev chain's account 0, whose key is public): whoever holds the data directory can "
        "reset it and anchor another history at the same contract address and block. Such "
        "anchors do not bind the operator."
    )


def _hash_note(chain: RpcClient | None, number: int) -> str:
    if chain is None:
        return "0xBLOCKHASH"
    try:
        return chain.block_hash(number) or "0xBLOCKHASH"
    except RpcError:
        return "0xBLOCKHASH"


def _block_time(chain: RpcClient, number: int) -> datetime:
    block = chain.call("eth_getBlockByNumber", hex(number), False)
    if not isinstance(block, dict):
        raise RpcError(f"block {number} is not on the chain")
    return datetime.fromtimestamp(int(str(block["timestamp"]), 16), UTC)


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
