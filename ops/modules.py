"""The stream's modules wired to a `Platform`: the warning worker (风险预警) and, through the same
`module_worker`, any other module's policy (应急协调指挥 plugs its policy in here).

    worker = warning_worker(platform)         # its service actor registered if need be
    worker.start() … worker.close()           # a thread of `anjian serve`
    worker.run(stop)                          # `anjian worker warning`, in the foreground
"""

from __future__ import annotations

from domain.policy import Policy
from domain.warning_policy import WarningPolicy
from ops.bootstrap import Platform
from services.ingest.service_actors import ensure_service_actor
from streams.stream import StreamSettings
from streams.worker import Clock, Worker, system_clock

__all__ = ["module_worker", "warning_worker"]


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
