"""Analytics (polars): repeated hazards, §113, accident trend, risk heat, coverage, top risk."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from uuid import uuid4

import polars as pl
import pytest

from projections import analytics
from projections.export import frame, names, write
from projections.registry import all_projections
from tests.projections.scenes import Site, at
from tests.projections.world import WUHAN, YICHANG, World

LATER = at("2025-01-01")


def run(w: World, name: str, jurisdiction: str = "420000") -> pl.DataFrame:
    w.follower(all_projections()).catch_up()
    with w.engine.connect() as conn:
        return analytics.run(name, conn, jurisdiction, LATER)


def test_the_same_criterion_twice_at_one_enterprise_is_a_repeated_hazard(world: World) -> None:
    twice = Site(world, WUHAN, "420102")
    other = Site(world, WUHAN, "420102")
    twice.hazard("major", criterion="HC-7")
    twice.hazard("major", criterion="HC-7")
    twice.hazard("major", criterion="HC-9")
    other.hazard("major", criterion="HC-7")
    df = run(world, "repeated_hazards")
    assert df.select("enterprise", "criterion_ref", "hazards").rows() == [(twice.uscc, "HC-7", 2)]


def penalised(site: Site, days: list[str]) -> None:
    for d in days:
        site.penalty(when=at(d))


def test_section_113_three_penalties_in_180_days_with_a_major_hazard(world: World) -> None:
    repeat = Site(world, WUHAN, "420102")
    repeat.supervise(repeat.hazard("major", when=at("2024-01-02")), when=at("2024-01-02"))
    penalised(repeat, ["2024-02-01", "2024-04-01", "2024-07-01"])  # 151 days: a case
    slow = Site(world, WUHAN, "420102")
    slow.supervise(slow.hazard("major", when=at("2024-01-02")), when=at("2024-01-02"))
    penalised(slow, ["2024-02-01", "2024-05-01", "2024-09-01"])  # 213 days: not yet
    no_major = Site(world, WUHAN, "420102")
    penalised(no_major, ["2024-02-01", "2024-03-01", "2024-04-01", "2024-05-01"])
    df = run(world, "section_113")
    assert df.select("enterprise", "rule", "penalties").rows() == [(repeat.uscc, "180日内3次", 3)]


def test_section_113_four_penalties_in_a_year(world: World) -> None:
    site = Site(world, WUHAN, "420102")
    site.supervise(site.hazard("major", when=at("2024-01-02")), when=at("2024-01-02"))
    penalised(site, ["2024-02-01", "2024-05-15", "2024-09-01", "2024-12-20"])
    df = run(world, "section_113")
    assert df.select("enterprise", "rule").rows() == [(site.uscc, "一年内4次")]


def test_a_closed_major_hazard_no_longer_counts_for_section_113(world: World) -> None:
    site = Site(world, WUHAN, "420102")
    case = site.hazard("major", when=at("2024-01-02"))
    site.supervise(case, when=at("2024-01-02"))
    site.remove(case, major=True, plan_limit="2024-01-20", when=at("2024-01-10"))
    penalised(site, ["2024-02-01", "2024-03-01", "2024-04-01"])
    assert run(world, "section_113").height == 0


def test_accident_trend_counts_months_in_china_standard_time(world: World) -> None:
    wh = Site(world, WUHAN, "420102", industry="metallurgy")
    yc = Site(world, YICHANG, "420502", industry="construction")
    wh.accident(deaths=3, when=at("2024-04-01", 0))  # happened 2024-03-31 23:30 CST
    wh.accident(deaths=1, when=at("2024-04-02"))
    yc.accident(deaths=10, when=at("2024-04-03"))
    df = run(world, "accident_trend")
    assert df.select("month", "prefecture", "industry", "grade", "accidents", "deaths").rows() == [
        ("2024-03", "420100", "metallurgy", "larger", 1, 3),
        ("2024-04", "420100", "metallurgy", "general", 1, 1),
        ("2024-04", "420500", "construction", "major", 1, 10),
    ]


def test_months_are_counted_in_the_time_zone_the_instant_asked_about_is_written_in(
    world: World,
) -> None:
    site = Site(world, WUHAN, "420102", industry="metallurgy")
    site.accident(deaths=1, when=at("2024-04-01", 8))  # 07:30 CST on 1 April: 31 March in UTC
    world.follower(all_projections()).catch_up()
    with world.engine.connect() as conn:
        china = analytics.run("accident_trend", conn, "420000", LATER)
        utc = analytics.run("accident_trend", conn, "420000", LATER.astimezone(UTC))
    assert china["month"].to_list() == ["2024-04"]
    assert utc["month"].to_list() == ["2024-03"]


def test_risk_heat_takes_an_open_major_hazard_as_red(world: World) -> None:
    calm = Site(world, WUHAN, "420102")
    for i, colour in enumerate(["blue"] * 8 + ["yellow"] * 2):
        calm.risk_point(f"P{i}", colour)
    hot = Site(world, WUHAN, "420111")
    hot.risk_point("P1", "blue")
    hot.supervise(hot.hazard("major"))
    df = run(world, "risk_heat")
    assert df.select("region", "blue", "yellow", "open_major_hazards", "heat").rows() == [
        ("420102", 8, 2, 0, "yellow"),
        ("420111", 1, 0, 1, "red"),
    ]


def test_inspection_coverage_is_inspected_over_registered_per_quarter(world: World) -> None:
    a = Site(world, WUHAN, "420102")
    Site(world, WUHAN, "420102")
    a.run(
        "inspection.start",
        {"enterprise": a.uscc, "type": "routine_plan", "officers": a.officers},
        uuid4(),
        who=a.officers[0],
        when=at("2024-05-02"),
    )
    df = run(world, "inspection_coverage")
    assert df.select("quarter", "region", "enterprises", "inspected", "coverage").rows() == [
        ("2024Q2", "420102", 2, 1, 0.5)
    ]


def test_top_open_risk_ranks_by_weighted_open_risk(world: World) -> None:
    quiet = Site(world, WUHAN, "420102")
    busy = Site(world, WUHAN, "420102")
    quiet.hazard()
    busy.supervise(busy.hazard("major"))
    busy.alarm(45, "level2")
    busy.risk_point("P1", "red")
    df = run(world, "top_open_risk")
    assert df.select("enterprise", "risk_score").rows() == [(busy.uscc, 5 + 3 + 2), (quiet.uscc, 1)]


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_everything_exports_and_reads_back(world: World, tmp_path: Path, fmt: str) -> None:
    site = Site(world, WUHAN, "420102")
    site.supervise(site.hazard("major"))
    site.penalty()
    world.follower(all_projections()).catch_up()
    with world.engine.connect() as conn:
        for name in names():
            df = frame(conn, name, "420100", LATER)
            path = write(df, tmp_path / f"{name}.{fmt}", fmt)
            back = pl.read_parquet(path) if fmt == "parquet" else pl.read_csv(path)
            assert back.height == df.height, name
            assert back.columns == df.columns, name
            assert "facts" not in back.columns
