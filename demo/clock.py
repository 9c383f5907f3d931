"""The demo's simulated calendar: Asia/Shanghai instants, office hours and working days.

Every instant the demo writes is an aware datetime in Asia/Shanghai (UTC+08:00 all year), so
`occurred_at` reads as local time and the domain's clocks (domain.clocks, China Standard Time)
count the same calendar days. Regulators work office hours on office days (the announced
holidays off); legal periods are planned on the domain's own calendar, so a period the demo
plans is exactly the period the aggregate checks.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.clocks import CALENDAR, WorkCalendar
from domain.terms import add_months

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2018, 1, 1, tzinfo=TZ)  # the simulated clock starts here
GO_LIVE = datetime(2018, 1, 1, 8, 0, tzinfo=TZ)  # genesis and the regulators' accounts
OFFICE_OPEN, OFFICE_CLOSE = 9 * 60, 17 * 60  # minutes after midnight


def _days(*spans: tuple[str, str]) -> frozenset[date]:
    out = set()
    for first, last in spans:
        d, end = date.fromisoformat(first), date.fromisoformat(last)
        while d <= end:
            out.add(d)
            d += timedelta(days=1)
    return frozenset(out)


# When offices are open: the State Council's announced holidays and make-up working days
# (调休) of 2018–2020. Only for placing the simulated office work — legal periods are counted
# on the domain's own calendar (domain.clocks.CALENDAR), exactly as the aggregates count them.
OFFICE_CALENDAR = WorkCalendar(
    holidays=_days(
        ("2018-01-01", "2018-01-01"), ("2018-02-15", "2018-02-21"), ("2018-04-05", "2018-04-07"),
        ("2018-04-29", "2018-05-01"), ("2018-06-16", "2018-06-18"), ("2018-09-22", "2018-09-24"),
        ("2018-10-01", "2018-10-07"), ("2018-12-30", "2019-01-01"), ("2019-02-04", "2019-02-10"),
        ("2019-04-05", "2019-04-07"), ("2019-05-01", "2019-05-04"), ("2019-06-07", "2019-06-09"),
        ("2019-09-13", "2019-09-15"), ("2019-10-01", "2019-10-07"), ("2020-01-01", "2020-01-01"),
        ("2020-01-24", "2020-02-02"), ("2020-04-04", "2020-04-06"), ("2020-05-01", "2020-05-05"),
        ("2020-06-25", "2020-06-27"), ("2020-10-01", "2020-10-08"),
    ),
    workdays=_days(
        ("2018-02-11", "2018-02-11"), ("2018-02-24", "2018-02-24"), ("2018-04-08", "2018-04-08"),
        ("2018-04-28", "2018-04-28"), ("2018-09-29", "2018-09-30"), ("2018-12-29", "2018-12-29"),
        ("2019-02-02", "2019-02-03"), ("2019-04-28", "2019-04-28"), ("2019-05-05", "2019-05-05"),
        ("2019-09-29", "2019-09-29"), ("2019-10-12", "2019-10-12"), ("2020-01-19", "2020-01-19"),
        ("2020-04-26", "2020-04-26"), ("2020-05-09", "2020-05-09"), ("2020-06-28", "2020-06-28"),
        ("2020-09-27", "2020-09-27"), ("2020-10-10", "2020-10-10"),
    ),
    version="State Council holiday notices 2018-2020 (scheduling only)",
)  # fmt: skip
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def end_of(months: int) -> datetime:
    """The first instant after a simulation of `months` months from START."""
    return datetime.combine(add_months(START.date(), months), time(), TZ)


def at(day: date, minute_of_day: int) -> datetime:
    return datetime.combine(day, time(minute_of_day // 60, minute_of_day % 60), TZ)


def day_of(t: datetime) -> date:
    return t.astimezone(TZ).date()


def is_workday(d: date) -> bool:
    """An office day (for placing work; never for counting a legal period)."""
    return OFFICE_CALENDAR.is_working_day(d)


def workday_on_or_after(d: date) -> date:
    while not is_workday(d):
        d += timedelta(days=1)
    return d


def add_workdays(d: date, n: int) -> date:
    """The n-th working day after `d` on the domain's calendar (legal periods)."""
    return CALENDAR.add_working_days(d, n)


def office_time(rng: random.Random, d: date) -> datetime:
    """A random office-hours instant on the first working day on or after `d`."""
    return at(workday_on_or_after(d), rng.randint(OFFICE_OPEN, OFFICE_CLOSE))


def office_after(rng: random.Random, t: datetime, lo: timedelta, hi: timedelta) -> datetime:
    """An office-hours instant at least `lo` after `t`, aiming at most `hi` after it.

    Landing outside office hours moves to the next working morning, so the result can pass
    `t + hi` by a weekend; use `office_within` where a legal last day binds.
    """
    lo_s, hi_s = int(lo.total_seconds()), int(max(hi, lo).total_seconds())
    c = t + timedelta(seconds=rng.randint(lo_s, hi_s))
    c = c.replace(second=0, microsecond=0)
    if c < t + lo:
        c += MINUTE
    minute = c.hour * 60 + c.minute
    if is_workday(c.date()) and OFFICE_OPEN <= minute <= OFFICE_CLOSE:
        return c
    nxt = c.date() if minute < OFFICE_OPEN else c.date() + DAY
    return at(workday_on_or_after(nxt), OFFICE_OPEN + rng.randint(0, 90))


def office_within(rng: random.Random, t: datetime, last: date, min_gap: timedelta) -> datetime:
    """An instant after `t` + `min_gap`, on or before the day `last`, in office hours when
    possible (late the same evening when `last` leaves no office time)."""
    earliest = t + min_gap
    days = [
        d
        for i in range((last - earliest.date()).days + 1)
        if is_workday(d := earliest.date() + timedelta(days=i))
    ]
    rng.shuffle(days)
    for d in days:
        lo = max(
            OFFICE_OPEN, earliest.hour * 60 + earliest.minute + 1 if d == earliest.date() else 0
        )
        if lo <= OFFICE_CLOSE:
            return at(d, rng.randint(lo, OFFICE_CLOSE))
    return (earliest + MINUTE).replace(second=0, microsecond=0)


def staff_after(rng: random.Random, t: datetime, lo: timedelta, hi: timedelta) -> datetime:
    """An instant `lo`..`hi` after `t`, moved into the staff's day (07:00–21:00) if needed."""
    c = t + timedelta(seconds=rng.randint(int(lo.total_seconds()), int(hi.total_seconds())))
    c = c.replace(second=0, microsecond=0)
    if c <= t:
        c = (t + MINUTE).replace(second=0, microsecond=0)
    if 7 <= c.hour < 21:
        return c
    d = c.date() if c.hour < 7 else c.date() + DAY
    return daytime(rng, d, 7, 10)


def inspection_time(rng: random.Random, d: date) -> datetime:
    """Inspections start between 09:00 and 14:30 on a working day (on or after `d`)."""
    return at(workday_on_or_after(d), rng.randint(OFFICE_OPEN, 14 * 60 + 30))


def any_time(rng: random.Random, lo: datetime, hi: datetime) -> datetime:
    """A uniformly random minute in [lo, hi) (shift work: any day, any hour)."""
    span = max(1, int((hi - lo).total_seconds() // 60))
    return (lo + timedelta(minutes=rng.randrange(span))).replace(second=0, microsecond=0)


def daytime(rng: random.Random, d: date, first: int = 7, last: int = 21) -> datetime:
    """A random instant between `first` and `last` o'clock on day `d` (enterprise staff)."""
    return at(d, rng.randint(first * 60, last * 60))


def month_start(t: datetime) -> datetime:
    return datetime(t.year, t.month, 1, tzinfo=TZ)


def next_month(t: datetime) -> datetime:
    return datetime.combine(add_months(month_start(t).date(), 1), time(), TZ)
