"""Aggregate and command ids: their one written form, and the ids derived from natural keys.

An id is written in exactly one form, lower-case and hyphenated (`str(UUID)`, RFC 9562 §4):
the signed envelope, the event's aggregate id and a proof bundle must name the same bytes, so
`{…}`, upper-case, `urn:uuid:` and unhyphenated spellings are refused wherever an id enters.

An enterprise's id is derived from its USCC and an actor's from its account id, so a second
registration of the same code collides with the first (the event store refuses version 1
twice) and anyone can compute the id from the key.
"""

from __future__ import annotations

import re
from functools import lru_cache
from uuid import UUID, uuid5

NAMESPACE = UUID("5b0f8f7e-3c1a-5d6e-9a47-61a1a1a2b3c4")
UUID_PATTERN = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_CANONICAL_UUID = re.compile(UUID_PATTERN)


def is_canonical_uuid(value: object) -> bool:
    """True when `value` is a UUID written as `str(UUID)` writes it, and nothing else."""
    return isinstance(value, str) and _CANONICAL_UUID.fullmatch(value) is not None


@lru_cache(maxsize=65536)
def enterprise_id(uscc: str) -> UUID:
    return uuid5(NAMESPACE, "enterprise:" + uscc)


@lru_cache(maxsize=65536)
def actor_id(account: str) -> UUID:
    return uuid5(NAMESPACE, "actor:" + account)


@lru_cache(maxsize=65536)
def device_id(serial: str) -> UUID:
    return uuid5(NAMESPACE, "device:" + serial)
