"""`anjian audit proof`: the offline proof bundle of one event (audit/bundle.py layout)."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

from sqlalchemy import text

from audit.bundle import Bundle
from audit.findings import Failure
from domain.actor import Actor
from domain.ids import actor_id
from domain.stored import parse_event_id
from ledger.checkpoints import StoredCheckpoint
from ledger.errors import UnknownLeafError
from ledger.leaf import leaf_bytes
from ledger.rfc6962 import leaf_hash
from services.ledger.errors import LedgerHalted, ProofUnavailable
from services.ledger.stores import Ledger, audit_anchor

__all__ = ["make_bundle", "notification_id_of"]


def notification_id_of(ledger: Ledger, subject: UUID, version: int) -> int | None:
    """The notification id of the stored event (subject, version), from the event table."""
    table = ledger.recorder.events_table_name
    if ledger.log.engine.dialect.name == "postgresql":
        query = f"SELECT notification_id FROM {table} WHERE originator_id = :o AND originator_version = :v"  # noqa: E501
        params: dict[str, Any] = {"o": subject, "v": version}
    else:
        query = f"SELECT rowid FROM {table} WHERE originator_id = :o AND originator_version = :v"
        params = {"o": subject.hex, "v": version}
    with ledger.log.engine.connect() as conn:
        row = conn.execute(text(query), params).first()
    return None if row is None else int(row[0])


def _cosigned_covering(ledger: Ledger, size: int) -> StoredCheckpoint | None:
    """The first checkpoint of at least `size` leaves that a witness cosigned and an anchor
    covers, if any."""
    seqs = sorted({seq for w in ledger.witnesses for seq in ledger.checkpoints.cosigned(w.vkey)})
    for seq in seqs:
        checkpoint = ledger.checkpoints.get(seq)
        if checkpoint.size >= size and ledger.anchors.covering(checkpoint.size) is not None:
            return checkpoint
    return None


def make_bundle(ledger: Ledger, event_id: str) -> dict[str, Any]:
    """`anjian audit proof`: the offline bundle of one event (audit/bundle.py layout).

    The checkpoint is the first one whose tree holds the event and that witnesses cosigned
    and an anchor covers, carried with every stored cosignature line (one note, the log's
    signature and the witnesses'); without such a checkpoint, the first one whose tree holds
    the event (the earliest signed statement that it existed). The anchor is the first live
    anchor of a tree at least that large, with the consistency proof between the two (empty
    when the checkpoint is the anchored one).
    """
    subject, version = parse_event_id(event_id)
    nid = notification_id_of(ledger, subject, version)
    if nid is None:
        raise ProofUnavailable(f"no event {event_id} in the event store")
    try:
        index = ledger.log.leaf_index_of(nid)
    except UnknownLeafError:
        raise ProofUnavailable(f"event {event_id} is not logged yet: anjian ledger sync") from None
    (n,) = ledger.recorder.select_notifications(nid, 1, stop=nid)
    leaf = leaf_bytes(n)
    if leaf_hash(leaf) != ledger.log.leaf(index).hash:
        raise LedgerHalted(
            [Failure("leaf", "changed since it was logged", event_id=event_id, leaf_index=index)]
        )
    checkpoint = _cosigned_covering(ledger, index + 1) or ledger.checkpoints.covering(index + 1)
    if checkpoint is None:
        raise ProofUnavailable(f"no checkpoint covers leaf {index} yet: anjian ledger sync")
    row = ledger.anchors.covering(checkpoint.size)
    if row is None:
        raise ProofUnavailable(
            f"no anchor covers checkpoint {checkpoint.seq} yet: anjian ledger sync"
        )
    record = ledger.records.stored(event_id)
    actor: Actor = ledger.records.load(actor_id(record.envelope["actor"]), Actor)
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
        checkpoint=ledger.checkpoints.cosigned_note(checkpoint),
        log_key=checkpoint.vkey,
        anchor=anchor,
        consistency_proof=consistency,
    ).to_json()
