"""The same sync, audit and bundle on the scale mode's event store: PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audit.bundle import check_bundle
from tests.audit.conftest import cli, verify_report
from tests.audit.history import History, record_history

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
