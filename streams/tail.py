"""Reading the stream back: an ordered, ephemeral consumer of ANJIAN_EVENTS (what
`anjian stream tail` shows and the tests compare with the store).

    async for seq, event in tail(js, "anjian.events.4201.>", start=1, count=10): ...

`start` is a stream sequence (1 = from the beginning); None delivers only what is published
from now on. Each message is read back as a CloudEvent with the SDK (streams.cloudevent.read).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from cloudevents.core.v1.event import CloudEvent
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext

from streams.cloudevent import read
from streams.stream import STREAM

__all__ = ["tail"]


async def tail(
    js: JetStreamContext,
    subject: str,
    *,
    start: int | None = None,
    count: int | None = None,
    idle: float | None = None,
) -> AsyncIterator[tuple[int, CloudEvent]]:
    """(stream sequence, event) of each message on `subject`, in stream order; ends after
    `count` messages, or once nothing arrived for `idle` seconds (None: never)."""
    if start is None:
        policy, seq = DeliverPolicy.NEW, None
    else:
        policy, seq = DeliverPolicy.BY_START_SEQUENCE, max(1, start)
    config = ConsumerConfig(deliver_policy=policy, opt_start_seq=seq)
    sub = await js.subscribe(subject, stream=STREAM, ordered_consumer=True, config=config)
    seen = 0
    try:
        while count is None or seen < count:
            try:
                msg = await sub.next_msg(timeout=idle if idle is not None else 3600.0)
            except NatsTimeout:
                if idle is not None:
                    return
                continue
            seen += 1
            yield msg.metadata.sequence.stream, read(msg.data)
    finally:
        await sub.unsubscribe()
