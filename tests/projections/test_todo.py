"""The to-do lists (待办): every step due or overdue in a jurisdiction, with its legal clock and
the event behind it, and nothing from elsewhere."""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest
import typer
from typer.testing import CliRunner

from ops.bootstrap import store_env
from ops.cli.records import show
from ops.cli.todo import todo_command
from ops.settings import Settings
from projections.registry import all_projections
from projections.todo import todo
from tests.projections.scenes import EVIDENCE, Site, at
from tests.projections.world import WUHAN, YICHANG, World

app = typer.Typer()
app.command("todo")(todo_command)
app.command()(show)
runner = CliRunner()
ASKED = "2024-04-01T12:00:00+08:00"


def _history(site: Site) -> dict[str, UUID]:
    """One record per list, each due or overdue on 2024-04-01, and one not due for weeks."""
    overdue = site.hazard(when=at("2024-03-01"))
    site.order(overdue, "2024-03-10", when=at("2024-03-01"))
    later = site.hazard("major", when=at("2024-03-01"))
    site.supervise(later, deadline="2030-12-31", when=at("2024-03-01"))
    recheck = site.hazard(when=at("2024-03-02"))
    site.order(recheck, "2024-06-30", when=at("2024-03-02"))
    site.run(
        "hazard.rectify",
        {"description": "已整改", "evidence": EVIDENCE},
        recheck,
        who=site.account,
        when=at("2024-03-20"),
    )
    site.run("hazard.request_recheck", {}, recheck, who=site.account, when=at("2024-03-20"))
    penalty = site.penalty(when=at("2024-03-25"))  # served: the fine is due in 15 days
    permit = site.permit(at("2021-04-15"))  # expires 2024-04-15
    certificate = site.certificate(at("2021-04-20"))  # review (复审) due 2024-04-20
    accident = site.accident(when=at("2024-03-20"))
    alarm = site.alarm()
    return {
        "overdue": overdue,
        "later": later,
        "recheck": recheck,
        "penalty": penalty,
        "permit": permit,
        "certificate": certificate,
        "accident": accident,
        "alarm": alarm,
    }


@pytest.fixture
def home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[dict[str, UUID], dict[str, UUID], str]:
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path))
    w = World(store_env(Settings(home=tmp_path)), f"sqlite:///{tmp_path / 'scratch.sqlite'}")
    wh = Site(w, WUHAN, "420102", name="武汉化工")
    yc = Site(w, YICHANG, "420502", name="宜昌建材")
    wuhan, yichang = _history(wh), _history(yc)
    w.close()
    return wuhan, yichang, wh.uscc


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_wuhan_regulator_sees_every_due_step_of_wuhan_and_nothing_else(
    home: tuple[dict[str, UUID], dict[str, UUID], str],
) -> None:
    wuhan, yichang, uscc = home
    code, output = run("todo", "--region", "420100", "--at", ASKED, "--json")
    assert code == 0, output
    items = json.loads(output)["items"]
    by_record: dict[str, list[dict[str, object]]] = {}
    for item in items:
        by_record.setdefault(str(item["record"]), []).append(item)
    assert not {str(s) for s in yichang.values()} & set(by_record)
    assert {i["region"] for i in items} == {"420102"}
    assert str(wuhan["later"]) not in by_record  # due in 2030: not on a 30-day list

    (hazard,) = by_record[str(wuhan["overdue"])]
    assert hazard["list"] == "hazard"
    assert hazard["overdue"] is True
    assert (hazard["due"], hazard["days_left"]) == ("2024-03-10", -22)
    assert (hazard["enterprise"], hazard["enterprise_name"]) == (uscc, "武汉化工")
    assert hazard["party"] == "enterprise"
    assert "总局令第16号" in str(hazard["rule"])
    (recheck,) = by_record[str(wuhan["recheck"])]
    assert (recheck["list"], recheck["due"], recheck["party"]) == (
        "recheck",
        "2024-03-30",
        "regulator",
    )
    (penalty,) = by_record[str(wuhan["penalty"])]
    assert (penalty["step"], penalty["due"], penalty["days_left"]) == ("缴纳罚款", "2024-04-09", 8)
    assert "§67" in str(penalty["rule"])
    (permit,) = by_record[str(wuhan["permit"])]
    assert (permit["list"], permit["due"], permit["step"]) == ("permit", "2024-04-15", "申请延续")
    (certificate,) = by_record[str(wuhan["certificate"])]  # an upcoming review is due
    assert (certificate["step"], certificate["due"]) == ("申请复审", "2024-04-20")
    (alarm,) = by_record[str(wuhan["alarm"])]
    assert alarm["step"] == "确认报警"
    steps = {i["step"]: i["due"] for i in by_record[str(wuhan["accident"])]}
    assert steps == {"伤亡人数变化补报": "2024-04-19", "组织事故调查": "2024-05-19"}


def test_every_row_names_an_event_that_anjian_show_opens(
    home: tuple[dict[str, UUID], dict[str, UUID], str],
) -> None:
    code, output = run("todo", "--region", "420100", "--at", ASKED, "--json")
    assert code == 0, output
    items = json.loads(output)["items"]
    assert len(items) == 8
    for item in items:
        code, shown = run("show", item["event_id"], "--json")
        assert code == 0, shown
        assert json.loads(shown)["event_id"] == item["event_id"]
        assert item["event_id"].startswith(f"{item['record']}:")


def test_an_enterprise_sees_its_own_list(
    home: tuple[dict[str, UUID], dict[str, UUID], str],
) -> None:
    wuhan, _, uscc = home
    code, output = run("todo", "--enterprise", uscc, "--at", ASKED, "--json")
    assert code == 0, output
    items = json.loads(output)["items"]
    assert {i["enterprise"] for i in items} == {uscc}
    assert {i["record"] for i in items} == {str(s) for k, s in wuhan.items() if k != "later"}


def test_the_window_decides_what_falls_due(
    home: tuple[dict[str, UUID], dict[str, UUID], str],
) -> None:
    wuhan, _, _ = home
    code, output = run("todo", "--region", "420100", "--at", ASKED, "--within", "10", "--json")
    assert code == 0, output
    records = {i["record"] for i in json.loads(output)["items"]}
    assert str(wuhan["penalty"]) in records  # due in 8 days
    assert str(wuhan["permit"]) not in records  # in 14
    assert str(wuhan["certificate"]) not in records  # in 19


def test_the_text_list_shows_the_clock_company_and_event(
    home: tuple[dict[str, UUID], dict[str, UUID], str],
) -> None:
    wuhan, _, _ = home
    code, output = run("todo", "--region", "420100", "--at", ASKED)
    assert code == 0, output
    assert "逾期 22 天" in output
    assert "武汉化工" in output
    assert f"{wuhan['overdue']}:" in output


def test_a_made_up_enterprise_code_is_refused(
    home: tuple[dict[str, UUID], dict[str, UUID], str],
) -> None:
    code, output = run("todo", "--enterprise", "91420102MA0000000X")
    assert code == 2
    assert "--enterprise" in output


def test_the_query_layer_answers_the_same_rows(world: World) -> None:
    site = Site(world, WUHAN, "420102", name="武汉化工")
    case = site.hazard(when=at("2024-03-01"))
    site.order(case, "2024-03-10", when=at("2024-03-01"))
    world.follower(all_projections()).catch_up()
    with world.engine.connect() as conn:
        listed = todo(conn, "420100", at("2024-04-01"))
        elsewhere = todo(conn, "420500", at("2024-04-01"))
    assert [(i.record, i.days_left) for i in listed.items] == [(str(case), -22)]
    assert listed.to_json(at("2024-04-01").tzinfo)["counts"] == {"hazard": 1}  # type: ignore[arg-type]
    assert elsewhere.items == ()


def test_a_made_up_region_is_an_error_naming_it_not_a_list_of_wuhan(
    home: tuple[dict[str, UUID], dict[str, UUID], str],
) -> None:
    code, output = run("todo", "--region", "420199", "--at", ASKED)
    assert code == 2
    assert "420199" in output
    assert "待办" not in output
