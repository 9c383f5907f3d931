"""The contract between the stream's modules (风险预警, 应急协调指挥) and the worker that runs them.

A module's rules are a `Policy`: a pure, deterministic fold over the events it observes in log
order, plus what those events and the clock's ticks make it decide. It lives in the domain
(no I/O); the worker (streams/) feeds it the stream's events (each CloudEvent verified, then
read as the `StoredRecord` it carries), turns every `Decision` into a command signed with the
module's own service key, records it through the one command path, and acknowledges the message
only once the command is stored.

Determinism is what makes the worker safe to crash, restart and replay:

- the policy's state depends only on the events it observed, in log order, and the ticks;
- a decision depends only on that state, the event or the tick's instant (never the wall
  clock: a tick's instant becomes the command's `occurred_at`);
- the command id is derived from the decision's cause and rule (`command_id`), so a decision
  made twice (redelivery, a restart between storing and acking, a replay) is refused by the
  store as the same command, and the worker acknowledges it as done.

A policy also observes its own commands' events when they come back on the stream (a warning
it issued, an incident it opened): that is how it learns what it has already done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid5

from domain.ids import NAMESPACE
from domain.stored import StoredRecord

__all__ = ["Decision", "Policy", "command_id"]


@dataclass(frozen=True)
class Decision:
    """One command a module decided on, before the worker signs it.

    `command` holds the command line's `type`, `region`, `data`, `occurred_at` (ISO 8601 with
    offset: the triggering event's or the tick's instant) and, for a command on an existing
    record, its `subject`; the worker adds `actor` (the module's service account) and `id`.
    `cause` is the event id (`<uuid>:<version>`) the decision is about, `rule` the id of the
    rule that made it (with its rulebook version, e.g. `gas-alarm-level2@1`)."""

    command: dict[str, Any]
    cause: str
    rule: str

    @property
    def id(self) -> UUID:
        return command_id(self.cause, self.rule)


def command_id(cause: str, rule: str) -> UUID:
    """The id of the command `rule` makes about `cause`: the same decision, the same id."""
    return uuid5(NAMESPACE, f"module-decision:{rule}:{cause}")


class Policy(Protocol):
    """A module's rules over the events it observes (see the module docstring)."""

    @property
    def name(self) -> str:
        """The module's name: its durable consumer's name, e.g. `warning`."""
        ...

    @property
    def account(self) -> str:
        """The service account whose key signs the module's commands, e.g. `svc-warning`."""
        ...

    def observe(self, event: StoredRecord) -> Sequence[Decision]:
        """Fold `event` into the state; the decisions it causes."""
        ...

    def tick(self, now: datetime) -> Sequence[Decision]:
        """The decisions the clock reaching `now` (aware) causes."""
        ...
