"""The JetStream stream ANJIAN_EVENTS: its configuration and its state.

    name        ANJIAN_EVENTS
    subjects    anjian.events.>
    storage     file; retention by limits with no limit but `max_age` (0 = keep everything)
    replicas    ANJIAN_STREAM_REPLICAS (1; 3 on a three-node cluster)
    duplicates  a window of DUPLICATE_WINDOW seconds in which a second message with the same
                Nats-Msg-Id (the event id) is acknowledged but not stored

`ensure_stream` creates it, or updates it when the replicas or the maximum age changed, and
does nothing when it is as configured: every relay start may call it. `last_sequence` reads the
`sequence` extension of the stream's last message: the notification id of the last event the
stream holds, whatever the relay's stored position says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

from streams.subjects import PREFIX

__all__ = [
    "DUPLICATE_WINDOW",
    "STREAM",
    "StreamSettings",
    "StreamState",
    "ensure_stream",
    "last_sequence",
    "stream_state",
]

STREAM = "ANJIAN_EVENTS"
DUPLICATE_WINDOW = 120.0  # seconds


@dataclass(frozen=True)
class StreamSettings:
    """What the platform's settings say about the stream."""

    replicas: int = 1
    max_age: float = 0.0  # seconds; 0 = keep everything


@dataclass(frozen=True)
class StreamState:
    """The stream as the server reports it."""

    messages: int
    first_seq: int
    last_seq: int
    consumers: int
    last_time: datetime | None  # when the last message was stored


def config_of(settings: StreamSettings) -> StreamConfig:
    return StreamConfig(
        name=STREAM,
        description="Anjian: every recorded event as a signed CloudEvent",
        subjects=[f"{PREFIX}.>"],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_msgs=-1,
        max_bytes=-1,
        max_age=settings.max_age,
        num_replicas=settings.replicas,
        duplicate_window=DUPLICATE_WINDOW,
    )


async def ensure_stream(js: JetStreamContext, settings: StreamSettings) -> None:
    """Create the stream, or bring its replicas and maximum age to `settings`."""
    wanted = config_of(settings)
    try:
        info = await js.stream_info(STREAM)
    except NotFoundError:
        await js.add_stream(wanted)
        return
    have = info.config
    if (have.num_replicas or 1) != settings.replicas or (have.max_age or 0) != settings.max_age:
        await js.update_stream(wanted)


async def stream_state(js: JetStreamContext) -> StreamState:
    info = await js.stream_info(STREAM)
    s = info.state
    last_time = None
    if s.last_seq:
        try:
            raw = await js.get_msg(STREAM, s.last_seq)
            last_time = raw.time
        except NotFoundError:
            pass
    return StreamState(s.messages, s.first_seq, s.last_seq, s.consumer_count, last_time)


async def last_sequence(js: JetStreamContext) -> tuple[int, int]:
    """(the stream's last sequence, the `sequence` extension of its last message: 0 when the
    stream is empty or the message expired)."""
    info = await js.stream_info(STREAM)
    last = info.state.last_seq
    if not last:
        return 0, 0
    try:
        raw = await js.get_msg(STREAM, last)
    except NotFoundError:
        return last, 0
    return last, int(json.loads(raw.data or b"{}").get("sequence", 0))
