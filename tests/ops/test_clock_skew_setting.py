"""ANJIAN_CLOCK_SKEW: how far a declared occurred_at may run ahead of the platform's recorded
time; seconds or an ISO 8601 duration, at most an hour, passed to Records by the composition
root."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

from domain.clocks import CLOCK_SKEW
from ops.bootstrap import build
from ops.settings import load_settings


@pytest.mark.parametrize(
    ("value", "skew"),
    [("120", timedelta(minutes=2)), ("PT90S", timedelta(seconds=90)), ("0", timedelta(0))],
)
def test_the_skew_is_read_in_seconds_or_as_an_iso_duration_and_reaches_records(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str, skew: timedelta
) -> None:
    monkeypatch.setenv("ANJIAN_CLOCK_SKEW", value)
    settings = load_settings(home=tmp_path)
    assert settings.clock_skew == skew
    platform = build(settings)
    try:
        assert platform.records.skew == skew
    finally:
        platform.close()


def test_the_default_skew_is_a_few_minutes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANJIAN_CLOCK_SKEW", raising=False)
    assert load_settings().clock_skew == CLOCK_SKEW == timedelta(minutes=5)


@pytest.mark.parametrize("value", ["7200", "P1D", "-5", "soon"])
def test_a_skew_that_bounds_nothing_or_is_no_duration_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ANJIAN_CLOCK_SKEW", value)
    with pytest.raises(ValidationError):
        load_settings()


def test_the_cli_names_the_variable_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "ANJIAN_HOME": str(tmp_path), "ANJIAN_CLOCK_SKEW": "P1D"}
    code = "from ops.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "enterprises"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("SettingsError: ANJIAN_CLOCK_SKEW")
