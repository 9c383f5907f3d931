"""The catalog in the ledger guard and in `audit verify`, and `audit verify --replay`.

An insider with a derivable key writes events straight into the store (tests/insider.py): of
a type the catalog does not list, issued by a role the catalog does not allow, or stored on a
record of another kind. The guard refuses each one in one line naming it, and logs nothing;
`audit verify` names it; `--replay` names what the write path itself refuses, with the error
and the rule, including a lifecycle step the catalog alone allows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import pytest

from domain.catalog import CATALOG
from domain.stored import parse_event_id
from tests.audit.conftest import cli, failures, verify_report
from tests.audit.history import REGION, History, insider_write, ledger_rows
from tests.insider import signed_envelope, topic_of


def open_hazard(history: History) -> UUID:
    """The hazard e-1 reported after rotating its key: still open, on e-1's enterprise."""
    return parse_event_id(history.after_rotation)[0]


def an_enterprise(history: History) -> UUID:
    return parse_event_id(history.enterprises[0])[0]


def unknown_type(history: History) -> tuple[str, str]:
    event = insider_write(history, "e-1", "hazard.nonexistent_verb", open_hazard(history), {})
    return event, "unknown event type 'hazard.nonexistent_verb'"


def enterprise_closes_its_hazard(history: History) -> tuple[str, str]:
    event = insider_write(
        history, "e-1", "hazard.close", open_hazard(history), {"document_no": "XH-2"}
    )
    return event, "hazard.close may be issued by regulator; actor e-1 is registered as enterprise"


def hazard_event_on_an_enterprise(history: History) -> tuple[str, str]:
    """A regulator's signed hazard step, stored as the next event of an enterprise record."""
    subject = an_enterprise(history)
    event = insider_write(history, "r-wuhan", "hazard.close", subject, {"document_no": "XH-3"})
    return event, f"hazard.close is a hazard event, stored on record {subject} of kind enterprise"


def hazard_event_under_the_enterprise_topic(history: History) -> tuple[str, str]:
    subject = an_enterprise(history)
    event = insider_write(
        history,
        "r-wuhan",
        "hazard.close",
        subject,
        {"document_no": "XH-4"},
        topic=topic_of("enterprise"),
    )
    return event, (
        "a hazard.close event is stored under domain.hazard:HazardCase.Event, this one under "
        "domain.enterprise:Enterprise.Event"
    )


ATTACKS: dict[str, Callable[[History], tuple[str, str]]] = {
    "an unknown type": unknown_type,
    "an enterprise closing its own hazard": enterprise_closes_its_hazard,
    "a hazard event on an enterprise record": hazard_event_on_an_enterprise,
    "a hazard event under the enterprise topic": hazard_event_under_the_enterprise_topic,
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_the_guard_refuses_what_the_catalog_refuses_in_one_line_and_logs_nothing(
    history: History, attack: str
) -> None:
    event, reason = ATTACKS[attack](history)
    before = ledger_rows(history)
    result = cli("ledger", "sync")
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("LedgerHalted: 1 check(s) failed, nothing appended or anchored")
    assert f"event {event}" in line
    assert f"[catalog] {reason}" in line
    assert ledger_rows(history) == before


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_audit_verify_names_what_the_catalog_refuses(history: History, attack: str) -> None:
    event, reason = ATTACKS[attack](history)
    code, report = verify_report()
    assert code == 1
    (failure,) = report["failures"]
    assert (failure["check"], failure["event_id"]) == ("catalog", event)
    assert failure["message"].startswith(reason)


def test_the_guard_refuses_an_event_out_of_its_records_version_sequence(
    history: History,
) -> None:
    """A valid, fresh step stored as version 9 of a record at version 1: eventsourcing could
    not load the record any more."""
    event = insider_write(
        history,
        "r-wuhan",
        "hazard.order_rectification",
        open_hazard(history),
        {"deadline": "2024-05-05", "requirements": "疏通消防通道"},
        version=9,
    )
    before = ledger_rows(history)
    result = cli("ledger", "sync")
    assert result.exit_code == 1
    assert f"event {event}" in result.stderr
    assert "[version] version 9 follows version 1 of its record" in result.stderr
    assert ledger_rows(history) == before
    code, report = verify_report()
    assert code == 1
    assert failures(report, check="version", event_id=event)


def test_a_role_declared_in_the_envelope_does_not_make_an_enterprise_a_regulator(
    history: History,
) -> None:
    """The role that counts is the one the actor was registered with, not the one it signs."""
    event = insider_write(
        history,
        "e-1",
        "hazard.close",
        open_hazard(history),
        {"document_no": "XH-5"},
        role="regulator",
    )
    code, report = verify_report()
    assert code == 1
    (failure,) = report["failures"]
    assert (failure["check"], failure["event_id"]) == ("key", event)
    assert failure["message"] == "actor e-1 is registered as enterprise, signed as regulator"


def test_replay_names_the_enterprise_closing_its_own_hazard_with_the_refusal_and_its_rule(
    history: History,
) -> None:
    event, _ = enterprise_closes_its_hazard(history)
    code, report = verify_report("--replay")
    assert code == 1
    (replayed,) = failures(report, check="rules")
    assert replayed["event_id"] == event
    assert replayed["message"] == (
        "NotAuthorized: role enterprise may not issue hazard.close (allowed: regulator) "
        f"({CATALOG['hazard.close'].rule})"
    )


def test_replay_names_an_event_of_an_unknown_type(history: History) -> None:
    event, _ = unknown_type(history)
    code, report = verify_report("--replay")
    assert code == 1
    (replayed,) = failures(report, check="rules")
    assert replayed["event_id"] == event
    assert replayed["message"].startswith(
        "InvalidEnvelope: unknown command type 'hazard.nonexistent_verb'"
    )


def test_replay_names_a_step_out_of_the_lifecycle_that_the_catalog_allows(
    history: History,
) -> None:
    """A regulator may close hazards, but not one never rectified nor accepted: only the
    aggregate's rules, run again, can tell; the table view prints one line for it."""
    event = insider_write(
        history, "r-wuhan", "hazard.close", open_hazard(history), {"document_no": "XH-6"}
    )
    code, report = verify_report()
    assert code == 0  # signed by a current key, listed, allowed to regulators: not logged yet
    code, report = verify_report("--replay")
    assert code == 1
    (replayed,) = report["failures"]
    assert replayed["check"] == "rules"
    assert replayed["event_id"] == event
    assert replayed["message"].startswith("InvalidTransition: hazard ")
    table = cli("audit", "verify", "--replay")
    assert table.exit_code == 1
    (line,) = [x for x in table.stdout.splitlines() if x.startswith("FAIL")]
    assert f"event {event}" in line
    assert "[rules] InvalidTransition" in line


def test_a_recorded_history_replays_through_the_write_path_without_findings(
    history: History,
) -> None:
    code, report = verify_report("--replay")
    assert code == 0, report["failures"]
    assert (
        f"replayed {len(history.events)} events through the write path's rules" in (report["notes"])
    )


def test_a_record_holding_an_unknown_event_answers_commands_with_one_line(
    history: History, tmp_path: Path
) -> None:
    hazard = open_hazard(history)
    event, _ = unknown_type(history)
    envelope, signature = signed_envelope(
        history.keys["r-wuhan"],
        actor="r-wuhan",
        role="regulator",
        event_type="hazard.order_rectification",
        subject=hazard,
        region=REGION,
        data={"deadline": "2024-05-05", "requirements": "疏通消防通道"},
    )
    line = {
        "envelope": json.loads(envelope),
        "signature": signature,
        "key_id": history.keys["r-wuhan"].key_id,
    }
    commands = tmp_path / "order.jsonl"
    commands.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    result = cli("record", str(commands), "--no-sync")
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    (message,) = result.stderr.strip().splitlines()
    version = parse_event_id(event)[1]
    assert message.startswith(
        f"UnknownEventType: line 1: hazard record {hazard}, version {version}: "
        "unknown event type 'hazard.nonexistent_verb'"
    )
