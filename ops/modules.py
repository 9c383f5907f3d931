"""The stream's modules wired to a `Platform`: the warning worker (风险预警) and the emergency
command worker (应急协调指挥), each a `module_worker` of its policy.

    worker = warning_worker(platform)         # its service actor registered if need be
    worker.start() … worker.close()           # a thread of `anjian serve`
    worker.run(stop)                          # `anjian worker warning`, in the foreground
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from domain.emergency_policy import EmergencyPolicy
from domain.policy import Policy
from domain.warning_policy import WarningPolicy
from ops.bootstrap import Platform
from services.ingest.service_actors import ensure_service_actor
from streams.stream import StreamSettings
from streams.worker import Clock, Worker, system_clock

__all__ = ["catch_up", "emergency_worker", "module_worker", "warning_worker"]


def module_worker(
    platform: Platform,
    policy: Policy,
    *,
    clock: Clock | None = None,
    tick_seconds: float = 60.0,
) -> Worker:
    """A worker running `policy` on the platform's stream, signing as `policy.account`, which
    is registered as a service actor first (idempotent). Connecting to NATS starts the
    embedded server if this process is the first to need it."""
    ensure_service_actor(platform.ingest, policy.account)
    s = platform.settings
    endpoint = platform.nats
    return Worker(
        policy,
        platform.records,
        platform.ingest,
        ",".join(endpoint.servers),
        clock=clock or system_clock,
        connect_options=endpoint.options,
        stream=StreamSettings(s.stream_replicas, s.stream_max_age.total_seconds()),
        tick_seconds=tick_seconds,
    )


def warning_worker(
    platform: Platform, *, clock: Clock | None = None, tick_seconds: float = 60.0
) -> Worker:
    """The warning module's worker (consumer `warning`, account `svc-warning`), with the
    newest rulebook."""
    return module_worker(platform, WarningPolicy(), clock=clock, tick_seconds=tick_seconds)


def emergency_worker(
    platform: Platform, *, clock: Clock | None = None, tick_seconds: float = 60.0
) -> Worker:
    """The emergency command module's worker (consumer `emergency`, account `svc-emergency`)."""
    return module_worker(platform, EmergencyPolicy(), clock=clock, tick_seconds=tick_seconds)


def catch_up(platform: Platform, workers: Sequence[Worker], timeout: float = 600.0) -> None:
    """Run `workers` until each has handled the whole stream and folded the whole log, the
    platform's relay publishing what they record meanwhile (what `anjian demo` does after
    recording the province: its warnings and incidents come from the real workers). TimeoutError
    when they do not get there within `timeout` seconds."""
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(stop,), daemon=True) for w in workers]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    try:
        while True:
            published = platform.stream.catch_up()
            if not published and all(w.caught_up() for w in workers):
                time.sleep(0.5)  # a decision stored just now: publish it and let them see it
                if not platform.stream.catch_up() and all(w.caught_up() for w in workers):
                    return
            if time.monotonic() > deadline:
                raise TimeoutError(f"the module workers did not catch up in {timeout:.0f} s")
            time.sleep(0.2)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
