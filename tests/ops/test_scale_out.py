"""The scale-out shape, on loopback: PostgreSQL for the events, read models, vault and
credentials, a three-node NATS JetStream cluster, an EVM node standing in for the consortium
chain, two API processes (`anjian serve --api-only`) and one process per follower (`anjian
worker ledger|projections|relay`), each with a data directory of its own as if on a machine of
its own, sharing only settings and the signing keys. Commands recorded through both API processes
reach every follower: the Merkle log, the read models and the stream converge on the same
events, the module workers consume the stream (the durable consumers `warning` and
`emergency` acknowledge every message), and every process stops on SIGTERM with exit 0."""

from __future__ import annotations

import asyncio
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

from ops.chain_node import AnvilNode
from streams.connect import connect
from streams.stream import STREAM
from tests.api.test_curl_walkthrough import anjian, free_port
from tests.nats_throwaway import nats_cluster
from tests.support import new_uscc
from tests.throwaway import Postgres, create_database

ROOT = Path(__file__).parents[2]
pytestmark = pytest.mark.slow


def _url(db: Postgres) -> str:
    return db.url


@pytest.fixture
def shared(
    tmp_path: Path, postgres_server_instance: Postgres, postgres_url: str
) -> Iterator[dict[str, str]]:
    """The settings every process of the deployment shares."""
    keys = tmp_path / "keys"
    keys.mkdir(mode=0o700)
    vault = create_database(postgres_server_instance, f"vault{os.getpid()}{time.monotonic_ns()}")
    identity = create_database(postgres_server_instance, f"ident{os.getpid()}{time.monotonic_ns()}")
    chain = AnvilNode(tmp_path / "chain", persist=False)
    chain.start()
    try:
        with nats_cluster(tmp_path / "cluster") as cluster:
            env = {k: v for k, v in os.environ.items() if not k.startswith("ANJIAN_")}
            env |= {
                "PYTHONPATH": str(ROOT),
                "ANJIAN_DATABASE_URL": postgres_url,
                "ANJIAN_VAULT_URL": _url(vault),
                "ANJIAN_IDENTITY_URL": _url(identity),
                "ANJIAN_KEYS_DIR": str(keys),
                "ANJIAN_NATS_URL": cluster.servers,
                "ANJIAN_STREAM_REPLICAS": "3",
                "ANJIAN_CHAIN_RPC_URL": chain.rpc_url,
                "ANJIAN_CHECKPOINT_EVERY_SECONDS": "1",
            }
            yield env
    finally:
        chain.stop()


class Process:
    def __init__(self, env: dict[str, str], home: Path, *args: str) -> None:
        home.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.log = home.parent / f"{home.name}.log"
        self.args = args
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ops.cli", *args],
            env=env | {"ANJIAN_HOME": str(home)}, cwd=ROOT,
            stdout=subprocess.DEVNULL, stderr=self.log.open("w"),
        )  # fmt: skip

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=90)


def ready(base: str, process: Process, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.process.poll() is None, process.log.read_text()
        try:
            if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(process.log.read_text())


def enterprises(n: int, tag: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "enterprise.register",
            "actor": "r-wh",
            "region": f"4201{2 + i % 5:02d}",
            "data": {
                "uscc": new_uscc(),
                "name": f"武汉{tag}化工有限公司{i}",
                "industry": "hazardous_chemicals",
                "standardisation": "level2",
            },
        }
        for i in range(n)
    ]


def consumers(servers: str) -> dict[str, int]:
    """Each durable consumer of the stream: messages not yet delivered or not yet acked."""

    async def read() -> dict[str, int]:
        nc = await connect(servers)
        try:
            infos = await nc.jetstream().consumers_info(STREAM)
            return {c.name: int(c.num_pending or 0) + int(c.num_ack_pending or 0) for c in infos}
        finally:
            await nc.close()

    return asyncio.run(read())


def status(env: dict[str, str], home: Path) -> dict[str, Any]:
    e = env | {"ANJIAN_HOME": str(home)}
    ledger = json.loads(anjian(e, "ledger", "status", "--json").stdout)
    stream = json.loads(anjian(e, "stream", "status", "--json").stdout)
    projections = json.loads(anjian(e, "projections", "status", "--json").stdout)
    return {
        "events": ledger["events"],
        "leaves": ledger["tree_size"],
        "anchored": ledger["latest_anchor"] is not None,
        "messages": stream["stream"]["messages"],
        "consumers": consumers(env["ANJIAN_NATS_URL"]),
        "relay_lag": stream["relay"]["lag_events"],
        "read_models_lag": max(p["lag"] for p in projections),
    }


def test_two_api_processes_and_one_process_per_follower_converge(
    shared: dict[str, str], tmp_path: Path
) -> None:
    admin = shared | {"ANJIAN_HOME": str(tmp_path / "admin")}
    made = anjian(admin, "users", "add", "r-wh", "--role", "regulator", "--region", "420100")
    assert made.returncode == 0, made.stderr
    issued = anjian(admin, "tokens", "create", "--user", "r-wh", "--scope", "write", "--ttl",
                    "1h", "--json")  # fmt: skip
    assert issued.returncode == 0, issued.stderr
    token = json.loads(issued.stdout)["token"]
    ports = [free_port(), free_port()]
    apis = [
        Process(shared, tmp_path / f"api{i}", "serve", "--api-only", "--port", str(port))
        for i, port in enumerate(ports)
    ]
    workers = [
        Process(shared, tmp_path / f"worker-{name}", "worker", name)
        for name in ("ledger", "projections", "relay", "warning", "emergency")
    ]
    try:
        for api, port in zip(apis, ports, strict=True):
            ready(f"http://127.0.0.1:{port}", api)
        recorded = 0
        for round_ in range(3):
            for port in ports:
                lines = enterprises(5, f"{port}第{round_}批")
                r = httpx.post(
                    f"http://127.0.0.1:{port}/v1/commands", json=lines,
                    headers={"Authorization": f"Bearer {token}"}, timeout=60,
                )  # fmt: skip
                assert r.status_code == 200, r.text
                recorded += len(r.json()["event_ids"])
        assert recorded == 30
        deadline = time.monotonic() + 120
        while True:
            s = status(shared, tmp_path / "admin")
            consumers = s["consumers"]
            converged = (
                s["leaves"] == s["events"] == s["messages"]
                and s["relay_lag"] == 0
                and s["read_models_lag"] == 0
                and s["anchored"]
                and set(consumers) == {"warning", "emergency"}
                and not any(consumers.values())
            )
            if converged:
                break
            assert time.monotonic() < deadline, s
            time.sleep(1)
        for port in ports:  # either API process answers from the converged read models
            listed = httpx.get(
                f"http://127.0.0.1:{port}/v1/enterprises?region=420100&limit=100",
                headers={"Authorization": f"Bearer {token}"}, timeout=30,
            )  # fmt: skip
            assert listed.status_code == 200, listed.text
            assert len(listed.json()["items"]) == recorded
    finally:
        codes = [p.stop() for p in [*apis, *workers]]
    assert codes == [0] * 7, [p.log.read_text()[-2000:] for p in [*apis, *workers]]
