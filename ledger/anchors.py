"""The anchors a log recorded: which checkpoint heads went to which chain, and which were lost.

Tables beside the log's (same database), created if missing:

    ledger_anchors      id | checkpoint_seq | tree_size | root (32 B) | chain_id | contract
                        | tx_hash | block_number | anchored_at (UTC) | status (live, lost)
                        | lost_at (UTC)
    ledger_deployments  id | chain_id | contract | block_number | owner | deployed_at (UTC)
                        | status (live, lost)

A `live` anchor is believed on chain. A chain can lose anchors (a dev node reset, a node
restored from an older state): `reanchor_lost` submits the heads again and marks the old rows
`lost` in the same transaction as the new ones, so the table always says where each head is
anchored now and where it was before. Signed checkpoints larger than the newest live anchor
(`anchored_size`) are the queue still to anchor.

A deployment row records the Anchor contract the platform uses on a chain (at most one live per
chain id; a redeployment after a chain reset marks the earlier ones lost). `owner` is the
deployer's address, or "operator" for a contract the operator pinned.

The chain stack (web3) is imported only by `AnchorRow.receipt` and `reanchor_lost`, which run
when anchoring: reading the tables does not pay for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

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
    update,
)

from ledger.rfc6962 import HASH_SIZE

if TYPE_CHECKING:
    from ledger.chain import AnchorChain, AnchorReceipt

__all__ = [
    "AnchorRow",
    "AnchorStore",
    "Deployment",
    "anchors_table",
    "deployments_table",
    "reanchor_lost",
]

_BigInt = BigInteger().with_variant(Integer, "sqlite")
metadata = MetaData()

anchors_table = Table(
    "ledger_anchors",
    metadata,
    Column("id", _BigInt, primary_key=True, autoincrement=True),
    Column("checkpoint_seq", _BigInt, nullable=False),
    Column("tree_size", _BigInt, nullable=False, index=True),
    Column("root", LargeBinary(HASH_SIZE), nullable=False),
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


@dataclass(frozen=True)
class AnchorRow:
    """One live anchor: the head (tree_size, root) of checkpoint `checkpoint_seq`, anchored by
    transaction `tx_hash` in block `block_number` of contract `contract` on chain `chain_id`."""

    id: int
    checkpoint_seq: int
    chain_id: int
    contract: str
    tx_hash: str
    block_number: int
    tree_size: int
    root: bytes
    anchored_at: datetime

    @property
    def receipt(self) -> AnchorReceipt:
        """The chain adapter's receipt of this anchor (to check it is still on chain)."""
        from ledger.chain import AnchorReceipt

        return AnchorReceipt(
            self.chain_id, self.contract, self.tx_hash, self.block_number, self.tree_size, self.root
        )


class Deployment(NamedTuple):
    """The live Anchor contract on a chain, and the block to read its logs from."""

    id: int
    contract: str
    block_number: int


def _utc(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)  # SQLite: no offset


class AnchorStore:
    """The `ledger_anchors` and `ledger_deployments` tables (created if missing)."""

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
                int(r[0]), int(r[1]), int(r[2]), r[3], r[4], int(r[5]), int(r[6]), bytes(r[7]),
                _utc(r[8]),
            )
            for r in rows
        ]  # fmt: skip

    def anchored_size(self) -> int:
        """The tree size of the newest live anchor (0 before any): checkpoints of larger trees
        are queued for anchoring."""
        live = self.live()
        return live[-1].tree_size if live else 0

    def covering(self, size: int) -> AnchorRow | None:
        """The first live anchor of a tree of at least `size` leaves, or None."""
        return next((row for row in self.live() if row.tree_size >= size), None)

    def lost_count(self) -> int:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(anchors_table.c.id).where(anchors_table.c.status == "lost")
            ).all()
        return len(rows)

    def add(self, receipt: AnchorReceipt, checkpoint_seq: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(insert(anchors_table).values(**_values(receipt, checkpoint_seq)))

    def replace(self, lost: AnchorRow, receipt: AnchorReceipt) -> None:
        """Mark `lost` as no longer on chain and record its resubmission, in one transaction."""
        with self._engine.begin() as conn:
            conn.execute(
                update(anchors_table)
                .where(anchors_table.c.id == lost.id)
                .values(status="lost", lost_at=datetime.now(UTC))
            )
            conn.execute(insert(anchors_table).values(**_values(receipt, lost.checkpoint_seq)))

    def history(self) -> list[dict[str, Any]]:
        """Every anchor row, live and lost, oldest first, times in UTC: a head anchored again
        after the chain lost it has a `lost` row (with `lost_at`) and a later row of the same
        checkpoint_seq (its `anchored_at` is when it was resubmitted)."""
        t = anchors_table
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(t.c.id, t.c.checkpoint_seq, t.c.tree_size, t.c.tx_hash, t.c.anchored_at,
                       t.c.status, t.c.lost_at).order_by(t.c.id)
            ).mappings().all()  # fmt: skip
        return [{k: _utc(v) if isinstance(v, datetime) else v for k, v in r.items()} for r in rows]

    def deployment(self, chain_id: int) -> Deployment | None:
        """The live deployment on `chain_id`, if any."""
        t = deployments_table
        with self._engine.connect() as conn:
            row = conn.execute(
                select(t.c.id, t.c.contract, t.c.block_number)
                .where(t.c.chain_id == chain_id, t.c.status == "live")
                .order_by(t.c.id.desc())
                .limit(1)
            ).first()
        return None if row is None else Deployment(int(row[0]), str(row[1]), int(row[2]))

    def deployments(self) -> list[dict[str, Any]]:
        """Every deployment row, oldest first, times in UTC."""
        t = deployments_table
        with self._engine.connect() as conn:
            rows = conn.execute(select(t).order_by(t.c.id)).mappings().all()
        return [{k: _utc(v) if isinstance(v, datetime) else v for k, v in r.items()} for r in rows]

    def add_deployment(self, chain_id: int, contract: str, block: int, owner: str) -> None:
        """Record `contract` as the live deployment on `chain_id` (earlier ones become lost)."""
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


def _values(receipt: AnchorReceipt, checkpoint_seq: int) -> dict[str, Any]:
    return {
        "checkpoint_seq": checkpoint_seq,
        "tree_size": receipt.tree_size,
        "root": receipt.root,
        "chain_id": receipt.chain_id,
        "contract": receipt.contract,
        "tx_hash": receipt.tx_hash,
        "block_number": receipt.block_number,
        "anchored_at": datetime.now(UTC),
        "status": "live",
    }


def reanchor_lost(store: AnchorStore, chain: AnchorChain) -> int:
    """Submit again, oldest first, the live anchors `chain` no longer holds; how many.

    Precondition: `chain` is the contract the platform anchors to now, signed by an anchorer.
    A row anchored to another chain or contract counts as lost too (the platform moved on).
    Raises the chain adapter's ChainError subclasses (ChainUnavailable: try again later).
    """
    from ledger.chain import AnchorMissing

    lost: list[AnchorRow] = []
    for row in reversed(store.live()):  # newest first: once one holds, the older ones were kept
        if row.chain_id != chain.chain_id or row.contract.lower() != chain.address.lower():
            lost.append(row)
            continue
        try:
            chain.verify_anchor(row.receipt, check_code=False)
        except AnchorMissing:
            lost.append(row)
            continue
        break
    for row in sorted(lost, key=lambda r: r.tree_size):
        store.replace(row, chain.anchor(row.tree_size, row.root))
    return len(lost)
