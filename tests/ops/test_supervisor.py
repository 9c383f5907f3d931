"""The one child-process supervisor (ops/supervisor.py), on a small real child: a Python process
that listens on its port, says goodbye in its log on SIGTERM, or ignores SIGTERM when told."""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops.supervisor import Backoff, Child, StartFailed, free_loopback_port

CHILD = """
import signal, socket, sys
port, stubborn = int(sys.argv[1]), sys.argv[2] == "stubborn"
def bye(*_):
    print("clean shutdown", flush=True)
    sys.exit(0)
signal.signal(signal.SIGTERM, signal.SIG_IGN if stubborn else bye)
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen()
while True:
    s.accept()[0].close()
"""


def listens(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def child(
    tmp_path: Path,
    mode: str = "polite",
    *,
    port: int | None = None,
    preferred_port: int | None = None,
    stop_timeout: float = 15.0,
    backoff: Backoff = Backoff(),  # noqa: B008 (frozen)
) -> Child:
    def command(port: int) -> list[str]:
        return [sys.executable, "-c", CHILD, str(port), mode]

    return Child(
        "probe-child",
        command,
        log_file=tmp_path / "child.log",
        probe=listens,
        port=port,
        preferred_port=preferred_port,
        stop_timeout=stop_timeout,
        backoff=backoff,
    )


@pytest.fixture
def polite(tmp_path: Path) -> Iterator[Child]:
    c = child(tmp_path, backoff=Backoff(first=0.05, most=0.2))
    c.start()
    yield c
    c.stop()


def test_start_returns_once_the_probe_says_ready_and_stop_is_a_clean_shutdown(
    polite: Child,
) -> None:
    assert polite.port is not None
    assert listens(polite.port)
    polite.stop()
    assert not polite.running
    assert "clean shutdown" in polite.log_file.read_text()


def test_a_child_that_ignores_sigterm_is_killed_after_the_timeout(tmp_path: Path) -> None:
    c = child(tmp_path, "stubborn", stop_timeout=0.5)
    c.start()
    pid = c.pid
    assert pid is not None
    c.stop()
    assert not c.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert "clean shutdown" not in c.log_file.read_text()


def test_a_watched_child_that_crashes_is_restarted_on_its_port(polite: Child) -> None:
    port, pid = polite.port, polite.pid
    polite.watch()
    polite.kill()
    deadline = time.monotonic() + 30
    while polite.restarts == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert polite.restarts == 1
    assert polite.running
    assert polite.pid != pid
    assert port is not None
    assert polite.port == port
    assert listens(port)


def test_a_stopped_child_is_not_restarted(polite: Child) -> None:
    polite.watch()
    polite.stop()
    assert not polite.running
    assert polite.restarts == 0


def test_ensure_running_restarts_a_dead_child(polite: Child) -> None:
    assert not polite.ensure_running()
    polite.kill()
    assert polite.ensure_running()
    assert polite.running


def test_a_child_that_exits_at_once_fails_to_start_naming_its_log(tmp_path: Path) -> None:
    c = Child(
        "broken",
        lambda port: [sys.executable, "-c", "raise SystemExit(3)"],
        log_file=tmp_path / "broken.log",
        probe=listens,
    )
    with pytest.raises(StartFailed, match=r"broken exited with 3 \(see .*broken.log\)"):
        c.start()
    assert not c.running


def test_a_taken_fixed_port_fails_and_a_taken_preferred_port_is_given_up(
    polite: Child, tmp_path: Path
) -> None:
    taken = polite.port
    with pytest.raises(StartFailed, match="in use"):
        child(tmp_path / "fixed", port=taken).start()
    other = child(tmp_path / "preferred", preferred_port=taken)
    other.start()
    try:
        assert other.port != taken
        assert other.port is not None
        assert listens(other.port)
    finally:
        other.stop()


def test_a_free_preferred_port_is_used(tmp_path: Path) -> None:
    port = free_loopback_port()
    c = child(tmp_path, preferred_port=port)
    c.start()
    try:
        assert c.port == port
    finally:
        c.stop()


def test_the_backoff_doubles_up_to_its_bound() -> None:
    b = Backoff(first=0.1, most=1.0)
    delays: list[float] = []
    delay = None
    for _ in range(6):
        delay = b.after(delay)
        delays.append(delay)
    assert delays == [0.1, 0.2, 0.4, 0.8, 1.0, 1.0]


def test_send_delivers_a_signal_to_the_running_child(polite: Child) -> None:
    polite.send(signal.SIGTERM)
    deadline = time.monotonic() + 30
    while polite.running and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not polite.running
    assert "clean shutdown" in polite.log_file.read_text()
