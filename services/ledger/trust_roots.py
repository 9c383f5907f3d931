"""`anjian audit roots`: what an auditor must obtain out of band, through a channel the operator
does not control, before any proof from this platform means anything.

- the log key (C2SP verifier key): pins every checkpoint (`audit check --log-key`);
- the witness keys: independent cosigners of the checkpoints (`--witness VKEY --quorum K`);
- the chain id and the Anchor contract (and the block it was deployed in): pin the anchors
  (`--contract`).

Read from the settings and the ledger's tables; the chain is not contacted. The live deployment
per chain is the one the platform anchors with now; earlier ones (lost after a chain reset)
are listed too, since an auditor holding an old one must learn why it changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from services.ledger.stores import Ledger

__all__ = ["Contract", "TrustRoots", "trust_roots"]


@dataclass(frozen=True)
class Contract:
    """An Anchor contract the ledger recorded, or the one configured but not deployed yet."""

    chain_id: int | None
    address: str
    block: int | None
    status: str  # live, lost, or configured

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "address": self.address,
            "deployment_block": self.block,
            "status": self.status,
        }


@dataclass(frozen=True)
class TrustRoots:
    origin: str
    log_key: str
    witnesses: list[str] = field(default_factory=list)
    contracts: list[Contract] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "log_key": self.log_key,
            "witnesses": list(self.witnesses),
            "contracts": [c.to_json() for c in self.contracts],
        }

    def lines(self) -> list[str]:
        out = [
            "审计员须经运营方无法控制的渠道获取并核对以下信任根：",
            "An auditor obtains these trust roots through a channel the operator does not control:",
            f"日志来源 log origin:   {self.origin}",
            f"日志密钥 log key:      {self.log_key}",
        ]
        if self.witnesses:
            out += [f"见证人密钥 witness key: {w}" for w in self.witnesses]
        else:
            out.append("见证人密钥 witness keys: none configured（未配置见证人）")
        if not self.contracts:
            out.append("锚定合约 anchor contract: none recorded yet（尚未部署）")
        for c in self.contracts:
            chain = "?" if c.chain_id is None else str(c.chain_id)
            block = "" if c.block is None else f", deployed in block {c.block}"
            out.append(
                f"锚定合约 anchor contract: chain id {chain}, {c.address}{block} ({c.status})"
            )
        return out


def trust_roots(ledger: Ledger, witnesses: Sequence[str], configured_contract: str) -> TrustRoots:
    """The trust roots of `ledger`: its log key, the `witnesses`' keys, and its contracts
    (`configured_contract`, the settings' pinned address, when no deployment is recorded)."""
    contracts = [
        Contract(int(d["chain_id"]), str(d["contract"]), int(d["block_number"]), str(d["status"]))
        for d in ledger.anchors.deployments()
    ]
    if not contracts and configured_contract:
        contracts.append(Contract(None, configured_contract, None, "configured"))
    contracts.sort(key=lambda c: c.status != "live")  # the live ones first, stable otherwise
    return TrustRoots(ledger.origin, ledger.signer.vkey, list(witnesses), contracts)
