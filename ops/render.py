"""Human-readable rendering for the CLI: Chinese first, times in the platform's time zone
(Settings.timezone, passed as `zone`; DEFAULT_ZONE where a caller has no settings).

Everything printed for a terminal passes through `domain.plain_text.escape`: the write path
refuses control and bidirectional formatting characters, but text stored before that rule (or
an error message quoting a refused value) may still hold them, and a terminal must show them
as `\\uXXXX` rather than obey them.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from typing import Any

from rich.console import Console
from rich.highlighter import JSONHighlighter
from rich.table import Table
from rich.text import Text

from domain.catalog import CATALOG
from domain.plain_text import escape
from domain.stored import StoredRecord
from ops.settings import DEFAULT_ZONE
from projections.results import local


class SafeConsole(Console):
    """A rich Console that escapes refused characters in every string it prints."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        super().print(*(escape(o) if isinstance(o, str) else o for o in objects), **kwargs)


def json_text(value: Any) -> str:
    """Indented JSON for stdout, refused characters written as JSON escapes (same value)."""
    return escape(json.dumps(value, ensure_ascii=False, indent=2, default=str)) + "\n"


def emit_json(value: Any) -> None:
    sys.stdout.write(json_text(value))


def highlighted_json(value: Any) -> Text:
    """`value` as highlighted JSON text for a console (rich's print_json would unescape)."""
    text = JSONHighlighter()(Text(json_text(value).rstrip("\n")))
    text.no_wrap = True
    return text


def plain(text: str) -> Text:
    """Stored text for a console: refused characters escaped, never read as rich markup."""
    return Text(escape(text))


def text_table(title: str, columns: Sequence[str], rows: Iterable[Sequence[str]]) -> Table:
    """A table of the CLI: the columns as given, one row per item, every cell text already
    (shown as it is: escaped, no markup)."""
    table = Table(title=plain(title))
    for column in columns:
        table.add_column(plain(column))
    for row in rows:
        table.add_row(*map(plain, row))
    return table


def local_time(iso: str, zone: tzinfo = DEFAULT_ZONE) -> str:
    """An ISO 8601 instant shown in `zone`; as written when it has no such time.

    A stored event may hold an instant that no calendar conversion survives (written before
    intake bounded instants: 9999-12-31T23:59:00-01:00 is year 10000 in Shanghai too); it is
    still shown, as the signer wrote it.
    """
    try:
        return datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
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


def utc_local_time(naive_utc: datetime, zone: tzinfo = DEFAULT_ZONE) -> str:
    """A read model's instant (naive UTC) shown in `zone`."""
    return local(naive_utc, zone).strftime("%Y-%m-%d %H:%M:%S")


def timeline_when(
    occurred: datetime,
    recorded: datetime,
    *,
    differ: bool,
    migrated: bool,
    zone: tzinfo = DEFAULT_ZONE,
) -> str:
    """A timeline entry's time (naive UTC in, `zone` out): the declared time, the recorded
    time beside it where the two differ, and, for history entered through the migration path
    (judged on the declared time), "迁移 migrated" with the migration's date: every migrated
    entry differs, and its recorded second says nothing more."""
    text = utc_local_time(occurred, zone)
    if migrated:
        return f"{text} (迁移 migrated {utc_local_time(recorded, zone)[:10]})"
    if differ:
        text += f" (记录 recorded {utc_local_time(recorded, zone)})"
    return text
