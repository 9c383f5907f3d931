"""The instants and dates the platform records: absolute bounds, checked at intake.

Every instant a command carries — its `occurred_at` and each date-time or date in its `data`
(the catalog's INSTANT and DATE fragments, JSON Schema formats "date-time" and "date") — must be

* written as a calendar date in the years FIRST_YEAR..LAST_YEAR (1949..2099), and
* for an instant, carry a UTC offset of whole minutes within ±14:00 (RFC 3339 §5.6 offsets are
  hh:mm; no zone in use lies beyond UTC−12:00 or UTC+14:00).

Why these bounds. 1949 precedes every regulatory act of the People's Republic, whose work-safety
administration every record here belongs to; history migrated from before go-live is far
younger. The dates furthest ahead are deadlines and the ends of terms (licences 3 years,
certificates 6, credit listings 3, time bars 5), so 2099 leaves decades of room. Inside these
bounds every instant converts to UTC and to China Standard Time, and stays representable after
any period a read model adds to it; outside them (9999-12-31T23:59-01:00 is year 10000 in UTC)
it does not, and one such event stopped every read command. Relative bounds (an occurred_at not
after the recorded time) are the write path's other check; these hold whatever the clock says.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from domain.errors import InstantOutOfRange, InvalidValue

FIRST_YEAR = 1949
LAST_YEAR = 2099
MAX_OFFSET = timedelta(hours=14)
MIN_OFFSET = -MAX_OFFSET
RULE = f"records dated {FIRST_YEAR}..{LAST_YEAR}, UTC offsets within ±14:00: RFC 3339 §5.6"
FORMATS = frozenset({"date", "date-time"})

# A path to a date or instant inside `data`: property names, and None for "every array item".
Path = tuple[str | None, ...]


def bound_instant(t: datetime, field: str, text: object = None) -> datetime:
    """`t` itself when it lies within the bounds; InstantOutOfRange naming `field` otherwise.

    Precondition: `t` is timezone-aware. `text` is the value as written, for the message.
    """
    shown = t.isoformat() if text is None else text
    offset = t.utcoffset()
    if offset is None:
        raise InvalidValue(f"instant {shown!r} must carry a UTC offset", field=field)
    if not MIN_OFFSET <= offset <= MAX_OFFSET or offset.seconds % 60 or offset.microseconds:
        raise InstantOutOfRange(
            f"instant {shown!r} has a UTC offset beyond ±14:00 or not of whole minutes",
            field=field,
            rule=RULE,
        )
    _year(t.year, f"instant {shown!r}", field)
    return t


def bound_date(d: date, field: str) -> date:
    """`d` itself when its year lies within the bounds; InstantOutOfRange otherwise."""
    _year(d.year, f"date {d.isoformat()!r}", field)
    return d


def _year(year: int, what: str, field: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InstantOutOfRange(
            f"{what} is outside the years {FIRST_YEAR}..{LAST_YEAR}", field=field, rule=RULE
        )


def instant_paths(schema: Mapping[str, Any]) -> tuple[tuple[Path, str], ...]:
    """Every (path, format) of a date or date-time the schema declares, nested ones included."""
    return tuple(_walk(schema, ()))


def _walk(schema: Mapping[str, Any], path: Path) -> Iterator[tuple[Path, str]]:
    if schema.get("format") in FORMATS:
        yield path, schema["format"]
    for name, sub in schema.get("properties", {}).items():
        yield from _walk(sub, (*path, name))
    items = schema.get("items")
    if isinstance(items, Mapping):
        yield from _walk(items, (*path, None))


def check_instants(paths: tuple[tuple[Path, str], ...], data: object) -> None:
    """Parse and bound every date and instant of `data` found at `paths`.

    Precondition: `data` passed the catalog schema (shapes are right; the calendar and the
    bounds are what is checked here). Errors name the field as a JSON pointer (RFC 6901).
    """
    for path, fmt in paths:
        for pointer, value in _values(data, path, "/data"):
            if not isinstance(value, str):
                continue  # the schema check reports a wrong type
            if fmt == "date":
                try:
                    day = date.fromisoformat(value)
                except ValueError:
                    raise InvalidValue(f"{value!r} is not a calendar date", field=pointer) from None
                bound_date(day, pointer)
            else:
                bound_instant(_instant(value, pointer), pointer, value)


def _instant(value: str, field: str) -> datetime:
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidValue(f"{value!r} is not an ISO 8601 instant", field=field) from None
    if t.utcoffset() is None:
        raise InvalidValue(f"{value!r} must carry a UTC offset", field=field)
    return t


def _values(node: object, path: Path, pointer: str) -> Iterator[tuple[str, object]]:
    if not path:
        yield pointer, node
        return
    step, rest = path[0], path[1:]
    if step is None:
        if isinstance(node, list):
            for i, item in enumerate(node):
                yield from _values(item, rest, f"{pointer}/{i}")
    elif isinstance(node, Mapping) and step in node:
        yield from _values(node[step], rest, f"{pointer}/{_escape(step)}")


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
