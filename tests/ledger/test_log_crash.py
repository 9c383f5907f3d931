"""kill -9 of the ledger follower at random points, repeated: it resumes with no gap and no
duplicate, and the final root equals a from-scratch recomputation (issue 3 acceptance)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ledger import rfc6962
from ledger.keys import KeyPair
from ledger.leaf import leaf_bytes
from ledger.log import MerkleLog
from tests.ledger.toyapp import new_app, populate, postgres_env, sqlite_env
from tests.throwaway import Postgres

ROOT = Path(__file__).resolve().parents[2]


def kill_follower_repeatedly(url: str, env: dict[str, str], seed: int) -> int:
    """Run the follower in a child process, SIGKILL it after a random delay, until it
    finishes by itself or has been killed 25 times. Returns the number of kills."""
    rng = random.Random(seed)
    kills = 0
    for _ in range(25):
        child = subprocess.Popen(
            [sys.executable, "-m", "tests.ledger.crash_follower", url, json.dumps(env)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.25))
        if child.poll() is None:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            kills += 1
            continue
        assert child.wait() == 0
        break
    return kills


def check_recovered(url: str, env: dict[str, str]) -> None:
    app = new_app(env)
    log = MerkleLog.open(url)
    try:
        log.catch_up(app.recorder)  # finish whatever the last kill left
        notifications = app.recorder.select_notifications(None, 1_000_000)
        leaves = [leaf_bytes(n) for n in notifications]
        stored = log.leaves(0, len(leaves) + 100)
        assert [leaf.index for leaf in stored] == list(range(len(leaves)))
        assert [leaf.notification_id for leaf in stored] == [n.id for n in notifications]
        assert log.root() == rfc6962.root_hash(leaves)
        # The tiles written across the crashes agree with the leaves at every size too.
        rng = random.Random(len(leaves))
        hashes = [rfc6962.leaf_hash(x) for x in leaves]
        for size in rng.sample(range(1, len(leaves) + 1), 8):
            assert log.root(size) == rfc6962.root_from_hashes(hashes[:size])
    finally:
        log.close()
        app.close()


@pytest.mark.slow
def test_sqlite_follower_killed_at_random_points_resumes_without_gap_or_duplicate(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "anjian.db")
    env, url = sqlite_env(path), f"sqlite:///{path}"
    app = new_app(env)
    populate(app, KeyPair.generate(), 2500, events_each=2)
    app.close()
    kill_follower_repeatedly(url, env, seed=1)
    check_recovered(url, env)


@pytest.mark.slow
@pytest.mark.postgres
def test_postgres_follower_killed_at_random_points_resumes_without_gap_or_duplicate(
    postgres: Postgres, postgres_url: str
) -> None:
    env = postgres_env(postgres.host, postgres.port, postgres.user, postgres.dbname)
    app = new_app(env)
    populate(app, KeyPair.generate(), 2500, events_each=2)
    app.close()
    kill_follower_repeatedly(postgres_url, env, seed=2)
    check_recovered(postgres_url, env)
