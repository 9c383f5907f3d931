"""The emergency module's policy: what it opens, with which teams suggested, and that replaying
the same events into a fresh policy gives the same decisions."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.dispatch import TeamPosition, great_circle_km, needs, suggest
from domain.emergency import EmergencyIncident, incident_id
from domain.emergency_policy import (
    ACCIDENT_RULE,
    WARNING_RULE,
    EmergencyPolicy,
    red_warning_at_major_source,
)
from domain.ids import enterprise_id
from domain.policy import Decision, Policy, command_id
from domain.rescue import RescueTeam, team_id
from domain.stored import StoredRecord
from tests.domain.emergency_world import COUNTY, PREFECTURE, World, sign, world


def replay(events: list[StoredRecord]) -> list[Decision]:
    policy = EmergencyPolicy()
    return [d for e in events for d in policy.observe(e)]


def test_the_policy_satisfies_the_contract() -> None:
    policy: Policy = EmergencyPolicy()
    assert (policy.name, policy.account) == ("emergency", "svc-emergency")


def test_a_larger_accident_opens_a_prefecture_level_iii_incident_with_the_nearest_teams() -> None:
    w = world()
    accident = w.report_accident(deaths=3, kind="explosion")
    report = w.events()[-1]
    recorded = w.step()
    assert [r.type for r in recorded] == ["emergency.open"]
    (d,) = w.decisions
    assert (d.cause, d.rule) == (report.event_id, ACCIDENT_RULE)
    assert d.id == command_id(report.event_id, ACCIDENT_RULE)
    incident = w.h.records.load(incident_id("accident", accident), EmergencyIncident)
    assert (incident.level, incident.jurisdiction, incident.cause) == (
        "III",
        PREFECTURE,
        report.event_id,
    )
    suggested = d.command["data"]["suggested"]
    # Hazchem first, nearest first (青山 8.5 km, then 鄂州 60.8 km; 宜昌 is 290 km away), then
    # medical (洪山); the mine team is nearest of all but cannot help.
    assert [(s["code"], s["capability"]) for s in suggested] == [
        ("WH-HAZ-1", "hazchem"),
        ("EZ-HAZ-1", "hazchem"),
        ("WH-MED-1", "medical"),
        ("YC-HAZ-1", "medical"),
    ]
    assert suggested[0]["distance_km"] < suggested[1]["distance_km"]
    assert d.command["data"]["location"]["source"] == "region_seat"


def test_a_dispatched_team_is_not_suggested_again() -> None:
    w = world()
    first = w.report_accident(deaths=3)
    w.step()
    w.h.run_as(
        "reg-wh",
        "rescue.dispatch",
        "420107",
        {"incident": str(incident_id("accident", first))},
        subject=team_id("WH-HAZ-1"),
    )
    w.report_accident(deaths=3)
    w.step()
    codes = [s["code"] for s in w.decisions[-1].command["data"]["suggested"]]
    assert "WH-HAZ-1" not in codes
    assert codes[:2] == ["EZ-HAZ-1", "YC-HAZ-1"]


def test_no_second_incident_for_one_accident() -> None:
    w = world()
    w.report_accident()
    w.step()
    # The policy has seen its own emergency.open come back: the report again decides nothing.
    report = next(e for e in w.events() if e.type == "accident.report")
    assert w.policy.observe(report) == ()


def test_the_same_decision_is_refused_by_the_store_as_the_same_command() -> None:
    w = world()
    w.report_accident()
    w.step()
    again = replay(w.events())
    assert [d.id for d in again] == [d.id for d in w.decisions]
    recorded = w.h.records.execute(sign(w.h, again[0]))
    assert recorded.recorded_before


def test_a_red_warning_at_a_major_hazard_source_opens_a_county_incident() -> None:
    w = world()
    warning = uuid4()
    env: dict[str, Any] = {
        "type": "warning.issue",
        "region": COUNTY,
        "occurred_at": w.h.clock.isoformat(),
        "data": {"level": "red", "enterprise": w.uscc, "rule": "gas-alarm",
                 "message": {"zh": "二级报警", "en": "level-2 alarm"}},
    }  # fmt: skip
    event = StoredRecord(f"{warning}:1", warning, 1, "warning", env, "", "", "", "")
    (d,) = w.policy.observe(event)
    assert (d.rule, d.command["region"], d.command["data"]["level"]) == (WARNING_RULE, COUNTY, "IV")
    assert d.command["subject"] == str(incident_id("warning", warning))
    assert "二级报警" in d.command["data"]["summary"]
    # Not red, or red by another rule than the gas alarm's at a major source: nothing.
    for data in (
        {**env["data"], "level": "orange"},
        {"level": "red", "enterprise": w.uscc},
        {**env["data"], "rule": "accident"},
    ):
        other = uuid4()
        e = StoredRecord(f"{other}:1", other, 1, "warning", {**env, "data": data}, "", "", "", "")
        assert w.policy.observe(e) == ()


def test_reading_the_warning_schema_is_in_one_place() -> None:
    uscc = "91420102MA0000001Y"
    assert red_warning_at_major_source({"level": "red", "enterprise": uscc, "rule": "gas-alarm"})
    assert (
        red_warning_at_major_source({"level": "red", "enterprise": uscc, "rule": "accident"})
        is None
    )
    assert (
        red_warning_at_major_source({"level": "red", "enterprise": 7, "rule": "gas-alarm"}) is None
    )
    assert red_warning_at_major_source({"level": "red", "rule": "gas-alarm"}) is None
    assert red_warning_at_major_source({"level": "red", "enterprise": uscc}) is None


def test_tick_decides_nothing() -> None:
    w = world(teams=False)
    assert w.policy.tick(w.h.clock) == ()


def test_great_circle_distance() -> None:
    # Wuhan to Yichang is about 290 km as the crow flies; a point to itself is 0.
    assert 285 < great_circle_km((30.593, 114.305), (30.692, 111.286)) < 295
    assert great_circle_km((30.5, 114.3), (30.5, 114.3)) == 0


def test_needs() -> None:
    assert needs("fire", "hazardous_chemicals", False) == ["fire"]
    assert needs("other", "non_coal_mining", True) == ["mine", "medical"]
    assert needs(None, None, False) == ["fire"]


TEAM = st.builds(
    TeamPosition,
    id=st.uuids().map(str),
    code=st.from_regex(r"[A-Z]{2}-[0-9]{1,3}", fullmatch=True),
    name=st.just("队"),
    latitude=st.floats(29.0, 33.4),
    longitude=st.floats(108.3, 116.2),
    capabilities=st.frozensets(st.sampled_from(["hazchem", "fire", "medical", "mine"]), min_size=1),
    available=st.booleans(),
)


@given(st.lists(TEAM, max_size=12, unique_by=lambda t: t.code), st.randoms())
def test_the_suggestion_does_not_depend_on_the_order_of_the_teams(
    teams: list[TeamPosition], rnd: Any
) -> None:
    origin = (30.6, 114.3)
    first = suggest(teams, origin, ["hazchem", "medical"])
    shuffled = list(teams)
    rnd.shuffle(shuffled)
    assert suggest(shuffled, origin, ["hazchem", "medical"]) == first
    for s in first:
        team = next(t for t in teams if t.id == s.team)
        assert team.available
        assert s.capability in team.capabilities
    assert len({s.team for s in first}) == len(first)


STEP = st.one_of(
    st.tuples(st.just("accident"), st.integers(0, 40), st.integers(0, 60)),
    st.tuples(st.just("dispatch"), st.sampled_from(["WH-HAZ-1", "EZ-HAZ-1", "WH-MED-1"])),
    st.tuples(st.just("stand_down"), st.sampled_from(["WH-HAZ-1", "EZ-HAZ-1", "WH-MED-1"])),
)
REGION_OF = {"WH-HAZ-1": "420107", "EZ-HAZ-1": "420700", "WH-MED-1": "420111"}


def run_steps(w: World, steps: list[tuple[Any, ...]]) -> None:
    incidents = []
    for step in steps:
        if step[0] == "accident":
            incidents.append(
                incident_id("accident", w.report_accident(deaths=step[1], injuries=step[2]))
            )
            w.step()
            continue
        team = w.h.records.load(team_id(step[1]), RescueTeam)
        if step[0] == "dispatch" and team.status == "available" and incidents:
            w.h.run_as("reg-hb", "rescue.dispatch", REGION_OF[step[1]],
                       {"incident": str(incidents[-1])}, subject=team_id(step[1]))  # fmt: skip
        elif step[0] == "stand_down" and team.status == "dispatched":
            w.h.run_as("reg-hb", "rescue.stand_down", REGION_OF[step[1]],
                       {"incident": team.incident}, subject=team_id(step[1]))  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(STEP, max_size=8))
def test_replaying_the_log_into_a_fresh_policy_gives_the_same_decisions(
    steps: list[tuple[Any, ...]],
) -> None:
    w = world()
    run_steps(w, steps)
    events = w.events()
    live = [(d.id, d.command) for d in w.decisions]
    assert [(d.id, d.command) for d in replay(events)] == live
    # Every accident has its incident, recorded once.
    opened = [e for e in events if e.type == "emergency.open"]
    reports = [e for e in events if e.type == "accident.report"]
    assert len(opened) == len(reports) == len(live)
    assert {e.envelope["data"]["cause"] for e in opened} == {e.event_id for e in reports}


@given(
    st.dictionaries(
        st.sampled_from(["level", "enterprise", "rule", "message"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=20),
            st.sampled_from(["red", "91420102MA0000001Y", "gas-alarm"]),
            st.dictionaries(st.sampled_from(["zh", "en"]), st.one_of(st.text(), st.integers())),
        ),
    )
)
def test_any_warning_data_is_read_without_failing(data: dict[str, Any]) -> None:
    red = red_warning_at_major_source(data)
    if red is not None:
        assert data["level"] == "red"
        assert isinstance(red.message, str)


def test_a_red_warning_naming_no_valid_uscc_opens_nothing() -> None:
    for bad in ("91420102MA0000001Z", "x" * 18, ""):
        data = {"level": "red", "enterprise": bad, "rule": "gas-alarm"}
        assert red_warning_at_major_source(data) is None


def test_a_warning_filed_elsewhere_opens_the_incident_at_the_enterprises_county() -> None:
    w = world(teams=False)
    w.step()  # the policy learns the enterprise (region 420102)
    warning = uuid4()
    env: dict[str, Any] = {
        "type": "warning.issue",
        "region": "420100",
        "occurred_at": w.h.clock.isoformat(),
        "data": {"level": "red", "enterprise": w.uscc, "rule": "gas-alarm"},
    }
    event = StoredRecord(f"{warning}:1", warning, 1, "warning", env, "", "", "", "")
    (d,) = w.policy.observe(event)
    assert d.command["region"] == COUNTY
    recorded = w.h.records.execute(sign(w.h, d))
    assert recorded.type == "emergency.open"
    assert w.h.records.load(incident_id("warning", warning), EmergencyIncident).trigger == "warning"


def test_no_incident_is_decided_for_a_deregistered_enterprise() -> None:
    w = world(teams=False)
    w.h.run_as(
        "reg-ja",
        "enterprise.deregister",
        COUNTY,
        {"uscc": w.uscc, "reason": "关闭"},
        subject=enterprise_id(w.uscc),
    )
    w.step()
    warning = uuid4()
    env: dict[str, Any] = {
        "type": "warning.issue",
        "region": COUNTY,
        "occurred_at": w.h.clock.isoformat(),
        "data": {"level": "red", "enterprise": w.uscc, "rule": "gas-alarm"},
    }
    event = StoredRecord(f"{warning}:1", warning, 1, "warning", env, "", "", "", "")
    assert w.policy.observe(event) == ()
