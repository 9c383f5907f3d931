"""`anjian incidents | incident ID | teams` and incidents in `anjian history`: an accident of
grade 较大 recorded through the CLI, the emergency policy's decision recorded as the service
(signed with its platform-held key), then read back through the read models."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from domain.emergency import incident_id
from domain.emergency_policy import EmergencyPolicy
from domain.ids import actor_id
from domain.rescue import team_id
from ops.bootstrap import build
from ops.cli import app
from ops.cli.output import out
from ops.keystore import Keystore
from ops.settings import load_settings
from tests.domain.emergency_world import TEAMS
from tests.ops.test_cli_enterprises import record, register
from tests.support import SHANGHAI, new_uscc

runner = CliRunner()
T = datetime(2026, 11, 3, 9, 0, tzinfo=SHANGHAI)


def actor(home: Path, account: str, role: str, jurisdiction: str) -> dict[str, Any]:
    key = Keystore(home / "keys").custodial(account)
    return {
        "type": "actor.register",
        "actor": "platform",
        "region": "420000",
        "subject": str(actor_id(account)),
        "data": {
            "account": account,
            "role": role,
            "name": account,
            "jurisdiction": jurisdiction,
            "public_key": key.public_key_b64,
            "custody": "platform",
        },
    }


def team_line(code: str) -> dict[str, Any]:
    spec = dict(TEAMS[code])
    region = spec.pop("region")
    return {
        "type": "rescue.register",
        "actor": "r-hb",
        "region": region,
        "subject": str(team_id(code)),
        "data": {"code": code, **spec},
    }


def run_policy(home: Path, tmp_path: Path) -> list[str]:
    """What the emergency worker does, by hand: the policy over the log, its decisions recorded
    as the service. Returns the decisions' causes."""
    policy = EmergencyPolicy()
    with build(load_settings(home=home)) as p:
        decisions = [d for e in p.records.notifications() for d in policy.observe(e)]
    lines = [
        {**{k: d.command[k] for k in ("type", "region", "subject", "occurred_at", "data")},
         "actor": "svc-emergency", "id": str(d.id)}
        for d in decisions
    ]  # fmt: skip
    if lines:
        record(tmp_path, lines)
    return [d.cause for d in decisions]


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "var"
    monkeypatch.setenv("ANJIAN_HOME", str(home))
    return home


@pytest.fixture
def province(home: Path, tmp_path: Path) -> dict[str, Any]:
    uscc = new_uscc("420102")
    accident = "6b1d3c1e-0d6a-4c3e-9a7e-2f1f6c8e9a01"
    record(
        tmp_path,
        [
            actor(home, "r-hb", "regulator", "420000"),
            actor(home, "r-wh", "regulator", "420100"),
            actor(home, "svc-emergency", "service", "420000"),
        ],
    )
    record(tmp_path, [team_line(code) for code in TEAMS])
    record(tmp_path, [{**register(uscc, "420102"), "occurred_at": T.isoformat()}])
    record(
        tmp_path,
        [
            {
                "type": "accident.report",
                "actor": "r-wh",
                "region": "420102",
                "subject": accident,
                "occurred_at": (T + timedelta(days=1)).isoformat(),
                "data": {
                    "enterprise": uscc,
                    "happened_at": (T + timedelta(days=1, minutes=-30)).isoformat(),
                    "kind": "explosion",
                    "summary": "反应釜爆炸",
                    "deaths": 3,
                    "serious_injuries": 2,
                    "direct_loss": 0,
                },
            }
        ],
    )
    causes = run_policy(home, tmp_path)
    return {"uscc": uscc, "accident": accident, "causes": causes}


def invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_a_larger_accident_lists_a_level_iii_incident_led_by_the_prefecture(
    province: dict[str, Any],
) -> None:
    (cause,) = province["causes"]
    assert cause == f"{province['accident']}:1"
    rows = json.loads(invoke("incidents", "--open", "--json").stdout)
    (row,) = rows
    assert row["id"] == str(incident_id("accident", province["accident"]))
    assert (row["level"], row["jurisdiction"], row["cause"]) == ("III", "420100", cause)
    assert [s["code"] for s in row["suggested"]][:2] == ["WH-HAZ-1", "EZ-HAZ-1"]
    assert row["opened_at"].endswith("+08:00")
    table = invoke("incidents").stdout
    assert "Ⅲ级" in table
    assert "武汉市" in table
    # The county does not see the prefecture's incident; the prefecture and province do.
    assert json.loads(invoke("incidents", "--region", "420102", "--json").stdout) == []
    assert len(json.loads(invoke("incidents", "--region", "420100", "--json").stdout)) == 1


def test_one_incident_with_its_timeline_teams_and_map(
    province: dict[str, Any], tmp_path: Path
) -> None:
    subject = str(incident_id("accident", province["accident"]))
    record(
        tmp_path,
        [
            {
                "type": "rescue.dispatch",
                "actor": "r-wh",
                "region": "420107",
                "subject": str(team_id("WH-HAZ-1")),
                "data": {"incident": subject, "task": "堵漏"},
            },
            {
                "type": "emergency.update_task",
                "actor": "r-wh",
                "region": "420100",
                "subject": subject,
                "data": {"task": "T1", "description": "疏散", "status": "in_progress"},
            },
        ],
    )
    doc = json.loads(invoke("incident", subject, "--json").stdout)
    assert [e["type"] for e in doc["timeline"]] == [
        "emergency.open",
        "rescue.dispatch",
        "emergency.update_task",
    ]
    assert [t["code"] for t in doc["teams"]] == ["WH-HAZ-1"]
    assert doc["tasks"] == {"T1": {"description": "疏散", "status": "in_progress"}}
    features = doc["map"]["features"]
    assert features[0]["properties"]["kind"] == "incident"
    lon, lat = features[0]["geometry"]["coordinates"]
    assert (round(lat, 3), round(lon, 3)) == (30.6, 114.309)  # 江岸区's seat: [lon, lat]
    relations = {f["properties"]["code"]: f["properties"]["relation"] for f in features[1:]}
    assert relations["WH-HAZ-1"] == "dispatched"
    assert relations["EZ-HAZ-1"] == "suggested"
    text = invoke("incident", subject).stdout
    assert "起因事件" in text
    assert "已出动 WH-HAZ-1" in text
    teams = json.loads(invoke("teams", "--json").stdout)
    status = {t["code"]: (t["status"], t["incident"]) for t in teams}
    assert status["WH-HAZ-1"] == ("dispatched", subject)
    assert status["EZ-HAZ-1"] == ("available", None)
    assert "已出动" in invoke("teams").stdout


def test_the_incident_is_in_the_enterprises_history_citing_the_accident(
    province: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = json.loads(invoke("history", "--enterprise", province["uscc"], "--json").stdout)
    opened = [r for r in rows if r["type"] == "emergency.open"]
    (entry,) = opened
    assert entry["cites"] == [f"{province['accident']}:1"]
    assert entry["stage"] == "应急"
    assert entry["actor"] == "svc-emergency"
    monkeypatch.setattr(out, "width", 400)  # the table's cells unwrapped
    text = invoke("history", "--enterprise", province["uscc"]).stdout
    assert f"← {province['accident']}:1" in text


def test_running_the_policy_again_records_nothing_new(
    province: dict[str, Any], home: Path, tmp_path: Path
) -> None:
    run_policy(home, tmp_path)  # the same decision: the store answers with the original
    assert len(json.loads(invoke("incidents", "--json").stdout)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["incident", "not-a-uuid"], "InvalidValue: ID: an incident id"),
        (["incident", "6B1D3C1E-0D6A-4C3E-9A7E-2F1F6C8E9A01"], "InvalidValue"),
        (["incident", "6b1d3c1e-0d6a-4c3e-9a7e-2f1f6c8e9a01"], "NotFound: no incident"),
        (["incidents", "--region", "110000"], "outside Hubei"),
        (["teams", "--region", "42"], "6-digit"),
        (["incident", "6b1d3c1e-0d6a-4c3e-9a7e-2f1f6c8e9a01", "--region", "x"], "6-digit"),
    ],
)
def test_bad_input_is_one_line_naming_it(home: Path, args: list[str], message: str) -> None:
    record(home.parent, [actor(home, "r-hb", "regulator", "420000")])
    result = runner.invoke(app, args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_prefecture_incident_is_hidden_from_other_prefectures(
    province: dict[str, Any],
) -> None:
    subject = str(incident_id("accident", province["accident"]))
    result = runner.invoke(app, ["incident", subject, "--region", "420500"])
    assert result.exit_code == 1
    assert "NotFound" in result.stderr


def test_stored_text_is_shown_as_text_not_markup(
    province: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(
        tmp_path,
        [
            {
                "type": "rescue.update",
                "actor": "r-hb",
                "region": "420111",
                "subject": str(team_id("WH-MED-1")),
                "data": {"name": "[red]假队伍[/red] %s {0}"},
            }
        ],
    )
    monkeypatch.setattr(out, "width", 400)
    text = invoke("teams").stdout
    assert "[red]假队伍[/red] %s {0}" in text
