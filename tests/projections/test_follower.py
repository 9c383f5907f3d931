"""The follower contract, run on SQLite files and on PostgreSQL: batches of the log applied with
their tracking position in one transaction, exactly once, resumable, with its lag reported."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from eventsourcing.persistence import ApplicationRecorder, Notification
from sqlalchemy import func, select

from domain.ids import enterprise_id
from domain.log_reader import LogReader
from ops.bootstrap import store_env
from ops.settings import Settings
from projections.enterprises import EnterpriseDirectory, enterprises
from projections.errors import ConcurrentFollower, ProjectionFailed, UnknownProjection
from projections.follower import ReadModelFollower
from projections.store import readmodels_url, tracking
from projections.timeline import Timeline, timeline
from tests.projections.counting import Counting, create_tables, totals
from tests.projections.world import WUHAN, World


class GappyLog:
    """A recorder whose log lacks some notification ids, as after rolled-back inserts."""

    def __init__(self, inner: ApplicationRecorder, missing: set[int]) -> None:
        self.inner = inner
        self.missing = missing

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> list[Notification]:
        everything = self.inner.select_notifications(
            start, 1_000_000, stop, topics, inclusive_of_start=inclusive_of_start
        )
        return [n for n in everything if n.id not in self.missing][:limit]

    def max_notification_id(self) -> int | None:
        return self.inner.max_notification_id()


def register(w: World, n: int) -> list[str]:
    return [w.h.enterprise(WUHAN) for _ in range(n)]


class FollowerContract:
    @pytest.fixture
    def world(self) -> Iterator[World]:
        raise NotImplementedError

    def test_catch_up_applies_every_notification_once(self, world: World) -> None:
        create_tables(world.engine)
        register(world, 7)
        f = world.follower([Counting(), Timeline()], batch_size=3)
        read = f.catch_up()
        head = f.head()
        assert read == head
        with world.engine.connect() as conn:
            assert totals(conn) == (head, head * (head + 1) // 2)
            assert conn.scalar(select(func.count()).select_from(timeline)) == 7
        assert f.lag() == 0
        assert {s.name: s.position for s in f.status()} == {"test-counting": head, "timeline": head}

    def test_a_new_follower_resumes_after_the_last_applied_notification(self, world: World) -> None:
        create_tables(world.engine)
        register(world, 3)
        world.follower([Counting()]).catch_up()
        register(world, 4)
        again = world.follower([Counting()])
        assert again.lag() == 4
        assert again.catch_up() == 4
        head = again.head()
        with world.engine.connect() as conn:
            assert totals(conn) == (head, head * (head + 1) // 2)

    def test_a_failing_batch_keeps_neither_rows_nor_position(self, world: World) -> None:
        create_tables(world.engine)
        register(world, 6)
        head = world.follower([Counting()]).head()
        bad = head - 2
        f = world.follower([Counting(fail_on=bad), Timeline()], batch_size=head)
        with pytest.raises(ProjectionFailed, match=f"notifications 1..{head}"):
            f.catch_up()
        with world.engine.connect() as conn:
            assert totals(conn) == (0, 0)
            assert conn.scalar(select(func.count()).select_from(timeline)) == 0
        assert {s.position for s in f.status()} == {0}
        fixed = world.follower([Counting(), Timeline()])
        fixed.catch_up()
        with world.engine.connect() as conn:
            assert totals(conn) == (head, head * (head + 1) // 2)

    def test_gaps_in_notification_ids_are_passed_over(self, world: World) -> None:
        create_tables(world.engine)
        register(world, 8)
        head = world.follower([Counting()]).head()
        missing = {2, head - 3, head - 2}
        f = ReadModelFollower(
            GappyLog(world.h.records.recorder, missing),
            world.engine,
            [Counting()],
            batch_size=2,
            gap_grace=0,  # these gaps are final (rolled-back inserts)
        )
        f.catch_up()
        expected = [i for i in range(1, head + 1) if i not in missing]
        with world.engine.connect() as conn:
            assert totals(conn) == (len(expected), sum(expected))
        assert f.positions() == {"test-counting": head}
        assert f.lag() == 0

    def test_a_fresh_gap_holds_the_batch_back_until_the_late_insert_or_the_grace(
        self, world: World
    ) -> None:
        register(world, 6)  # notifications 1..10
        gappy = GappyLog(world.h.records.recorder, {3})
        now = [100.0]
        log = LogReader(gappy, gap_grace=5.0, clock=lambda: now[0])
        assert [r[0] for r in log.after(0, 4)] == [1, 2]
        now[0] += 4.9
        assert [r[0] for r in log.after(2, 4)] == []
        gappy.missing.clear()  # the insert in flight commits: nothing is lost
        assert [r[0] for r in log.after(2, 4)] == [3, 4, 5, 6]
        gappy.missing.add(7)
        assert [r[0] for r in log.after(6, 2)] == []
        now[0] += 5.1  # never filled: a rolled-back insert, passed over
        assert [r[0] for r in log.after(6, 2)] == [8, 9]

    def test_lag_counts_what_is_not_applied_yet(self, world: World) -> None:
        register(world, 2)
        f = world.follower([Timeline()], batch_size=2)
        head = f.head()
        assert f.lag() == head
        f.step()
        assert f.lag() == head - 2

    def test_a_second_follower_racing_the_first_applies_nothing_twice(self, world: World) -> None:
        create_tables(world.engine)
        register(world, 4)
        a = world.follower([Counting()], batch_size=2)
        b = world.follower([Counting()], batch_size=2)
        a.positions()
        b.positions()  # both read position 0
        a.step()
        with pytest.raises(ConcurrentFollower):
            b.step()
        b.catch_up()  # b re-reads the position and goes on from there
        a.catch_up()
        head = a.head()
        with world.engine.connect() as conn:
            assert totals(conn) == (head, head * (head + 1) // 2)

    def test_rebuilding_one_projection_leaves_the_others(self, world: World) -> None:
        register(world, 3)
        f = world.follower([Timeline(), EnterpriseDirectory()])
        f.catch_up()
        with world.engine.begin() as conn:
            conn.execute(enterprises.update().values(name="tampered"))
            conn.execute(timeline.delete())
        f.rebuild(["enterprises"])
        with world.engine.connect() as conn:
            names = set(conn.scalars(select(enterprises.c.name)))
            assert "tampered" not in names
            assert len(names) == 3
            assert conn.scalar(select(func.count()).select_from(timeline)) == 0

    def test_rebuild_of_an_unknown_projection_is_refused(self, world: World) -> None:
        with pytest.raises(UnknownProjection, match="nope"):
            world.follower([Timeline()]).rebuild(["nope"])

    def test_rows_of_another_projection_version_are_rebuilt(self, world: World) -> None:
        register(world, 2)
        world.follower([EnterpriseDirectory()]).catch_up()
        with world.engine.begin() as conn:
            conn.execute(enterprises.update().values(name="old logic"))
            conn.execute(tracking.update().values(version="0"))
        world.follower([EnterpriseDirectory()]).catch_up()
        with world.engine.connect() as conn:
            assert "old logic" not in set(conn.scalars(select(enterprises.c.name)))
            assert conn.scalar(select(tracking.c.version)) == EnterpriseDirectory.version

    def test_timeline_entries_name_the_events_behind_them(self, world: World) -> None:
        uscc = world.h.enterprise(WUHAN)
        world.h.run_as(
            WUHAN,
            "enterprise.update_profile",
            "420102",
            {"uscc": uscc, "employees": 12},
            subject=enterprise_id(uscc),
        )
        world.follower([Timeline()]).catch_up()
        from projections.timeline import lifecycle

        with world.engine.connect() as conn:
            life = lifecycle(conn, uscc, "420100")
        history = world.h.records.history(uscc)
        assert [e.event_id for e in life.entries] == [r.event_id for r in history]
        assert life.stages["准入"] == [r.event_id for r in history]
        assert life.reached == "准入"


class TestSQLite(FollowerContract):
    @pytest.fixture
    def world(self, tmp_path: Path) -> Iterator[World]:
        settings = Settings(home=tmp_path)
        w = World(store_env(settings), readmodels_url(settings.sqlalchemy_url))
        yield w
        w.close()


@pytest.mark.postgres
class TestPostgres(FollowerContract):
    @pytest.fixture
    def world(self, postgres_url: str) -> Iterator[World]:
        w = World(store_env(Settings(database_url=postgres_url)), readmodels_url(postgres_url))
        yield w
        w.close()
