"""One stored event as JSON, as the command line (`anjian show --json`) and the API show it:
the envelope as signed, its signature and key, its place in the log and when it was
recorded."""

from __future__ import annotations

from typing import Any

from domain.catalog import CATALOG
from domain.stored import StoredRecord

__all__ = ["record_json"]


def record_json(rec: StoredRecord) -> dict[str, Any]:
    return {
        "event_id": rec.event_id,
        "notification_id": rec.notification_id,
        "type": rec.type,
        "event": CATALOG[rec.type].event if rec.type in CATALOG else rec.type,
        "subject": str(rec.subject),
        "version": rec.version,
        "recorded_at": rec.recorded_at,
        "envelope": rec.envelope,
        "signature": rec.signature,
        "key_id": rec.key_id,
    }
