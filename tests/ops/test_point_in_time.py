"""`--at DATE` shows the state as it stood then: `anjian dashboard --region 420100 --at 2019-12-31`
on a demo province that runs on into 2020 matches the dashboard of a log cut at that date and
rebuilt from scratch, and differs from today's."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from eventsourcing.persistence import Notification
from typer.testing import CliRunner

from ops.bootstrap import build
from ops.cli import app
from ops.settings import load_settings
from projections.dashboard import summarise
from projections.errors import ProjectionError
from projections.follower import ReadModelFollower
from projections.registry import all_projections
from projections.rulebook import Rulebook, available, current
from projections.store import open_store

runner = CliRunner()
CUT = datetime.combine(date(2019, 12, 31), time.max, ZoneInfo("Asia/Shanghai"))  # end of day


class CutLog:
    """The platform's log up to the cut: only the notifications whose event occurred by then,
    numbered again 1..n, as a log that had stopped on that day would hold them."""

    def __init__(self, kept: list[Notification]) -> None:
        self.rows = [
            Notification(
                id=i,
                originator_id=n.originator_id,
                originator_version=n.originator_version,
                topic=n.topic,
                state=n.state,
            )
            for i, n in enumerate(kept, start=1)
        ]

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> list[Notification]:
        first = (start or 1) if inclusive_of_start else (start or 0) + 1
        return [n for n in self.rows if n.id >= first and (stop is None or n.id <= stop)][:limit]

    def max_notification_id(self) -> int | None:
        return len(self.rows) or None


def occurred(state: bytes) -> datetime:
    envelope = json.loads(json.loads(state)["envelope"])
    return datetime.fromisoformat(envelope["occurred_at"])


def cli(home: Path, *args: str) -> Any:
    result = runner.invoke(app, list(args), env={"ANJIAN_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("province")
    args = ["demo", "--enterprises", "40", "--months", "30", "--seed", "11", "--json"]
    result = runner.invoke(app, args, env={"ANJIAN_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return home


def rebuilt_at_cut(home: Path, tmp: Path) -> dict[str, Any]:
    """The dashboard of Wuhan from the log cut at 2019-12-31, rebuilt by a plain follower."""
    settings = load_settings(home=home)
    with build(settings) as p:
        everything = p.records.recorder.select_notifications(1, 10_000_000)
        zone = settings.zone
    kept = [n for n in everything if occurred(n.state) <= CUT]
    assert 0 < len(kept) < len(everything)  # the province runs on after the cut
    engine = open_store(f"sqlite:///{tmp / 'cut.db'}")
    try:
        ReadModelFollower(CutLog(kept), engine, all_projections()).catch_up()
        when = CUT.astimezone(zone)
        with engine.connect() as conn:
            try:
                book: Rulebook | None = current(available(), when)
            except ProjectionError:  # no rulebook in force that day: the grades are left out
                book = None
            board = summarise(conn, "420100", when, book).to_json(zone)
    finally:
        engine.dispose()
    return board


def test_the_dashboard_at_a_date_matches_the_log_cut_at_that_date_rebuilt(
    home: Path, tmp_path: Path
) -> None:
    shown = cli(home, "dashboard", "--region", "420100", "--at", "2019-12-31", "--json")
    expected = rebuilt_at_cut(home, tmp_path)
    got = {k: v for k, v in shown.items() if k not in {"lag", "reflects"}}
    assert got == expected
    today = cli(home, "dashboard", "--region", "420100", "--json")
    assert (today["hazards_open"], today["penalty_steps"], today["enterprises"]) != (
        got["hazards_open"],
        got["penalty_steps"],
        got["enterprises"],
    )


def test_the_text_dashboard_says_it_was_rebuilt_as_of_the_day(home: Path) -> None:
    result = runner.invoke(
        app,
        ["dashboard", "--region", "420100", "--at", "2019-12-31"],
        env={"ANJIAN_HOME": str(home)},
    )
    assert result.exit_code == 0, result.output
    assert "截至 2019-12-31" in result.stdout
    assert "按该日重建" in result.stdout


def test_a_view_as_of_a_date_leaves_the_platforms_read_models_as_they_are(home: Path) -> None:
    before = cli(home, "dashboard", "--region", "420000", "--json")
    cli(home, "dashboard", "--region", "420000", "--at", "2018-06-30", "--json")
    after = cli(home, "dashboard", "--region", "420000", "--json")
    assert {k: v for k, v in before.items() if k != "at"} == {
        k: v for k, v in after.items() if k != "at"
    }
