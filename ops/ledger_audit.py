"""`anjian audit verify` and `anjian audit proof` over this platform's store.

`verify` runs audit.verify at FULL depth over the database (ops/ledger_store.SqlEvidence) and
the chain, and with `replay` the log again through the write path (ops/ledger_replay.py);
`make_bundle` writes one event's offline proof bundle (audit/bundle.py layout).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import text

from audit.bundle import Bundle
from audit.findings import AuditReport, Failure
from audit.rpc import RpcClient
from audit.verify import FULL, Progress, verify_store
from domain.actor import Actor
from domain.ids import actor_id
from domain.stored import parse_event_id
from ledger.errors import UnknownLeafError
from ledger.leaf import leaf_bytes
from ledger.rfc6962 import leaf_hash
from ops.bootstrap import Platform
from ops.chain_endpoint import chain_rpc
from ops.event_catalog import event_catalog
from ops.ledger_errors import ChainUnreachable, LedgerHalted, ProofUnavailable
from ops.ledger_replay import replay_log
from ops.ledger_store import Ledger, SqlEvidence, audit_anchor

__all__ = ["make_bundle", "verify"]


def verify(
    platform: Platform,
    *,
    rpc_url: str | None = None,
    log_keys: Sequence[str] = (),
    offline: bool = False,
    replay: bool = False,
    progress: Progress | None = None,
    total: Callable[[int], None] | None = None,
) -> AuditReport:
    """`anjian audit verify`: the full audit of this platform's store (audit.verify FULL).

    Trusts the platform's log key unless `log_keys` pin others. The chain is `rpc_url`, the
    configured RPC or the embedded node (started for the audit); `offline` skips it.
    `total` is told the number of events to expect before the run (for a progress bar).
    `replay` then adds a `rules` failure for every event the write path refuses when the log
    is replayed through it.
    """
    report = _audit(
        platform,
        rpc_url=rpc_url,
        log_keys=log_keys,
        offline=offline,
        progress=progress,
        total=total,
    )
    if replay:
        replayed = replay_log(platform)
        report.failures.extend(replayed.failures)
        report.notes.append(f"replayed {replayed.events} events through the write path's rules")
    return report


def _audit(
    platform: Platform,
    *,
    rpc_url: str | None,
    log_keys: Sequence[str],
    offline: bool,
    progress: Progress | None,
    total: Callable[[int], None] | None,
) -> AuditReport:
    ledger = Ledger(platform)
    try:
        evidence = SqlEvidence(ledger)
        if total is not None:
            total(evidence.last_notification_id())
        keys = list(log_keys) or [ledger.signer.vkey]

        def run(chain: RpcClient | None) -> AuditReport:
            return verify_store(
                evidence,
                catalog=event_catalog(),
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
        row = ledger.anchors.covering(checkpoint.size)
        if row is None:
            raise ProofUnavailable(
                f"no anchor covers checkpoint {checkpoint.seq} yet: anjian ledger sync"
            )
        record = platform.records.stored(event_id)
        actor: Actor = platform.records.load(actor_id(record.envelope["actor"]), Actor)
        entry = actor.keys.get(record.key_id)
        if entry is None:
            raise ProofUnavailable(f"key {record.key_id} is not a key of {actor.account}")
        anchor = audit_anchor(row)
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
