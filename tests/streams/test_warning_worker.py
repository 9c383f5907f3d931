"""The warning worker on a real nats-server and a real store: alarms become signed warnings
through the command path, citing the alarm; an unacknowledged alarm escalates at the next
tick; a worker killed between storing and acking leaves no duplicate; forged or unsigned
CloudEvents are never acted on."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import nats
from typer.testing import CliRunner, Result

from domain.stored import StoredRecord
from ops.bootstrap import Platform
from ops.cli import app
from ops.modules import warning_worker
from streams.worker import Worker
from tests.nats_throwaway import nats_server
from tests.streams.support import ROOT, platform, raw_messages
from tests.streams.warning_scene import REGION, scene


def until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {what}")
        time.sleep(0.05)


class FakeClock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def running(worker: Worker) -> Iterator[Worker]:
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        thread.join(30)


def warnings(p: Platform, command: str = "warning.issue") -> list[StoredRecord]:
    return [r for r in p.records.notifications() if r.type == command]


def caught_up(p: Platform, worker: Worker) -> bool:
    """The relay published everything and the worker acked it all."""
    p.stream.catch_up()
    return p.stream.status().lag == 0 and worker.status().pending == 0


def test_a_level2_gas_alarm_at_a_first_level_source_gives_a_red_warning_in_the_history(
    tmp_path: Path,
) -> None:
    with nats_server(tmp_path / "nats") as server, platform(tmp_path / "h", server.url) as p:
        s = scene(p)
        alarm = s.alarm(45, "level2")
        p.stream.catch_up()
        with running(warning_worker(p, tick_seconds=3600)) as worker:
            until(lambda: len(warnings(p)) == 1, "a warning")
            until(lambda: caught_up(p, worker), "the worker caught up")
        (w,) = warnings(p)
        env = w.envelope
        assert (env["actor"], env["role"], env["channel"]) == ("svc-warning", "service", "stream")
        assert env["data"]["level"] == "red"
        assert env["data"]["rule"] == "gas-alarm"
        assert env["data"]["triggers"] == [alarm]
        assert w.event_id in [r.event_id for r in p.records.history(s.uscc)]
        assert worker.status().recorded == 1
    home = tmp_path / "h"
    with nats_server(tmp_path / "nats2") as other:
        history = cli(home, other.url, "history", "--enterprise", s.uscc, "--json")
        assert history.exit_code == 0, history.output
        (entry,) = [e for e in json.loads(history.stdout) if e["type"] == "warning.issue"]
        assert (entry["event_id"], entry["cites"]) == (w.event_id, [alarm])
        listed = cli(home, other.url, "warnings", "--region", "420100", "--open", "--json")
        assert listed.exit_code == 0, listed.output
        (shown,) = json.loads(listed.stdout)
        assert (shown["level"], shown["triggers"], shown["status"]) == ("red", [alarm], "issued")
        assert (
            json.loads(cli(home, other.url, "warnings", "--level", "blue", "--json").stdout) == []
        )
        mapped = cli(home, other.url, "risk-map", "--region", "420100", "--json")
        assert mapped.exit_code == 0, mapped.output
        report = json.loads(mapped.stdout)
        # 一级 source 30 + an open red warning 40 = 70: red (riskmap-v1)
        assert report["areas"] == [
            {
                "code": REGION,
                "name": "江岸区",
                "counts": {"red": 1, "orange": 0, "yellow": 0, "blue": 0},
                "total": 1,
            }
        ]
        assert report["enterprises"][0]["score"] == 70
        province = json.loads(
            cli(home, other.url, "risk-map", "--region", "420000", "--json").stdout
        )
        assert [a["code"] for a in province["areas"]] == ["420100"]


def cli(home: Path, url: str, *args: str) -> Result:
    return CliRunner().invoke(
        app, list(args), env={"ANJIAN_HOME": str(home), "ANJIAN_NATS_URL": url}
    )


def test_an_unacknowledged_alarm_is_escalated_at_the_next_tick(tmp_path: Path) -> None:
    with nats_server(tmp_path / "nats") as server, platform(tmp_path / "h", server.url) as p:
        s = scene(p)
        s.alarm(25, "level1")
        raised = s.at
        clock = FakeClock(raised + timedelta(minutes=10))
        p.stream.catch_up()
        with running(warning_worker(p, clock=clock, tick_seconds=3600)) as worker:
            until(lambda: len(warnings(p)) == 1, "the yellow warning")
            worker.tick_now()
            until(lambda: caught_up(p, worker), "caught up")
            assert warnings(p, "warning.escalate") == []
            clock.now = raised + timedelta(minutes=31)
            worker.tick_now()
            until(lambda: len(warnings(p, "warning.escalate")) == 1, "the escalation")
            clock.now = raised + timedelta(minutes=45)
            worker.tick_now()
            until(lambda: caught_up(p, worker), "caught up again")
        (up,) = warnings(p, "warning.escalate")
        assert up.envelope["data"]["level"] == "orange"
        assert up.envelope["data"]["addressee"] == REGION
        assert up.envelope["occurred_at"] == clock_iso(raised + timedelta(minutes=31))


def clock_iso(at: datetime) -> str:
    return at.isoformat()


def test_a_worker_killed_between_storing_and_acking_leaves_no_duplicate(tmp_path: Path) -> None:
    with nats_server(tmp_path / "nats") as server, platform(tmp_path / "h", server.url) as p:
        s = scene(p)
        s.alarm(45, "level2")
        p.stream.catch_up()
        crashed = subprocess.run(
            [
                sys.executable,
                "-m",
                "tests.streams.warning_crash_worker",
                str(tmp_path / "h"),
                server.url,
            ],
            cwd=ROOT,
            timeout=120,
            check=False,
        )
        assert crashed.returncode == -9
        assert len(warnings(p)) == 1  # stored, then killed before the ack
        with running(warning_worker(p, tick_seconds=3600)) as worker:
            until(lambda: caught_up(p, worker) and worker.status().observed > 0, "caught up")
        assert len(warnings(p)) == 1
        assert worker.status().recorded == 0


def test_forged_and_unsigned_cloudevents_are_not_acted_on(tmp_path: Path) -> None:
    with nats_server(tmp_path / "nats") as server, platform(tmp_path / "h", server.url) as p:
        s = scene(p)
        s.alarm(45, "level2")
        p.stream.catch_up()
        with running(warning_worker(p, tick_seconds=3600)) as worker:
            until(lambda: len(warnings(p)) == 1 and caught_up(p, worker), "caught up")
            before = len(list(p.records.notifications()))
            (genuine,) = [m for m in raw_messages(server.url) if b"sensor_alarm.raise" in m.data]
            event = json.loads(genuine.data)
            altered = {**event, "data": {**event["data"], "value": 49}, "id": event["id"]}
            unsigned = {k: v for k, v in event.items() if k not in ("signature", "keyid")}
            invented = {**event, "id": event["id"].replace(":1", ":7"), "sequence": 10**6}
            forged = [altered, unsigned, invented, "not json at all"]
            asyncio.run(publish(server.url, genuine.subject, forged))
            until(lambda: worker.status().rejected == len(forged), "every forgery rejected")
        assert len(list(p.records.notifications())) == before
        assert len(warnings(p)) == 1


async def publish(url: str, subject: str, payloads: Sequence[object]) -> None:
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        for payload in payloads:
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            await js.publish(subject, data)
    finally:
        await nc.close()
