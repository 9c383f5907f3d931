"""Property: whatever the write path accepts, every read path can read, and the ledger logs.

Random valid commands of every catalog type (tests/property/commands.py) are signed by the
province's actors and recorded through Records. The domain may refuse any of them, but only
with a DomainError. Then every projection is rebuilt from scratch, every read command of the
CLI runs (history, enterprises, credit, dashboard, every analysis, every export, show) and
exits 0, and the ledger guard logs everything: no input accepted by the write path may ever
halt the ledger.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ops import cli_projections
from ops.bootstrap import build
from ops.cli import app
from ops.cli_projections import ReadModels, projections_engine
from ops.ledger_service import sync
from ops.settings import Settings
from projections.analytics import ANALYSES
from projections.export import READ_MODELS
from projections.follower import ReadModelFollower
from projections.registry import all_projections
from tests.property.commands import play
from tests.property.province import Province

runner = CliRunner()


@contextmanager
def read_models(p: Province) -> Iterator[None]:
    """The CLI's read commands answer from one read-model store opened here: every command
    still parses its arguments, queries and renders, without re-opening the stores each time
    (the acceptance tests run the CLI end to end)."""
    settings = Settings(home=p.home)
    platform = build(settings)
    engine = projections_engine(settings)
    follower = ReadModelFollower(platform.records.recorder, engine, all_projections())
    rm = ReadModels(platform, engine, follower)
    try:
        with (
            mock.patch.dict(os.environ, {"ANJIAN_HOME": str(p.home)}),
            mock.patch.object(cli_projections, "readmodels", return_value=nullcontext(rm)),
        ):
            yield
    finally:
        engine.dispose()
        platform.close()


def cli(*args: str) -> str:
    """Run one CLI command; it must exit 0 (a traceback fails the property)."""
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (args, result.output, result.exception)
    return result.output


def read_everything(p: Province, ats: Sequence[str]) -> None:
    """Every read command of the CLI over the province, the read models rebuilt first."""
    with read_models(p):
        cli("projections", "rebuild")
        cli("enterprises", "--json")
        cli("enterprises", "--region", "420100")
        for uscc in p.registered():
            cli("history", "--enterprise", uscc)
            cli("credit", "--enterprise", uscc, "--json")
        for at in ["", *ats]:
            when = ["--at", at] if at else []
            cli("credit", *when)
            cli("dashboard", *when)
            for name in ANALYSES:
                cli("analytics", name, "--json", *when)
        for name in [*READ_MODELS, *ANALYSES]:
            cli("export", name, "--format", "csv", "-o", str(p.home / f"{name}.csv"))
        for event_id in p.accepted[-3:]:
            cli("show", event_id)


def guard_and_log(p: Province) -> None:
    """The ledger guard checks every accepted event and logs it; it must not halt."""
    platform = build(p.settings)
    try:
        report = sync(platform, anchor=False)
        assert report.tree_size == platform.records.recorder.max_notification_id()
    finally:
        platform.close()


@pytest.mark.slow
@settings(
    max_examples=16,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), steps=st.integers(10, 60))
def test_every_accepted_command_projects_reads_and_logs(data: st.DataObject, steps: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        p = Province(Path(tmp) / "var")
        try:
            play(data, p, steps)
        finally:
            p.close()
        read_everything(p, [p.clock.isoformat()])
        guard_and_log(p)
