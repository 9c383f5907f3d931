"""Command ids as the recorders keep them: one row per stored command, unique by command id.

Table `<prefix>_command_ids` (prefix: the events table's name without `_events`):

    notification_id  the stored event's notification id (unique)
    command_id       the envelope's `id`, lower-case hyphenated (unique)

Records hands the ids to `insert_events(..., command_ids=...)` with the events; any other
insert has them read from the stored states. A store that predates the table is back-filled
at start-up from the events after the highest notification id the table holds (so an
up-to-date store costs one indexed query): the first event of an id keeps it, a later one
with the same id (stored before ids were unique) gets no row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, StoredEvent

PAGE = 1000  # events read per back-fill step; ids looked up per query


def table_name(events_table_name: str) -> str:
    """`stored_events` → `stored_command_ids`, `anjian_events` → `anjian_command_ids`."""
    return events_table_name.removesuffix("_events") + "_command_ids"


def command_id_of(state: bytes) -> UUID | None:
    """The command id in a stored Record event's state, or None for any other state."""
    try:
        envelope = json.loads(state)["envelope"]
        return UUID(str(json.loads(envelope)["id"]))
    except (ValueError, KeyError, TypeError):
        return None


def rows(
    stored_events: Sequence[StoredEvent],
    notification_ids: Sequence[int],
    command_ids: Sequence[UUID] | None,
) -> list[tuple[UUID, int]]:
    """(command id, notification id) of each stored event that carries a command id.

    `command_ids` (from Records) is aligned with `stored_events`; without it they are read
    from the states."""
    if command_ids is None or len(command_ids) != len(stored_events):
        found = (command_id_of(e.state) for e in stored_events)
        return [(c, n) for c, n in zip(found, notification_ids, strict=True) if c is not None]
    return list(zip(command_ids, notification_ids, strict=True))


def backfill(
    recorder: ApplicationRecorder,
    after: int,
    store: Callable[[list[tuple[UUID, int]]], None],
) -> None:
    """Hand `store` the command id rows of every event with a notification id above `after`,
    page by page, in notification order. `store` must ignore ids it holds already."""
    while page := recorder.select_notifications(start=after + 1, limit=PAGE):
        store(rows(page, [n.id for n in page], None))
        after = page[-1].id


def chunks(ids: Sequence[UUID]) -> Iterable[Sequence[UUID]]:
    return (ids[i : i + PAGE] for i in range(0, len(ids), PAGE))
