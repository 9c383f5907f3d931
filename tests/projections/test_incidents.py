"""The emergency read models: incidents, their timelines, the map (GeoJSON) and the teams agree
with the records, and a rebuild from scratch gives the state reached batch by batch."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from domain.emergency import EmergencyIncident, incident_id
from domain.rescue import RescueTeam, team_id
from projections.enterprises import EnterpriseDirectory
from projections.follower import ReadModelFollower
from projections.incidents import (
    IncidentLog,
    Incidents,
    incident,
    incident_list,
    incident_log,
    incident_map,
    incident_timeline,
    incidents,
)
from projections.store import open_store
from projections.teams import Teams, team_list, teams
from tests.domain.emergency_world import COUNTY, PREFECTURE, TEAMS, World, world
from tests.projections.world import dump

ZONE = ZoneInfo("Asia/Shanghai")


def projections() -> list[Any]:
    return [EnterpriseDirectory(), Incidents(), IncidentLog(), Teams()]


@pytest.fixture
def scene() -> tuple[World, dict[str, Any]]:
    """Two accidents (一般 and 较大); the larger one is escalated to the province, gets a team
    and a task, casualties, and is closed with its team stood down."""
    w = world()
    small = incident_id("accident", w.report_accident())
    large = incident_id("accident", w.report_accident(deaths=3))
    w.step()
    run = w.h.run_as
    run(
        "reg-wh", "rescue.dispatch", "420107", {"incident": str(large)}, subject=team_id("WH-HAZ-1")
    )
    run("reg-wh", "emergency.update_task", PREFECTURE, {"task": "T1", "description": "[bold]疏散",
        "status": "assigned"}, subject=large)  # fmt: skip
    run("reg-wh", "emergency.update_casualties", PREFECTURE, {"deaths": 4}, subject=large)
    run(
        "reg-wh", "emergency.escalate", PREFECTURE, {"level": "II", "reason": "扩大"}, subject=large
    )
    w.h.run_as("reg-hb", "emergency.close", PREFECTURE, {"summary": "结束"}, subject=large)
    run("reg-wh", "rescue.stand_down", "420107", {"incident": str(large)},
        subject=team_id("WH-HAZ-1"))  # fmt: skip
    return w, {"small": str(small), "large": str(large)}


def follow(w: World, tmp_path: Path, batch: int) -> tuple[Engine, ReadModelFollower]:
    engine = open_store(f"sqlite:///{tmp_path / f'rm{batch}.sqlite'}")
    follower = ReadModelFollower(w.h.records.recorder, engine, projections(), batch)
    follower.catch_up()
    return engine, follower


TABLES = (incidents, incident_log, teams)


def test_rebuilding_gives_the_state_reached_batch_by_batch(
    scene: tuple[World, dict[str, Any]], tmp_path: Path
) -> None:
    w, _ = scene
    engine, follower = follow(w, tmp_path, 3)
    with engine.connect() as conn:
        incremental = dump(conn, tables=TABLES)
    follower.rebuild()
    with engine.connect() as conn:
        assert dump(conn, tables=TABLES) == incremental
    assert incremental["rm_incidents"]


def test_rows_agree_with_the_records(scene: tuple[World, dict[str, Any]], tmp_path: Path) -> None:
    w, ids = scene
    engine, _ = follow(w, tmp_path, 1000)
    with engine.connect() as conn:
        rows = {r.id: r for r in incident_list(conn, "420000")}
        for subject, row in rows.items():
            agg = w.h.records.load(UUID(subject), EmergencyIncident)
            assert (row.level, row.jurisdiction, row.status, row.cause) == (
                agg.level,
                agg.jurisdiction,
                agg.status,
                agg.cause,
            )
            assert row.casualties == agg.casualties
            assert row.tasks == agg.tasks
        large = rows[ids["large"]]
        assert (large.level, large.jurisdiction, large.region) == ("II", "420000", PREFECTURE)
        assert large.tasks == {"T1": {"description": "[bold]疏散", "status": "assigned"}}
        assert [r.id for r in incident_list(conn, "420000", open_only=True)] == [ids["small"]]
        types = [e.type for e in incident_timeline(conn, ids["large"])]
        assert types == [
            "emergency.open",
            "rescue.dispatch",
            "emergency.update_task",
            "emergency.update_casualties",
            "emergency.escalate",
            "emergency.close",
            "rescue.stand_down",
        ]
        for t in team_list(conn, "420000"):
            agg_team = w.h.records.load(team_id(t.code), RescueTeam)
            assert (t.status, t.incident) == (agg_team.status, agg_team.incident)
        assert {t.code for t in team_list(conn, "420100")} == {
            c for c, spec in TEAMS.items() if spec["region"].startswith("4201")
        }


def test_jurisdictions_see_the_incidents_filed_within_them(
    scene: tuple[World, dict[str, Any]], tmp_path: Path
) -> None:
    w, ids = scene
    engine, _ = follow(w, tmp_path, 1000)
    with engine.connect() as conn:
        assert [r.id for r in incident_list(conn, COUNTY)] == [ids["small"]]
        assert {r.id for r in incident_list(conn, PREFECTURE)} == set(ids.values())
        assert incident_list(conn, "420500") == []
        assert incident(conn, ids["large"], "420500") is None
        assert incident(conn, ids["large"], PREFECTURE) is not None


def test_the_map_is_geojson_of_the_open_incidents_and_their_teams(
    scene: tuple[World, dict[str, Any]], tmp_path: Path
) -> None:
    w, ids = scene
    # A second open incident with a dispatched team.
    third = incident_id("accident", w.report_accident(deaths=3))
    w.step()
    w.h.run_as("reg-hb", "rescue.dispatch", "420700", {"incident": str(third)},
               subject=team_id("EZ-HAZ-1"))  # fmt: skip
    engine, _ = follow(w, tmp_path, 1000)
    with engine.connect() as conn:
        doc = incident_map(conn, "420000", ZONE)
    assert doc["type"] == "FeatureCollection"
    points = [f for f in doc["features"] if f["properties"]["kind"] == "incident"]
    assert {p["properties"]["incident"] for p in points} == {ids["small"], str(third)}
    for f in doc["features"]:
        lon, lat = f["geometry"]["coordinates"]
        assert 108 < lon < 117
        assert 29 < lat < 34
    at_third = {
        f["properties"]["code"]: f["properties"]["relation"]
        for f in doc["features"]
        if f["properties"]["kind"] == "team" and f["properties"]["incident"] == str(third)
    }
    assert at_third["EZ-HAZ-1"] == "dispatched"
    assert "WH-HAZ-1" in at_third  # suggested, available again
