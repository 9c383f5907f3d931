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
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert check_bundle(doc, log_key=doc["log_key"]).ok


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


def test_witness_answers_are_stored_beside_the_checkpoints_on_postgres(postgres_url: str) -> None:
    from datetime import UTC, datetime

    from ledger.checkpoints import CheckpointStore, WitnessAnswer
    from ledger.log import log_engine
    from ledger.note import Checkpoint, Signer, sign_checkpoint

    engine = log_engine(postgres_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        store = CheckpointStore(engine)
        log = Signer.generate("anjian.example/log")
        checkpoint = Checkpoint(log.name, 3, b"\x05" * 32)
        stored = store.add(
            checkpoint, sign_checkpoint(checkpoint, log), log.vkey, datetime.now(UTC)
        )
        now = datetime.now(UTC)
        store.record_answer(WitnessAnswer(stored.seq, "w+1", None, "HTTP 409: 5", now))
        store.record_answer(WitnessAnswer(stored.seq, "w+1", "\u2014 w AAAA\n", None, now))
        store.record_answer(WitnessAnswer(stored.seq, "v+2", None, "unreachable", now))
        answers = {a.witness: a for a in store.answers(stored.seq)}
        assert (answers["w+1"].line, answers["w+1"].error) == ("\u2014 w AAAA\n", None)
        assert answers["v+2"].error == "unreachable"
        assert stored.seq in store.cosigned("w+1")
        assert stored.seq not in store.cosigned("v+2")
        assert store.cosigned_note(stored).endswith("\n\u2014 w AAAA\n")
    finally:
        engine.dispose()
