"""What a running platform reports about itself: each component's state and lag.

The process that runs the platform (`anjian serve`, `anjian worker …`: ops/runtime.py) keeps one
`ComponentHealth` per component (the API, each follower and worker, each supervised child) and
hands the API a function returning them; `/readyz` shows them, and is ready when every component
is. A component is ready while it runs; its lag (events behind, seconds, the age of the newest
anchor) is reported beside, not judged, so that a follower catching up after a restart does not
take the API out of a load balancer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ComponentHealth", "Readiness"]


@dataclass(frozen=True)
class ComponentHealth:
    """One component: `state` is starting, running, restarting (after it died; `error` says
    why) or stopped; `lag` its figures (e.g. {"events_behind": 0})."""

    name: str
    state: str
    restarts: int = 0
    error: str | None = None
    lag: dict[str, Any] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return self.state == "running"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ready": self.ready,
            "state": self.state,
            "restarts": self.restarts,
            "error": self.error,
            **self.lag,
        }


Readiness = Callable[[], Sequence[ComponentHealth]]
