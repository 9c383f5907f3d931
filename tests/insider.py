"""An insider writing straight into the event store, around the write path.

The insider holds a derivable key (a custodial key, or any actor's key in the tests), signs an
envelope with it exactly as a client would, and inserts the event through eventsourcing's own
recorder — as the SQLite or PostgreSQL rows the write path writes (topic, state with the
recorded-at timestamp, envelope, signature, key id) — without any of the write path's checks.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import StoredEvent

from domain.application import Records
from ledger.canonical import canonical_text
from ledger.keys import KeyPair
from services.ledger.catalog import event_catalog


def topic_of(kind: str, *, creates: bool = False) -> str:
    """The topic the write path stores a `kind` record's events under."""
    rule = next(r for r in event_catalog().values() if r.kind == kind)
    return f"{rule.aggregate_topic}.{'Created' if creates else 'Event'}"


def signed_envelope(
    key: KeyPair,
    *,
    actor: str,
    role: str,
    event_type: str,
    subject: UUID,
    region: str,
    data: dict[str, Any],
) -> tuple[str, str]:
    """(canonical envelope text, base64 signature) of a fresh command signed with `key`."""
    envelope = {
        "actor": actor,
        "data": data,
        "id": str(uuid4()),
        "occurred_at": datetime.now(UTC).isoformat(),
        "region": region,
        "role": role,
        "subject": str(subject),
        "type": event_type,
    }
    text = canonical_text(envelope)
    return text, key.sign_b64(text.encode())


def insider_write(
    records: Records,
    key: KeyPair,
    *,
    actor: str,
    role: str,
    event_type: str,
    subject: UUID,
    region: str,
    data: dict[str, Any],
    record: UUID | None = None,
    topic: str | None = None,
    version: int | None = None,
) -> str:
    """Sign a fresh command with `key` and insert its event into `records`' store as the write
    path's mapper would have stored it: as `version` of `record` (default: the next version
    of `subject`), under `topic` (default: where the write path stores the type's kind). Its
    event id."""
    envelope, signature = signed_envelope(
        key,
        actor=actor,
        role=role,
        event_type=event_type,
        subject=subject,
        region=region,
        data=data,
    )
    record = record or subject
    if version is None:
        last = records.recorder.select_events(record, desc=True, limit=1)
        version = last[0].originator_version + 1 if last else 1
    state: dict[str, Any] = {
        "timestamp": {"_type_": "datetime_iso", "_data_": datetime.now(UTC).isoformat()},
        "envelope": envelope,
        "signature": signature,
        "key_id": key.key_id,
    }
    topic = topic or topic_of(event_type.partition(".")[0])
    stored = StoredEvent(record, version, topic, json.dumps(state).encode())
    records.recorder.insert_events([stored])
    return f"{record}:{version}"
