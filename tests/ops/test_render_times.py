"""How a timeline entry's time reads: declared, the recorded time beside it where they differ,
migrated history marked; read models' naive UTC shown in Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime

from ops.cli.output import timeline_when

DECLARED = datetime(2018, 3, 1, 2, 0)  # naive UTC: 10:00 in Asia/Shanghai
RECORDED = datetime(2026, 12, 5, 1, 0)


def test_the_declared_time_alone_when_the_two_agree() -> None:
    when = timeline_when(DECLARED, DECLARED, differ=False, migrated=False)
    assert when == "2018-03-01 10:00:00"


def test_the_recorded_time_beside_the_declared_one_where_they_differ() -> None:
    when = timeline_when(DECLARED, RECORDED, differ=True, migrated=False)
    assert when == "2018-03-01 10:00:00 (记录 recorded 2026-12-05 09:00:00)"


def test_migrated_history_is_marked() -> None:
    when = timeline_when(DECLARED, RECORDED, differ=True, migrated=True)
    assert when == "2018-03-01 10:00:00 (迁移 migrated 2026-12-05)"
