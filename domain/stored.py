"""Stored events as Records reports and reads them: event ids, Recorded, StoredRecord.

An event id is "<subject uuid>:<version>": the aggregate and its place in that aggregate's
sequence, stable for as long as the store exists.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.errors import InvalidValue


class Recorded(NamedTuple):
    """What a stored command became: its event and its place in the total order.

    `recorded_before` is True when the command was stored by an earlier submission and this
    one was answered with that original event (an idempotent retry), storing nothing."""

    notification_id: int
    type: str
    subject: UUID
    version: int
    recorded_before: bool = False

    @property
    def event_id(self) -> str:
        """ "<subject uuid>:<version>"."""
        return event_id(self.subject, self.version)


def event_id(subject: UUID, version: int) -> str:
    return f"{subject}:{version}"


MAX_VERSION = 2**63 - 1  # the stores' version columns are signed 64-bit integers


def parse_event_id(text: str) -> tuple[UUID, int]:
    """(subject, version) of "<uuid>:<version>"; the version is ASCII digits, 1..MAX_VERSION."""
    subject, sep, version = text.rpartition(":")
    try:
        if not sep or not (version.isascii() and version.isdigit()) or len(version) > 19:
            raise ValueError
        number = int(version)
        if not 1 <= number <= MAX_VERSION:
            raise ValueError
        return UUID(subject), number
    except ValueError:
        raise InvalidValue(
            f"event id must be '<uuid>:<version>' with a version from 1 to {MAX_VERSION}, "
            f"got {text!r}",
            field="event_id",
        ) from None


@dataclass(frozen=True)
class StoredRecord:
    """An event as stored, decoded for reading."""

    event_id: str
    subject: UUID
    version: int
    topic: str
    envelope: dict[str, Any]
    envelope_text: str
    signature: str
    key_id: str
    recorded_at: str
    notification_id: int | None = None

    @property
    def type(self) -> str:
        return str(self.envelope["type"])


def decode_stored(stored: StoredEvent, notification_id: int | None = None) -> StoredRecord:
    state = json.loads(stored.state)
    ts = state["timestamp"]
    return StoredRecord(
        event_id=event_id(UUID(str(stored.originator_id)), stored.originator_version),
        subject=UUID(str(stored.originator_id)),
        version=stored.originator_version,
        topic=stored.topic,
        envelope=json.loads(state["envelope"]),
        envelope_text=state["envelope"],
        signature=state["signature"],
        key_id=state["key_id"],
        recorded_at=ts["_data_"] if isinstance(ts, dict) else str(ts),
        notification_id=notification_id,
    )
