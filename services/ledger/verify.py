"""`anjian audit verify` over this platform's store.

`verify` runs audit.verify at FULL depth over the database (services.ledger.stores.SqlEvidence)
and the chain, and with `replay` the log again through the write path
(services/ledger/replay.py). The report names the trust roots the run relied on
(`AuditReport.trust`): the log keys and whether they were pinned or taken from the data
directory, the chain asked and where its address came from, and the Anchor contracts, which
are read from the platform's own database (nothing pins them here).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from audit.chain_trust import ContractPin, apply
from audit.findings import AuditReport
from audit.rpc import RpcClient
from audit.verify import FULL, Progress, verify_store
from services.ledger.catalog import event_catalog
from services.ledger.chain_trust import trust_findings
from services.ledger.errors import ChainUnreachable
from services.ledger.replay import replay_log
from services.ledger.stores import Ledger, SqlEvidence

__all__ = ["trust_lines", "verify"]


def verify(
    ledger: Ledger,
    *,
    rpc_url: str | None = None,
    log_keys: Sequence[str] = (),
    offline: bool = False,
    replay: bool = False,
    progress: Progress | None = None,
    total: Callable[[int], None] | None = None,
    pin: ContractPin | None = None,
) -> AuditReport:
    """`anjian audit verify`: the full audit of this platform's store (audit.verify FULL).

    Trusts the platform's log key unless `log_keys` pin others. The chain is `rpc_url`, the
    configured RPC or the embedded node (started for the audit); `offline` skips it.
    `total` is told the number of events to expect before the run (for a progress bar).
    `replay` then adds a `rules` failure for every event the write path refuses when the log
    is replayed through it. What the chain binds (services/ledger/chain_trust.py: redeployed
    contracts, resubmitted anchors, a dev chain, the auditor's `pin` of the deployment) is added
    as `trust` failures and notes.
    """
    report = _audit(
        ledger,
        rpc_url=rpc_url,
        log_keys=log_keys,
        offline=offline,
        progress=progress,
        total=total,
        pin=pin,
    )
    if replay:
        replayed = replay_log(ledger.recorder, ledger.replay_store)
        report.failures.extend(replayed.failures)
        report.notes.append(f"replayed {replayed.events} events through the write path's rules")
    return report


def _audit(
    ledger: Ledger,
    *,
    rpc_url: str | None,
    log_keys: Sequence[str],
    offline: bool,
    progress: Progress | None,
    total: Callable[[int], None] | None,
    pin: ContractPin | None,
) -> AuditReport:
    evidence = SqlEvidence(ledger)
    if total is not None:
        total(evidence.last_notification_id())
    keys = list(log_keys) or [ledger.signer.vkey]

    def run(chain: RpcClient | None, rpc: dict[str, Any]) -> AuditReport:
        report = verify_store(
            evidence,
            catalog=event_catalog(),
            trusted_log_keys=keys,
            origin=ledger.origin,
            chain=chain,
            depth=FULL,
            progress=progress,
        )
        report.trust = _trust(evidence, keys, pinned=bool(log_keys), chain=rpc)
        apply(report, trust_findings(ledger, chain, pin))
        return report

    if offline:
        return run(None, {"checked": False, "why": "--offline"})
    source = "--rpc" if rpc_url else f"the platform's settings: {ledger.chain.describe()}"
    try:
        with ledger.chain.rpc(rpc_url) as url:
            return run(RpcClient(url), {"checked": True, "rpc": url, "source": source})
    except ChainUnreachable as exc:
        report = run(None, {"checked": False, "why": f"unreachable ({source})"})
        report.fail("chain", f"anchors could not be checked: {exc}")
        return report


def _trust(
    evidence: SqlEvidence, keys: Sequence[str], *, pinned: bool, chain: dict[str, Any]
) -> dict[str, Any]:
    """The trust roots of one run, as the report states them."""
    return {
        "log_keys": list(keys),
        "log_keys_source": "pinned (--log-key)" if pinned else "the data directory",
        "chain": chain,
        "contracts": [
            {"chain_id": c.chain_id, "address": c.address, "from_block": c.from_block}
            for c in evidence.contracts()
        ],
        "contracts_source": "the platform's database (not pinned)",
    }


def trust_lines(trust: dict[str, Any]) -> list[str]:
    """The trust roots of a report, one line each, for a person."""
    if not trust:
        return []
    chain = trust["chain"]
    asked = (
        f"chain {chain['rpc']} (from {chain['source']})"
        if chain["checked"]
        else f"chain not checked: {chain['why']}"
    )
    contracts = ", ".join(
        f"{c['address']} on chain {c['chain_id']} from block {c['from_block']}"
        for c in trust["contracts"]
    )
    return [
        f"log key {', '.join(trust['log_keys'])} (from {trust['log_keys_source']})",
        asked,
        f"contracts {contracts or 'none'} (from {trust['contracts_source']})",
    ]
