"""Search: enterprises by any part of their Chinese name, their USCC or region; cases and
documents by any part of their number, each with the event behind it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ops.bootstrap import store_env
from ops.cli.records import enterprises, show
from ops.cli.search import documents
from ops.settings import Settings
from projections.registry import all_projections
from projections.search import find_documents, find_enterprises
from tests.projections.scenes import Site, at
from tests.projections.world import WUHAN, YICHANG, World

app = typer.Typer()
app.command()(enterprises)
app.command()(documents)
app.command()(show)
runner = CliRunner()


def test_enterprises_by_part_of_the_name_or_uscc_within_the_jurisdiction(world: World) -> None:
    a = Site(world, WUHAN, "420102", name="武汉长江化工有限公司")
    b = Site(world, WUHAN, "420111", name="武汉洪山建材有限公司")
    c = Site(world, YICHANG, "420502", name="宜昌长江化工有限公司")
    world.follower(all_projections()).catch_up()
    with world.engine.connect() as conn:
        assert [r.uscc for r in find_enterprises(conn, "420100", name="长江化工")] == [a.uscc]
        assert {r.uscc for r in find_enterprises(conn, "420000", name="长江")} == {
            a.uscc,
            c.uscc,
        }
        assert [r.uscc for r in find_enterprises(conn, "420100", uscc=b.uscc[-8:].lower())] == [
            b.uscc
        ]
        assert find_enterprises(conn, "420100", name="100%") == []  # % is no wildcard
        assert [r.uscc for r in find_enterprises(conn, "420111", name="武汉")] == [b.uscc]


def test_cases_and_documents_by_their_number(world: World) -> None:
    site = Site(world, WUHAN, "420102", name="武汉化工")
    case = site.hazard(when=at("2024-03-01"))
    site.run(
        "hazard.order_rectification",
        {"deadline": "2024-03-31", "requirements": "整改", "document_no": "汉应急责改〔2026〕12号"},
        case,
        when=at("2024-03-01"),
    )
    penalty = site.penalty(when=at("2024-03-02"))
    other = Site(world, YICHANG, "420502")
    other.penalty(when=at("2024-03-02"))
    world.follower(all_projections()).catch_up()
    with world.engine.connect() as conn:
        (order,) = find_documents(conn, "420100", "责改〔2026〕12")
        decisions = find_documents(conn, "420100", "决-1")
        nothing = find_documents(conn, "420500", "汉应急责改")
    assert (order.kind, order.record, order.enterprise_name) == (
        "rectification_order",
        str(case),
        "武汉化工",
    )
    assert order.event_id.startswith(f"{case}:")
    assert [(d.kind, d.record) for d in decisions] == [("penalty_decision", str(penalty))]
    assert nothing == []


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path))
    w = World(store_env(Settings(home=tmp_path)), f"sqlite:///{tmp_path / 'scratch.sqlite'}")
    site = Site(w, WUHAN, "420102", name="武汉长江化工有限公司")
    Site(w, WUHAN, "420103", name="武汉汉江建材有限公司")
    site.permit(at("2023-01-10"))
    w.close()
    return site


def test_the_cli_finds_enterprises_and_documents_and_show_opens_them(home: Site) -> None:
    result = runner.invoke(app, ["enterprises", "--name", "长江", "--json"])
    assert result.exit_code == 0, result.output
    assert [r["uscc"] for r in json.loads(result.output)] == [home.uscc]
    result = runner.invoke(app, ["documents", "安许", "--region", "420100", "--json"])
    assert result.exit_code == 0, result.output
    (hit,) = json.loads(result.output)
    assert (hit["number"], hit["record_kind"], hit["enterprise"]) == ("安许-1", "permit", home.uscc)
    shown = runner.invoke(app, ["show", hit["event_id"], "--json"])
    assert shown.exit_code == 0, shown.output
