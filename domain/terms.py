"""Terms and deadlines in calendar dates: validity periods, renewal windows, legal time limits.

A term of N years from date d ends on the same calendar day N years later (29 February maps to
28 February); the term is the half-open interval [start, end): on its end date the licence or
certificate no longer holds. The date of an instant is its calendar date in its own UTC offset,
which for records signed in Hubei is Beijing time (+08:00).
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

from domain.errors import InvalidValue


def add_months(d: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the last day of that month."""
    index = d.year * 12 + (d.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(d.day, last))


def add_years(d: date, years: int) -> date:
    return add_months(d, 12 * years)


def day_of(at: date | datetime) -> date:
    """The calendar date of an instant (in its own offset), or the date itself."""
    return at.date() if isinstance(at, datetime) else at


def parse_date(value: object, field: str) -> date:
    """A date from "YYYY-MM-DD" text (the schema checks the shape; this checks the calendar)."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue(f"{value!r} is not a calendar date", field=field) from None


def parse_instant(value: object, field: str) -> datetime:
    """A timezone-aware instant from ISO 8601 text with an offset."""
    try:
        t = datetime.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue(f"{value!r} is not an ISO 8601 instant", field=field) from None
    if t.utcoffset() is None:
        raise InvalidValue(f"{value!r} must carry a UTC offset", field=field)
    return t
