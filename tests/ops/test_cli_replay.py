"""`anjian record` sent what it recorded before: answered with the original events, never stored
twice; the same command id with other content is refused naming the original event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from typer.testing import CliRunner, Result

from ops.cli import app
from tests.ops.test_cli_record import enterprise_line, regulator_line, write
from tests.support import new_uscc

runner = CliRunner()
PERSON = {"name": "张三", "id_number": "420102199001011234", "phone": "13800000000"}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    return tmp_path / "var"


def record(path: Path, *args: str) -> Result:
    """Record the file as the one account its unsigned lines name (`--as`)."""
    actors = {
        line["actor"]
        for line in map(json.loads, path.read_text(encoding="utf-8").splitlines())
        if "envelope" not in line
    }
    assert len(actors) <= 1, f"one account a file: {actors}"
    principal = ["--as", actors.pop()] if actors else []
    return runner.invoke(app, ["record", str(path), "--no-sync", "--json", *principal, *args])


def registered(home: Path, tmp_path: Path, account: str = "r-wh-1") -> dict[str, Any]:
    """The platform registers the custodial regulator `account`; its receipt."""
    return receipts(record(write(tmp_path / f"{account}.jsonl", [regulator_line(home, account)])))[
        0
    ]


def receipts(result: Result) -> list[dict[str, Any]]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def event_count() -> int:
    status = json.loads(runner.invoke(app, ["ledger", "status", "--json"]).stdout)
    return int(status["last_notification_id"])


def with_id(line: dict[str, Any]) -> dict[str, Any]:
    return {**line, "id": str(uuid4())}


@pytest.mark.parametrize("batch", ["1", "3"])
def test_a_file_of_lines_with_ids_sent_again_is_answered_with_the_events_it_first_recorded(
    home: Path, tmp_path: Path, batch: str
) -> None:
    registered(home, tmp_path)
    f = write(tmp_path / "in.jsonl", [with_id(enterprise_line(new_uscc())) for _ in range(5)])
    first = receipts(record(f, "--batch", batch))
    assert not any(r["recorded_before"] for r in first)
    count = event_count()
    again = receipts(record(f, "--batch", batch))  # occurred_at is filled in anew: still equal
    assert [r["event_id"] for r in again] == [r["event_id"] for r in first]
    assert [r["notification_id"] for r in again] == [r["notification_id"] for r in first]
    assert all(r["recorded_before"] for r in again)
    assert event_count() == count


def test_a_line_reusing_a_recorded_id_with_other_data_is_refused_naming_the_original_event(
    home: Path, tmp_path: Path
) -> None:
    registered(home, tmp_path)
    line = with_id(enterprise_line(new_uscc()))
    original = receipts(record(write(tmp_path / "a.jsonl", [line])))[0]
    count = event_count()
    changed = {**line, "data": {**line["data"], "name": "另一家公司"}}
    result = record(write(tmp_path / "b.jsonl", [changed]))
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"DuplicateCommand: line 1: command {line['id']} was already recorded as event "
        f"{original['event_id']}; this one differs in data.name [id]"
    ]
    assert event_count() == count


def test_a_custodial_line_reusing_the_id_of_another_actors_command_is_refused(
    home: Path, tmp_path: Path
) -> None:
    registered(home, tmp_path)
    line = with_id(enterprise_line(new_uscc()))
    record(write(tmp_path / "a.jsonl", [line]))
    taken = {**regulator_line(home, "r-wh-2"), "id": line["id"]}
    result = record(write(tmp_path / "b.jsonl", [taken]))
    assert result.exit_code == 1
    assert "DuplicateCommand: line 1:" in result.stderr
    assert "differs in actor, data.account" in result.stderr
    assert "retry" not in result.stderr


def test_a_presigned_event_from_show_json_is_answered_and_not_stored_again(
    home: Path, tmp_path: Path
) -> None:
    recorded = [registered(home, tmp_path)]
    recorded += receipts(record(write(tmp_path / "a.jsonl", [enterprise_line(new_uscc())])))
    count = event_count()
    replays = []
    for r in recorded:
        shown = json.loads(runner.invoke(app, ["show", r["event_id"], "--json"]).stdout)
        replays.append({k: shown[k] for k in ("envelope", "signature", "key_id")})
    again = receipts(record(write(tmp_path / "replay.jsonl", replays), "--batch", "2"))
    assert [(r["event_id"], r["recorded_before"]) for r in again] == [
        (r["event_id"], True) for r in recorded
    ]
    assert event_count() == count


def test_a_resent_line_with_a_plain_person_is_the_command_that_sealed_it(
    home: Path, tmp_path: Path
) -> None:
    uscc = new_uscc()
    certificate = with_id(
        {
            "type": "certificate.issue",
            "actor": "r-wh-1",
            "region": "420102",
            "data": {"enterprise": uscc, "holder": PERSON, "category": "electrical",
                     "operation": "低压电工作业", "number": "T-0001", "exam_score": 92,
                     "exam_on": "2024-02-20"},
        }
    )  # fmt: skip
    registered(home, tmp_path)
    f = write(tmp_path / "a.jsonl", [enterprise_line(uscc), certificate])
    issued = receipts(record(f))[1]
    again = receipts(record(write(tmp_path / "b.jsonl", [certificate])))
    assert (again[0]["event_id"], again[0]["recorded_before"]) == (issued["event_id"], True)
    holder = {**PERSON, "id_number": "420102199001015678"}
    someone_else = {**certificate, "data": {**certificate["data"], "holder": holder}}
    result = record(write(tmp_path / "c.jsonl", [someone_else]))
    assert result.exit_code == 1
    assert "this one differs in data.holder" in result.stderr
    assert PERSON["id_number"] not in result.stderr
