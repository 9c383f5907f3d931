"""Regulatory read models: hazards, penalty clocks, licences, alarms, accidents, timeline."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from domain.certificate import TrainingCertificate
from domain.hazard import HazardCase
from domain.penalty import PenaltyCase
from projections.accidents import accidents_by
from projections.alarms import active_alarms, active_by_level
from projections.hazards import open_hazards, overdue_hazards, supervised_major_hazards
from projections.licences import expiring, lapsed
from projections.penalties import cases_by_step, clocks
from projections.personal_data import subject, subjects
from projections.registry import all_projections
from projections.timeline import lifecycle
from tests.projections.scenes import Site, at
from tests.projections.world import WUHAN, YICHANG, World


def caught_up(w: World) -> None:
    w.follower(all_projections()).catch_up()


def test_general_hazard_is_overdue_from_the_day_after_its_deadline(world: World) -> None:
    site = Site(world, WUHAN, "420102")
    case = site.hazard(when=at("2024-03-01"))
    site.order(case, "2024-03-10", when=at("2024-03-01"))
    caught_up(world)
    with world.engine.connect() as conn:
        on_deadline = open_hazards(conn, "420100", at("2024-03-10", 23))
        day_after = open_hazards(conn, "420100", at("2024-03-11", 0))
        assert [(c.grade, c.open, c.overdue) for c in on_deadline] == [("general", 1, 0)]
        assert [(c.grade, c.open, c.overdue) for c in day_after] == [("general", 1, 1)]
        assert [h.subject for h in overdue_hazards(conn, "420100", at("2024-03-11"))] == [str(case)]


def test_major_hazard_stays_under_supervision_until_it_is_closed(world: World) -> None:
    site = Site(world, WUHAN, "420102")
    case = site.hazard("major")
    site.supervise(case)
    caught_up(world)
    with world.engine.connect() as conn:
        listed = supervised_major_hazards(conn, "420100")
        assert [(h.subject, h.status) for h in listed] == [(str(case), "listed")]
    site.remove(case, major=True)
    caught_up(world)
    with world.engine.connect() as conn:
        assert supervised_major_hazards(conn, "420100") == []
        assert open_hazards(conn, "420100", at("2024-03-02")) == []
    assert world.h.records.load(case, HazardCase).status == "closed"


def test_penalty_payment_clock_runs_from_service_and_stops_when_paid(world: World) -> None:
    site = Site(world, WUHAN, "420102")
    case = site.penalty(fine_yuan=10_000, when=at("2024-03-01"))  # payment due 2024-03-16
    caught_up(world)
    with world.engine.connect() as conn:
        assert clocks(conn, "420100", at("2024-03-01")) == []  # 15 days away, not "soon"
        soon = clocks(conn, "420100", at("2024-03-10"))
        assert [(c.clock, c.due.isoformat(), c.days_left) for c in soon] == [
            ("payment", "2024-03-16", 6)
        ]
        late = clocks(conn, "420100", at("2024-03-18"))
        assert [(c.clock, c.overdue) for c in late] == [("payment", True)]
        assert [(s.step, s.cases) for s in cases_by_step(conn, "420100")] == [("送达", 1)]
    site.pay(case, 1_000_000, when=at("2024-03-05"))
    caught_up(world)
    with world.engine.connect() as conn:
        assert clocks(conn, "420100", at("2024-03-18")) == []
        assert [(s.status, s.cases) for s in cases_by_step(conn, "420100")] == [("executed", 1)]
    assert world.h.records.load(case, PenaltyCase).status == "executed"


def test_late_payment_settles_only_with_the_late_fee(world: World) -> None:
    site = Site(world, WUHAN, "420102")
    case = site.penalty(fine_yuan=10_000, when=at("2024-03-01"))
    # Two days late: 2 × 3% of 1,000,000 fen owed on top of the fine.
    site.pay(case, 1_000_000, when=at("2024-03-18"))
    caught_up(world)
    with world.engine.connect() as conn:
        assert [c.clock for c in clocks(conn, "420100", at("2024-03-18"))] == ["payment"]
    site.pay(case, 60_000, when=at("2024-03-18", 11))
    caught_up(world)
    with world.engine.connect() as conn:
        assert clocks(conn, "420100", at("2024-03-18")) == []
    assert world.h.records.load(case, PenaltyCase).status == "executed"


def test_permits_and_certificates_expiring_within_90_days_and_lapsed(world: World) -> None:
    site = Site(world, WUHAN, "420102")
    permit = site.permit(at("2021-06-01"))  # expires 2024-06-01
    cert = site.certificate(at("2018-04-01"))  # valid until 2024-04-01, review due 2021-04-01
    caught_up(world)
    with world.engine.connect() as conn:
        soon = expiring(conn, "420100", at("2024-03-15"))
        assert [(r.subject, r.days_left) for r in soon] == [(str(cert), 17), (str(permit), 78)]
        assert [r.subject for r in expiring(conn, "420100", at("2024-03-15"), days=30)] == [
            str(cert)
        ]
        # Past its review date with no review applied for: lapsed, though still valid.
        assert [r.subject for r in lapsed(conn, "420100", at("2024-03-15"))] == [str(cert)]
        gone = lapsed(conn, "420100", at("2024-06-01"))
        assert {r.subject for r in gone} == {str(cert), str(permit)}


def test_active_alarms_by_level_leave_out_cleared_and_false_ones(world: World) -> None:
    site = Site(world, WUHAN, "420102")
    first = site.alarm(30, "level1")
    site.alarm(45, "level2")
    false = site.alarm(25, "level1")
    world.h.run_as(
        f"e-{site.uscc}",
        "sensor_alarm.confirm_false",
        "420102",
        {"reason": "校准误报"},
        subject=false,
    )
    world.h.run_as(f"e-{site.uscc}", "sensor_alarm.acknowledge", "420102", {}, subject=first)
    caught_up(world)
    with world.engine.connect() as conn:
        assert [(c.level, c.active, c.unacknowledged) for c in active_by_level(conn, "420100")] == [
            ("level1", 1, 0),
            ("level2", 1, 1),
        ]
        assert len(active_alarms(conn, "420100")) == 2


def test_accidents_by_grade_region_and_industry_follow_casualty_updates(world: World) -> None:
    wh = Site(world, WUHAN, "420102", industry="metallurgy")
    yc = Site(world, YICHANG, "420502", industry="construction")
    acc = wh.accident(deaths=1)
    world.h.run_as(WUHAN, "accident.update_casualties", "420102", {"deaths": 3}, subject=acc)
    yc.accident(injuries=2)
    caught_up(world)
    with world.engine.connect() as conn:
        rows = [
            (r.grade_zh, r.region, r.industry, r.accidents, r.deaths)
            for r in accidents_by(conn, "420000")
        ]
    assert rows == [
        ("一般", "420502", "construction", 1, 0),
        ("较大", "420102", "metallurgy", 1, 3),
    ]


def test_lifecycle_orders_stages_and_names_every_event(world: World) -> None:
    site = Site(world, WUHAN, "420102")
    site.permit(at("2024-02-01"))
    case = site.hazard()
    site.order(case, "2024-12-31")
    site.penalty()
    caught_up(world)
    with world.engine.connect() as conn:
        life = lifecycle(conn, site.uscc, "420100")
    history = world.h.records.history(site.uscc)
    assert [e.event_id for e in life.entries] == [r.event_id for r in history]
    assert life.reached == "处罚"
    assert len(life.stages["准入"]) == 3  # registration, permit application and grant
    assert all(e.event for e in life.entries)


def test_a_day_is_the_day_in_china_standard_time(world: World) -> None:
    site = Site(world, WUHAN, "420102")
    case = site.hazard()
    site.order(case, "2024-03-10")
    caught_up(world)
    with world.engine.connect() as conn:
        # 16:30 UTC on the 10th is 00:30 on the 11th in Beijing: the deadline has passed.
        assert open_hazards(conn, "420100", datetime(2024, 3, 10, 16, 30, tzinfo=UTC))[0].overdue
        assert not open_hazards(conn, "420100", datetime(2024, 3, 10, 15, 30, tzinfo=UTC))[
            0
        ].overdue


def test_personal_data_view_lists_holders_by_jurisdiction_and_shows_erasure(
    world: World,
) -> None:
    wuhan = Site(world, WUHAN, "420102")
    yichang = Site(world, YICHANG, "420502")
    cert = wuhan.certificate(at("2024-03-01"))
    yichang.certificate(at("2024-03-02"))
    holder = world.h.records.load(cert, TrainingCertificate).holder_ref
    caught_up(world)
    with world.engine.connect() as conn:
        listed = subjects(conn, "420100")
        assert [(s.ref, s.record, s.kind, s.status) for s in listed] == [
            (holder, str(cert), "certificate", "sealed")
        ]
        assert len(subjects(conn, "420000")) == 2
    wuhan.run("person.erase", {"record": str(cert), "reason": "撤回同意"}, UUID(holder))
    caught_up(world)
    with world.engine.connect() as conn:
        erased = subject(conn, holder)
    assert erased is not None
    assert (erased.status, erased.erased_by, erased.reason) == ("erased", WUHAN, "撤回同意")
    assert erased.erasure_event_id == f"{holder}:1"
