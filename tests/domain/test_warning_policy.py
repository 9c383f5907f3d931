"""The warning policy (domain.warning_policy) over a real store: every rule of the rulebook
and its lifting condition, decisions fed back as the warning service's commands, and replay
into a fresh policy giving the same decisions."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.envelope import SignedCommand
from domain.errors import InvalidValue
from domain.ids import device_id, enterprise_id
from domain.policy import Decision
from domain.warning import RiskWarning
from domain.warning_policy import WarningPolicy
from domain.warning_rules import default_rulebook, rulebook_of
from ledger.canonical import canonical_text
from tests.domain.test_sensor import install, raise_alarm
from tests.support import Harness

REGION = "420102"


class Loop:
    """The worker's loop in one process: observe each new event, record each decision as
    svc-warning (the decision's id, its occurred_at), until nothing new is decided."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.policy = WarningPolicy()
        self.seen = 0
        self.decided: list[Decision] = []
        self.observed: dict[int, list[Decision]] = {}  # notification id → what it decided

    def run(self) -> list[Decision]:
        out: list[Decision] = []
        while True:
            fresh = list(self.h.records.notifications(self.seen + 1))
            if not fresh:
                return out
            for rec in fresh:
                assert rec.notification_id is not None
                self.seen = rec.notification_id
                decided = self.observed[self.seen] = list(self.policy.observe(rec))
                for d in decided:
                    self.record(d)
                    out.append(d)

    def tick(self, now: datetime) -> list[Decision]:
        out = list(self.policy.tick(now))
        for d in out:
            self.record(d)
        return out + self.run()

    def record(self, d: Decision) -> None:
        self.decided.append(d)
        if self.h.records.recorded_command(d.id) is not None:
            return
        c = d.command
        at = datetime.fromisoformat(c["occurred_at"])
        self.h.recording_at = max(at, self.h.signed_at)
        cmd = self.h.sign(
            "svc-warning",
            c["type"],
            c["region"],
            c["data"],
            subject=UUID(c["subject"]),
            occurred_at=at,
        )
        env = json.loads(cmd.text)
        env["id"] = str(d.id)
        text = canonical_text(env)
        key = self.h.keys["svc-warning"]
        self.h.records.execute(SignedCommand.of(text, key.sign_b64(text.encode()), key.key_id))
        self.h.recording_at = None


def source(
    h: Harness, regulator: str, uscc: str, name: str, *, quantity: float, people: int
) -> None:
    h.run_as(
        regulator,
        "enterprise.register_hazard_source",
        REGION,
        {
            "uscc": uscc,
            "source": name,
            "name": name,
            "substances": [{"name": "丙烯", "quantity": quantity, "critical": 10, "beta": 2}],
            "people_within_500m": people,
        },
        subject=enterprise_id(uscc),
    )


@pytest.fixture
def site(h: Harness, regulator: str) -> str:
    return site_in(h, regulator)


def site_in(h: Harness, regulator: str = "r-wuhan") -> str:
    """An enterprise with T-01, a 一级 source (R = 2·2·1000/10 = 400), and T-03, a 三级 one
    (R = 1.0·2·100/10 = 20); devices dev-1 (T-01) and dev-2 (T-03)."""
    if regulator not in h.keys:
        h.actor(regulator, "regulator", "420100")
    uscc = h.enterprise(regulator)
    source(h, regulator, uscc, "T-01", quantity=1000, people=100)
    source(h, regulator, uscc, "T-03", quantity=100, people=10)
    h.actor("svc-warning", "service", "420000")
    h.actor("e-site", "enterprise", REGION, enterprise=uscc)
    h.actor("dev-1", "device", REGION, enterprise=uscc)
    h.actor("dev-2", "device", REGION, enterprise=uscc)
    install(h, uscc, "GD-1", "dev-1", source="T-01")
    install(h, uscc, "GD-3", "dev-2", source="T-03")
    return uscc


def warnings_of(decided: list[Decision], kind: str = "warning.issue") -> list[dict[str, Any]]:
    return [d.command["data"] for d in decided if d.command["type"] == kind]


def test_level2_gas_alarm_at_a_first_level_source_is_red(h: Harness, site: str) -> None:
    loop = Loop(h)
    loop.run()
    alarm = raise_alarm(h, site, device_id("GD-1"), 45, "level2")
    issued = warnings_of(loop.run())
    assert [(w["rule"], w["level"]) for w in issued] == [("gas-alarm", "red")]
    assert issued[0]["triggers"] == [f"{alarm}:1"]


def test_alarm_levels_at_a_third_level_source(h: Harness, site: str) -> None:
    loop = Loop(h)
    raise_alarm(h, site, device_id("GD-3"), 25, "level1", account="dev-2")
    raise_alarm(h, site, device_id("GD-3"), 45, "level2", account="dev-2")
    assert [w["level"] for w in warnings_of(loop.run())] == ["yellow", "orange"]


def test_an_unacknowledged_alarm_escalates_at_the_next_tick_and_a_cleared_one_lifts(
    h: Harness, site: str
) -> None:
    loop = Loop(h)
    a = raise_alarm(h, site, device_id("GD-3"), 25, "level1", account="dev-2")
    (issued,) = [d for d in loop.run() if d.command["type"] == "warning.issue"]
    raised_at = h.signed_at
    assert loop.tick(raised_at + timedelta(minutes=29)) == []
    up = loop.tick(raised_at + timedelta(minutes=31))
    assert [(d.command["type"], d.command["data"]["level"]) for d in up] == [
        ("warning.escalate", "orange")
    ]
    assert up[0].command["data"]["addressee"] == REGION
    # the escalation came back: the next tick decides nothing more
    assert loop.tick(raised_at + timedelta(minutes=40)) == []
    h.clock = raised_at + timedelta(minutes=41)
    h.run_as("e-site", "sensor_alarm.acknowledge", REGION, {}, subject=a)
    h.run_as("dev-2", "sensor_alarm.clear", REGION, {"value": 5}, subject=a)
    lifted = loop.run()
    assert [d.command["type"] for d in lifted] == ["warning.lift"]
    w = h.records.load(UUID(issued.command["subject"]), RiskWarning)
    assert (w.status, w.level) == ("lifted", "orange")


def test_an_acknowledged_alarm_is_not_escalated(h: Harness, site: str) -> None:
    loop = Loop(h)
    a = raise_alarm(h, site, device_id("GD-3"), 25, "level1", account="dev-2")
    loop.run()
    h.run_as("e-site", "sensor_alarm.acknowledge", REGION, {}, subject=a)
    loop.run()
    assert loop.tick(h.signed_at + timedelta(hours=1)) == []


def test_a_third_alarm_within_a_day_is_a_recurring_alarm_lifted_after_a_quiet_day(
    h: Harness, site: str
) -> None:
    loop = Loop(h)
    for _ in range(3):
        a = raise_alarm(h, site, device_id("GD-3"), 25, "level1", account="dev-2")
        h.run_as("e-site", "sensor_alarm.acknowledge", REGION, {}, subject=a)
        h.tick(hours=2)
    got = warnings_of(loop.run())
    assert [w["rule"] for w in got] == ["gas-alarm"] * 3 + ["recurring-alarm"]
    assert len(got[-1]["triggers"]) == 3
    last = h.signed_at
    assert warnings_of(loop.tick(last + timedelta(hours=23)), "warning.lift") == []
    lifts = warnings_of(loop.tick(last + timedelta(hours=25)), "warning.lift")
    assert [x["rule"] for x in lifts] == ["recurring-alarm"]


def major_hazard(h: Harness, regulator: str, uscc: str, deadline: str, ref: str = "GM-01") -> UUID:
    subject = uuid4()
    h.run_as(
        regulator,
        "hazard.report",
        REGION,
        {
            "enterprise": uscc,
            "grade": "major",
            "criterion_ref": ref,
            "source": "public_tip",
            "description": "储罐区未设置独立安全仪表系统",
        },
        subject=subject,
    )
    h.run_as(
        regulator,
        "hazard.order_rectification",
        REGION,
        {"deadline": deadline, "requirements": "限期整改"},
        subject=subject,
    )
    return subject


def test_an_overdue_major_hazard_is_orange_then_red_after_30_days(
    h: Harness, regulator: str, site: str
) -> None:
    loop = Loop(h)
    major_hazard(h, regulator, site, "2024-03-10")
    loop.run()
    cst = h.clock.tzinfo
    assert loop.tick(datetime(2024, 3, 10, 23, 0, tzinfo=cst)) == []
    first = loop.tick(datetime(2024, 3, 11, 9, 0, tzinfo=cst))
    assert [(d.command["type"], d.command["data"]["level"]) for d in first] == [
        ("warning.issue", "orange")
    ]
    assert first[0].command["data"]["addressee"] == REGION
    assert loop.tick(datetime(2024, 3, 20, 9, 0, tzinfo=cst)) == []
    later = loop.tick(datetime(2024, 4, 10, 9, 0, tzinfo=cst))
    assert [(d.command["type"], d.command["data"]["level"]) for d in later] == [
        ("warning.escalate", "red")
    ]


def test_a_repeated_hazard_type_within_a_year_is_yellow(
    h: Harness, regulator: str, site: str
) -> None:
    policy = WarningPolicy()
    subject = major_hazard(h, regulator, site, "2024-12-31")
    # closed: folded directly (the closing procedure is the hazard tests' business)
    recs = list(h.records.notifications())
    for r in recs:
        policy.observe(r)
    closing = dataclasses.replace(
        recs[-1],
        event_id=f"{subject}:9",
        envelope={**recs[-1].envelope, "type": "hazard.close", "data": {}},
    )
    policy.observe(closing)
    again = major_hazard(h, regulator, site, "2025-01-31")
    decided = [
        d for r in h.records.notifications() if r.subject == again for d in policy.observe(r)
    ]
    assert [(d.command["data"]["rule"], d.command["data"]["level"]) for d in decided] == [
        ("repeat-hazard", "yellow")
    ]


def test_an_accident_is_red_for_the_enterprise_and_orange_for_its_county_for_7_days(
    h: Harness, site: str
) -> None:
    loop = Loop(h)
    loop.run()
    h.run_as(
        "e-site",
        "accident.report",
        REGION,
        {
            "enterprise": site,
            "happened_at": h.clock.isoformat(),
            "kind": "explosion",
            "summary": "罐区爆炸",
            "deaths": 1,
            "serious_injuries": 0,
            "direct_loss": 100000,
        },
    )
    at = h.signed_at
    got = warnings_of(loop.run())
    assert sorted((w["rule"], w["level"], w.get("enterprise")) for w in got) == [
        ("accident", "red", site),
        ("accident-county", "orange", None),
    ]
    assert loop.tick(at + timedelta(days=6)) == []
    lifts = warnings_of(loop.tick(at + timedelta(days=7)), "warning.lift")
    assert [x["rule"] for x in lifts] == ["accident-county"]


def test_replaying_the_log_into_a_fresh_policy_decides_the_same(h: Harness, site: str) -> None:
    loop = Loop(h)
    for i in range(4):
        a = raise_alarm(
            h,
            site,
            device_id("GD-3"),
            25 + 20 * (i % 2),
            ["level1", "level2"][i % 2],
            account="dev-2",
        )
        if i % 2:
            h.run_as("e-site", "sensor_alarm.acknowledge", REGION, {}, subject=a)
    loop.run()
    fresh = WarningPolicy()
    again = [d for r in h.records.notifications() for d in fresh.observe(r)]
    assert [(d.id, d.command) for d in again] == [(d.id, d.command) for d in loop.decided]


def test_the_rulebook_is_versioned_data_with_every_kind() -> None:
    book = default_rulebook()
    assert book.version == 1
    assert book.effective_from.isoformat() == "2024-01-01"
    assert len(book.rules) == 8
    with pytest.raises(InvalidValue, match="needs minutes"):
        rulebook_of(book.digest_text.replace('"minutes": 30, ', ""))
    with pytest.raises(InvalidValue, match=r"rules\[0\].major_source_level"):
        rulebook_of(
            book.digest_text.replace('"major_source_level": "red"', '"major_source_level": "pink"')
        )


def test_operating_under_a_suspended_permit_is_orange_until_it_is_reinstated(
    h: Harness, regulator: str, site: str
) -> None:
    loop = Loop(h)
    permit = uuid4()
    h.run_as(
        regulator,
        "permit.apply",
        REGION,
        {"enterprise": site, "industry": "hazardous_chemicals", "scope": "丙烯储存"},
        subject=permit,
    )
    h.run_as(
        regulator, "permit.grant", REGION, {"number": "(鄂)WH安许证字[2024]009"}, subject=permit
    )
    a = raise_alarm(h, site, device_id("GD-3"), 25, "level1", account="dev-2")
    assert [w["rule"] for w in warnings_of(loop.run())] == ["gas-alarm"]  # a valid permit
    h.run_as("e-site", "sensor_alarm.acknowledge", REGION, {}, subject=a)
    h.run_as(regulator, "permit.suspend", REGION, {"reason": "暂扣"}, subject=permit)
    raise_alarm(h, site, device_id("GD-3"), 25, "level1", account="dev-2")
    raise_alarm(h, site, device_id("GD-1"), 25, "level1", account="dev-1")
    got = warnings_of(loop.run())
    assert [(w["rule"], w["level"]) for w in got if w["rule"] == "permit-invalid"] == [
        ("permit-invalid", "orange")  # once while it stays open
    ]
    h.run_as(regulator, "permit.reinstate", REGION, {"reason": "整改完成"}, subject=permit)
    lifts = warnings_of(loop.run(), "warning.lift")
    assert [x["rule"] for x in lifts] == ["permit-invalid"]
