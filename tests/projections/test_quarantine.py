"""A store that already holds a poisoned instant: the follower sets that event aside, lists
it with its reason, and projects everything else — on SQLite and PostgreSQL read models.

Before, its occurred_at (9999-12-31T23:59:00-01:00) overflowed the decoder and every batch
holding it failed: every read command stopped for the whole province.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
from sqlalchemy import select

from projections.hazards import hazards
from projections.quarantine import quarantined
from projections.registry import all_projections
from projections.store import metadata, tracking
from tests.projections.poison import poisoned_hazard, record_unbounded, subject_of
from tests.projections.scenes import Site
from tests.projections.world import WUHAN, World, dump


def poison(w: World) -> tuple[Site, list[str]]:
    """A site with good records around two poisoned ones: a far-future occurred_at, and a
    far-future deadline in data."""
    site = Site(w, WUHAN, "420102")
    good = site.hazard()
    bad_time = poisoned_hazard(w.h, WUHAN, site.uscc)
    bad_deadline = record_unbounded(
        w.h,
        WUHAN,
        "hazard.order_rectification",
        "420102",
        {"deadline": "9999-12-31", "requirements": "整改"},
        subject=good,
    )
    site.hazard()
    return site, [bad_time, bad_deadline]


class QuarantineContract:
    @pytest.fixture
    def world(self) -> Iterator[World]:
        raise NotImplementedError

    def test_poisoned_events_are_set_aside_and_everything_else_projects(self, world: World) -> None:
        _, bad = poison(world)
        follower = world.follower(all_projections())
        follower.catch_up()
        assert follower.lag() == 0
        with world.engine.connect() as conn:
            listed = quarantined(conn)
            reported = {UUID(r.subject) for r in conn.execute(select(hazards))}
        assert [r.event_id for r in listed] == bad
        assert "InstantOutOfRange" in listed[0].reason
        assert "[occurred_at]" in listed[0].reason
        assert "[/data/deadline]" in listed[1].reason
        assert subject_of(bad[0]) not in reported
        assert len(reported) == 2  # the good hazards, the second one after the poison

    def test_a_rebuild_sets_the_same_events_aside_and_reaches_the_same_state(
        self, world: World
    ) -> None:
        poison(world)
        follower = world.follower(all_projections(), batch_size=2)
        follower.catch_up()
        tables = [t for t in metadata.sorted_tables if t is not tracking]
        with world.engine.connect() as conn:
            before = dump(conn, tables=tables)
        follower.rebuild()
        with world.engine.connect() as conn:
            after = dump(conn, tables=tables)
        drop = {"rm_quarantine"}  # its set_aside_at is when the rebuild met it again
        assert {k: v for k, v in after.items() if k not in drop} == {
            k: v for k, v in before.items() if k not in drop
        }
        assert [r[:4] for r in after["rm_quarantine"]] == [r[:4] for r in before["rm_quarantine"]]


class TestSQLite(QuarantineContract):
    @pytest.fixture
    def world(self, tmp_path: Path) -> Iterator[World]:
        w = World(None, f"sqlite:///{tmp_path / 'readmodels.sqlite'}")
        yield w
        w.close()


@pytest.mark.postgres
class TestPostgres(QuarantineContract):
    @pytest.fixture
    def world(self, postgres_url: str) -> Iterator[World]:
        w = World(None, postgres_url)
        yield w
        w.close()
