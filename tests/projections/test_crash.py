"""kill -9 during catch-up, again and again: nothing is applied twice, nothing is missed."""

from __future__ import annotations

import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select

from domain.ids import enterprise_id
from ops.bootstrap import store_env
from ops.settings import Settings
from projections.enterprises import enterprises
from projections.store import open_store, readmodels_url, tracking
from projections.timeline import timeline
from tests.projections.counting import create_tables, totals
from tests.support import Harness

ROOT = Path(__file__).resolve().parents[2]
ENTERPRISES = 3000
PAUSE = 0.05  # seconds each worker batch keeps its transaction open


def _fill(settings: Settings) -> tuple[int, int]:
    """Register ENTERPRISES enterprises (plus a profile change for every third) in batches."""
    h = Harness(store_env(settings))
    h.actor("r-wh", "regulator", "420100")
    events = 0
    for start in range(0, ENTERPRISES, 500):
        cmds = []
        for _ in range(start, min(start + 500, ENTERPRISES)):
            from tests.support import new_uscc

            uscc = new_uscc()
            cmds.append(
                h.sign(
                    "r-wh",
                    "enterprise.register",
                    "420102",
                    {
                        "uscc": uscc,
                        "name": "甲",
                        "industry": "metallurgy",
                        "standardisation": "level3",
                    },
                    subject=enterprise_id(uscc),
                )
            )
            if len(cmds) % 3 == 0:
                cmds.append(
                    h.sign(
                        "r-wh",
                        "enterprise.update_profile",
                        "420102",
                        {"uscc": uscc, "employees": 7},
                        subject=enterprise_id(uscc),
                    )
                )
        events += len(h.records.execute_batch(cmds))
    head = int(h.records.recorder.max_notification_id() or 0)
    h.close()
    return events, head


def _worker(settings: Settings, url: str, pause: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.projections.crash_worker",
            str(settings.sqlite_path),
            url,
            "100",
            str(pause),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise TimeoutError("worker printed nothing")
    return proc.stdout.readline().strip()


@pytest.mark.slow
def test_kill_9_during_catch_up_neither_repeats_nor_skips(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    business_events, head = _fill(settings)
    url = readmodels_url(settings.sqlalchemy_url)
    rng = random.Random(4)
    positions_at_kill: list[int] = []
    for _ in range(8):
        proc = _worker(settings, url, pause=PAUSE)
        assert _read_line(proc, 60) == "ready"
        # Kill at a random moment while it is working: most batches are mid-transaction.
        lines = rng.randint(1, 6)
        last = ""
        for _ in range(lines):
            last = _read_line(proc, 30)
            if last == "done":
                break
        # The next batch is being read or applied now; its transaction stays open for PAUSE.
        time.sleep(rng.uniform(0.2, 0.9) * PAUSE)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        engine = open_store(url)
        with engine.connect() as conn:
            positions_at_kill.append(int(conn.scalar(sql_select(func.min(tracking.c.position)))))
            # What was committed is whole: the counts match the tracked position exactly.
            pos = (
                conn.scalar(
                    sql_select(tracking.c.position).where(tracking.c.name == "test-counting")
                )
                or 0
            )
            assert totals(conn) == (pos, pos * (pos + 1) // 2)
        engine.dispose()
    # The kills landed part-way: progress was made and the log was not finished yet.
    assert positions_at_kill[0] > 0
    assert positions_at_kill[-1] < head
    assert positions_at_kill == sorted(positions_at_kill)

    proc = _worker(settings, url, pause=0.0)
    assert proc.wait(timeout=120) == 0
    engine = open_store(url)
    create_tables(engine)
    with engine.connect() as conn:
        assert totals(conn) == (head, head * (head + 1) // 2)
        assert conn.scalar(sql_select(func.count()).select_from(enterprises)) == ENTERPRISES
        assert conn.scalar(sql_select(func.count()).select_from(timeline)) == business_events
        ids = list(conn.scalars(sql_select(timeline.c.notification_id)))
        assert len(ids) == len(set(ids))
    engine.dispose()
