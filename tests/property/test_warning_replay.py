"""Property: the warning policy's decisions are a function of the log (and the ticks' instants).

For any sequence of alarms, acknowledgements, clearings, accidents and ticks run through the
real store with the warning service's decisions recorded as they are made: replaying the
whole log into a fresh policy decides, event by event, exactly what the live policy decided;
and a policy restarted at any point (the log up to it folded, decisions discarded, as the
worker rebuilds from its ack floor) decides for every later event exactly what the live one
did."""

from __future__ import annotations

from uuid import UUID

from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.ids import device_id
from domain.warning_policy import WarningPolicy
from tests.domain.test_sensor import raise_alarm
from tests.domain.test_warning_policy import REGION, Loop, site_in
from tests.support import Harness

ALARM = st.tuples(st.just("alarm"), st.sampled_from(["GD-1", "GD-3"]), st.sampled_from([25, 45]))
OPS = st.lists(
    st.one_of(
        ALARM,
        ALARM,
        st.tuples(st.just("ack"), st.integers(0, 9), st.just(0)),
        st.tuples(st.just("clear"), st.integers(0, 9), st.just(0)),
        st.tuples(st.just("tick"), st.sampled_from([5, 31, 90, 60 * 25, 60 * 24 * 8]), st.just(0)),
        st.tuples(st.just("accident"), st.just(""), st.integers(0, 3)),
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(ops=OPS, cut=st.floats(0, 1))
@example(  # a recurring alarm, escalated, acknowledged, cleared, then a quiet day
    ops=[
        ("alarm", "GD-3", 25),
        ("alarm", "GD-3", 25),
        ("tick", 31, 0),
        ("alarm", "GD-3", 45),
        ("ack", 0, 0),
        ("clear", 0, 0),
        ("tick", 60 * 25, 0),
    ],
    cut=0.5,
)
def test_replay_and_restart_decide_what_the_live_policy_decided(
    ops: list[tuple[str, object, int]], cut: float
) -> None:
    h = Harness()
    try:
        uscc = site_in(h)
        loop = Loop(h)
        loop.run()
        alarms: list[UUID] = []
        for op, arg, value in ops:
            if op == "alarm":
                account = "dev-1" if arg == "GD-1" else "dev-2"
                level = "level2" if value == 45 else "level1"
                alarms.append(
                    raise_alarm(h, uscc, device_id(str(arg)), value, level, account=account)
                )
            elif op in ("ack", "clear") and alarms:
                alarm = alarms[int(str(arg)) % len(alarms)]
                try:
                    if op == "ack":
                        h.run_as("e-site", "sensor_alarm.acknowledge", REGION, {}, subject=alarm)
                    else:
                        h.run_as("e-site", "sensor_alarm.clear", REGION, {}, subject=alarm)
                except Exception:  # not in a state for it: the store refused, nothing recorded
                    pass
            elif op == "accident":
                h.run_as(
                    "e-site",
                    "accident.report",
                    REGION,
                    {
                        "enterprise": uscc,
                        "happened_at": h.clock.isoformat(),
                        "kind": "fire",
                        "summary": "火灾",
                        "deaths": value,
                        "serious_injuries": 0,
                        "direct_loss": 1000,
                    },
                )
            elif op == "tick":
                h.tick(minutes=int(str(arg)))
                loop.tick(h.clock)
            loop.run()
        log = list(h.records.notifications())
        fresh = WarningPolicy()
        for rec in log:
            assert rec.notification_id is not None
            assert list(fresh.observe(rec)) == loop.observed[rec.notification_id]
        k = int(cut * len(log))
        restarted = WarningPolicy()
        for rec in log[:k]:
            restarted.observe(rec)
        for rec in log[k:]:
            assert rec.notification_id is not None
            assert list(restarted.observe(rec)) == loop.observed[rec.notification_id]
    finally:
        h.close()


def test_the_property_can_fail() -> None:
    """A policy that forgot the first half of the log decides otherwise (the check bites)."""
    h = Harness()
    try:
        uscc = site_in(h)
        loop = Loop(h)
        for _ in range(3):
            raise_alarm(h, uscc, device_id("GD-3"), 25, "level1", account="dev-2")
            h.tick(minutes=10)
        loop.run()
        log = list(h.records.notifications())
        forgetful = WarningPolicy()
        alarms = [r for r in log if r.type == "sensor_alarm.raise"]
        last = alarms[-1]
        assert last.notification_id is not None
        assert list(forgetful.observe(last)) != loop.observed[last.notification_id]
    finally:
        h.close()
