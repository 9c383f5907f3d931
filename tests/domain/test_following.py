"""The one follower mechanism (domain.following): a runner drives any follower over the log
reader, resumes from the stored position, reports the same lag for every follower, and is
woken by a commit in its own process instead of waiting for its next poll."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from domain.following import Batch, Lag, PositionMoved, Runner
from domain.log_reader import LogReader, Raw
from ops.bootstrap import sqlite_env
from tests.support import Harness


class Remembering:
    """A follower that keeps the ids it handled and its position in memory."""

    name = "remembering"

    def __init__(self) -> None:
        self.handled: list[int] = []
        self.stored_position = 0
        self.reached = threading.Condition()
        self.interloper: list[int] = []  # ids another instance handles first, once

    def position(self) -> int:
        return self.stored_position

    def decode(self, rows: Sequence[Raw]) -> list[int]:
        return [r.id for r in rows]

    def handle(self, batch: Batch[list[int]]) -> None:
        if self.interloper:  # another instance handled these first: nothing of ours is kept
            self.stored_position = self.interloper[-1]
            self.interloper = []
        if batch.after != self.stored_position:
            raise PositionMoved(f"at {self.stored_position}, not {batch.after}")
        with self.reached:
            self.handled.extend(batch.items)
            self.stored_position = batch.last
            self.reached.notify_all()

    def wait_for(self, position: int, timeout: float = 60.0) -> bool:
        with self.reached:
            return self.reached.wait_for(lambda: self.stored_position >= position, timeout)


@pytest.fixture
def h(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(sqlite_env(str(tmp_path / "events.sqlite")))
    harness.actor("r-wuhan", "regulator", "420100")
    for _ in range(4):
        harness.enterprise("r-wuhan")
    yield harness
    harness.close()


def ids(h: Harness) -> list[int]:
    return [n.id for n in h.records.recorder.select_notifications(None, 10_000)]


def test_a_runner_hands_every_notification_to_its_follower_once_in_order(h: Harness) -> None:
    follower = Remembering()
    assert Runner(LogReader(h.records.recorder), follower, batch_size=2).catch_up() == len(ids(h))
    assert follower.handled == ids(h)


def test_catch_up_stops_at_the_limit_or_at_the_last_id_asked_for(h: Harness) -> None:
    follower = Remembering()
    runner = Runner(LogReader(h.records.recorder), follower, batch_size=2)
    assert runner.catch_up(limit=3) == 3
    assert runner.catch_up(until=ids(h)[4]) == 2
    assert follower.handled == ids(h)[:5]
    runner.catch_up()
    assert follower.handled == ids(h)


def test_a_moved_position_is_read_again_and_followed_from_there(h: Harness) -> None:
    follower = Remembering()
    follower.interloper = ids(h)[:3]
    Runner(LogReader(h.records.recorder), follower, batch_size=2).catch_up()
    assert follower.interloper == []
    assert follower.handled == ids(h)[3:]  # the interloper's ids are not handled again


def test_every_follower_reports_its_lag_under_its_name(h: Harness) -> None:
    follower = Remembering()
    runner = Runner(LogReader(h.records.recorder), follower, batch_size=3)
    runner.step()
    head = ids(h)[-1]
    assert runner.lag() == Lag("remembering", ids(h)[2], head)
    assert runner.lag().lag == head - ids(h)[2]


def test_a_commit_wakes_a_follower_waiting_in_the_same_process(h: Harness) -> None:
    follower = Remembering()
    runner = Runner(LogReader(h.records.recorder), follower)
    runner.catch_up()
    h.records.add_commit_listener(runner.wake)
    stop = threading.Event()
    waiting = threading.Thread(target=runner.run, args=(stop, 3600.0))  # an hour between polls
    waiting.start()
    try:
        h.enterprise("r-wuhan")
        assert follower.wait_for(ids(h)[-1]), "the commit did not wake the follower"
    finally:
        stop.set()
        runner.wake()
        waiting.join()
    assert follower.handled == ids(h)


def test_a_failing_commit_listener_does_not_fail_the_stored_command(h: Harness) -> None:
    def broken(_: int) -> None:
        raise RuntimeError("listener bug")

    h.records.add_commit_listener(broken)
    uscc = h.enterprise("r-wuhan")
    assert h.records.history(uscc)
