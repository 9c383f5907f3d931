"""The modules' metrics: how long a warning took, from the event that caused it.

    anjian.warning.latency  histogram, s, per anjian.module: from the moment the platform
                            recorded the event a module reacted to (the CloudEvent's
                            `recordedat`) to the moment the module's own command was recorded

A worker calls `warning_latency(event, recorded_at, module="warning")` once its command is
stored. On the meter `anjian` through the OpenTelemetry API: a no-op until ops/telemetry.py
installs a meter provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from opentelemetry import metrics

__all__ = ["BUCKETS", "warning_latency"]

# Seconds: the stream's own latency is milliseconds; a module behind a backlog, minutes.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)

_meter = metrics.get_meter("anjian")
WARNING_LATENCY = _meter.create_histogram(
    "anjian.warning.latency",
    unit="s",
    description="from the recording of an event to the recording of the warning it caused",
    explicit_bucket_boundaries_advisory=list(BUCKETS),
)


def warning_latency(
    event: Any, recorded_at: datetime | None = None, *, module: str = "warning"
) -> float | None:
    """Record the latency of the command a module recorded at `recorded_at` (default: now)
    in answer to `event` (a CloudEvent, or its attributes); the seconds recorded, or None when
    the event carries no valid `recordedat`. A negative difference (clocks of two machines)
    counts as 0."""
    attributes: Mapping[str, Any] = (
        event if isinstance(event, Mapping) else dict(event.get_attributes())
    )
    raw = attributes.get("recordedat")
    if not isinstance(raw, str):
        return None
    try:
        origin = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if origin.utcoffset() is None:
        return None  # an instant without its offset is not one
    seconds = max(0.0, ((recorded_at or datetime.now(UTC)) - origin).total_seconds())
    WARNING_LATENCY.record(seconds, {"anjian.module": module})
    return seconds
