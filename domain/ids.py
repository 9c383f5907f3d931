"""Deterministic aggregate ids for subjects that have natural keys.

An enterprise's id is derived from its USCC and an actor's from its account id, so a second
registration of the same code collides with the first (the event store refuses version 1
twice) and anyone can compute the id from the key.
"""

from __future__ import annotations

from functools import lru_cache
from uuid import UUID, uuid5

NAMESPACE = UUID("5b0f8f7e-3c1a-5d6e-9a47-61a1a1a2b3c4")


@lru_cache(maxsize=65536)
def enterprise_id(uscc: str) -> UUID:
    return uuid5(NAMESPACE, "enterprise:" + uscc)


@lru_cache(maxsize=65536)
def actor_id(account: str) -> UUID:
    return uuid5(NAMESPACE, "actor:" + account)


@lru_cache(maxsize=65536)
def device_id(serial: str) -> UUID:
    return uuid5(NAMESPACE, "device:" + serial)
