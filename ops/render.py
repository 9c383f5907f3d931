"""Human-readable rendering for the CLI: Chinese first, times in Asia/Shanghai."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table

from domain.catalog import CATALOG
from domain.stored import StoredRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")


def text_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    """A table of the CLI: the columns as given, one row per item, every cell text already."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    return table


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


def utc_local_time(naive_utc: datetime) -> str:
    """A read model's instant (naive UTC) shown in Asia/Shanghai."""
    return local_time(naive_utc.replace(tzinfo=UTC).isoformat())


def timeline_when(occurred: datetime, recorded: datetime, *, differ: bool, migrated: bool) -> str:
    """A timeline entry's time (naive UTC in, Asia/Shanghai out): the declared time, the
    recorded time beside it where the two differ, and "迁移 migrated" for history entered
    through the migration path (recorded on the migration date, judged on the declared time)."""
    text = utc_local_time(occurred)
    if differ:
        text += f" (记录 recorded {utc_local_time(recorded)})"
    if migrated:
        text += " 迁移 migrated"
    return text
