"""The same sync, audit and bundle on the scale mode's event store: PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.bundle import check_bundle
from domain.stored import parse_event_id
from tests.audit.conftest import cli, failures, verify_report
from tests.audit.history import History, insider_write, record_history

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_history(home: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> History:
    monkeypatch.setenv("ANJIAN_DATABASE_URL", postgres_url)
    return record_history(home)


def test_a_postgres_store_syncs_verifies_and_proves(pg_history: History, tmp_path: Path) -> None:
    code, report = verify_report()
    assert code == 0, report["failures"]
    assert report["leaves"] == len(pg_history.events)
    assert report["anchors"] == 2
    out = tmp_path / "bundle.json"
    assert cli("audit", "proof", pg_history.hazard_report, "-o", str(out)).exit_code == 0
    assert check_bundle(json.loads(out.read_text(encoding="utf-8"))).ok


def test_on_postgres_an_insiders_event_the_catalog_refuses_halts_the_ledger_and_is_named(
    pg_history: History,
) -> None:
    hazard = parse_event_id(pg_history.after_rotation)[0]
    event = insider_write(pg_history, "e-1", "hazard.close", hazard, {"document_no": "XH-2"})
    result = cli("ledger", "sync")
    assert result.exit_code == 1
    assert f"event {event}" in result.stderr
    assert "[catalog] hazard.close may be issued by regulator" in result.stderr
    code, report = verify_report("--replay")
    assert code == 1
    assert failures(report, check="catalog", event_id=event)
    (replayed,) = failures(report, check="rules")
    assert replayed["event_id"] == event
    assert replayed["message"].startswith("NotAuthorized: role enterprise may not issue")
