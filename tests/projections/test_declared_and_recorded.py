"""Read models judge time as the domain does, and show both times: the accidents read model
judges a late report at the recorded time of the unit's own report, and the lifecycle timeline
keeps the declared and the recorded time and marks migrated history."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

from sqlalchemy import select

from domain.accident import Accident
from projections.accidents import accidents
from projections.registry import all_projections
from projections.timeline import lifecycle
from tests.projections.scenes import Site, at
from tests.projections.world import WUHAN, World


def report(site: Site, who: str, happened: datetime, channel: str | None = None) -> UUID:
    """An accident report signed by `who`, dated half an hour after the accident."""
    subject = uuid4()
    data = {
        "enterprise": site.uscc,
        "happened_at": happened.isoformat(),
        "kind": "fall_from_height",
        "summary": "坍塌",
        "deaths": 0,
        "serious_injuries": 1,
        "direct_loss": 0,
    }
    when = happened + timedelta(minutes=30)
    site.h.run_as(
        who,
        "accident.report",
        site.region,
        data,
        subject=subject,
        occurred_at=when,
        channel=channel,
    )
    return subject


def test_a_backdated_report_is_late_in_the_read_model_as_in_the_aggregate(world: World) -> None:
    site = Site(world, WUHAN, "420102")
    world.h.actor("e-migrated", "enterprise", "420102", enterprise=site.uscc, custody="platform")
    world.h.recording_at = at("2024-06-03")  # three months after the accident
    world.h.records.go_live = at("2024-06-01")  # the migrated report is history before it
    happened = at("2024-03-01")
    unit = report(site, site.account, happened)
    migrated = report(site, "e-migrated", happened, channel="migration")
    attested = report(site, site.reg, happened)  # the regulator attests when it received it
    world.follower(all_projections()).catch_up()
    with world.engine.connect() as conn:
        late = dict(conn.execute(select(accidents.c.subject, accidents.c.reported_late)).all())
    assert [late[str(s)] for s in (unit, migrated, attested)] == [True, False, False]
    for s in (unit, migrated, attested):
        assert late[str(s)] == world.h.records.load(s, Accident).reported_late


def test_the_timeline_keeps_both_times_and_marks_migrated_history(world: World) -> None:
    site = Site(world, WUHAN, "420102")
    world.h.actor("e-migrated", "enterprise", "420102", enterprise=site.uscc, custody="platform")
    world.h.recording_at = at("2024-06-03")
    world.h.records.go_live = at("2024-06-01")
    own = report(site, site.account, at("2024-03-01"))
    migrated = report(site, "e-migrated", at("2024-03-02"), channel="migration")
    world.h.recording_at = None
    on_time = report(site, site.account, at("2024-06-04"))
    world.follower(all_projections()).catch_up()
    with world.engine.connect() as conn:
        entries = {e.event_id: e for e in lifecycle(conn, site.uscc, "420100").entries}
    shown = {
        s: (entries[f"{s}:1"].times_differ, entries[f"{s}:1"].migrated)
        for s in (own, migrated, on_time)
    }
    assert shown == {own: (True, False), migrated: (True, True), on_time: (False, False)}
    assert entries[f"{migrated}:1"].channel == "migration"
