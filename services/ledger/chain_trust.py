"""What the platform's chain binds, from its deployment and anchor records (audit.chain_trust).

`trust_findings(ledger, chain, pin)` reads the ledger's `ledger_deployments` and
`ledger_anchors` rows (the resubmissions are the heads with a `lost` row followed by another
row of the same checkpoint) and the signed checkpoints, and asks audit.chain_trust what they,
the chain (when given) and the auditor's pin say. `ledger status` calls it without a chain,
`audit verify` with one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audit.chain_trust import (
    ContractPin,
    DeploymentRecord,
    FirstAnchored,
    Resubmission,
    TrustFinding,
    chain_trust,
)
from audit.rpc import RpcClient
from services.ledger.stores import Ledger

__all__ = ["trust_findings"]


def trust_findings(
    ledger: Ledger, chain: RpcClient | None = None, pin: ContractPin | None = None
) -> list[TrustFinding]:
    """What the chain binds and does not, for `ledger` (see audit/chain_trust.py)."""
    deployments = [
        DeploymentRecord(
            int(d["chain_id"]),
            str(d["contract"]),
            int(d["block_number"]),
            str(d["owner"]),
            d["deployed_at"],
            d["status"] == "live",
        )
        for d in ledger.anchors.deployments()
    ]
    live = ledger.anchors.live()
    size = ledger.log.size()
    return chain_trust(
        deployments,
        _resubmissions(ledger),
        _first(ledger, deployments),
        chain=chain,
        pin=pin,
        newest_anchor_block=max((a.block_number for a in live), default=None),
        log_root=lambda n: ledger.log.root(n) if n <= size else None,
    )


def _resubmissions(ledger: Ledger) -> list[Resubmission]:
    out: list[Resubmission] = []
    previous: dict[int, dict[str, Any]] = {}
    for row in ledger.anchors.history():
        before = previous.get(row["checkpoint_seq"])
        previous[row["checkpoint_seq"]] = row
        if before is not None and before["status"] == "lost":
            out.append(
                Resubmission(
                    int(row["checkpoint_seq"]),
                    int(row["tree_size"]),
                    str(before["tx_hash"]),
                    before["anchored_at"],
                    before["lost_at"],
                    str(row["tx_hash"]),
                    row["anchored_at"],
                )
            )
    return out


def _first(ledger: Ledger, deployments: Sequence[DeploymentRecord]) -> FirstAnchored | None:
    live = next((d for d in reversed(deployments) if d.live), None)
    if live is None:
        return None
    on_it = [
        a
        for a in ledger.anchors.live()
        if a.chain_id == live.chain_id and a.contract.lower() == live.contract.lower()
    ]
    if not on_it:
        return None
    covered = [cp for cp in ledger.all_checkpoints() if cp.size <= on_it[0].tree_size]
    if not covered:
        return None
    cp = min(covered, key=lambda c: c.created_at)
    return FirstAnchored(cp.seq, cp.size, cp.created_at)
