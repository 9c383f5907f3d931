"""Unsigned lines sent again with their command `id`: the same command when nothing the
submitter supplied differs.

The intake completes an unsigned line before signing it custodially: `occurred_at` (the time of
intake), `subject`, `role` and personal data sealed under fresh references. Sent a second time,
the same line would be completed anew, so its signed bytes would differ from the command
recorded under that id and Records would refuse it as a DuplicateCommand. So for a line that
names an `id` recorded before, the intake compares what the submitter supplied (type, actor,
region, data, and subject, occurred_at and role where given) with the recorded envelope:

- all equal: the line is the recorded command, handed on as stored (text, signature, key id),
  which Records answers with the original event;
- something differs: DuplicateCommand, naming the original event and what differs.

A plain person in the line's data equals the sealed person recorded in its place when the
vault finds the person matches the sealed commitment (`SamePerson`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from domain.application import Records
from domain.envelope import SignedCommand
from domain.errors import DuplicateCommand

SamePerson = Callable[[object, object], bool]  # (recorded sealed value, supplied plain value)

_MISSING = object()


def as_recorded(
    records: Records, line: Mapping[str, Any], same_person: SamePerson | None = None
) -> SignedCommand | None:
    """The command recorded under the line's `id` if the line is that command again; None if
    the line has no (valid) id or the id was not recorded. Raises DuplicateCommand."""
    try:
        command_id = UUID(str(line["id"]))
    except (KeyError, ValueError):
        return None
    rec = records.recorded_command(command_id)
    if rec is None:
        return None
    envelope = rec.envelope
    diff = [
        name
        for name in ("actor", "occurred_at", "region", "role", "subject", "type")
        if line.get(name) and str(line[name]) != str(envelope.get(name))
    ]
    data, recorded = line.get("data"), envelope.get("data")
    if isinstance(data, dict) and isinstance(recorded, dict):
        diff += [
            f"data.{k}"
            for k in sorted(data.keys() | recorded.keys())
            if not _same(recorded.get(k, _MISSING), data.get(k, _MISSING), same_person)
        ]
    elif data != recorded:
        diff.append("data")
    if diff:
        raise DuplicateCommand(
            f"command {command_id} was already recorded as event {rec.event_id}; "
            f"this one differs in {', '.join(sorted(diff))}",
            command_id=str(command_id),
            original=rec.event_id,
        )
    return SignedCommand.of(rec.envelope_text, rec.signature, rec.key_id)


def _same(recorded: object, supplied: object, same_person: SamePerson | None) -> bool:
    if recorded == supplied:
        return True
    if same_person is None:
        return False
    if isinstance(recorded, list) and isinstance(supplied, list):
        return len(recorded) == len(supplied) and all(
            _same(r, s, same_person) for r, s in zip(recorded, supplied, strict=True)
        )
    return same_person(recorded, supplied)
