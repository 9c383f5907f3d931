"""Every actor's public keys with their history, from the log: what an integrator needs to
verify the signature of an event it receives (a CloudEvent carries the signature and key id).

The format (`anjian actors keys --json`, docs/OPERATIONS.md)::

    {"<account>": [{"key_id": "<32 hex>", "public_key": "<base64 of 32 bytes>",
                    "status": "current" | "rotated" | "revoked",
                    "since": "<occurred_at of the event that added it>"}, ...], ...}

Keys are listed in the order they were added; accounts sorted. An event signed with a rotated key
was valid when recorded if it precedes the rotation in the log (`anjian audit proof` proves it);
a revoked key vouches for nothing.
"""

from __future__ import annotations

import base64
from typing import Any

from domain.actor import Actor
from domain.application import Records

__all__ = ["ACTOR_EVENT_PREFIX", "actor_keys"]

ACTOR_EVENT_PREFIX = "actor."


def actor_keys(records: Records) -> dict[str, list[dict[str, Any]]]:
    """Each registered actor's keys (see the module docstring), read from the log."""
    subjects = dict.fromkeys(
        rec.subject for rec in records.notifications() if rec.type.startswith(ACTOR_EVENT_PREFIX)
    )
    keys: dict[str, list[dict[str, Any]]] = {}
    for subject in subjects:
        actor = records.load(subject, Actor)
        keys[actor.account] = [
            {
                "key_id": key_id,
                "public_key": base64.b64encode(entry.public_key).decode("ascii"),
                "status": entry.status,
                "since": entry.since,
            }
            for key_id, entry in actor.keys.items()
        ]
    return dict(sorted(keys.items()))
