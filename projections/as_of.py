"""Point-in-time read models: every projection rebuilt from the log as it stood at an instant.

A view "as of" an instant T is what the read models would hold had the log stopped at T: the
same projections, applied in log order to the events that occurred at or before T and to no
other. Nothing is estimated from today's state: statuses, counts, grades and clocks all come
from the events of that time (a permit renewed in 2025 is, as of 2023, the permit that expired
in 2023; a hazard closed in 2024 is, as of 2023, open).

The cut is by occurred_at, the actor's instant the write path bounds and checks for order
(a step is never dated before the step it follows), so the events kept are closed under the
aggregates' own order: every kept event's predecessors are kept too. Migrated history, recorded
today but dated in 2019, is part of the 2019 view.

The rebuild writes a throwaway SQLite store in a temporary directory, deleted when the view is
closed; the platform's own read models are not touched.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from domain.log_reader import Raw, Recorder
from projections.follower import Decoded, Projection, ReadModelFollower
from projections.store import open_store

__all__ = ["AsOfFollower", "rebuilt_as_of"]


class AsOfFollower(ReadModelFollower):
    """A follower that applies only the events that occurred at or before `until`."""

    name = "read-models-as-of"

    def __init__(
        self,
        recorder: Recorder,
        engine: Engine,
        projections: Sequence[Projection],
        until: datetime,
        batch_size: int = 20_000,
    ) -> None:
        if until.tzinfo is None:
            raise ValueError("until must be an aware datetime")
        super().__init__(recorder, engine, projections, batch_size)
        self.until = until
        self._cut = until.astimezone(UTC).replace(tzinfo=None)  # as Event.at is stored

    def decode(self, rows: Sequence[Raw]) -> Decoded:
        decoded = super().decode(rows)
        decoded.events = [e for e in decoded.events if e.at <= self._cut]
        return decoded


@contextmanager
def rebuilt_as_of(
    recorder: Recorder,
    projections: Callable[[], Sequence[Projection]],
    until: datetime,
) -> Iterator[AsOfFollower]:
    """Every projection (fresh instances from `projections`) rebuilt into a throwaway store
    from the events of `recorder`'s log that occurred at or before `until`; the follower
    (its engine is the store) for the duration of the block."""
    with tempfile.TemporaryDirectory(prefix="anjian-as-of-") as tmp:
        engine = open_store(f"sqlite:///{Path(tmp) / 'readmodels.db'}")
        chosen = list(projections())
        try:
            for p in chosen:  # instances shared with another store must not bring its rows
                p.forget()
            follower = AsOfFollower(recorder, engine, chosen, until)
            follower.catch_up()
            yield follower
        finally:
            for p in chosen:
                p.forget()
            engine.dispose()
