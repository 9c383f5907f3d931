"""Projection errors: one base class for the package.

ProjectionError
├── ProjectionFailed     a projection raised while applying a batch; nothing of it was kept
├── ConcurrentFollower   another follower moved a tracking position first (PositionMoved)
├── UnknownProjection    no projection (or analysis) of that name
├── UndecodableEvent     a stored event is not a signed-envelope event (cipher? compressor?)
│   └── Quarantined      a signed event holds an instant no read model can represent
└── RulebookError        a credit rulebook file breaks its format
"""

from __future__ import annotations

from domain.following import PositionMoved


class ProjectionError(Exception):
    """Base of every projection error."""


class ProjectionFailed(ProjectionError):
    """A projection raised while applying notifications [first, last]; the batch rolled back."""

    def __init__(self, projection: str, first: int, last: int, cause: BaseException) -> None:
        super().__init__(
            f"projection {projection} failed on notifications {first}..{last}: "
            f"{type(cause).__name__}: {cause}"
        )
        self.projection = projection
        self.first = first
        self.last = last
        self.cause = cause


class ConcurrentFollower(ProjectionError, PositionMoved):
    """The tracking position moved under us: two followers run the same projection."""


class UnknownProjection(ProjectionError):
    """No projection or analysis of that name."""


class UndecodableEvent(ProjectionError):
    """A stored event's state is not the JSON of a signed envelope."""


class Quarantined(UndecodableEvent):
    """A stored, signed event holds a date or instant outside the platform's bounds
    (domain.instants): written before intake bounded them, or by an insider. No read model can
    represent it, so the follower sets it aside (projections.quarantine) and goes on."""

    def __init__(self, notification_id: int, event_id: str, type_: str, reason: str) -> None:
        super().__init__(f"notification {notification_id} ({event_id}, {type_}): {reason}")
        self.notification_id = notification_id
        self.event_id = event_id
        self.type = type_
        self.reason = reason


class RulebookError(ProjectionError):
    """A credit rulebook file is malformed."""
