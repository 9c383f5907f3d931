"""Record: the base of every Anjian aggregate, whose every event is a signed command.

Each event stores exactly the envelope text the actor signed, the signature and the key id
(and, through eventsourcing, its aggregate id, version, topic and timestamp: the platform's
recorded time, Records' clock when it handled the command). State is derived from the
envelope's data in `apply`, so the stored bytes and the signed bytes cannot disagree. Command
methods check the lifecycle and the values first and raise a DomainError before anything is
triggered: a rejected command leaves no event behind.

Every step passes two checks on its way in (`create`, `record`): it is not dated before a law
its command cites took effect (domain.laws), and it is not dated before the previous step of
the same record (the record reads in order; a command may check earlier to name its step).
While an event is applied, `recorded_at` is its recorded time and `judged_at_event(env)` the instant
its statutory clocks are judged at (domain.clocks), so an applier judges as the command did.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cache
from typing import Any, ClassVar, TypeVar

from eventsourcing.domain import Aggregate

from domain.clocks import judged_at, not_before
from domain.commands import commands_of
from domain.envelope import Envelope, SignedCommand
from domain.errors import InvalidTransition, UnknownEventType
from domain.laws import check_in_force

R = TypeVar("R", bound="Record")


class Record(Aggregate):
    """An aggregate whose events are signed envelopes.

    Subclasses define `status`-driven lifecycles; `KIND` is the catalog prefix
    ("hazard", "permit", …) and `KIND_ZH` its Chinese name.
    """

    KIND: ClassVar[str] = ""
    KIND_ZH: ClassVar[str] = ""

    class Event(Aggregate.Event):
        envelope: str
        signature: str
        key_id: str

        @property
        def command(self) -> Envelope:
            return Envelope.parse(self.envelope)

        @property
        def data(self) -> dict[str, Any]:
            data: dict[str, Any] = json.loads(self.envelope)["data"]
            return data

        def apply(self, aggregate: Any) -> None:
            aggregate.apply_envelope(self, Envelope.parse(self.envelope))

    class Created(Event, Aggregate.Created):
        def apply(self, aggregate: Any) -> None:
            aggregate.init_record()
            super().apply(aggregate)

    def init_record(self) -> None:
        # Not __init__: eventsourcing's metaclass generates subclasses' __init__ methods.
        self.status: str = "new"
        self.region: str = ""
        self.history: list[str] = []

    def apply_envelope(self, event: Record.Event, env: Envelope) -> None:
        """Evolve state from one event through the applier of its command (`on_<verb>`, see
        domain.commands), looked up in the aggregate's table of appliers.

        An event whose type is not a command of this aggregate (one written into the store
        around the write path) raises UnknownEventType: the record cannot be read, and says so
        in one line instead of failing on a missing method.
        """
        applier = appliers_of(type(self)).get(env.type)
        if applier is None:
            raise UnknownEventType(
                self.KIND, event.originator_id, event.originator_version, env.type
            )
        self.region = self.region or env.region
        # The recorded time of the step being applied (the event's timestamp), then the
        # declared time of the latest step: no later step may be dated before it.
        self.recorded_at: datetime = event.timestamp
        applier(self, env, env.data)
        self.last_at: datetime = env.occurred_at
        self.history.append(env.type)

    def judged_at_event(self, env: Envelope) -> datetime:
        """For an applier: the instant the statutory clocks judge the step being applied at."""
        return judged_at(env.role, env.channel, env.occurred_at, self.recorded_at)

    # -- helpers for command methods -------------------------------------------------------

    @classmethod
    def create(cls: type[R], cmd: SignedCommand) -> R:
        """Create the aggregate from its creation command (already checked by the caller)."""
        check_in_force(commands_of(cls)[cmd.envelope.type].rule, cmd.envelope.occurred_at)
        return cls._create(
            cls.Created,
            id=cmd.envelope.subject,
            timestamp=cmd.recorded_at,
            envelope=cmd.text,
            signature=cmd.signature,
            key_id=cmd.key_id,
        )

    def record(self, cmd: SignedCommand) -> None:
        """Trigger the event of a checked command, dated in order and under laws in force."""
        env = cmd.envelope
        check_in_force(commands_of(type(self))[env.type].rule, env.occurred_at)
        not_before(env.occurred_at, self.last_at, env.type)
        self.trigger_event(
            self.Event,
            timestamp=cmd.recorded_at,
            envelope=cmd.text,
            signature=cmd.signature,
            key_id=cmd.key_id,
        )

    def require(self, *allowed: str, action: str, rule: str = "") -> None:
        """Raise InvalidTransition unless the current status is one of `allowed`."""
        if self.status not in allowed:
            raise InvalidTransition(
                f"{self.KIND} {self.id} is {self.status}; {action} needs {' or '.join(allowed)}",
                rule=rule,
            )


Applier = Callable[[Any, Envelope, Mapping[str, Any]], None]


@cache
def appliers_of(aggregate: type[Record]) -> Mapping[str, Applier]:
    """Command type → the aggregate's applier of its event, built once per class."""
    return {t: getattr(aggregate, spec.applier) for t, spec in commands_of(aggregate).items()}
