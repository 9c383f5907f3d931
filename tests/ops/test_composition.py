"""The composition root: one platform a run, holding one engine a database for its lifetime;
tests and tools build it with overrides; the settings' time zone dates what the intake fills in.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, event
from typer.testing import CliRunner

from ops.bootstrap import build
from ops.cli import app
from ops.settings import load_settings
from services.ingest.principal import Principal
from tests.ops.test_cli_record import enterprise_line, register_regulator, write
from tests.support import new_uscc

runner = CliRunner()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def home(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory with one regulator recorded, on SQLite or on PostgreSQL."""
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    if request.param == "postgres":
        monkeypatch.setenv("ANJIAN_DATABASE_URL", request.getfixturevalue("postgres_url"))
    register_regulator(tmp_path / "var", tmp_path)
    return tmp_path / "var"


@contextmanager
def engines_used() -> Iterator[dict[str, set[int]]]:
    """The SQLAlchemy engines connecting while it is open, by database."""
    used: dict[str, set[int]] = defaultdict(set)

    def seen(conn: Connection) -> None:
        url = conn.engine.url
        database = str(Path(url.database or "").resolve()) if url.drivername == "sqlite" else ""
        used[database or url.render_as_string(hide_password=True)].add(id(conn.engine))

    event.listen(Engine, "engine_connect", seen)
    try:
        yield used
    finally:
        event.remove(Engine, "engine_connect", seen)


@pytest.mark.parametrize(
    "command",
    [
        ["ledger", "sync", "--no-anchor"],
        ["history", "--enterprise", "91420102MA4K2X3Y1R"],
        ["ledger", "status"],
    ],
    ids=["ledger-sync", "history", "ledger-status"],
)
def test_a_run_opens_one_engine_per_database(home: Path, command: list[str]) -> None:
    with engines_used() as used:
        result = runner.invoke(app, command)
    assert result.exit_code in (0, 1), result.output  # history: NotFound is an answer too
    assert used, "the run read no database"
    assert {db: len(engines) for db, engines in used.items()} == dict.fromkeys(used, 1)


def test_record_then_sync_in_one_run_share_the_platform(home: Path, tmp_path: Path) -> None:
    f = write(tmp_path / "in.jsonl", [enterprise_line(new_uscc())])
    with engines_used() as used:
        result = runner.invoke(app, ["record", str(f), "--as", "r-wh-1", "--json"])
    assert result.exit_code == 0, result.output
    assert "ledger: +" in result.stderr  # recorded, then logged in the same run
    assert all(len(engines) == 1 for engines in used.values()), used


def test_the_platform_holds_its_services_for_its_lifetime(home: Path) -> None:
    with build(load_settings()) as p:
        assert p.ledger is p.ledger
        assert p.readmodels is p.readmodels
        p.readmodels.follower.catch_up()
        if p.settings.is_postgres:  # the read models live in the event store's database
            assert p.readmodels.engine is p.ledger.log.engine
        assert len(p.engines) == len(set(map(id, p.engines.values())))


def test_tests_build_the_platform_with_the_recorded_clock_they_need(home: Path) -> None:
    noon = datetime(2031, 5, 6, 4, 0, tzinfo=UTC)
    line = {**enterprise_line(new_uscc()), "occurred_at": "2031-05-06T11:59:00+08:00"}
    with build(load_settings(), clock=lambda: noon) as p:
        (committed,) = p.ingest.record([line], Principal.operator("r-wh-1"))
        stored = p.records.stored(committed.recorded[0].event_id)
    assert datetime.fromisoformat(stored.recorded_at) == noon


def test_a_line_without_a_time_is_dated_in_the_configured_time_zone(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANJIAN_TIMEZONE", "Asia/Urumqi")
    f = write(tmp_path / "in.jsonl", [enterprise_line(new_uscc())])
    recorded = runner.invoke(app, ["record", str(f), "--as", "r-wh-1", "--no-sync"])
    assert recorded.exit_code == 0, recorded.output
    shown = runner.invoke(app, ["show", recorded.stdout.strip(), "--json"])
    assert json.loads(shown.stdout)["envelope"]["occurred_at"].endswith("+06:00")
