"""One supervised child process: the platform's embedded services (anvil, nats-server) run
under it.

A `Child` is a command line for a loopback port, a log file and a readiness probe:

- `start()` picks the port (the one given, the one it had, or a free one), checks nothing
  listens there yet (a stranger on the port would answer the probe), launches the process in
  its own session (a Ctrl-C for the platform is handled by `stop()`), and returns once the
  probe says ready. An early exit on a port it chose itself is retried on another port: a
  free port can be taken between the check and the child's bind.
- `stop()` sends SIGTERM (the child dumps its state), waits, then SIGKILL.
- `kill()` is a crash (SIGKILL), for tests and faults.
- `ensure_running()` restarts a child that died; `watch()` does so from a background thread,
  with a bounded exponential backoff between restarts, until `stop()`.

The probe gets the port and returns True once the child serves, False while it does not yet;
it raises `StartFailed` when what answers is not the child (e.g. another chain id).

Errors::

    SupervisorError
    └── StartFailed     the process exited, the port is taken, or the probe never said ready
"""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

__all__ = [
    "Backoff",
    "Child",
    "StartFailed",
    "SupervisorError",
    "free_loopback_port",
    "port_is_free",
]

log = logging.getLogger(__name__)


class SupervisorError(Exception):
    """Base class of the errors of the child-process supervisor."""


class StartFailed(SupervisorError):
    """The child exited early, its port is taken, or it did not become ready in time."""


def free_loopback_port() -> int:
    """A port on 127.0.0.1 free at the time of asking."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_is_free(port: int) -> bool:
    """True when nothing listens on 127.0.0.1:port (TIME_WAIT leftovers do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass(frozen=True)
class Backoff:
    """Delays between automatic restarts: `first`, doubling up to `most`; back to `first`
    once a child has stayed up for `stable` seconds."""

    first: float = 0.1
    most: float = 5.0
    stable: float = 30.0

    def after(self, delay: float | None) -> float:
        return self.first if delay is None else min(self.most, delay * 2)


class Child:
    """A supervised child process on a loopback port (see the module docstring).

    `command(port)` is its argument list; `probe(port)` its readiness. `port` is fixed;
    without it the child starts on `preferred_port` when that is free, else on a free port,
    and keeps its port for restarts. Thread-safe: the watcher and the
    caller share a lock.
    """

    def __init__(
        self,
        name: str,
        command: Callable[[int], Sequence[str]],
        *,
        log_file: Path,
        probe: Callable[[int], bool],
        port: int | None = None,
        preferred_port: int | None = None,
        startup_timeout: float = 15.0,
        stop_timeout: float = 15.0,
        env: Mapping[str, str] | None = None,
        backoff: Backoff = Backoff(),
        on_start: Callable[[Child], None] | None = None,
    ) -> None:
        self.name = name
        self.command = command
        self.log_file = log_file
        self.probe = probe
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.env = dict(env) if env is not None else None
        self.backoff = backoff
        self.on_start = on_start  # called after each start, the watcher's restarts included
        self.restarts = 0  # automatic restarts by the watcher
        self._fixed_port = port
        self._port: int | None = port if port is not None else preferred_port
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._lock = threading.RLock()
        self._watcher: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def port(self) -> int | None:
        """The port of the child: fixed, or chosen at its first start; None before."""
        return self._port

    @property
    def pid(self) -> int | None:
        process = self._process
        return process.pid if process is not None else None

    @property
    def running(self) -> bool:
        process = self._process
        return process is not None and process.poll() is None

    def start(self) -> None:
        """Launch the child and return once its probe says ready (StartFailed otherwise)."""
        with self._lock:
            if self.running:
                return
            self._reap()
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            attempts = 1 if self._fixed_port is not None else 3
            for attempt in range(attempts):
                port = self._port if self._port is not None else free_loopback_port()
                try:
                    self._launch(port)
                    return
                except StartFailed:
                    if attempt == attempts - 1 or self._fixed_port is not None:
                        raise
                    self._port = None

    def _launch(self, port: int) -> None:
        if not port_is_free(port):
            raise StartFailed(f"port {port} on 127.0.0.1 is already in use")
        self._log = self.log_file.open("ab")
        self._process = subprocess.Popen(
            list(self.command(port)),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        self._port = port
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                code = self._process.returncode
                self._reap()
                raise StartFailed(f"{self.name} exited with {code} (see {self.log_file})")
            try:
                ready = self.probe(port)
            except StartFailed:
                self._terminate()
                raise
            if ready:
                if self.on_start is not None:
                    self.on_start(self)
                return
            time.sleep(0.01)
        self._terminate()
        raise StartFailed(
            f"{self.name} did not become ready on port {port} in {self.startup_timeout} s"
        )

    def stop(self, timeout: float | None = None) -> None:
        """Stop watching, then SIGTERM the child, and SIGKILL it after `timeout` seconds."""
        self._stopping.set()
        watcher = self._watcher
        if watcher is not None and watcher is not threading.current_thread():
            watcher.join()
        self._watcher = None
        with self._lock:
            self._terminate(timeout)

    def _terminate(self, timeout: float | None = None) -> None:
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(self.stop_timeout if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._reap()

    def kill(self) -> None:
        """A crash: SIGKILL, no clean shutdown. A watcher restarts the child."""
        with self._lock:
            process = self._process
            if process is not None and process.poll() is None:
                process.kill()
                process.wait()

    def send(self, signum: int) -> None:
        """Send `signum` to the running child (e.g. SIGHUP: reload its configuration)."""
        with self._lock:
            process = self._process
            if process is None or process.poll() is not None:
                raise SupervisorError(f"{self.name} is not running")
            process.send_signal(signum)

    def _reap(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def restart(self) -> None:
        """Stop and start again on the same port."""
        watched = self._watcher is not None
        self.stop()
        self.start()
        if watched:
            self.watch()

    def ensure_running(self) -> bool:
        """Restart the child if its process died; True when a restart happened."""
        with self._lock:
            if self.running:
                return False
            self._reap()
            self.start()
            return True

    def watch(self, interval: float = 0.05) -> None:
        """Restart the child whenever it dies, from a daemon thread, until `stop()`."""
        if self._watcher is not None:
            return
        self._stopping.clear()
        self._watcher = threading.Thread(
            target=self._watch, args=(interval,), name=f"supervise-{self.name}", daemon=True
        )
        self._watcher.start()

    def _watch(self, interval: float) -> None:
        delay: float | None = None
        up_since = time.monotonic()
        while not self._stopping.wait(interval):
            if self.running:
                if delay is not None and time.monotonic() - up_since >= self.backoff.stable:
                    delay = None
                continue
            delay = self.backoff.after(delay)
            log.warning("%s died; restarting in %.1f s", self.name, delay)
            if self._stopping.wait(delay):
                return
            try:
                with self._lock:
                    if self._stopping.is_set():
                        return
                    self.ensure_running()
                self.restarts += 1
                up_since = time.monotonic()
            except (StartFailed, OSError) as exc:
                log.warning("%s did not restart: %s", self.name, exc)
