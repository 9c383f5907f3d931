"""`anjian audit verify` over this platform's store.

`verify` runs audit.verify at FULL depth over the database (services.ledger.stores.SqlEvidence)
and the chain, and with `replay` the log again through the write path
(services/ledger/replay.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from audit.chain_trust import ContractPin, apply
from audit.findings import AuditReport
from audit.rpc import RpcClient
from audit.verify import FULL, Progress, verify_store
from services.ledger.catalog import event_catalog
from services.ledger.chain_trust import trust_findings
from services.ledger.errors import ChainUnreachable
from services.ledger.replay import replay_log
from services.ledger.stores import Ledger, SqlEvidence

__all__ = ["verify"]


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

    def run(chain: RpcClient | None) -> AuditReport:
        report = verify_store(
            evidence,
            catalog=event_catalog(),
            trusted_log_keys=keys,
            origin=ledger.origin,
            chain=chain,
            depth=FULL,
            progress=progress,
        )
        apply(report, trust_findings(ledger, chain, pin))
        return report

    if offline:
        return run(None)
    try:
        with ledger.chain.rpc(rpc_url) as url:
            return run(RpcClient(url))
    except ChainUnreachable as exc:
        report = run(None)
        report.fail("chain", f"anchors could not be checked: {exc}")
        return report
