"""Human-readable rendering for the CLI: Chinese first, times in Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.catalog import CATALOG
from domain.stored import StoredRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local_time(iso: str) -> str:
    """An ISO 8601 instant shown in Asia/Shanghai."""
    return datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


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
