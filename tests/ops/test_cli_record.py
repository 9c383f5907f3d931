"""`anjian record`: JSON Lines in, event ids out; the first bad line stops with its reason."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ops.cli import app
from ops.keystore import Keystore
from tests.support import new_uscc

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    return tmp_path / "var"


def regulator_line(home: Path, account: str = "r-wh-1") -> dict[str, object]:
    key = Keystore(home / "keys").custodial(account)
    return {
        "type": "actor.register",
        "actor": "platform",
        "region": "420000",
        "data": {
            "account": account,
            "role": "regulator",
            "name": "武汉市应急管理局",
            "jurisdiction": "420100",
            "public_key": key.public_key_b64,
            "custody": "platform",
        },
    }


def enterprise_line(uscc: str, name: str = "武汉某化工有限公司") -> dict[str, object]:
    return {
        "type": "enterprise.register",
        "actor": "r-wh-1",
        "region": "420102",
        "data": {
            "uscc": uscc,
            "name": name,
            "industry": "hazardous_chemicals",
            "standardisation": "level2",
        },
    }


def write(path: Path, lines: Sequence[object]) -> Path:
    path.write_text(
        "".join(
            (x if isinstance(x, str) else json.dumps(x, ensure_ascii=False)) + "\n" for x in lines
        ),
        encoding="utf-8",
    )
    return path


def register_regulator(home: Path, tmp_path: Path, account: str = "r-wh-1") -> None:
    """The platform operator registers a custodial regulator (`--as platform`)."""
    f = write(tmp_path / f"{account}.jsonl", [regulator_line(home, account)])
    result = runner.invoke(app, ["record", str(f), "--as", "platform", "--no-sync"])
    assert result.exit_code == 0, result.output


def test_record_prints_one_event_id_per_command(home: Path, tmp_path: Path) -> None:
    register_regulator(home, tmp_path)
    a, b = new_uscc(), new_uscc()
    f = write(tmp_path / "in.jsonl", [enterprise_line(a), enterprise_line(b)])
    result = runner.invoke(app, ["record", str(f), "--json", "--as", "r-wh-1"])
    assert result.exit_code == 0, result.output
    recorded = [json.loads(line) for line in result.stdout.splitlines()]  # JSON Lines
    assert [r["type"] for r in recorded] == ["enterprise.register", "enterprise.register"]
    shown = json.loads(runner.invoke(app, ["show", recorded[0]["event_id"], "--json"]).stdout)
    assert shown["envelope"]["data"]["uscc"] == a
    assert shown["notification_id"] == recorded[0]["notification_id"]  # its place in the log


def test_bad_line_exits_non_zero_naming_line_and_reason_and_stores_nothing_of_it(
    home: Path, tmp_path: Path
) -> None:
    register_regulator(home, tmp_path)
    a, bad = new_uscc(), new_uscc()
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    f = write(
        tmp_path / "in.jsonl",
        [enterprise_line(a), "", enterprise_line(bad), enterprise_line(new_uscc())],
    )
    result = runner.invoke(app, ["record", str(f), "--as", "r-wh-1"])
    assert result.exit_code == 1
    assert "line 3" in result.stderr  # a blank line counts
    assert "position 18" in result.stderr
    listed = json.loads(runner.invoke(app, ["enterprises", "--json"]).stdout)
    assert [e["uscc"] for e in listed] == [a]


def test_line_that_is_not_json_is_named(home: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "in.jsonl", [regulator_line(home), "{not json"])
    result = runner.invoke(app, ["record", str(f), "--as", "platform"])
    assert result.exit_code == 1
    assert "line 2" in result.stderr
    assert "not JSON" in result.stderr


def test_a_failing_batch_stores_none_of_its_lines(home: Path, tmp_path: Path) -> None:
    register_regulator(home, tmp_path)
    a = new_uscc()
    lines = [enterprise_line(a), enterprise_line(a, "重复登记")]
    result = runner.invoke(
        app, ["record", str(write(tmp_path / "b.jsonl", lines)), "--batch", "10", "--as", "r-wh-1"]
    )
    assert result.exit_code == 1
    assert "line 2" in result.stderr
    assert "AlreadyExists" in result.stderr
    assert json.loads(runner.invoke(app, ["enterprises", "--json"]).stdout) == []


def test_history_lists_an_enterprise_records_in_order(home: Path, tmp_path: Path) -> None:
    a = new_uscc()
    change = {
        "type": "enterprise.update_profile",
        "actor": "r-wh-1",
        "region": "420102",
        "subject": None,
        "data": {"uscc": a, "employees": 120},
    }
    from domain.ids import enterprise_id

    change["subject"] = str(enterprise_id(a))
    register_regulator(home, tmp_path)
    f = write(tmp_path / "in.jsonl", [enterprise_line(a), change])
    assert runner.invoke(app, ["record", str(f), "--as", "r-wh-1"]).exit_code == 0
    result = runner.invoke(app, ["history", "--enterprise", a, "--json"])
    assert [r["type"] for r in json.loads(result.stdout)] == [
        "enterprise.register",
        "enterprise.update_profile",
    ]


def test_history_of_an_invalid_code_is_a_usage_error(home: Path) -> None:
    result = runner.invoke(app, ["history", "--enterprise", "123"])
    assert result.exit_code == 2
    assert "18 characters" in result.stderr
