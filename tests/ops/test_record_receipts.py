"""`anjian record` receipts: each batch's ids are printed as soon as it commits, so a run killed
mid-way has printed only what is stored, and sending the same file again answers what was
stored and records the rest, once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from ops.bootstrap import build
from ops.cli import app
from ops.settings import load_settings
from tests.ops.test_cli_record import enterprise_line, regulator_line, write
from tests.support import new_uscc

LINES = 4000
KILL_AFTER = 600  # receipts read before the kill; the run is far from done by then


def anjian(*args: str) -> list[str]:
    return [sys.executable, "-c", "from ops.cli import main; main()", *args]


@pytest.mark.slow
def test_a_killed_record_printed_only_stored_ids_and_a_rerun_stores_nothing_twice(
    tmp_path: Path,
) -> None:
    home = tmp_path / "var"
    env = {**os.environ, "ANJIAN_HOME": str(home)}
    setup = write(tmp_path / "regulator.jsonl", [regulator_line(home)])
    done = CliRunner().invoke(app, ["record", str(setup), "--no-sync", "--as", "platform"], env=env)
    assert done.exit_code == 0, done.output
    lines = [{**enterprise_line(new_uscc()), "id": str(uuid4())} for _ in range(LINES)]
    big = write(tmp_path / "big.jsonl", lines)

    run = subprocess.Popen(
        anjian("record", str(big), "--batch", "100", "--no-sync", "--as", "r-wh-1"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert run.stdout is not None
    printed = [run.stdout.readline().strip() for _ in range(KILL_AFTER)]
    assert run.poll() is None  # still recording (or blocked writing receipts nobody reads)
    os.kill(run.pid, signal.SIGKILL)
    run.wait(timeout=60)
    run.stdout.close()
    assert all(printed)

    p = build(load_settings(home=home))
    try:
        stored_before = [r.event_id for r in p.records.notifications()]
        for event_id in printed:
            p.records.stored(event_id)  # NotFound if a printed id was not stored
    finally:
        p.close()
    assert KILL_AFTER <= len(stored_before) - 2 < LINES  # genesis and the regulator

    rerun = subprocess.run(
        anjian("record", str(big), "--batch", "100", "--no-sync", "--json", "--as", "r-wh-1"),
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    receipts = [json.loads(line) for line in rerun.stdout.splitlines()]
    assert len(receipts) == LINES
    answered = [r["event_id"] for r in receipts if r["recorded_before"]]
    assert answered == stored_before[2:]
    assert [r["event_id"] for r in receipts[:KILL_AFTER]] == printed

    p = build(load_settings(home=home))
    try:
        kinds = Counter(r.type for r in p.records.notifications())
        ids = Counter(r.envelope["id"] for r in p.records.notifications())
    finally:
        p.close()
    assert kinds["enterprise.register"] == LINES
    assert ids.most_common(1)[0][1] == 1
