"""GatedSQLiteRecorder: Records' verdict runs inside the write transaction, before COMMIT.

If the check fails, nothing of the batch may be committed; if it passes, the batch is stored
as the library's recorder would store it.
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteDatastore

from domain.errors import BatchRejected
from domain.ids import enterprise_id
from ops.bootstrap import store_env
from ops.recorders import GatedSQLiteRecorder
from ops.settings import Settings
from tests.support import Harness, new_uscc


class Refused(Exception):
    pass


@pytest.fixture
def recorder(tmp_path: Path) -> GatedSQLiteRecorder:
    r = GatedSQLiteRecorder(SQLiteDatastore(str(tmp_path / "events.sqlite")))
    r.create_table()
    return r


def events(n: int, start: int = 1) -> list[StoredEvent]:
    return [
        StoredEvent(UUID(int=i), 1, "topic", f'{{"n":{i}}}'.encode())
        for i in range(start, start + n)
    ]


def test_a_failing_check_commits_nothing(recorder: GatedSQLiteRecorder) -> None:
    def refuse() -> None:
        raise Refused

    with pytest.raises(Refused):
        recorder.insert_events(events(5), before_commit=refuse)
    assert recorder.select_notifications(start=1, limit=10) == []
    assert recorder.insert_events(events(2, start=10)) == [1, 2]


def test_a_passing_check_commits_the_batch(recorder: GatedSQLiteRecorder) -> None:
    calls: list[str] = []
    ids = recorder.insert_events(events(3), before_commit=lambda: calls.append("judged"))
    assert calls == ["judged"]
    assert ids == [1, 2, 3]
    stored = recorder.select_notifications(start=1, limit=10)
    assert [n.originator_id for n in stored] == [UUID(int=1), UUID(int=2), UUID(int=3)]


def test_records_on_the_embedded_store_judge_inside_the_transaction(tmp_path: Path) -> None:
    h = Harness(store_env(Settings(home=tmp_path)))
    h.actor("r-wh", "regulator", "420100")
    assert isinstance(h.records.recorder, GatedSQLiteRecorder)
    before = len(h.records.recorder.select_notifications(start=1, limit=1000))
    cmds = []
    for _ in range(100):
        uscc = new_uscc()
        cmds.append(
            h.sign(
                "r-wh",
                "enterprise.register",
                "420102",
                {
                    "uscc": uscc,
                    "name": "批量",
                    "industry": "metallurgy",
                    "standardisation": "level3",
                },
                subject=enterprise_id(uscc),
            )
        )
    cmds[60] = type(cmds[60]).of(cmds[60].text, cmds[59].signature, cmds[60].key_id)
    with pytest.raises(BatchRejected) as info:
        h.records.execute_batch(cmds)
    assert info.value.index == 60
    assert len(h.records.recorder.select_notifications(start=1, limit=1000)) == before
    h.records.execute_batch(cmds[:60])
    assert len(h.records.recorder.select_notifications(start=1, limit=1000)) == before + 60
    h.close()
