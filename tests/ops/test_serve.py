"""`anjian serve`, run for real as a subprocess on a free port over a demo province: it becomes
ready, a command recorded through the API reaches the read models, the stream, the Merkle log
and a checkpoint; SIGTERM drains and exits 0 losing nothing; a kill -9 of the whole tree and a
restart leave no loss and no duplicate anywhere; a child killed is restarted, and /readyz goes
red, then green."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.test_curl_walkthrough import anjian, free_port, logins

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.slow


class Served:
    """One `anjian serve` process over `home`."""

    def __init__(self, env: dict[str, str], port: int) -> None:
        self.env, self.port = env, port
        self.base = f"http://127.0.0.1:{port}"
        self.log = Path(env["ANJIAN_HOME"]).parent / f"serve-{port}.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ops.cli", "serve", "--port", str(port)],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.log.open("w"),
            start_new_session=True,
        )  # fmt: skip

    def ready(self, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                r = httpx.get(f"{self.base}/readyz", timeout=5)
                if r.status_code == 200:
                    body: dict[str, Any] = r.json()
                    return body
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"not ready in {timeout} s: {self.readyz()}")

    def readyz(self) -> tuple[int, dict[str, Any]]:
        r = httpx.get(f"{self.base}/readyz", timeout=5)
        return r.status_code, r.json()

    def caught_up(self, timeout: float = 90) -> dict[str, dict[str, Any]]:
        """/readyz once every follower is 0 events behind and the ledger has anchored."""
        deadline = time.monotonic() + timeout
        while True:
            code, body = self.readyz()
            parts = {c["name"]: c for c in body["components"]}
            behind = [c.get("events_behind", 0) for c in parts.values()]
            if code == 200 and not any(behind):
                return parts
            assert time.monotonic() < deadline, body
            time.sleep(0.2)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)

    def kill_tree(self) -> None:
        """kill -9 of the server and of every child it runs (they run in sessions of their own)."""
        home = Path(self.env["ANJIAN_HOME"])
        children = [home / "nats" / "server.pid", home / "chain" / "node.pid"]
        pids = [int(p.read_text()) for p in children if p.exists()]
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], dict[str, Any]]:
    home = tmp_path_factory.mktemp("served") / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANJIAN_")}
    env |= {"ANJIAN_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env["ANJIAN_CHECKPOINT_EVERY_SECONDS"] = "1"
    made = anjian(env, "demo", "--enterprises", "6", "--months", "2")
    assert made.returncode == 0, made.stderr
    return env, {"users": logins(made.stdout)}


@pytest.fixture
def served(province: tuple[dict[str, str], dict[str, Any]]) -> Iterator[Served]:
    env, _ = province
    port = free_port()
    server = Served(env | {"ANJIAN_PUBLIC_URL": f"http://127.0.0.1:{port}"}, port)
    try:
        server.ready()
        yield server
    finally:
        if server.process.poll() is None:
            server.terminate()


def record_hazard(server: Served, users: dict[str, list[str]], text: str) -> str:
    _, county, uscc, password = users["wuhan-enterprise"]
    with httpx.Client(base_url=server.base, timeout=30) as http:
        r = http.post("/v1/session", json={"login": "wuhan-enterprise", "password": password})
        assert r.status_code == 200, r.text
        hazard = {
            "type": "hazard.report",
            "actor": "wuhan-enterprise",
            "region": county,
            "data": {"enterprise": uscc, "grade": "general", "source": "self_check",
                     "description": text},
        }  # fmt: skip
        r = http.post("/v1/commands", json=hazard, headers={"X-CSRF-Token": r.json()["csrf"]})
        assert r.status_code == 200, r.text
        (event_id,) = r.json()["event_ids"]
        history = http.get(f"/v1/enterprises/{uscc}/history").json()["items"]
        assert event_id in [e["event_id"] for e in history]
        return str(event_id)


def counts(env: dict[str, str]) -> dict[str, Any]:
    """What the stopped platform holds: stored events, distinct command ids, log leaves, stream
    messages and the read models' position."""
    ledger = json.loads(anjian(env, "ledger", "status", "--json").stdout)
    stream = anjian(env, "stream", "status", "--json")
    assert stream.returncode == 0, stream.stderr
    s = json.loads(stream.stdout)
    projections = json.loads(anjian(env, "projections", "status", "--json").stdout)
    return {
        "events": ledger["events"],
        "leaves": ledger["tree_size"],
        "messages": s["stream"]["messages"],
        "stream_last": s["stream"]["last_sequence"],
        "read_models_lag": max(p["lag"] for p in projections),
    }


def test_a_command_through_the_api_reaches_every_follower_and_sigterm_exits_0(
    served: Served, province: tuple[dict[str, str], dict[str, Any]]
) -> None:
    env, info = province
    event_id = record_hazard(served, info["users"], "served: 配电室门锁损坏")
    parts = served.caught_up()
    assert {"api", "ledger", "projections", "relay", "nats-server", "anvil"} <= set(parts)
    assert parts["ledger"]["anchor_age_seconds"] is not None
    checkpoint = httpx.get(f"{served.base}/log/checkpoint", timeout=10).text.splitlines()
    size = int(checkpoint[1])
    shown = httpx.get(f"{served.base}/v1/events/{event_id}", timeout=10)
    assert shown.status_code in (401, 404)  # not public; the leaf is what we check
    assert served.terminate() == 0
    after = counts(env)
    assert after["leaves"] == after["events"] == after["messages"] == size
    assert after["read_models_lag"] == 0


def test_a_kill_9_of_the_whole_tree_then_a_restart_loses_nothing_and_duplicates_nothing(
    province: tuple[dict[str, str], dict[str, Any]],
) -> None:
    env, info = province
    port = free_port()
    server = Served(env | {"ANJIAN_PUBLIC_URL": f"http://127.0.0.1:{port}"}, port)
    server.ready()
    for n in range(3):
        record_hazard(server, info["users"], f"kill -9 前的记录 {n}")
    server.kill_tree()
    again = Served(server.env, port)
    try:
        again.ready()
        record_hazard(again, info["users"], "重启后的记录")
        again.caught_up()
    finally:
        assert again.terminate() == 0
    after = counts(env)
    assert after["leaves"] == after["events"] == after["messages"] == after["stream_last"]
    assert after["read_models_lag"] == 0


@pytest.mark.parametrize("child", ["nats-server", "anvil"])
def test_a_child_killed_is_restarted_and_readyz_goes_red_then_green(
    served: Served, child: str
) -> None:
    home = Path(served.env["ANJIAN_HOME"])
    pid_file = {"nats-server": home / "nats" / "server.pid", "anvil": home / "chain" / "node.pid"}
    pid = int(pid_file[child].read_text())
    os.kill(pid, signal.SIGKILL)
    seen_red = False
    deadline = time.monotonic() + 60
    while True:
        code, body = served.readyz()
        part = next(c for c in body["components"] if c["name"] == child)
        if code == 503 and not part["ready"]:
            seen_red = True
        if seen_red and code == 200 and part["restarts"] >= 1:
            break
        assert time.monotonic() < deadline, body
        time.sleep(0.01)
    assert int(pid_file[child].read_text()) != pid  # a new process
