"""Poisoned instants in a store: recorded as the write path did before it bounded instants."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from unittest import mock
from uuid import UUID

from domain.instants import Path
from tests.support import Harness

FAR_FUTURE = "9999-12-31T23:59:00-01:00"  # year 10000 in UTC: no datetime holds it


@contextmanager
def unbounded() -> Iterator[None]:
    """The write path without its bounds on instants, as it was before them (or an insider)."""

    def as_is(t: datetime, field: str, text: object = None) -> datetime:
        return t

    def unchecked(paths: tuple[tuple[Path, str], ...], data: object) -> None:
        return None

    def any_time(declared: datetime, recorded: datetime, skew: object) -> None:
        return None

    with (
        mock.patch("domain.envelope.bound_instant", as_is),
        mock.patch("domain.application.check_instants", unchecked),
        mock.patch("domain.application.check_declared", any_time),
    ):
        yield


def record_unbounded(
    h: Harness, account: str, ctype: str, region: str, data: dict[str, Any], **kw: Any
) -> str:
    """Record one command past the bounds; its event id. `occurred_at` may be any ISO text."""
    occurred = kw.pop("occurred_at", None)
    recording_at = h.recording_at
    h.recording_at = h.clock  # the platform's clock stays sane; the declared time does not
    try:
        with unbounded():
            when = datetime.fromisoformat(occurred) if occurred else None
            return h.run_as(account, ctype, region, data, occurred_at=when, **kw).event_id
    finally:
        h.recording_at = recording_at


def poisoned_hazard(h: Harness, regulator: str, uscc: str, region: str = "420102") -> str:
    """A hazard report of `uscc` dated FAR_FUTURE, recorded past the bounds; its event id."""
    return record_unbounded(
        h,
        regulator,
        "hazard.report",
        region,
        {"enterprise": uscc, "grade": "general", "source": "public_tip", "description": "漏"},
        occurred_at=FAR_FUTURE,
    )


def subject_of(event_id: str) -> UUID:
    return UUID(event_id.partition(":")[0])
