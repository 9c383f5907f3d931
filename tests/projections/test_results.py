"""Query results are typed and frozen, with one JSON convention (projections.results): the
CLI's --json and an API answer with the same objects, instants written in the platform's time
zone with their offset."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from projections.credit import Comparison, CreditRating, Move
from projections.dashboard import Dashboard
from projections.enterprises import EnterpriseRow
from projections.follower import Status
from projections.personal_data import SubjectRow
from projections.quarantine import SetAside
from projections.results import instant
from projections.timeline import Entry, Lifecycle

RESULTS = (
    Status,
    SetAside,
    EnterpriseRow,
    Entry,
    Lifecycle,
    CreditRating,
    Move,
    Comparison,
    Dashboard,
    SubjectRow,
)
CHINA = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize("result", RESULTS, ids=lambda r: r.__name__)
def test_every_query_result_is_frozen_and_says_itself_in_json(result: type) -> None:
    assert dataclasses.is_dataclass(result)
    assert result.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert callable(getattr(result, "to_json", None))


def test_a_read_models_naive_utc_instant_is_written_in_the_zone_with_its_offset() -> None:
    stored = datetime(2024, 3, 1, 2, 0)  # naive UTC, as read models keep instants
    assert instant(stored, CHINA) == "2024-03-01T10:00:00+08:00"
    assert instant(stored, UTC) == "2024-03-01T02:00:00+00:00"
    assert instant(stored.replace(tzinfo=UTC), CHINA) == "2024-03-01T10:00:00+08:00"
    assert instant(None, CHINA) is None


def test_a_timeline_entry_in_json_keeps_its_keys_and_gains_offsets() -> None:
    entry = Entry(
        7,
        "s:1",
        "hazard.report",
        "隐患已报告",
        "监管",
        "r-1",
        "regulator",
        "420102",
        datetime(2018, 3, 1, 2, 0),
        datetime(2026, 12, 5, 1, 0),
        "migration",
    )
    doc = entry.to_json(CHINA)
    assert list(doc) == [
        "notification_id",
        "event_id",
        "type",
        "event",
        "stage",
        "actor",
        "role",
        "region",
        "occurred_at",
        "recorded_at",
        "channel",
        "migrated",
        "cites",
    ]
    assert (doc["occurred_at"], doc["recorded_at"], doc["migrated"]) == (
        "2018-03-01T10:00:00+08:00",
        "2026-12-05T09:00:00+08:00",
        True,
    )
