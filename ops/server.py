"""`anjian serve` and `anjian worker`: the platform as one supervised process, or one part of it.

`serve` runs, in one process tree:

- the API (uvicorn, api/app.py) over the platform built once from the settings;
- the followers and workers of ops/runtime.py on threads, each restarted with backoff when it
  dies (unless `--api-only`: API replicas leave them to `anjian worker` processes);
- on the embedded default, the nats-server and anvil children, each restarted by its supervisor
  when it dies (ops/supervisor.py), the chain node kept for the server's life (ResidentNode).

SIGTERM (or Ctrl-C) drains: /readyz turns 503 at once, uvicorn stops accepting and lets the
requests in flight finish, then every follower ends after its current batch with its position
stored, then the children stop (nats-server and anvil dump their state). The process exits 0.

`worker NAME` runs one component of ops/runtime.py in the foreground until SIGTERM or Ctrl-C,
reporting its health when it changes; with PostgreSQL, an external NATS and an external chain,
the platform then runs as several processes on several machines with settings only.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

from ops.bootstrap import Platform, build
from ops.chain import ResidentNode
from ops.home import secure_home
from ops.key_directory import key_directory
from ops.keystore import Keystore
from ops.runtime import Runtime, Supervised, components_of
from ops.schema_lock import schema_lock
from ops.settings import Settings
from ops.telemetry import register_gauges, uvicorn_log_config
from services.ingest.genesis import ensure_genesis

__all__ = ["running_platform", "serve", "work"]

log = logging.getLogger("anjian.serve")


@contextmanager
def running_platform(
    settings: Settings, components: Sequence[str] | None, *, chain: bool, nats: bool
) -> Iterator[tuple[Platform, Runtime]]:
    """The platform of `settings` with the named components running (all when None, none when
    empty), the embedded chain node kept running when `chain` and the embedded nats-server
    when `nats` (each only on the embedded default); everything stopped, in order, on exit."""
    secure_home(settings)  # the private umask before the chain node writes its files
    resident = ResidentNode(settings)
    if chain:
        resident.start()
    try:
        keys = Keystore(key_directory(settings))
        with schema_lock(settings):  # processes started together: one creates the tables
            p = build(settings, keystore=keys)
            try:
                ensure_genesis(p.ingest)
                p.readmodels, p.ledger, p.identity  # noqa: B018 (their tables, now)
            except BaseException:
                p.close()
                raise
        with p:
            children: list[Supervised] = []
            if nats:
                p.nats  # noqa: B018 (starts the embedded server, or finds the one running)
                server = p.embedded_nats
                if server is not None:
                    child = server.child
                    children.append(
                        Supervised("nats-server", lambda: child.running, lambda: child.restarts)
                    )
            node = resident.node
            if node is not None:
                anvil = node.child
                children.append(Supervised("anvil", lambda: anvil.running, lambda: anvil.restarts))
            runtime = Runtime(components_of(p, components), children)
            runtime.start()
            _gauges(runtime)
            try:
                yield p, runtime
            finally:
                runtime.stop()
    finally:
        resident.stop()


MODULES = ("warning", "emergency")  # stream consumers: their lag is the stream's


def _gauges(runtime: Runtime) -> None:
    """The telemetry gauges (ops/telemetry.py) fed from the components' health: each
    follower's events behind, each module consumer's pending messages, the newest anchor's
    age."""

    def lags(modules: bool) -> dict[str, float]:
        return {
            h.name: float(h.lag["events_behind"])
            for h in runtime.health()
            if (h.name in MODULES) == modules and isinstance(h.lag.get("events_behind"), int)
        }

    def anchor_age() -> float | None:
        ledger = next((h for h in runtime.health() if h.name == "ledger"), None)
        age = ledger.lag.get("anchor_age_seconds") if ledger is not None else None
        return float(age) if isinstance(age, int | float) else None

    register_gauges(
        follower_lag=lambda: lags(False), stream_lag=lambda: lags(True), anchor_age=anchor_age
    )


def serve(settings: Settings, host: str, port: int, *, api_only: bool = False) -> None:
    """Run the API (and, unless `api_only`, every follower, worker and child) until SIGTERM."""
    import uvicorn

    from api.app import create_app
    from ops.api_backend import backend_of

    whole = not api_only
    with running_platform(settings, None if whole else [], chain=whole, nats=whole) as (p, runtime):
        backend = backend_of(p, after_write=not whole)
        backend.readiness = runtime.health

        class Draining(uvicorn.Server):
            """uvicorn's exit on SIGTERM/SIGINT, without raising the signal again once the
            server stopped (which would end the process before the followers and children
            are stopped): the process exits 0 after the drain."""

            def handle_exit(self, sig: int, frame: FrameType | None) -> None:
                backend.draining.set()  # /readyz answers 503 from now on
                if self.should_exit and sig == signal.SIGINT:
                    self.force_exit = True  # a second Ctrl-C: stop waiting for requests
                else:
                    self.should_exit = True

        config = uvicorn.Config(
            create_app(backend),
            host=host,
            port=port,
            log_level="info",
            log_config=uvicorn_log_config(),
            timeout_graceful_shutdown=30,
        )
        for line in banner(settings, host, port):
            print(line, file=sys.stderr, flush=True)
        Draining(config).run()
        log.info("drained: stopping the followers and the children")


def banner(settings: Settings, host: str, port: int) -> list[str]:
    """What a person starting the platform needs: where it answers, where its data lives, and
    the demo's logins when the data directory holds a demo province."""
    from demo.logins import LOGINS_FILE

    lines = [
        f"安监 Anjian: http://{host}:{port}  (API docs /docs, readiness /readyz; Ctrl-C stops)",
        f"数据目录 data: {settings.home.absolute()}",
    ]
    logins = settings.home / LOGINS_FILE
    if logins.is_file():
        lines += logins.read_text(encoding="utf-8").rstrip("\n").splitlines()
    return lines


def work(settings: Settings, name: str) -> None:
    """Run the component `name` alone until SIGTERM or Ctrl-C."""
    stop = threading.Event()

    def ask_stop(signum: int, _frame: FrameType | None) -> None:
        log.info("worker %s: %s, stopping", name, signal.Signals(signum).name)
        stop.set()

    previous = {s: signal.signal(s, ask_stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        with running_platform(settings, [name], chain=name == "ledger", nats=name == "relay") as (
            _,
            runtime,
        ):
            shown = ""
            while not stop.wait(1.0):
                now = "; ".join(
                    f"{h.name} {h.state}" + (f" ({h.error})" if h.error else "")
                    for h in runtime.health()
                )
                if now != shown:
                    log.info("worker %s: %s", name, now)
                    shown = now
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
