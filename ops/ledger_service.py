"""The ledger service: log, checkpoint and anchor the event store, and serve its audits.

`sync(platform)` runs, under one lock per data directory:

1. the guard (audit.verify with depth GUARD): every logged event still rebuilds to its
   stored leaf, every checkpoint is signed by the log key and has the root of the stored leaf
   hashes, every recorded anchor matches them; events not logged yet are checked in full
   (canonical envelope, key registry rebuilt from the log, Ed25519 signature, no replay).
   Any failure raises LedgerHalted: nothing is appended, signed or anchored.
2. appending: exactly the events the guard checked, in batches cut at the checkpoint cadence
   (every `checkpoint_every_leaves` leaves or `checkpoint_every_seconds`), plus one checkpoint
   at the end whenever the tree grew.
3. anchoring (unless `anchor=False`): on the embedded anvil (started from $ANJIAN_HOME/chain
   and stopped again) or on ANJIAN_CHAIN_RPC_URL. The Anchor contract is deployed once and
   recorded (table `ledger_deployments`); the platform's anchorer account (a secp256k1 key in
   the keys directory) is allow-listed and, where gas costs, funded by the owner. Recorded
   anchors the chain lost (a reset node) are found and submitted again; then the newest
   checkpoint is anchored. While the chain is unreachable checkpoints stay queued (no anchor
   row) and the report says why; a chain that contradicts the log raises ChainConflict.

Tables beside the log's (same database):

    ledger_anchors      id | checkpoint_seq | tree_size | root (32 B) | chain_id | contract
                        | tx_hash | block_number | anchored_at | status (live, lost) | lost_at
    ledger_deployments  id | chain_id | contract | block_number | owner | deployed_at | status

Owner of the contract: the dev chain's account 0 on the embedded node or any chain with the dev
chain id 31337; elsewhere the key in ANJIAN_CHAIN_OWNER_KEY (hex), or an operator-deployed
contract at ANJIAN_CHAIN_CONTRACT that already allow-lists the platform's anchorer.

Errors::

    LedgerServiceError
    ├── LedgerHalted     the stored history fails the guard (carries the failures)
    ├── ChainConflict    the chain holds anchors the log contradicts, or refuses ours
    ├── ChainUnreachable the embedded chain node did not start (anchoring waits)
    └── ProofUnavailable no bundle can be made yet (event unknown, not logged, not anchored)
"""

from __future__ import annotations

import base64
import fcntl
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Engine,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    insert,
    select,
    text,
    update,
)

from audit.bundle import Bundle
from audit.events import CheckedEvent
from audit.findings import AuditReport, Failure
from audit.rpc import Anchor, RpcClient
from audit.verify import FULL, GUARD, ContractRef, Progress, verify_store
from domain.actor import Actor
from domain.application import parse_event_id
from domain.ids import actor_id
from ledger.checkpoints import Checkpointer, CheckpointStore, StoredCheckpoint
from ledger.errors import UnknownLeafError
from ledger.log import Leaf, MerkleLog
from ledger.note import Signer
from ledger.record import StoredNotification, leaf_bytes
from ledger.rfc6962 import leaf_hash
from ops.bootstrap import Platform
from ops.settings import Settings

if TYPE_CHECKING:  # the chain stack (web3, eth-account) is imported only to anchor
    from eth_account.signers.local import LocalAccount
    from web3 import Web3

    from ledger.chain import AnchorChain, AnchorReceipt

__all__ = [
    "ChainConflict",
    "ChainUnreachable",
    "LedgerHalted",
    "LedgerServiceError",
    "LedgerStatus",
    "ProofUnavailable",
    "SyncReport",
    "make_bundle",
    "status",
    "sync",
    "verify",
]

APPEND_BATCH = 1000  # leaves per transaction (fewer when a checkpoint is due sooner)
FUND_BELOW = 10**18  # anchorer balance (wei) under which the owner tops it up...
FUND_AMOUNT = 10 * 10**18  # ...with this much, where gas is not free

_BigInt = BigInteger().with_variant(Integer, "sqlite")
metadata = MetaData()

anchors_table = Table(
    "ledger_anchors",
    metadata,
    Column("id", _BigInt, primary_key=True, autoincrement=True),
    Column("checkpoint_seq", _BigInt, nullable=False),
    Column("tree_size", _BigInt, nullable=False, index=True),
    Column("root", LargeBinary(32), nullable=False),
    Column("chain_id", _BigInt, nullable=False),
    Column("contract", Text, nullable=False),
    Column("tx_hash", Text, nullable=False),
    Column("block_number", _BigInt, nullable=False),
    Column("anchored_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False, server_default="live"),
    Column("lost_at", DateTime(timezone=True), nullable=True),
)

deployments_table = Table(
    "ledger_deployments",
    metadata,
    Column("id", _BigInt, primary_key=True, autoincrement=True),
    Column("chain_id", _BigInt, nullable=False),
    Column("contract", Text, nullable=False),
    Column("block_number", _BigInt, nullable=False),
    Column("owner", Text, nullable=False),
    Column("deployed_at", DateTime(timezone=True), nullable=False),
    Column("status", Text, nullable=False, server_default="live"),
)


class LedgerServiceError(Exception):
    """Base class of the ledger service's errors."""


class LedgerHalted(LedgerServiceError):
    """The guard found the stored history altered: the ledger does not go on."""

    def __init__(self, failures: Sequence[Failure]) -> None:
        self.failures = list(failures)
        shown = "; ".join(str(f) for f in self.failures[:5])
        more = f" (and {len(self.failures) - 5} more)" if len(self.failures) > 5 else ""
        super().__init__(
            f"{len(self.failures)} check(s) failed, nothing appended or anchored: {shown}{more}"
        )


class ChainUnreachable(LedgerServiceError):
    """The embedded chain node could not be started (checkpoints stay queued)."""


class ChainConflict(LedgerServiceError):
    """The chain contradicts the log (another root at our size, a head beyond the log)."""


class ProofUnavailable(LedgerServiceError):
    """No bundle can be made for the event (yet)."""


# -- stored anchors and deployments ---------------------------------------------------------


@dataclass(frozen=True)
class AnchorRow:
    id: int
    checkpoint_seq: int
    anchor: Anchor
    anchored_at: datetime

    @property
    def receipt(self) -> AnchorReceipt:
        from ledger.chain import AnchorReceipt

        a = self.anchor
        return AnchorReceipt(a.chain_id, a.contract, a.tx_hash, a.block_number, a.tree_size, a.root)


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class AnchorStore:
    """The `ledger_anchors` and `ledger_deployments` tables."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        metadata.create_all(engine)

    def live(self) -> list[AnchorRow]:
        """Anchors believed on chain, by growing tree size."""
        t = anchors_table
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(t.c.id, t.c.checkpoint_seq, t.c.chain_id, t.c.contract, t.c.tx_hash,
                       t.c.block_number, t.c.tree_size, t.c.root, t.c.anchored_at)
                .where(t.c.status == "live")
                .order_by(t.c.tree_size, t.c.id)
            ).all()  # fmt: skip
        return [
            AnchorRow(
                int(r[0]),
                int(r[1]),
                Anchor(int(r[2]), r[3], r[4], int(r[5]), int(r[6]), bytes(r[7])),
                _utc(r[8]),
            )
            for r in rows
        ]

    def lost_count(self) -> int:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(anchors_table.c.id).where(anchors_table.c.status == "lost")
            ).all()
        return len(rows)

    def add(self, receipt: AnchorReceipt, checkpoint_seq: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(anchors_table).values(
                    checkpoint_seq=checkpoint_seq,
                    tree_size=receipt.tree_size,
                    root=receipt.root,
                    chain_id=receipt.chain_id,
                    contract=receipt.contract,
                    tx_hash=receipt.tx_hash,
                    block_number=receipt.block_number,
                    anchored_at=datetime.now(UTC),
                    status="live",
                )
            )

    def replace(self, lost: AnchorRow, receipt: AnchorReceipt) -> None:
        """Mark `lost` as no longer on chain and record its resubmission, in one transaction."""
        with self._engine.begin() as conn:
            conn.execute(
                update(anchors_table)
                .where(anchors_table.c.id == lost.id)
                .values(status="lost", lost_at=datetime.now(UTC))
            )
            conn.execute(
                insert(anchors_table).values(
                    checkpoint_seq=lost.checkpoint_seq,
                    tree_size=receipt.tree_size,
                    root=receipt.root,
                    chain_id=receipt.chain_id,
                    contract=receipt.contract,
                    tx_hash=receipt.tx_hash,
                    block_number=receipt.block_number,
                    anchored_at=datetime.now(UTC),
                    status="live",
                )
            )

    def deployment(self, chain_id: int) -> tuple[int, str, int] | None:
        """(id, contract, block) of the live deployment on `chain_id`, if any."""
        t = deployments_table
        with self._engine.connect() as conn:
            row = conn.execute(
                select(t.c.id, t.c.contract, t.c.block_number)
                .where(t.c.chain_id == chain_id, t.c.status == "live")
                .order_by(t.c.id.desc())
                .limit(1)
            ).first()
        return None if row is None else (int(row[0]), str(row[1]), int(row[2]))

    def deployments(self) -> list[dict[str, Any]]:
        t = deployments_table
        with self._engine.connect() as conn:
            rows = conn.execute(select(t).order_by(t.c.id)).mappings().all()
        return [{k: _utc(v) if isinstance(v, datetime) else v for k, v in r.items()} for r in rows]

    def add_deployment(self, chain_id: int, contract: str, block: int, owner: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(deployments_table)
                .where(deployments_table.c.chain_id == chain_id)
                .values(status="lost")
            )
            conn.execute(
                insert(deployments_table).values(
                    chain_id=chain_id,
                    contract=contract,
                    block_number=block,
                    owner=owner,
                    deployed_at=datetime.now(UTC),
                    status="live",
                )
            )


# -- the ledger's parts, opened together ----------------------------------------------------


class Ledger:
    """The log, checkpoints and anchors of one platform, in its database."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.settings = platform.settings
        self.log = MerkleLog.open(self.settings.sqlalchemy_url)
        self.checkpoints = CheckpointStore(self.log.engine)
        self.anchors = AnchorStore(self.log.engine)
        self.signer = Signer(self.settings.log_origin, platform.keystore.log_key().seed)

    def close(self) -> None:
        self.log.close()

    @property
    def recorder(self) -> Any:
        return self.platform.records.recorder

    def all_checkpoints(self) -> list[StoredCheckpoint]:
        out: list[StoredCheckpoint] = []
        while page := self.checkpoints.since(out[-1].seq if out else 0, 1000):
            out.extend(page)
        return out


class SqlEvidence:
    """audit.verify.Evidence over the platform's database."""

    def __init__(self, ledger: Ledger) -> None:
        self._l = ledger

    def last_notification_id(self) -> int:
        return int(self._l.recorder.max_notification_id() or 0)

    def events(self, after: int, limit: int) -> Sequence[StoredNotification]:
        page: Sequence[StoredNotification] = self._l.recorder.select_notifications(
            after, limit, inclusive_of_start=False
        )
        return page

    def log_size(self) -> int:
        return self._l.log.size()

    def leaves(self, start: int, stop: int) -> Sequence[Leaf]:
        return self._l.log.leaves(start, stop)

    def checkpoints(self) -> Sequence[StoredCheckpoint]:
        return self._l.all_checkpoints()

    def anchors(self) -> Sequence[Anchor]:
        return [row.anchor for row in self._l.anchors.live()]

    def contracts(self) -> Sequence[ContractRef]:
        refs: dict[tuple[int, str], int] = {}
        for d in self._l.anchors.deployments():
            key = (int(d["chain_id"]), str(d["contract"]).lower())
            refs[key] = min(refs.get(key, int(d["block_number"])), int(d["block_number"]))
        for a in self.anchors():
            refs.setdefault((a.chain_id, a.contract.lower()), 0)
        return [ContractRef(c, addr, block) for (c, addr), block in refs.items()]

    def tree_root(self, size: int) -> bytes:
        return self._l.log.root(size)

    def tree_consistency(self, size1: int, size2: int) -> list[bytes]:
        return self._l.log.consistency(size1, size2)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive advisory lock on `path` (one sync, one embedded node at a time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def chain_rpc(settings: Settings, override: str | None = None) -> Iterator[str]:
    """The chain's JSON-RPC URL: `override`, ANJIAN_CHAIN_RPC_URL, or the embedded anvil,
    started from $ANJIAN_HOME/chain for the duration (ChainUnreachable if it cannot start)."""
    url = override or settings.chain_rpc_url
    if url:
        yield url
        return
    from ops.chain_node import AnvilNode, ChainNodeError

    chain_dir = settings.home / "chain"
    with _locked(chain_dir / "node.lock"):
        try:
            node = AnvilNode(chain_dir)
            node.start()
        except ChainNodeError as exc:
            raise ChainUnreachable(f"the embedded chain node did not start: {exc}") from exc
        try:
            yield node.rpc_url
        finally:
            node.stop()


# -- sync -----------------------------------------------------------------------------------


@dataclass
class SyncReport:
    """What one sync did."""

    appended: int = 0
    tree_size: int = 0
    root: bytes = b""
    checkpoints: list[int] = field(default_factory=list)  # sizes of the checkpoints cut
    anchor: AnchorReceipt | None = None
    reanchored: int = 0  # recorded anchors the chain had lost, submitted again
    queued: int = 0  # signed checkpoints newer than the newest anchor
    chain_error: str | None = None
    guarded: int = 0  # events the guard checked
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "appended": self.appended,
            "tree_size": self.tree_size,
            "root": self.root.hex(),
            "checkpoints": self.checkpoints,
            "anchor": None if self.anchor is None else self.anchor.to_json(),
            "reanchored": self.reanchored,
            "queued": self.queued,
            "chain_error": self.chain_error,
            "guarded": self.guarded,
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        parts = [f"+{self.appended} leaves, tree size {self.tree_size}"]
        if len(self.checkpoints) > 3:
            c = self.checkpoints
            parts.append(f"{len(c)} checkpoints at {c[0]}, {c[1]} … {c[-1]}")
        elif self.checkpoints:
            parts.append(f"checkpoints at {', '.join(map(str, self.checkpoints))}")
        if self.anchor is not None:
            a = self.anchor
            parts.append(f"anchored size {a.tree_size} in block {a.block_number} ({a.tx_hash})")
        if self.reanchored:
            parts.append(f"{self.reanchored} lost anchor(s) submitted again")
        if self.chain_error:
            parts.append(f"{self.queued} checkpoint(s) queued: {self.chain_error}")
        return "; ".join(parts)


def sync(platform: Platform, *, anchor: bool = True, now: float | None = None) -> SyncReport:
    """Guard, append, checkpoint and anchor (see the module docstring). The demo and
    `anjian record` end with this call; `now` (Unix seconds) is for tests of the cadence."""
    began = time.perf_counter()
    with _locked(platform.settings.home / "ledger.lock"):
        ledger = Ledger(platform)
        try:
            report = SyncReport()
            pending = _guard(ledger, report)
            _append(ledger, pending, report, now)
            report.tree_size = ledger.log.size()
            report.root = ledger.log.root(report.tree_size)
            if anchor:
                _anchor(ledger, report)
            report.queued = _queued(ledger)
        finally:
            ledger.close()
    report.seconds = time.perf_counter() - began
    return report


def _guard(ledger: Ledger, report: SyncReport) -> list[tuple[int, bytes]]:
    """Run the guard; return (notification id, leaf hash) of the checked unlogged events."""
    pending: list[tuple[int, bytes]] = []

    def keep(ev: CheckedEvent) -> None:
        if not ev.failures and ev.leaf_hash is not None:
            pending.append((ev.notification_id, ev.leaf_hash))

    audit = verify_store(
        SqlEvidence(ledger),
        trusted_log_keys=[ledger.signer.vkey],
        origin=ledger.settings.log_origin,
        depth=GUARD,
        on_pending=keep,
    )
    report.guarded = audit.events
    if not audit.ok:
        raise LedgerHalted(audit.failures)
    return pending


def _append(
    ledger: Ledger, pending: list[tuple[int, bytes]], report: SyncReport, now: float | None
) -> None:
    settings = ledger.settings
    every = settings.checkpoint_every_leaves
    checkpointer = Checkpointer(
        ledger.log,
        ledger.signer,
        settings.log_origin,
        every_leaves=every,
        every_seconds=settings.checkpoint_every_seconds,
        store=ledger.checkpoints,
    )
    start = ledger.log.size()
    i = 0
    while i < len(pending):
        latest = ledger.checkpoints.latest()
        size = ledger.log.size()
        room = every - (size - latest.size) if latest is not None else every
        chunk = pending[i : i + max(1, min(APPEND_BATCH, room))]
        first, last = chunk[0][0], chunk[-1][0]
        notifications = ledger.recorder.select_notifications(first, len(chunk), stop=last)
        if [n.id for n in notifications] != [nid for nid, _ in chunk]:
            raise LedgerHalted([Failure("leaf", "events changed during the sync", tree_size=size)])
        entries = []
        for n, (nid, checked) in zip(notifications, chunk, strict=True):
            leaf = leaf_bytes(n)
            if leaf_hash(leaf) != checked:
                raise LedgerHalted(
                    [Failure("leaf", "the event changed during the sync", notification_id=nid)]
                )
            entries.append((nid, leaf))
        ledger.log.append(entries)
        cut = checkpointer.maybe_checkpoint(now)
        if cut is not None:
            report.checkpoints.append(cut.size)
        i += len(chunk)
    report.appended = ledger.log.size() - start
    if report.appended:
        cut = checkpointer.checkpoint(now)
        if not report.checkpoints or report.checkpoints[-1] != cut.size:
            report.checkpoints.append(cut.size)


def _queued(ledger: Ledger) -> int:
    live = ledger.anchors.live()
    anchored = live[-1].anchor.tree_size if live else 0
    return sum(1 for cp in ledger.all_checkpoints() if cp.size > anchored)


# -- anchoring ------------------------------------------------------------------------------


def _owner(chain_id: int, embedded: bool) -> LocalAccount | None:
    from eth_account import Account

    from ops.chain_node import DEV_CHAIN_ID, dev_accounts

    key = os.environ.get("ANJIAN_CHAIN_OWNER_KEY", "")
    if key:
        owner: LocalAccount = Account.from_key(key)
        return owner
    if embedded or chain_id == DEV_CHAIN_ID:
        return dev_accounts(1)[0]
    return None


def anchorer_account(settings: Settings) -> LocalAccount:
    """The platform's anchorer key (keys/anchorer.secp256k1, 32 bytes, created on first use)."""
    from eth_account import Account

    path = settings.keys_dir / "anchorer.secp256k1"
    if not path.exists():
        settings.keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(Account.create().key)
    account: LocalAccount = Account.from_key(path.read_bytes())
    return account


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
    anchorer = anchorer_account(settings)
    options: dict[str, Any] = {"confirmations": settings.confirmations}
    probe = AnchorChain(w3, "0x" + "00" * 20, anchorer, **options)
    chain_id = probe.chain_id
    owner = _owner(chain_id, embedded)
    pinned = os.environ.get("ANJIAN_CHAIN_CONTRACT", "")
    deployed = ledger.anchors.deployment(chain_id)
    if pinned and (deployed is None or deployed[1].lower() != pinned.lower()):
        ledger.anchors.add_deployment(chain_id, Web3.to_checksum_address(pinned), 0, "operator")
        deployed = ledger.anchors.deployment(chain_id)
    if deployed is not None:
        chain = AnchorChain(w3, deployed[1], anchorer, from_block=deployed[2], **options)
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


def _anchor(ledger: Ledger, report: SyncReport) -> None:
    from ledger.chain import AnchorRejected, ChainError, ChainUnavailable, ContractMissing

    settings = ledger.settings
    try:
        with chain_rpc(settings) as url:
            chain = _connect(ledger, url, embedded=not settings.chain_rpc_url)
            report.reanchored = _restore_lost(ledger, chain)
            _check_head(ledger, chain)
            latest = ledger.checkpoints.latest()
            live = ledger.anchors.live()
            anchored = live[-1].anchor.tree_size if live else 0
            if latest is not None and latest.size > anchored:
                receipt = chain.anchor(latest.size, latest.root)
                ledger.anchors.add(receipt, latest.seq)
                report.anchor = receipt
    except (ChainUnavailable, ChainUnreachable) as exc:
        report.chain_error = str(exc)
    except (AnchorRejected, ContractMissing) as exc:
        raise ChainConflict(f"the chain refused the anchor: {exc}") from exc
    except ChainError as exc:
        raise ChainConflict(str(exc)) from exc


def _restore_lost(ledger: Ledger, chain: AnchorChain) -> int:
    """Submit again the recorded anchors this chain no longer holds; how many."""
    from ledger.chain import AnchorMissing

    live = ledger.anchors.live()
    lost: list[AnchorRow] = []
    for row in reversed(live):  # newest first: once one holds, the older ones were kept too
        a = row.anchor
        if a.chain_id != chain.chain_id or a.contract.lower() != chain.address.lower():
            lost.append(row)  # anchored to a contract the platform no longer uses
            continue
        try:
            chain.verify_anchor(row.receipt, check_code=False)
        except AnchorMissing:
            lost.append(row)
            continue
        break
    for row in sorted(lost, key=lambda r: r.anchor.tree_size):
        receipt = chain.anchor(row.anchor.tree_size, row.anchor.root)
        ledger.anchors.replace(row, receipt)
    return len(lost)


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


# -- status ---------------------------------------------------------------------------------


@dataclass
class LedgerStatus:
    """Where the ledger stands (read-only; the chain is not contacted)."""

    events: int
    tree_size: int
    last_notification_id: int
    root: str
    latest_checkpoint: dict[str, Any] | None
    checkpoints: int
    latest_anchor: dict[str, Any] | None
    anchors: int
    lost_anchors: int
    queued: int
    deployments: list[dict[str, Any]]
    chain: str
    log_key: str

    @property
    def unlogged(self) -> int:
        return max(0, self.events - self.last_notification_id)

    def to_json(self) -> dict[str, Any]:
        out = dict(self.__dict__)
        out["unlogged_notification_ids"] = self.unlogged
        return out


def status(platform: Platform) -> LedgerStatus:
    ledger = Ledger(platform)
    try:
        size = ledger.log.size()
        cps = ledger.all_checkpoints()
        live = ledger.anchors.live()
        latest = cps[-1] if cps else None
        settings = ledger.settings
        return LedgerStatus(
            events=int(ledger.recorder.max_notification_id() or 0),
            tree_size=size,
            last_notification_id=ledger.log.last_notification_id(),
            root=ledger.log.root(size).hex(),
            latest_checkpoint=None
            if latest is None
            else {
                "seq": latest.seq,
                "tree_size": latest.size,
                "root": latest.root.hex(),
                "created_at": latest.created_at.isoformat(),
            },
            checkpoints=len(cps),
            latest_anchor=None
            if not live
            else {**live[-1].anchor.to_json(), "anchored_at": live[-1].anchored_at.isoformat()},
            anchors=len(live),
            lost_anchors=ledger.anchors.lost_count(),
            queued=sum(1 for cp in cps if cp.size > (live[-1].anchor.tree_size if live else 0)),
            deployments=[
                {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in d.items()}
                for d in ledger.anchors.deployments()
            ],
            chain=settings.chain_rpc_url or f"embedded anvil, state in {settings.home / 'chain'}",
            log_key=ledger.signer.vkey,
        )
    finally:
        ledger.close()


# -- audits ---------------------------------------------------------------------------------


def verify(
    platform: Platform,
    *,
    rpc_url: str | None = None,
    log_keys: Sequence[str] = (),
    offline: bool = False,
    progress: Progress | None = None,
    total: Callable[[int], None] | None = None,
) -> AuditReport:
    """`anjian audit verify`: the full audit of this platform's store (audit.verify FULL).

    Trusts the platform's log key unless `log_keys` pin others. The chain is `rpc_url`, the
    configured RPC or the embedded node (started for the audit); `offline` skips it.
    `total` is told the number of events to expect before the run (for a progress bar).
    """
    ledger = Ledger(platform)
    try:
        evidence = SqlEvidence(ledger)
        if total is not None:
            total(evidence.last_notification_id())
        keys = list(log_keys) or [ledger.signer.vkey]

        def run(chain: RpcClient | None) -> AuditReport:
            return verify_store(
                evidence,
                trusted_log_keys=keys,
                origin=ledger.settings.log_origin,
                chain=chain,
                depth=FULL,
                progress=progress,
            )

        if offline:
            return run(None)
        try:
            with chain_rpc(ledger.settings, rpc_url) as url:
                return run(RpcClient(url))
        except ChainUnreachable as exc:
            report = run(None)
            report.fail("chain", f"anchors could not be checked: {exc}")
            return report
    finally:
        ledger.close()


def _notification_id(ledger: Ledger, subject: UUID, version: int) -> int | None:
    """The notification id of the stored event (subject, version), from the event table."""
    table = ledger.recorder.events_table_name
    if ledger.settings.is_postgres:
        query = f"SELECT notification_id FROM {table} WHERE originator_id = :o AND originator_version = :v"  # noqa: E501
        params: dict[str, Any] = {"o": subject, "v": version}
    else:
        query = f"SELECT rowid FROM {table} WHERE originator_id = :o AND originator_version = :v"
        params = {"o": subject.hex, "v": version}
    with ledger.log.engine.connect() as conn:
        row = conn.execute(text(query), params).first()
    return None if row is None else int(row[0])


def make_bundle(platform: Platform, event_id: str) -> dict[str, Any]:
    """`anjian audit proof`: the offline bundle of one event (audit/bundle.py layout).

    The checkpoint is the first one whose tree holds the event (the earliest signed statement
    that it existed); the anchor the first live anchor of a tree at least that large, with
    the consistency proof between the two (empty when the checkpoint is the anchored one).
    """
    subject, version = parse_event_id(event_id)
    ledger = Ledger(platform)
    try:
        nid = _notification_id(ledger, subject, version)
        if nid is None:
            raise ProofUnavailable(f"no event {event_id} in the event store")
        try:
            index = ledger.log.leaf_index_of(nid)
        except UnknownLeafError:
            raise ProofUnavailable(
                f"event {event_id} is not logged yet: anjian ledger sync"
            ) from None
        (n,) = ledger.recorder.select_notifications(nid, 1, stop=nid)
        leaf = leaf_bytes(n)
        if leaf_hash(leaf) != ledger.log.leaf(index).hash:
            raise LedgerHalted(
                [
                    Failure(
                        "leaf", "changed since it was logged", event_id=event_id, leaf_index=index
                    )
                ]
            )
        checkpoint = ledger.checkpoints.covering(index + 1)
        if checkpoint is None:
            raise ProofUnavailable(f"no checkpoint covers leaf {index} yet: anjian ledger sync")
        row = next(
            (r for r in ledger.anchors.live() if r.anchor.tree_size >= checkpoint.size), None
        )
        if row is None:
            raise ProofUnavailable(
                f"no anchor covers checkpoint {checkpoint.seq} yet: anjian ledger sync"
            )
        record = platform.records.stored(event_id)
        actor: Actor = platform.records.load(actor_id(record.envelope["actor"]), Actor)
        entry = actor.keys.get(record.key_id)
        if entry is None:
            raise ProofUnavailable(f"key {record.key_id} is not a key of {actor.account}")
        anchor = row.anchor
        consistency = (
            ledger.log.consistency(checkpoint.size, anchor.tree_size)
            if anchor.tree_size != checkpoint.size
            else []
        )
        return Bundle(
            event=record.envelope_text,
            signature=base64.b64decode(record.signature, validate=True),
            actor_key=entry.public_key,
            leaf=leaf,
            leaf_index=index,
            tree_size=checkpoint.size,
            inclusion_proof=ledger.log.inclusion(index, checkpoint.size),
            checkpoint=checkpoint.note,
            log_key=checkpoint.vkey,
            anchor=anchor,
            consistency_proof=consistency,
        ).to_json()
    finally:
        ledger.close()
