"""Procedure clocks: China Standard Time dates, calendar-day and working-day periods, and which
instant — declared or recorded — a statutory clock judges a step at.

Every period is counted from the instant of the event that starts it, converted to China
Standard Time (UTC+08:00, no daylight saving), so "within 7 days" names the same calendar days
whatever offset the signer's clock wrote. The starting day is not counted (民法典 §201: 开始的
当日不计入，自下一日开始计算); a step is on time when it happens on or before the last day.

行政处罚法 §85: its 2-, 3-, 5- and 7-day periods are working days (工作日, legal holidays
excluded). The State Council announces holidays and make-up working days (调休) every year, so
`WorkCalendar` holds them as data; the default calendar knows weekends only (?) until ops loads
the announced years.

Declared and recorded time. `occurred_at` is the signer's own statement; the platform's recorded
time (the event's timestamp, Records' clock when it handled the command) is its own. Records
refuses a declared time after the recorded time plus a small clock skew (`check_declared`), and
every record orders its steps (domain.record). A statutory clock is judged at `judged_at`:

- a step signed by the regulated party (an enterprise account or a device) is judged at its
  recorded time: the party's own declared time is no evidence of its own timeliness, so a late
  report cannot be backdated into time;
- a step signed by a regulator (or the platform) is judged at its declared time: it dates an
  official act (a decision, a service, a re-check; or a party's act the regulator received and
  attests), which is often entered after the fact from paper or an offline terminal; its
  lateness stays visible because every view shows the recorded time beside it;
- migrated history (channel `migration`, only on signatures the platform makes) is judged at its
  declared time: its recorded time is the migration date, not when it happened.

The clocks of the domain, who must meet each, and the instant that judges it:

    clock (rule)                                  bound party   judged at (party-signed step)
    accident report 1 h (条例 §9)                  unit          accident.report: recorded
    casualty updates 30 days (条例 §13)            unit          update_casualties: recorded
    investigation report 60 (+60) days (条例 §29)  regulator     declared
    hazard rectification deadline (16号令 §15)     enterprise    hazard.rectify: recorded
    hazard plan time limit not passed (16号令 §15) enterprise    hazard.file_plan: recorded
    hazard re-check 10 days (16号令 §18)           regulator     counted from the request's
                                                                 recorded time; judged declared
    permit decision 45 days (条例 §7)              regulator     counted from the application's
                                                                 recorded time; judged declared
    permit renewal ≥ 3 months before expiry (§9)  enterprise    permit.apply_renewal: recorded
    certificate review window, re-review 30 days  enterprise    certificate.apply_review: recorded
    hearing request 5 working days (处罚法 §64)     party         request_hearing: recorded
    decision 90 days, extension, service, evidence
      preservation, withdrawal, hearing notice    regulator     declared
    payment 15 days and late fee (处罚法 §§67, 72)  party         declared (the regulator records
                                                                 the bank receipt's payment)
    time bar (处罚法 §36), credit listing terms      regulator     declared (dates in data)

A sensor alarm's acknowledgement has no statutory deadline in the domain, and no clock binds a
device's own steps (alarms, readings batches).

    InvalidTransition
    ├── TooLate     a step after the last day of its period (the rule names the article)
    └── TooEarly    a step before its period opens, or dated before the step it follows
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from domain.commands import DEVICE, ENTERPRISE
from domain.envelope import SignedCommand
from domain.errors import FutureDated, InvalidTransition, InvalidValue

CST = timezone(timedelta(hours=8), "CST")
PERIOD_RULE = "民法典 §201 期间计算"
SKEW_RULE = "declared time ≤ recorded time + clock skew"
CLOCK_SKEW = timedelta(minutes=5)  # the default tolerance for signers' clocks running ahead
MIGRATION = "migration"  # the envelope channel of history migrated from before go-live
PARTY_ROLES = frozenset({ENTERPRISE, DEVICE})  # the regulated side: its clocks run on recorded time


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


def check_declared(declared: datetime, recorded: datetime, skew: timedelta) -> None:
    """Refuse a declared time after the recorded time plus `skew` (a step is recorded after it
    happens; the skew allows for signers' clocks running a little ahead)."""
    if declared > recorded + skew:
        raise FutureDated(
            f"occurred_at {declared.isoformat()} is after the platform's recorded time "
            f"{recorded.isoformat()} (clock skew allowed: {int(skew.total_seconds())} s)",
            rule=SKEW_RULE,
            field="occurred_at",
        )


def judged_at(
    role: str, channel: str | None, declared: datetime, recorded: datetime | None
) -> datetime:
    """The instant a statutory clock judges a step at (see the module docstring): the recorded
    time, in China Standard Time, for a step the regulated party signed outside migration;
    otherwise the declared time. `recorded` is None only for a command no Records handled."""
    if recorded is None or channel == MIGRATION or role not in PARTY_ROLES:
        return declared
    return recorded.astimezone(CST)


def judged_at_command(cmd: SignedCommand) -> datetime:
    """For a command method: the instant the statutory clocks judge the command at."""
    env = cmd.envelope
    return judged_at(env.role, env.channel, env.occurred_at, cmd.recorded_at)


def judged_note(cmd: SignedCommand) -> str:
    """How a refusal names the instant it judged: the recorded time when that was used."""
    at = judged_at_command(cmd)
    declared = cmd.envelope.occurred_at
    if at == declared:
        return f"dated {declared.isoformat()}"
    return f"recorded {at.isoformat()} (declared {declared.isoformat()})"
