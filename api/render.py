"""JSON values of the API: every instant with its offset in the platform's zone."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, tzinfo
from typing import Any

from projections.results import instant
from services.identity.caller import Caller

__all__ = ["caller_json", "row_json", "zoned"]


def zoned(value: str | datetime | None, zone: tzinfo) -> str | None:
    """An instant (ISO 8601 text or datetime; naive means UTC) in `zone`, with its offset."""
    if value is None:
        return None
    t = datetime.fromisoformat(value) if isinstance(value, str) else value
    return instant(t, zone)


def row_json(row: Mapping[str, Any], zone: tzinfo) -> dict[str, Any]:
    """A read-model row: instants (naive UTC) in `zone` with their offset, dates as ISO."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if isinstance(v, datetime):
            out[k] = instant(v, zone)
        elif isinstance(v, date):
            out[k] = v.isoformat()
        else:
            out[k] = v
    return out


def caller_json(c: Caller) -> dict[str, Any]:
    return {
        "account": c.account,
        "role": c.role,
        "jurisdiction": c.jurisdiction,
        "enterprises": sorted(c.enterprises),
        "scope": c.scope,
        "via": c.via,
        "rights": {
            "sees_records": c.sees_records,
            "sees_personal_data": c.sees_personal_data,
            "writes_records": c.writes_records,
        },
    }
