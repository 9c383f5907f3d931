"""Resubmitted commands: a command id names one command, recorded once.

The same command again (the same id and the same signed bytes: envelope text, signature and
key id) is an idempotent retry: it is answered with the event its first submission stored,
and nothing is stored. The same id with other bytes is refused with DuplicateCommand, naming
the original event and what differs. Inside one batch, a command repeated with the same bytes
is answered with the event of its first occurrence; with other bytes the batch is refused.

A batch mixing commands recorded before with new ones answers the former with their original
events and stores the latter, in one transaction, in command order.

The store's unique command id (domain.ports.CommandLog) decides between concurrent writers. A
batch is looked up here before it is checked (one query for the whole batch) and again when the
store refuses its insert; a single command only once it was refused, by the domain's rules or
the store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from domain.envelope import SignedCommand
from domain.errors import BatchRejected, DuplicateCommand
from domain.ports import CommandLog
from domain.stored import Recorded, decode_stored

_MISSING = object()


@dataclass
class EarlierUses:
    """Which commands of a batch were submitted before (indexes into the batch)."""

    answered: dict[int, Recorded] = field(default_factory=dict)  # stored before: the original
    repeats: dict[int, int] = field(default_factory=dict)  # → its first index in this batch

    def fresh(self, count: int) -> list[int]:
        """The indexes of the commands to check and store."""
        return [i for i in range(count) if i not in self.answered and i not in self.repeats]


def earlier_uses(log: CommandLog, cmds: Sequence[SignedCommand]) -> EarlierUses:
    """Answer each command of `cmds` whose id was used before, in the store or earlier in the
    batch; raise BatchRejected(index, DuplicateCommand) for the first one whose bytes differ."""
    out = EarlierUses()
    first: dict[UUID, int] = {}
    for i, cmd in enumerate(cmds):
        j = first.setdefault(cmd.envelope.id, i)
        if j == i:
            continue
        diff = differences(cmd, cmds[j].text, cmds[j].signature, cmds[j].key_id)
        if diff:
            raise BatchRejected(
                i,
                DuplicateCommand(
                    f"command {cmd.envelope.id} is also command {j + 1} of this batch; "
                    f"this one differs in {', '.join(diff)}",
                    command_id=str(cmd.envelope.id),
                    original=None,
                ),
            )
        out.repeats[i] = j
    for command_id, notification in log.recorded_commands(list(first)).items():
        i = first[command_id]
        if notification is None:
            raise BatchRejected(
                i,
                DuplicateCommand(
                    f"command {command_id} was already recorded, but its event is missing "
                    "from the store",
                    command_id=str(command_id),
                    original=None,
                ),
            )
        stored = decode_stored(notification, notification.id)
        diff = differences(cmds[i], stored.envelope_text, stored.signature, stored.key_id)
        if diff:
            raise BatchRejected(
                i,
                DuplicateCommand(
                    f"command {command_id} was already recorded as event {stored.event_id}; "
                    f"this one differs in {', '.join(diff)}",
                    command_id=str(command_id),
                    original=stored.event_id,
                ),
            )
        out.answered[i] = Recorded(
            notification.id, stored.type, stored.subject, stored.version, recorded_before=True
        )
    return out


def differences(cmd: SignedCommand, text: str, signature: str, key_id: str) -> list[str]:
    """What of `cmd` differs from the signed command (text, signature, key_id): the envelope
    fields (`data.<name>` inside data) when the texts differ, else key_id and signature.
    Empty when the signed bytes are the same. Precondition: both texts are JSON objects."""
    if cmd.text == text:
        pairs = (("key_id", cmd.key_id, key_id), ("signature", cmd.signature, signature))
        return [name for name, a, b in pairs if a != b]
    ours, theirs = json.loads(cmd.text), json.loads(text)
    out = []
    for name in sorted(ours.keys() | theirs.keys()):
        a, b = ours.get(name, _MISSING), theirs.get(name, _MISSING)
        if name == "data" and isinstance(a, dict) and isinstance(b, dict):
            out += [f"data.{k}" for k in _differing_keys(a, b)]
        elif a != b:
            out.append(name)
    return out or ["the envelope's bytes"]


def _differing_keys(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    return [k for k in sorted(a.keys() | b.keys()) if a.get(k, _MISSING) != b.get(k, _MISSING)]
