"""Procedure clocks: China Standard Time dates, calendar-day and working-day periods.

Every period is counted from the `occurred_at` of the event that starts it, converted to China
Standard Time (UTC+08:00, no daylight saving), so "within 7 days" names the same calendar days
whatever offset the signer's clock wrote. The starting day is not counted (民法典 §201: 开始的
当日不计入，自下一日开始计算); a step is on time when it happens on or before the last day.

行政处罚法 §85: its 2-, 3-, 5- and 7-day periods are working days (工作日, legal holidays
excluded). The State Council announces holidays and make-up working days (调休) every year, so
`WorkCalendar` holds them as data; the default calendar knows weekends only (?) until ops loads
the announced years.

    InvalidTransition
    ├── TooLate     a step after the last day of its period (the rule names the article)
    └── TooEarly    a step before its period opens, or dated before the step it follows
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from domain.errors import InvalidTransition, InvalidValue

CST = timezone(timedelta(hours=8), "CST")
PERIOD_RULE = "民法典 §201 期间计算"


class TooLate(InvalidTransition):
    """The step comes after the last day of the period the law gives for it."""


class TooEarly(InvalidTransition):
    """The step comes before its period opens or before the step it follows."""


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: Monday–Friday, minus `holidays`, plus make-up `workdays` (调休)."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    version: str = "weekends-only v1"

    def is_working_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        return d.weekday() < 5 and d not in self.holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (the starting day itself is not counted)."""
        d = start
        while n > 0:
            d += timedelta(days=1)
            if self.is_working_day(d):
                n -= 1
        return d


CALENDAR = WorkCalendar()


def local_date(at: datetime) -> date:
    """The calendar date of an instant in China Standard Time."""
    return at.astimezone(CST).date()


def parse_date(value: str, field: str) -> date:
    """A date from "YYYY-MM-DD" text (the schema checks the shape, this the calendar)."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidValue(f"{value!r} is not a calendar date", field=field) from None


def last_day(start: datetime | date, days: int, *, working: bool = False) -> date:
    """The last day of a period of `days` (calendar or working) days starting at `start`."""
    d = local_date(start) if isinstance(start, datetime) else start
    if working:
        return CALENDAR.add_working_days(d, days)
    return d + timedelta(days=days)


def within(at: datetime, due: date) -> bool:
    """True when `at` falls on or before the day `due` (China Standard Time)."""
    return local_date(at) <= due


def not_before(at: datetime, earlier: datetime | None, action: str) -> None:
    """Reject a step dated before the step it follows: the record must read in order."""
    if earlier is not None and at < earlier:
        raise TooEarly(
            f"{action} at {at.isoformat()} is dated before the previous step "
            f"at {earlier.isoformat()}",
            rule=PERIOD_RULE,
            field="occurred_at",
        )
