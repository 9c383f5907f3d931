"""The relay puts every stored event in the stream exactly once, in log order, whatever
happens to it or to NATS: it stores its position only after the PubAcks, resumes after the
stream's last event, and recording never waits for NATS."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from streams.position import Positions
from streams.relay import StreamUnavailable
from streams.stream import STREAM
from tests.nats_throwaway import NatsProcess, nats_server
from tests.streams.support import (
    ROOT,
    platform,
    published_ids,
    raw_messages,
    register_enterprises,
    register_regulator,
    stored_ids,
)


def until(condition: Callable[[], bool], what: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.05)


def test_catch_up_publishes_every_event_and_leaves_no_lag(tmp_path: Path) -> None:
    with nats_server(tmp_path / "nats") as server, platform(tmp_path / "h", server.url) as p:
        register_regulator(p)
        register_enterprises(p, 120)
        assert p.stream.catch_up() == len(stored_ids(p))
        assert p.stream.status().lag == 0
        assert p.stream.catch_up() == 0
        assert published_ids(server.url) == stored_ids(p)


def test_a_relay_that_lost_its_position_resumes_after_the_streams_last_event(
    tmp_path: Path,
) -> None:
    # A crash after the PubAcks and before the position's write: the stream holds events the
    # stored position does not cover. The relay starts after the stream's last event, so it
    # publishes nothing again, even once the duplicate window has passed.
    with nats_server(tmp_path / "nats") as server:
        with platform(tmp_path / "h", server.url) as p:
            register_regulator(p)
            register_enterprises(p, 60)
            p.stream.catch_up()
            with p.event_store_engine.begin() as conn:
                conn.exec_driver_sql("DELETE FROM stream_relay_position")
        with platform(tmp_path / "h", server.url) as p:
            assert Positions(p.event_store_engine).get("stream") == 0
            assert p.stream.catch_up() == 0
            register_enterprises(p, 5)
            assert p.stream.catch_up() == 5
            assert published_ids(server.url) == stored_ids(p)


def test_the_stream_follows_the_replicas_and_age_settings_and_is_made_once(
    tmp_path: Path,
) -> None:
    import asyncio

    import nats

    async def config(url: str) -> tuple[float, int]:
        nc = await nats.connect(url)
        try:
            info = await nc.jetstream().stream_info(STREAM)
            return info.config.max_age or 0, info.config.num_replicas or 1
        finally:
            await nc.close()

    with nats_server(tmp_path / "nats") as server:
        with platform(tmp_path / "h", server.url) as p:
            p.stream.publisher.connect()
        assert asyncio.run(config(server.url)) == (0, 1)  # keep everything
        with platform(tmp_path / "h", server.url) as p:
            p.stream.publisher.connect()  # again: no error, no change
        with platform(tmp_path / "h", server.url, stream_max_age="P30D") as p:
            p.stream.publisher.connect()
        assert asyncio.run(config(server.url)) == (30 * 86400, 1)


def test_without_nats_catch_up_fails_and_stores_nothing(tmp_path: Path) -> None:
    server = NatsProcess(tmp_path / "js")  # never started
    with platform(tmp_path / "h", server.url) as p:
        register_regulator(p)
        with pytest.raises(StreamUnavailable):
            p.stream.catch_up()
        assert p.stream.status().position == 0


@pytest.mark.slow
def test_recording_goes_on_while_nats_is_down_and_the_backlog_drains(tmp_path: Path) -> None:
    with nats_server(tmp_path / "nats") as server, platform(tmp_path / "h", server.url) as p:
        register_regulator(p)
        p.stream.start()  # the relay thread, woken by each commit
        register_enterprises(p, 100)
        until(lambda: p.stream.status().lag == 0, "the relay caught up")

        server.stop()
        # Recording while NATS is down: every command is stored, none waits for NATS.
        register_enterprises(p, 300, batch=10)
        until(lambda: p.stream.error is not None, "the relay saw NATS down")
        behind = p.stream.status()
        assert behind.lag > 0
        assert len(stored_ids(p)) == behind.head

        server.start()
        until(lambda: p.stream.status().lag == 0, "the backlog drained")
        assert published_ids(server.url) == stored_ids(p)


@pytest.mark.slow
def test_a_relay_killed_at_random_points_leaves_every_event_once_in_log_order(
    tmp_path: Path,
) -> None:
    rng = random.Random(11)
    home = tmp_path / "h"
    with nats_server(tmp_path / "nats") as server, platform(home, server.url) as p:
        register_regulator(p)
        env = {
            **os.environ,
            "ANJIAN_HOME": str(home),
            "ANJIAN_NATS_URL": server.url,
            "PYTHONPATH": str(ROOT),
        }

        def relay() -> subprocess.Popen[str]:
            return subprocess.Popen(
                [sys.executable, "-m", "ops.cli", "stream", "relay", "--poll", "0.05"],
                env=env,
                stderr=subprocess.PIPE,
                text=True,
            )

        recording = threading.Thread(
            target=register_enterprises, args=(p, 2000), kwargs={"batch": 20}
        )
        recording.start()
        kills = 0
        while recording.is_alive() or kills < 5:
            proc = relay()
            assert proc.stderr is not None
            proc.stderr.readline()  # "relay: position N": it is running
            time.sleep(rng.uniform(0.0, 0.6))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stderr.close()
            kills += 1
        recording.join()

        last = relay()
        try:
            stored = stored_ids(p)
            until(lambda: len(raw_messages(server.url)) >= len(stored), "the stream caught up")
        finally:
            last.terminate()
            last.wait(30)
            assert last.stderr is not None
            last.stderr.close()
        assert published_ids(server.url) == stored


@pytest.mark.postgres
def test_the_relay_follows_a_postgresql_event_store(tmp_path: Path, postgres_url: str) -> None:
    with (
        nats_server(tmp_path / "nats") as server,
        platform(tmp_path / "h", server.url, database_url=postgres_url) as p,
    ):
        register_regulator(p)
        register_enterprises(p, 40)
        assert p.stream.catch_up() == len(stored_ids(p))
        register_enterprises(p, 3)
        assert p.stream.catch_up() == 3
        assert p.stream.status().lag == 0
        assert published_ids(server.url) == stored_ids(p)


def test_a_failing_window_does_not_end_the_relay_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with nats_server(tmp_path / "nats") as server, platform(tmp_path / "h", server.url) as p:
        register_regulator(p)
        relay = p.stream
        move, failures = relay.positions.move, [1]

        def busy_once(name: str, after: int, to: int) -> bool:
            if failures:
                failures.pop()
                raise RuntimeError("database is locked")
            return move(name, after, to)

        monkeypatch.setattr(relay.positions, "move", busy_once)
        relay.start()
        register_enterprises(p, 30)
        until(lambda: relay.status().lag == 0, "the relay went on after the failure")
        assert failures == []
        assert published_ids(server.url) == stored_ids(p)
