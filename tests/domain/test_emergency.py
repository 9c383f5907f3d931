"""Emergency incidents and rescue teams (应急协调指挥): levels and their jurisdictions, the
lifecycle, and every refusal (wrong role, wrong jurisdiction, closing twice, dispatching a
dispatched team, a casualty update after 30 days, forged subjects and values)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.clocks import TooEarly, TooLate
from domain.emergency import EmergencyIncident, incident_id, owner_region
from domain.errors import (
    AlreadyExists,
    InvalidTransition,
    InvalidValue,
    NotAuthorized,
    NotFound,
)
from domain.ids import actor_id
from domain.rescue import RescueTeam, team_id
from tests.domain.emergency_world import COUNTY, PREFECTURE, World, sign, world


def opened(w: World, **figures: Any) -> tuple[UUID, EmergencyIncident]:
    accident = w.report_accident(**figures)
    w.step()
    subject = incident_id("accident", accident)
    return subject, w.h.records.load(subject, EmergencyIncident)


def regulator_open(w: World, account: str, region: str, **data: Any) -> UUID:
    subject = uuid4()
    body = {
        "enterprise": w.uscc,
        "trigger": "regulator",
        "happened_at": w.h.clock.isoformat(),
        "level": "IV",
        "summary": "储罐泄漏",
        **data,
    }
    w.h.run_as(account, "emergency.open", region, body, subject=subject)
    return subject


@pytest.mark.parametrize(
    ("figures", "level", "region"),
    [
        ({}, "IV", COUNTY),
        ({"deaths": 3}, "III", PREFECTURE),
        ({"injuries": 50}, "II", "420000"),
        ({"loss": 100_000_000}, "I", "420000"),
    ],
)
def test_the_grade_sets_the_level_and_the_level_the_owning_jurisdiction(
    figures: dict[str, Any], level: str, region: str
) -> None:
    w = world()
    _, incident = opened(w, **figures)
    assert (incident.level, incident.region, incident.jurisdiction) == (level, region, region)
    assert incident.status == "open"


def test_owner_regions() -> None:
    assert owner_region("IV", "420102") == "420102"
    assert owner_region("III", "420102") == "420100"
    assert owner_region("III", "429004") == "429004"
    assert owner_region("II", "420102") == owner_region("I", "420102") == "420000"


def test_a_regulator_opens_an_incident_in_its_jurisdiction_at_the_right_level() -> None:
    w = world()
    subject = regulator_open(w, "reg-ja", COUNTY)
    assert w.h.records.load(subject, EmergencyIncident).jurisdiction == COUNTY
    with pytest.raises(InvalidValue, match="belongs to jurisdiction 420100"):
        regulator_open(w, "reg-wh", COUNTY, level="III")
    with pytest.raises(NotAuthorized, match="outside the jurisdiction"):
        regulator_open(w, "reg-ja", PREFECTURE, level="III")
    with pytest.raises(NotAuthorized, match="outside the jurisdiction"):
        regulator_open(w, "reg-yc", COUNTY)


def test_the_service_opens_only_on_a_record_and_does_nothing_else() -> None:
    w = world()
    with pytest.raises(NotAuthorized, match="accident or a warning"):
        regulator_open(w, "svc-emergency", COUNTY)
    subject, _ = opened(w)
    with pytest.raises(NotAuthorized, match=r"role service may not issue emergency\.close"):
        w.h.run_as("svc-emergency", "emergency.close", COUNTY, {"summary": "x"}, subject=subject)
    with pytest.raises(NotAuthorized, match=r"role service may not issue rescue\.dispatch"):
        w.h.run_as(
            "svc-emergency",
            "rescue.dispatch",
            "420107",
            {"incident": str(subject)},
            subject=team_id("WH-HAZ-1"),
        )


def test_an_enterprise_may_not_open_an_incident() -> None:
    w = world()
    w.h.actor("ent", "enterprise", COUNTY, enterprise=w.uscc)
    with pytest.raises(NotAuthorized, match=r"role enterprise may not issue emergency\.open"):
        regulator_open(w, "ent", COUNTY)


def test_one_incident_per_accident_whoever_opens_it() -> None:
    w = world()
    accident = w.report_accident()
    d = w.policy.observe(w.events()[-1])[0]
    w.h.records.execute(sign(w.h, d))
    data = {**d.command["data"]}
    data.pop("cause"), data.pop("rule")
    with pytest.raises(AlreadyExists, match="open already"):
        w.h.run_as(
            "reg-ja", "emergency.open", COUNTY, data, subject=incident_id("accident", accident)
        )
    with pytest.raises(InvalidValue, match="must be record"):
        w.h.run_as("reg-ja", "emergency.open", COUNTY, data, subject=uuid4())


def test_an_incident_about_an_accident_must_agree_with_it() -> None:
    w = world()
    accident = w.report_accident(deaths=3)
    d = w.policy.observe(w.events()[-1])[0]
    base = {k: v for k, v in d.command["data"].items() if k not in ("cause", "rule")}
    subject = incident_id("accident", accident)

    def attempt(region: str = PREFECTURE, account: str = "reg-wh", **change: Any) -> None:
        data = {k: v for k, v in {**base, **change}.items() if v is not None}
        w.h.run_as(account, "emergency.open", region, data, subject=subject)

    with pytest.raises(InvalidValue, match="needs response level Ⅲ级 or higher"):
        attempt(region=COUNTY, level="IV")
    with pytest.raises(InvalidValue, match="happened at"):
        attempt(happened_at=(w.h.clock - timedelta(days=1)).isoformat())
    other = w.h.enterprise("reg-ja", COUNTY)
    with pytest.raises(InvalidValue, match="is of enterprise"):
        attempt(enterprise=other)
    with pytest.raises(InvalidValue, match="names its grade"):
        attempt(grade=None)
    with pytest.raises(InvalidValue, match="outside Hubei"):
        attempt(location={"latitude": 39.9, "longitude": 116.4, "source": "enterprise"})
    with pytest.raises(InvalidValue, match="names no warning"):
        attempt(warning=str(uuid4()))
    missing = {**base, "accident": str(uuid4())}
    with pytest.raises(NotFound, match="no accident record"):
        w.h.run_as(
            "reg-wh",
            "emergency.open",
            PREFECTURE,
            missing,
            subject=incident_id("accident", missing["accident"]),
        )
    # A higher level than the grade's is the regulator's call.
    attempt(region="420000", account="reg-hb", level="II")
    assert w.h.records.load(subject, EmergencyIncident).level == "II"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("level", "V", "level"),
        ("trigger", "rumour", "trigger"),
        ("happened_at", "2024-03-01 09:00", "happened_at"),
        ("summary", "", "summary"),
        ("suggested", [{"team": "x"}], "suggested"),
        ("cause", "not-an-event-id", "cause"),
        ("rule", "no version", "rule"),
        ("enterprise", "91420102MA0000001Z", "enterprise"),
    ],
)
def test_malformed_open_commands_are_refused_naming_the_field(
    field: str, value: Any, message: str
) -> None:
    w = world(teams=False)
    with pytest.raises(InvalidValue, match=message):
        regulator_open(w, "reg-ja", COUNTY, **{field: value})


def test_an_incident_cannot_be_opened_before_it_happened() -> None:
    w = world(teams=False)
    with pytest.raises(InvalidValue, match="before it happened"):
        regulator_open(
            w, "reg-ja", COUNTY, happened_at=(w.h.clock + timedelta(hours=2)).isoformat()
        )


def test_lifecycle_tasks_casualties_escalation_and_close() -> None:
    w = world()
    subject, _ = opened(w)  # 一般: level IV, led by the county

    def act(account: str, verb: str, data: dict[str, Any]) -> EmergencyIncident:
        w.h.run_as(account, f"emergency.{verb}", COUNTY, data, subject=subject)
        return w.h.records.load(subject, EmergencyIncident)

    act(
        "reg-ja", "update_task", {"task": "T1", "description": "疏散周边群众", "status": "assigned"}
    )
    inc = act("reg-ja", "update_task", {"task": "T1", "status": "done"})
    assert inc.tasks["T1"] == {"description": "疏散周边群众", "status": "done"}
    with pytest.raises(InvalidTransition, match="done already"):
        act("reg-ja", "update_task", {"task": "T1", "status": "in_progress"})
    with pytest.raises(InvalidValue, match="describe it"):
        act("reg-ja", "update_task", {"task": "T2", "status": "assigned"})
    assert act("reg-ja", "update_casualties", {"deaths": 1, "trapped": 2}).casualties == {
        "deaths": 1,
        "trapped": 2,
    }
    with pytest.raises(InvalidValue, match="gives deaths"):
        act("reg-ja", "update_casualties", {"note": "无变化"})
    with pytest.raises(InvalidValue, match="escalation goes higher"):
        act("reg-ja", "escalate", {"level": "IV", "reason": "x"})
    inc = act("reg-ja", "escalate", {"level": "III", "reason": "死亡人数上升"})
    assert (inc.level, inc.jurisdiction, inc.region) == ("III", PREFECTURE, COUNTY)
    # The county no longer leads: the write path lets it sign for its region, the incident not.
    with pytest.raises(NotAuthorized, match="led at level Ⅲ级 by 420100"):
        act("reg-ja", "close", {"summary": "处置完毕"})
    with pytest.raises(NotAuthorized, match="led at level"):
        act("reg-ja", "update_task", {"task": "T3", "description": "x", "status": "assigned"})
    inc = act("reg-wh", "close", {"summary": "处置完毕"})
    assert inc.status == "closed"
    with pytest.raises(InvalidTransition, match="is closed"):
        act("reg-wh", "close", {"summary": "again"})
    with pytest.raises(InvalidTransition, match="is closed"):
        act("reg-hb", "escalate", {"level": "II", "reason": "x"})


def test_casualty_updates_stop_after_30_days_and_7_for_a_fire() -> None:
    w = world()
    subject, _ = opened(w)
    base = w.h.clock
    w.h.run_as(
        "reg-ja",
        "emergency.update_casualties",
        COUNTY,
        {"injured": 4},
        subject=subject,
        occurred_at=base + timedelta(days=29),
    )
    with pytest.raises(TooLate, match="30 days"):
        w.h.run_as(
            "reg-ja",
            "emergency.update_casualties",
            COUNTY,
            {"injured": 5},
            subject=subject,
            occurred_at=base + timedelta(days=31),
        )
    fire = w.report_accident(kind="fire")
    w.step()
    with pytest.raises(TooLate, match="7 days"):
        w.h.run_as(
            "reg-ja",
            "emergency.update_casualties",
            COUNTY,
            {"injured": 1},
            subject=incident_id("accident", fire),
            occurred_at=w.h.clock + timedelta(days=8),
        )


def test_teams_are_dispatched_once_and_stood_down() -> None:
    w = world()
    subject, _ = opened(w, deaths=3)  # level III, led by Wuhan
    team = team_id("WH-HAZ-1")  # based in 青山区 420107

    def run(account: str, verb: str, data: dict[str, Any], code: str = "WH-HAZ-1") -> None:
        region = {"WH-HAZ-1": "420107", "YC-HAZ-1": "420500"}[code]
        w.h.run_as(account, f"rescue.{verb}", region, data, subject=team_id(code))

    with pytest.raises(NotAuthorized, match="may not dispatch"):
        run("reg-qs", "dispatch", {"incident": str(subject)})  # the district does not lead
    run("reg-wh", "dispatch", {"incident": str(subject), "task": "堵漏"})
    t = w.h.records.load(team, RescueTeam)
    assert (t.status, t.incident) == ("dispatched", str(subject))
    with pytest.raises(InvalidTransition, match="dispatched already"):
        run("reg-wh", "dispatch", {"incident": str(subject)})
    with pytest.raises(NotAuthorized, match="outside the jurisdiction"):
        run("reg-wh", "dispatch", {"incident": str(subject)}, code="YC-HAZ-1")
    with pytest.raises(NotFound):
        run("reg-hb", "dispatch", {"incident": str(uuid4())}, code="YC-HAZ-1")
    with pytest.raises(InvalidTransition, match="not dispatched to incident"):
        run("reg-wh", "stand_down", {"incident": str(uuid4())})
    run("reg-wh", "stand_down", {"incident": str(subject)})
    assert w.h.records.load(team, RescueTeam).status == "available"
    with pytest.raises(InvalidTransition, match="not dispatched"):
        run("reg-wh", "stand_down", {"incident": str(subject)})
    w.h.run_as("reg-wh", "emergency.close", PREFECTURE, {"summary": "结束"}, subject=subject)
    with pytest.raises(InvalidTransition, match="is closed"):
        run("reg-wh", "dispatch", {"incident": str(subject)})


def test_team_registration_refusals() -> None:
    w = world(teams=False)
    w.register_team("WH-HAZ-1")
    with pytest.raises(AlreadyExists):
        w.register_team("WH-HAZ-1")
    with pytest.raises(InvalidValue, match="outside Hubei"):
        w.register_team("WH-MED-1", latitude=39.9, longitude=116.4)
    with pytest.raises(InvalidValue, match="once each"):
        w.register_team("WH-MED-1", capabilities=["medical", "medical"])
    with pytest.raises(InvalidValue, match="capabilities"):
        w.register_team("WH-MED-1", capabilities=["telepathy"])
    with pytest.raises(InvalidValue, match="size"):
        w.register_team("WH-MED-1", size=0)
    with pytest.raises(InvalidValue, match="code"):
        w.h.run_as(
            "reg-hb",
            "rescue.register",
            "420111",
            {"code": "wh med<script>", "name": "x", "latitude": 30.5, "longitude": 114.3,
             "capabilities": ["fire"], "size": 3},
            subject=team_id("wh med<script>"),
        )  # fmt: skip
    with pytest.raises(InvalidValue, match="subject of team"):
        w.h.run_as(
            "reg-hb",
            "rescue.register",
            "420111",
            {"code": "X-1", "name": "x", "latitude": 30.5, "longitude": 114.3,
             "capabilities": ["fire"], "size": 3},
            subject=uuid4(),
        )  # fmt: skip
    with pytest.raises(NotAuthorized, match="outside the jurisdiction"):
        w.h.run_as(
            "reg-yc",
            "rescue.register",
            "420111",
            {"code": "X-2", "name": "x", "latitude": 30.5, "longitude": 114.3,
             "capabilities": ["fire"], "size": 3},
            subject=team_id("X-2"),
        )  # fmt: skip
    w.h.run_as("reg-hb", "rescue.update", "420107", {"size": 45}, subject=team_id("WH-HAZ-1"))
    assert w.h.records.load(team_id("WH-HAZ-1"), RescueTeam).size == 45
    with pytest.raises(InvalidValue, match="at least one"):
        w.h.run_as("reg-hb", "rescue.update", "420107", {}, subject=team_id("WH-HAZ-1"))
    with pytest.raises(InvalidValue, match="outside Hubei"):
        w.h.run_as(
            "reg-hb", "rescue.update", "420107", {"latitude": 45.0}, subject=team_id("WH-HAZ-1")
        )


def test_suggested_teams_must_be_registered_teams_with_the_capability() -> None:
    w = world()
    team = str(team_id("WH-MED-1"))
    good = {"team": team, "code": "WH-MED-1", "name": "x", "capability": "medical",
            "distance_km": 1.0}  # fmt: skip
    regulator_open(w, "reg-ja", COUNTY, suggested=[good])
    for change, message in (
        ({"team": str(uuid4())}, r"no rescue team record .* \[data\.suggested\[0\]\.team\]"),
        ({"team": str(actor_id("reg-ja"))}, "no rescue team record"),
        ({"code": "WH-HAZ-1"}, r"is not WH-HAZ-1 \[data\.suggested\[0\]\.code\]"),
        ({"capability": "mine"}, "has no capability mine"),
    ):
        with pytest.raises((InvalidValue, NotFound), match=message):
            regulator_open(w, "reg-ja", COUNTY, suggested=[{**good, **change}])


def test_steps_are_not_dated_before_what_they_follow() -> None:
    w = world()
    subject, incident = opened(w, deaths=3)
    with pytest.raises(InvalidValue, match=r"before incident .* was opened"):
        w.h.run_as(
            "reg-wh",
            "rescue.dispatch",
            "420107",
            {"incident": str(subject)},
            subject=team_id("WH-HAZ-1"),
            occurred_at=incident.opened_at - timedelta(minutes=5),
        )
    registered = w.h.clock
    with pytest.raises(TooEarly, match="before enterprise"):
        w.h.run_as(
            "reg-ja",
            "emergency.open",
            COUNTY,
            {
                "enterprise": w.uscc,
                "trigger": "regulator",
                "happened_at": "2020-01-01T08:00:00+08:00",
                "level": "IV",
                "summary": "早于企业登记",
            },
            subject=uuid4(),
            occurred_at=datetime(2020, 1, 1, 9, 0, tzinfo=registered.tzinfo),
        )
