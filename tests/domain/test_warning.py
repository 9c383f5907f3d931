"""Risk warnings (domain.warning): issued, escalated and lifted by the warning service alone,
acknowledged by the enterprise, disposed and lifted by regulators; the service actor that
signs them is registered by the platform alone and signs nothing else."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.actor import Actor
from domain.errors import InvalidTransition, InvalidValue, NotAuthorized
from domain.ids import actor_id
from domain.warning import RiskWarning
from tests.support import Harness

REGION = "420102"
CAUSE = f"{uuid4()}:1"


@pytest.fixture
def uscc(h: Harness, regulator: str) -> str:
    uscc = h.enterprise(regulator)
    h.actor("svc-warning", "service", "420000")
    h.actor("e-1", "enterprise", REGION, enterprise=uscc)
    return uscc


def issue(h: Harness, uscc: str | None, account: str = "svc-warning", **over: Any) -> UUID:
    subject = uuid4()
    data: dict[str, Any] = {
        "rule": "gas-alarm",
        "rulebook_version": 1,
        "level": "orange",
        "triggers": [CAUSE],
        "message": {"zh": "二级报警", "en": "level-2 alarm"},
        **over,
    }
    if uscc is not None:
        data.setdefault("enterprise", uscc)
        data.setdefault("acknowledge_by", (h.clock + timedelta(minutes=31)).isoformat())
    h.run_as(
        account,
        "warning.issue",
        REGION,
        {k: v for k, v in data.items() if v is not None},
        subject=subject,
    )
    return subject


def test_only_the_platform_registers_a_service_actor(h: Harness, regulator: str) -> None:
    h.actor("adm", "admin", "420000")
    refusals = {regulator: "may not issue actor.register", "adm": "only the platform registers"}
    for who, refusal in refusals.items():
        with pytest.raises(NotAuthorized, match=refusal):
            h.run_as(
                who,
                "actor.register",
                "420100",
                {
                    "account": f"svc-by-{who}",
                    "role": "service",
                    "name": "x",
                    "jurisdiction": "420100",
                    "public_key": h.keys[regulator].public_key_b64,
                    "custody": "own",
                },
                subject=actor_id(f"svc-by-{who}"),
            )
    h.actor("svc-warning", "service", "420000")
    assert h.records.load(actor_id("svc-warning"), Actor).role == "service"


def test_the_warning_service_issues_a_warning_naming_its_rule_and_triggers(
    h: Harness, uscc: str
) -> None:
    w = h.records.load(issue(h, uscc), RiskWarning)
    assert (w.status, w.level, w.rule, w.rulebook_version, w.triggers, w.enterprise) == (
        "issued",
        "orange",
        "gas-alarm",
        1,
        [CAUSE],
        uscc,
    )


@pytest.mark.parametrize("account", ["r-wuhan", "e-1"])
def test_no_regulator_or_enterprise_signs_a_warning(h: Harness, uscc: str, account: str) -> None:
    with pytest.raises(NotAuthorized, match=r"may not issue warning\.issue"):
        issue(h, uscc, account=account)


def test_another_module_cannot_sign_the_warning_services_commands(h: Harness, uscc: str) -> None:
    h.actor("svc-emergency", "service", "420000")
    with pytest.raises(NotAuthorized, match="warning service's"):
        issue(h, uscc, account="svc-emergency")


def test_a_service_actor_signs_no_other_command(h: Harness, uscc: str) -> None:
    with pytest.raises(NotAuthorized, match=r"role service may not issue hazard\.report"):
        h.run_as(
            "svc-warning",
            "hazard.report",
            REGION,
            {"enterprise": uscc, "grade": "general", "source": "self_check", "description": "x"},
        )


def test_an_acknowledgement_after_the_limit_is_late(h: Harness, uscc: str) -> None:
    w = issue(h, uscc)
    h.tick(minutes=45)
    h.run_as("e-1", "warning.acknowledge", REGION, {}, subject=w)
    got = h.records.load(w, RiskWarning)
    assert (got.status, got.acknowledged_late) == ("acknowledged", True)


def test_a_warning_to_a_county_is_not_acknowledged_by_an_enterprise(h: Harness, uscc: str) -> None:
    w = issue(h, None, addressee=REGION)
    with pytest.raises(NotAuthorized):
        h.run_as("e-1", "warning.acknowledge", REGION, {}, subject=w)


def test_an_escalation_goes_higher(h: Harness, uscc: str) -> None:
    w = issue(h, uscc)
    data = {
        "rule": "alarm-unacknowledged",
        "rulebook_version": 1,
        "triggers": [CAUSE],
        "addressee": REGION,
        "message": {"zh": "升级", "en": "up"},
    }
    with pytest.raises(InvalidTransition, match="goes higher"):
        h.run_as("svc-warning", "warning.escalate", REGION, {**data, "level": "yellow"}, subject=w)
    h.run_as("svc-warning", "warning.escalate", REGION, {**data, "level": "red"}, subject=w)
    got = h.records.load(w, RiskWarning)
    assert (got.level, got.addressee, got.escalations[0]["from"]) == ("red", REGION, "orange")


def test_a_regulator_lifts_by_decision_and_the_service_by_rule(h: Harness, uscc: str) -> None:
    w1, w2 = issue(h, uscc), issue(h, uscc)
    with pytest.raises(InvalidValue, match="by decision"):
        h.run_as(
            "r-wuhan", "warning.lift", REGION, {"reason": "x", "rule": "gas-alarm"}, subject=w1
        )
    with pytest.raises(InvalidValue, match="by rule"):
        h.run_as("svc-warning", "warning.lift", REGION, {"reason": "x"}, subject=w2)
    h.run_as("r-wuhan", "warning.lift", REGION, {"reason": "现场核查已消除"}, subject=w1)
    h.run_as(
        "svc-warning",
        "warning.lift",
        REGION,
        {"reason": "报警已解除", "rule": "gas-alarm", "rulebook_version": 1, "triggers": [CAUSE]},
        subject=w2,
    )
    assert {h.records.load(w, RiskWarning).status for w in (w1, w2)} == {"lifted"}
    with pytest.raises(InvalidTransition):
        h.run_as("r-wuhan", "warning.dispose", REGION, {"measures": "x"}, subject=w1)


def test_a_trigger_must_be_an_event_id(h: Harness, uscc: str) -> None:
    with pytest.raises(InvalidValue, match="triggers"):
        issue(h, uscc, triggers=["not-an-event"])
