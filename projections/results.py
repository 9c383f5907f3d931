"""The one JSON convention of query results.

Every query of the read models returns typed, frozen results (dataclasses) with
`to_json(zone)`: the CLI's `--json` prints it and an API answers with it, so both show the same
object the same way.

- Instants. Read models store them as naive UTC; `to_json` writes each as ISO 8601 in `zone`,
  with its offset ("2024-03-01T10:00:00+08:00"). An aware instant is converted to `zone` too.
- Dates as "YYYY-MM-DD"; tuples as lists; a nested result as its own `to_json(zone)`.
- `zone` is the platform's time zone, Settings.timezone: the caller (ops) passes it; nothing in
  projections names a zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any, Protocol

__all__ = ["Result", "instant", "local"]


class Result(Protocol):
    """A query result."""

    def to_json(self, zone: tzinfo) -> Any:
        """The result as JSON values, by the convention of this module."""


def local(t: datetime, zone: tzinfo) -> datetime:
    """An instant (naive UTC, as read models store it, or aware) as an aware time in `zone`."""
    return (t.replace(tzinfo=UTC) if t.tzinfo is None else t).astimezone(zone)


def instant(t: datetime | None, zone: tzinfo) -> str | None:
    """An instant as ISO 8601 in `zone` with its offset (None stays None)."""
    return None if t is None else local(t, zone).isoformat()
