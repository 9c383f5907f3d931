"""The demo province's rescue teams (demo/teams.py): each is a valid registration, based in
Hubei at its region's seat, and the lines registering them are recorded by the real path."""

from __future__ import annotations

from datetime import datetime

from demo.build import build
from demo.clock import GO_LIVE
from demo.sim import Sim
from demo.teams import rescue_teams, team_lines
from domain.centroids import in_hubei
from domain.rescue import RescueTeam, team_id
from tests.support import Harness


def test_every_prefecture_has_a_hazchem_team_and_codes_are_unique() -> None:
    teams = rescue_teams()
    assert len({t.code for t in teams}) == len(teams)
    hazchem = {t.region for t in teams if "hazchem" in t.capabilities}
    assert len(hazchem) >= 17
    assert all(in_hubei(t.latitude, t.longitude) for t in teams)


def test_every_team_registers_through_the_write_path() -> None:
    h = Harness()
    h.actor("reg-hb", "regulator", "420000")
    for t in rescue_teams():
        h.run_as("reg-hb", "rescue.register", t.region, t.data(), subject=team_id(t.code))
    loaded = h.records.load(team_id("WH-MED-1"), RescueTeam)
    assert (loaded.status, loaded.capabilities) == ("available", ["medical"])


def test_the_lines_are_signed_by_the_province_officer_at_the_instant_given() -> None:
    sim = Sim(datetime(2021, 1, 1, tzinfo=GO_LIVE.tzinfo))
    w, _ = build(sim, 7, 3, 1, lambda account: "k")
    lines = team_lines(w, GO_LIVE)
    assert [line["subject"] for line in lines] == [str(team_id(t.code)) for t in rescue_teams()]
    assert {line["actor"] for line in lines} == {w.province.officers[0]}
    assert {line["occurred_at"] for line in lines} == {GO_LIVE.isoformat()}
    assert team_lines(w, GO_LIVE) == lines  # the same seed, the same ids
