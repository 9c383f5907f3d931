"""Dashboards, exports and analyses state the log position their read models reached and the
newest signed checkpoint covering it, or that none covers it yet, so anyone holding the log
can recompute them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from services.provenance import Provenance
from tests.audit.conftest import cli
from tests.audit.history import History, record_more, sync


def latest_checkpoint() -> dict[str, Any]:
    done = cli("ledger", "status", "--json")
    assert done.exit_code == 0, done.output
    latest: dict[str, Any] = json.loads(done.stdout)["latest_checkpoint"]
    return latest


def dashboard() -> dict[str, Any]:
    done = cli("dashboard", "--json")
    assert done.exit_code == 0, done.output
    doc: dict[str, Any] = json.loads(done.stdout)
    return doc


def test_the_dashboard_names_the_notification_and_the_checkpoint_covering_it(
    history: History,
) -> None:
    doc = dashboard()
    assert {"jurisdiction", "lag"} <= set(doc)  # the existing keys stay
    latest = latest_checkpoint()
    assert doc["reflects"] == {
        "notification_id": len(history.events),
        "leaves": len(history.events),
        "checkpoint": {
            "size": latest["tree_size"],
            "root": latest["root"],
            "origin": "anjian.hubei.gov.cn/log",
            "seq": latest["seq"],
        },
        "covered": True,
    }
    text = cli("dashboard").stdout
    assert f"读模型至通知 notification {len(history.events)}" in text
    assert f"size {latest['tree_size']} root {latest['root']}" in text


def test_an_answer_beyond_the_log_says_no_checkpoint_covers_it_until_a_sync(
    history: History,
) -> None:
    record_more(history, 1)
    reflects = dashboard()["reflects"]
    assert reflects["notification_id"] == len(history.events) + 1
    assert reflects["leaves"] is None
    assert reflects["checkpoint"] is None
    assert reflects["covered"] is False
    assert "no checkpoint covers it" in cli("dashboard").stdout
    sync()  # logged now, and a checkpoint signed over it
    reflects = dashboard()["reflects"]
    assert reflects["leaves"] == len(history.events) + 1
    assert reflects["checkpoint"]["size"] == len(history.events) + 1


def test_an_export_carries_what_it_reflects_in_its_report_and_its_parquet_file(
    history: History, tmp_path: Path
) -> None:
    target = tmp_path / "hazards.parquet"
    done = cli("export", "hazards", "-o", str(target), "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["rows"] >= 0
    assert report["reflects"]["checkpoint"]["root"] == latest_checkpoint()["root"]
    stored = pl.read_parquet_metadata(target)["anjian.reflects"]
    assert json.loads(stored) == report["reflects"]


def test_an_analysis_states_what_it_reflects(history: History, tmp_path: Path) -> None:
    done = cli("analytics", "risk_heat")
    assert done.exit_code == 0, done.output
    assert f"读模型至通知 notification {len(history.events)}" in done.stdout
    shared = cli("export", "risk_heat", "-o", str(tmp_path / "heat.csv"), "--format", "csv")
    assert f"读模型至通知 notification {len(history.events)}" in shared.stdout


def test_a_logged_position_without_a_checkpoint_says_none_covers_it_yet() -> None:
    reflects = Provenance(20, 20, None)
    assert reflects.to_json()["covered"] is False
    assert reflects.line().endswith("尚无检查点覆盖 no checkpoint covers it yet")
