"""The running platform: its followers and workers as supervised threads of one process.

`anjian serve` runs every component below beside the API; `anjian worker NAME` runs one of them
alone (the scale-out shape: API replicas with `serve --api-only`, one process per worker). A
component is a loop that runs until its stop event is set:

    ledger       guard, log, checkpoint, cosign and anchor (services/ledger/sync.py), woken by each
                 commit of this process and at least every checkpoint period
    projections  the read models' follower (projections/follower.py)
    relay        the NATS stream relay (streams/relay.py)
    warning      the warning module's worker (风险预警), a durable consumer of the stream
    emergency    the emergency command module's worker (应急协调指挥), likewise

A component whose loop raises is restarted after a bounded exponential backoff (`Backoff`, the
child-process supervisor's) and reported meanwhile as `restarting` with its error; the followers
store their positions with their output, so a restart resumes exactly where the last committed
batch ended. `stop()` sets every stop event and joins the threads: each loop ends after its
current batch, with its position stored.

`health()` gives each component's state and lag (services/health.py), for /readyz and
`anjian worker`'s log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ops.bootstrap import Platform
from ops.supervisor import Backoff
from services.health import ComponentHealth
from services.ledger.errors import LedgerServiceError
from services.ledger.sync import sync

__all__ = ["COMPONENTS", "Component", "Runtime", "Supervised", "components_of"]

log = logging.getLogger("anjian.runtime")


@dataclass
class Component:
    """One supervised loop: `run(stop)` returns when `stop` is set; `lag()` its figures."""

    name: str
    run: Callable[[threading.Event], None]
    lag: Callable[[], dict[str, Any]] = field(default=dict)
    # What keeps a running loop from doing its work (NATS unreachable, a sync refused), if
    # anything: the component is then `failing`, not ready, until it clears.
    problem: Callable[[], str | None] = field(default=lambda: None)
    state: str = "starting"
    restarts: int = 0
    error: str | None = None

    def health(self) -> ComponentHealth:
        state, error = self.state, self.error
        if state == "running":
            trouble = self.problem()
            if trouble is not None:
                state, error = "failing", trouble
        try:
            figures = self.lag() if state != "stopped" else {}
        except Exception as exc:  # a figure that cannot be read is reported, not raised
            figures = {"lag_error": f"{type(exc).__name__}: {exc}"}
        return ComponentHealth(self.name, state, self.restarts, error, figures)


@dataclass
class Supervised:
    """A child process another thread supervises (ops/supervisor.py Child.watch): reported,
    not run, by the runtime. After a restart it counts as `restarting` for `settle` seconds
    more: the clients that lost it (the relay, the workers, the ledger) reconnect meanwhile."""

    name: str
    running: Callable[[], bool]
    restarts: Callable[[], int]
    settle: float = 2.0
    _seen: int = 0
    _since: float = float("-inf")

    def health(self) -> ComponentHealth:
        up, restarts = self.running(), self.restarts()
        if restarts != self._seen:
            self._seen, self._since = restarts, time.monotonic()
        settled = time.monotonic() - self._since >= self.settle
        if up and settled:
            return ComponentHealth(self.name, "running", restarts)
        why = (
            f"{self.name} is not running; the supervisor restarts it"
            if not up
            else f"{self.name} was restarted less than {self.settle:.0f} s ago"
        )
        return ComponentHealth(self.name, "restarting", restarts, why)


class Runtime:
    """Components run on threads of this process, each restarted when it dies."""

    def __init__(
        self,
        components: Sequence[Component],
        children: Sequence[Supervised] = (),
        backoff: Backoff | None = None,
    ) -> None:
        self.components = list(components)
        self.children = list(children)
        self.backoff = backoff or Backoff(first=0.5, most=30.0, stable=60.0)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for c in self.components:
            t = threading.Thread(target=self._supervise, args=(c,), name=f"anjian-{c.name}")
            t.daemon = True
            t.start()
            self._threads.append(t)

    def _supervise(self, c: Component) -> None:
        delay: float | None = None
        while not self._stop.is_set():
            c.state = "running"
            started = time.monotonic()
            try:
                c.run(self._stop)
            except Exception as exc:
                c.error = f"{type(exc).__name__}: {exc}"
                if time.monotonic() - started >= self.backoff.stable:
                    delay = None
                delay = self.backoff.after(delay)
                c.state = "restarting"
                c.restarts += 1
                log.error("%s died (%s); restarting in %.1f s", c.name, c.error, delay)
                self._stop.wait(delay)
                continue
            break
        c.state = "stopped"

    def health(self) -> list[ComponentHealth]:
        return [c.health() for c in self.components] + [c.health() for c in self.children]

    def stop(self, timeout: float = 20.0) -> None:
        """Ask every loop to end after its current batch and wait for them, `timeout` seconds
        at most in all. A loop still busy then (the ledger waiting for a chain that does not
        answer: what it has logged and signed is stored, an anchor not confirmed is sent again
        by the next sync) is named in the log and left to end with the process."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        for t in self._threads:
            if t.is_alive():
                log.warning("%s did not stop in %.0f s; left to end with the process", t.name,
                            timeout)  # fmt: skip
        self._threads = []

    @property
    def stopping(self) -> threading.Event:
        return self._stop


# -- the platform's components ------------------------------------------------------------------


def _ledger(p: Platform) -> Component:
    wake = threading.Event()
    trouble: list[str | None] = [None]
    p.records.add_commit_listener(lambda *_: wake.set())
    period = max(1.0, p.settings.checkpoint_every_seconds)

    def run(stop: threading.Event) -> None:
        while not stop.is_set():
            wake.clear()
            try:
                report = sync(p.ledger)
            except LedgerServiceError as exc:  # reported; the events stay, the next sync retries
                trouble[0] = f"{type(exc).__name__}: {exc}"
                log.error("ledger sync: %s", trouble[0])
            else:
                trouble[0] = None
                if report.appended:
                    log.info(
                        "ledger: %d event(s) logged, tree size %d",
                        *(report.appended, report.tree_size),
                    )
            deadline = time.monotonic() + period
            while not (stop.is_set() or wake.is_set()) and time.monotonic() < deadline:
                stop.wait(0.2)  # also batches the commits of a burst into one sync

    def lag() -> dict[str, Any]:
        ledger = p.ledger
        head = int(ledger.recorder.max_notification_id() or 0)
        logged = ledger.log.last_notification_id()
        live = ledger.anchors.live()
        age = None
        if live:
            age = round((datetime.now(UTC) - live[-1].anchored_at).total_seconds(), 1)
        return {
            "events_behind": max(0, head - logged),
            "tree_size": ledger.log.size(),
            "anchor_age_seconds": age,
        }

    return Component("ledger", run, lag, lambda: trouble[0])


def _projections(p: Platform) -> Component:
    follower = p.readmodels.follower

    def run(stop: threading.Event) -> None:
        follower.run_forever(stop)

    return Component("projections", run, lambda: {"events_behind": follower.lag()})


def _relay(p: Platform) -> Component:
    relay = p.stream

    def run(stop: threading.Event) -> None:
        relay.run(stop)

    def lag() -> dict[str, Any]:
        s = relay.status()
        return {"events_behind": s.lag, "seconds_behind": round(s.seconds, 1)}

    return Component("relay", run, lag, lambda: relay.error)


def _module(name: str, tick_seconds: float = 60.0) -> Callable[[Platform], Component]:
    def component(p: Platform) -> Component:
        from ops.modules import emergency_worker, warning_worker

        make = {"warning": warning_worker, "emergency": emergency_worker}[name]
        worker = make(p, tick_seconds=tick_seconds)

        def lag() -> dict[str, Any]:
            s = worker.status()
            return {
                "events_behind": s.pending or 0,
                "recorded": s.recorded,
                "refused": s.refused,
                "rejected": s.rejected,
            }

        return Component(name, worker.run, lag, lambda: worker.error)

    return component


COMPONENTS: dict[str, Callable[[Platform], Component]] = {
    "ledger": _ledger,
    "projections": _projections,
    "relay": _relay,
    "warning": _module("warning"),
    "emergency": _module("emergency"),
}


def components_of(p: Platform, names: Sequence[str] | None = None) -> list[Component]:
    """The named components of `p` (all of them when None), in COMPONENTS' order."""
    chosen = list(COMPONENTS) if names is None else list(names)
    unknown = [n for n in chosen if n not in COMPONENTS]
    if unknown:
        raise ValueError(f"no component {unknown[0]!r} (known: {', '.join(COMPONENTS)})")
    return [COMPONENTS[n](p) for n in chosen]
