"""Human-readable rendering for the CLI: Chinese first, times in Asia/Shanghai."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.table import Table
from rich.text import Text

from domain.catalog import CATALOG
from domain.stored import StoredRecord

SHANGHAI = ZoneInfo("Asia/Shanghai")


def text_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    """A table of the CLI: the columns as given, one row per item, every cell text already.

    Cells are plain text, never console markup: they hold what actors wrote, and a name such
    as "x[/y]" read as markup stopped every table it appeared in (MarkupError).
    """
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*map(Text, row))
    return table


def local_time(iso: str) -> str:
    """An ISO 8601 instant shown in Asia/Shanghai; as written when it has no such time.

    A stored event may hold an instant that no calendar conversion survives (written before
    intake bounded instants: 9999-12-31T23:59:00-01:00 is year 10000 in Shanghai too); it is
    still shown, as the signer wrote it.
    """
    try:
        return datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    except (ValueError, OverflowError):
        return iso


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
