"""The projections CLI, registered exactly as ops/cli/__init__.py registers it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from ops.bootstrap import store_env
from ops.cli.analytics import analytics, export
from ops.cli.credit import credit
from ops.cli.dashboard import dashboard
from ops.cli.projections import projections_app
from ops.settings import Settings
from tests.projections.scenes import Site, at
from tests.projections.world import WUHAN, YICHANG, World

app = typer.Typer()
app.add_typer(projections_app, name="projections")
app.command()(credit)
app.command()(analytics)
app.command()(dashboard)
app.command()(export)
runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Site, Site]:
    """A data dir with a few real records, as ANJIAN_HOME."""
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path))
    settings = Settings(home=tmp_path)
    w = World(store_env(settings), f"sqlite:///{tmp_path / 'scratch.sqlite'}")
    wh = Site(w, WUHAN, "420102", standardisation="level1", name="武汉化工")
    yc = Site(w, YICHANG, "420502", standardisation="level1", name="宜昌建材")
    case = wh.hazard("major", when=at("2024-03-01"))
    wh.supervise(case, when=at("2024-03-01"))
    wh.penalty(when=at("2024-03-02"))
    wh.risk_point("P1", "red")
    acc = yc.accident(deaths=3, when=at("2024-03-03"))
    yc.investigate_accident(acc, liability=True, when=at("2024-03-04"))
    w.close()
    return tmp_path, wh, yc


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_status_reports_every_projection_and_its_lag(home: tuple[Path, Site, Site]) -> None:
    code, output = run("projections", "status", "--json")
    assert code == 0, output
    rows = json.loads(output)
    assert {r["name"] for r in rows} >= {"timeline", "hazards", "credit-v1", "credit-v2"}
    assert all(r["lag"] == r["head"] > 0 for r in rows)  # nothing applied yet
    code, output = run("projections", "rebuild", "--json")
    assert code == 0, output
    assert json.loads(output)["notifications"] == rows[0]["head"]
    rows = json.loads(run("projections", "status", "--json")[1])
    assert {r["lag"] for r in rows} == {0}


def test_credit_of_one_enterprise_names_rules_and_events(home: tuple[Path, Site, Site]) -> None:
    _, wh, _ = home
    code, output = run(
        "credit", "--enterprise", wh.uscc, "--at", "2024-03-05T12:00:00+08:00", "--json"
    )
    assert code == 0, output
    doc = json.loads(output)
    assert (doc["grade"], doc["rulebook"]) == ("D", "v1")
    assert [a["rule"] for a in doc["applied"]] == ["CR-01", "CR-02", "CR-05"]
    assert all(a["events"] for a in doc["applied"])
    assert doc["history"][-1]["grade"][1] == "D"
    code, text = run("credit", "--enterprise", wh.uscc, "--at", "2024-03-05T12:00:00+08:00")
    assert code == 0
    assert "挂牌督办" in text


def test_credit_compares_two_rulebook_versions(home: tuple[Path, Site, Site]) -> None:
    _, _, yc = home
    code, output = run("credit", "--compare", "v2", "--at", "2024-03-05T12:00:00+08:00", "--json")
    assert code == 0, output
    # A 较大 liability accident drops an A two grades under v1, to D under v2.
    assert [(c["uscc"], c["grades"]) for c in json.loads(output)] == [
        (yc.uscc, {"v1": "C", "v2": "D"})
    ]


def test_credit_listing_covers_only_the_jurisdiction(home: tuple[Path, Site, Site]) -> None:
    _, wh, _ = home
    code, output = run("credit", "--region", "420100", "--json")
    assert code == 0, output
    assert [r["uscc"] for r in json.loads(output)] == [wh.uscc]


def test_analytics_runs_by_name_and_refuses_unknown_names(home: tuple[Path, Site, Site]) -> None:
    code, output = run("analytics", "risk_heat", "--json")
    assert code == 0, output
    assert [(r["region"], r["heat"]) for r in json.loads(output)] == [("420102", "red")]
    code, output = run("analytics", "fortune_telling")
    assert code == 2
    assert "UnknownProjection" in output


def test_dashboard_summarises_a_jurisdiction_in_chinese(home: tuple[Path, Site, Site]) -> None:
    code, output = run("dashboard", "--region", "420100", "--at", "2024-03-05T12:00:00+08:00")
    assert code == 0, output
    assert "武汉市" in output
    assert "挂牌督办重大隐患 1 项" in output
    assert "在册 1 家" in output
    code, output = run(
        "dashboard", "--region", "420500", "--at", "2024-03-05T12:00:00+08:00", "--json"
    )
    doc = json.loads(output)
    assert (doc["accidents_12m"], doc["deaths_12m"], doc["majors_supervised"]) == (
        {"larger": 1},
        3,
        0,
    )


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_writes_a_read_model_of_the_jurisdiction(
    home: tuple[Path, Site, Site], fmt: str
) -> None:
    root, wh, _ = home
    target = root / f"hazards.{fmt}"
    code, output = run(
        "export", "hazards", "--format", fmt, "-o", str(target), "--region", "420100", "--codes"
    )
    assert code == 0, output
    df = pl.read_parquet(target) if fmt == "parquet" else pl.read_csv(target)
    assert df["enterprise"].to_list() == [wh.uscc]
    code, output = run("export", "top_open_risk", "-o", str(root / "top.parquet"), "--json")
    assert json.loads(output)["rows"] == pl.read_parquet(root / "top.parquet").height


def test_a_bad_region_is_a_usage_error(home: tuple[Path, Site, Site]) -> None:
    code, output = run("dashboard", "--region", "110000")
    assert code == 2
    assert "InvalidValue" in output


def test_times_in_json_carry_the_offset_of_the_platforms_time_zone(
    home: tuple[Path, Site, Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, wh, _ = home
    args = ("credit", "--enterprise", wh.uscc, "--at", "2024-03-05T12:00:00+08:00", "--json")
    china = json.loads(run(*args)[1])
    monkeypatch.setenv("ANJIAN_TIMEZONE", "UTC")
    utc = json.loads(run(*args)[1])
    assert (china["at"], utc["at"]) == ("2024-03-05T12:00:00+08:00", "2024-03-05T04:00:00+00:00")
    moves = [datetime.fromisoformat(m["at"]) for m in china["history"]]
    assert moves
    assert {t.utcoffset() for t in moves} == {timedelta(hours=8)}
    assert moves == [datetime.fromisoformat(m["at"]) for m in utc["history"]]  # same instants


def test_an_empty_analysis_says_what_its_rule_needs(home: tuple[Path, Site, Site]) -> None:
    from projections.analytics import ANALYSES

    for name, analysis in ANALYSES.items():
        code, output = run("analytics", name, "--region", "420200")  # 黄石市: nothing recorded
        assert code == 0, output
        assert f"黄石市（420200）无结果：{analysis.needs}" in output.replace("\n", "")
    code, output = run("analytics", "section_113", "--region", "420100")
    assert code == 0, output
    assert "重大事故隐患未销号期间" in output
    assert "180日内3次" in output


def test_a_dashboard_before_any_rulebook_says_so_and_shows_the_rest(
    home: tuple[Path, Site, Site],
) -> None:
    result = runner.invoke(app, ["dashboard", "--region", "420100", "--at", "2019-12-31"])
    assert result.exit_code == 0, result.output
    assert "no credit rulebook is in force on 2019-12-31" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "七、信用等级：2019-12-31 无生效的信用评定规则" in result.stdout
    assert "二、事故隐患" in result.stdout
    assert "按该日重建" in result.stdout  # it says the view is rebuilt as it stood then
