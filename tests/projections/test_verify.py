"""`anjian projections verify`: the read models are rebuilt from the log into a scratch store
and every live row that differs is named (an insider's UPDATE of a credit score or a hazard's
status in the read-model store is caught)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from ops.bootstrap import store_env
from ops.cli.projections import projections_app
from ops.settings import Settings
from projections.registry import all_projections
from projections.store import READMODELS_FILE, readmodels_url
from projections.verify import verify
from tests.projections.scenes import Site, at
from tests.projections.world import WUHAN, YICHANG, World

app = typer.Typer()
app.add_typer(projections_app, name="projections")
runner = CliRunner()


def _records(w: World) -> tuple[Site, Site]:
    wh = Site(w, WUHAN, "420102", standardisation="level1", name="武汉化工")
    yc = Site(w, YICHANG, "420502", standardisation="level1", name="宜昌建材")
    wh.hazard("major", when=at("2024-03-01"))
    wh.penalty(when=at("2024-03-02"))
    acc = yc.accident(deaths=3, when=at("2024-03-03"))
    yc.investigate_accident(acc, liability=True, when=at("2024-03-04"))
    return wh, yc


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Engine, Site]:
    """A data dir with a few real records, as ANJIAN_HOME; the engine of its read models."""
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path))
    settings = Settings(home=tmp_path)
    w = World(store_env(settings), f"sqlite:///{tmp_path / 'scratch.sqlite'}")
    wh, _ = _records(w)
    w.close()
    return create_engine(f"sqlite:///{settings.sqlite_path.parent / READMODELS_FILE}"), wh


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_untouched_read_models_match_the_log(home: tuple[Engine, Site]) -> None:
    code, output = run("projections", "verify")
    assert code == 0, output
    assert "read models match the log up to notification" in output
    code, output = run("projections", "verify", "--json")
    doc = json.loads(output)
    assert doc["ok"]
    assert doc["position"] > 0
    assert doc["differences"] == []
    assert doc["rows"]["rm_hazards"] == 1
    assert doc["rows"]["rm_credit"] > 0


def test_a_credit_score_changed_in_sql_is_named(home: tuple[Engine, Site]) -> None:
    engine, wh = home
    assert run("projections", "verify")[0] == 0  # the live read models exist and match
    with engine.begin() as conn:
        before = conn.execute(
            text("SELECT score FROM rm_credit WHERE rulebook = 'v1' AND uscc = :u"), {"u": wh.uscc}
        ).scalar_one()
        conn.execute(
            text("UPDATE rm_credit SET score = 100.0 WHERE rulebook = 'v1' AND uscc = :u"),
            {"u": wh.uscc},
        )
    code, output = run("projections", "verify")
    assert code == 1
    assert (
        f"rm_credit [rulebook='v1', uscc='{wh.uscc}'] score: live 100.0, rebuilt {before!r}"
        in output
    )
    assert "ReadModelsDiffer: 1 difference(s)" in output
    assert run("projections", "verify", "credit-v2")[0] == 0  # another rulebook's rows: intact


def test_a_hazard_status_changed_and_a_row_deleted_are_named(home: tuple[Engine, Site]) -> None:
    engine, _ = home
    assert run("projections", "verify")[0] == 0
    with engine.begin() as conn:
        subject, status = conn.execute(text("SELECT subject, status FROM rm_hazards")).one()
        conn.execute(text("UPDATE rm_hazards SET status = 'closed'"))
        conn.execute(text("DELETE FROM rm_accidents"))
    result = runner.invoke(app, ["projections", "verify", "hazards", "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["differences"] == [
        {
            "table": "rm_hazards",
            "key": {"subject": subject},
            "column": "status",
            "live": "closed",
            "rebuilt": status,
        }
    ]
    code, output = run("projections", "verify")
    assert code == 1
    assert "rm_accidents [subject=" in output
    assert "missing from the live" in output


def test_an_unknown_projection_is_refused(home: tuple[Engine, Site]) -> None:
    code, output = run("projections", "verify", "nonesuch")
    assert code != 0
    assert "UnknownProjection" in output


class TestPostgres:
    @pytest.fixture
    def world(self, postgres_url: str) -> Iterator[World]:
        w = World(store_env(Settings(database_url=postgres_url)), readmodels_url(postgres_url))
        yield w
        w.close()

    def test_a_row_changed_in_a_postgres_store_is_named(self, world: World) -> None:
        wh, _ = _records(world)
        projections = all_projections()
        world.follower(projections).catch_up()
        assert verify(world.h.records.recorder, world.engine, projections).ok
        with world.engine.begin() as conn:
            conn.execute(
                text("UPDATE rm_credit SET grade = 'A' WHERE rulebook = 'v2' AND uscc = :u"),
                {"u": wh.uscc},
            )
        result = verify(world.h.records.recorder, world.engine, projections)
        assert [(d.table, dict(d.key), d.column, d.live) for d in result.differences] == [
            ("rm_credit", {"rulebook": "v2", "uscc": wh.uscc}, "grade", "A")
        ]
        assert result.position == world.h.records.recorder.max_notification_id()
