"""The discrete-event scheduler that turns the demo's processes into command lines in time order.

A process is a generator that yields the instant it wants to be resumed at; when it runs, the
simulated clock (`Sim.now`) is that instant and whatever it emits is dated `now`. The scheduler
resumes processes in (instant, start order) order, so the lines come out in chronological order
and a process always sees the state every earlier line left behind: a command is emitted only
after everything it references.

Lines are the intake's two formats (services.ingest.intake): unsigned custodial lines for
regulators, enterprise accounts and the platform, and pre-signed {"envelope", "signature",
"key_id"} lines for devices, which sign with their own keys. Command ids and subjects come from
each process's own seeded RNG, so the same seed gives the same envelopes.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque
from collections.abc import Generator, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from ledger.canonical import canonical_text
from ledger.keys import KeyPair

Line = dict[str, Any]
EPOCH = datetime(1, 1, 1, tzinfo=UTC)  # the clock before the first process runs
Proc = Generator[datetime, None, None]
Sub = Generator[datetime, None, bool]  # a step of a process that reports how it went


def new_uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def hex64(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


class Sim:
    """The simulated clock, the process queue and the output lines."""

    def __init__(self, end: datetime) -> None:
        self.end = end
        self.now = EPOCH
        self._queue: list[tuple[datetime, int, Proc]] = []
        self._order = itertools.count()
        self._out: deque[Line] = deque()

    def start(self, proc: Proc, at: datetime) -> None:
        """Run `proc` from `at` (not before the current instant)."""
        heapq.heappush(self._queue, (max(at, self.now), next(self._order), proc))

    def lines(self) -> Iterator[Line]:
        """Run every process until the end of the simulation, yielding lines in time order."""
        queue, out = self._queue, self._out
        while queue and queue[0][0] < self.end:
            at, order, proc = heapq.heappop(queue)
            self.now = at
            try:
                wake = next(proc)
            except StopIteration:
                pass
            else:
                if wake < at:
                    raise ValueError(f"a process asked to resume at {wake}, before {at}")
                heapq.heappush(queue, (wake, order, proc))
            while out:
                yield out.popleft()

    # -- emitting --------------------------------------------------------------------------

    def emit(
        self,
        rng: random.Random,
        ctype: str,
        subject: UUID,
        data: dict[str, Any],
        *,
        actor: str,
        role: str,
        region: str,
    ) -> None:
        """An unsigned line, signed by the intake with the actor's custodial key."""
        self._out.append(
            {
                "type": ctype,
                "actor": actor,
                "role": role,
                "region": region,
                "subject": str(subject),
                "id": str(new_uuid(rng)),
                "occurred_at": self.now.isoformat(),
                "data": data,
            }
        )

    def emit_signed(
        self,
        rng: random.Random,
        key: KeyPair,
        ctype: str,
        subject: UUID,
        data: dict[str, Any],
        *,
        actor: str,
        region: str,
    ) -> None:
        """A line pre-signed by a device with its own key."""
        envelope = {
            "actor": actor,
            "data": data,
            "id": str(new_uuid(rng)),
            "occurred_at": self.now.isoformat(),
            "region": region,
            "role": "device",
            "subject": str(subject),
            "type": ctype,
        }
        text = canonical_text(envelope)
        self._out.append(
            {
                "envelope": envelope,
                "signature": key.sign_b64(text.encode("utf-8")),
                "key_id": key.key_id,
            }
        )


def drain(sim: Sim) -> list[Line]:
    """The lines emitted outside the scheduler (the opening at go-live), in emission order."""
    out = list(sim._out)
    sim._out.clear()
    return out
