"""The actors' key registry, rebuilt from the log alone.

Keys are registered, rotated and revoked by signed events (`actor.register`,
`actor.rotate_key`, `actor.revoke_key`; `actor.deactivate` ends an account;
`actor.change_rights` may give it another role), so replaying
those events in notification order tells which key was current for which actor at every
point of the history. `key_for` answers for the event being checked; `apply` then feeds the
event to the registry, and only once it has been found valid (a forged registration must not
vouch for what follows it).

The rules are the write path's (domain/application.py, `Records._authenticate`):

- genesis: the first `actor.register` of the platform account by the platform account is
  signed by the key it registers;
- otherwise the actor must be registered and active, sign in the role it was registered
  with, and with the key that is current for it (not rotated out, not revoked).

- the role is the one the last `actor.register` or `actor.change_rights` of the actor gave it.

Envelope fields read: type, actor, role, subject, data.{account, role, public_key, key_id}.
Public keys are base64 of 32 bytes; key ids are hex SHA-256(public key)[:16] (ledger.keys).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from audit.errors import AuditError
from ledger.keys import key_id

__all__ = ["PLATFORM_ACCOUNT", "KeyRefused", "KeyRegistry"]

PLATFORM_ACCOUNT = "platform"
CURRENT, ROTATED, REVOKED = "current", "rotated", "revoked"


class KeyRefused(AuditError):
    """The registry, as of this point of the log, does not accept the event's key."""


@dataclass
class _Actor:
    account: str
    role: str
    keys: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # key id -> (key, status)
    active: bool = True

    def add_key(self, public_key: bytes) -> None:
        for kid, (key, status) in self.keys.items():
            if status == CURRENT:
                self.keys[kid] = (key, ROTATED)
        self.keys[key_id(public_key)] = (public_key, CURRENT)


def _public_key(value: object) -> bytes:
    if not isinstance(value, str):
        raise KeyRefused("public_key is not a string")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise KeyRefused("public_key is not base64") from None
    if len(raw) != 32:
        raise KeyRefused(f"public_key has {len(raw)} bytes, not 32")
    return raw


def _data(envelope: Mapping[str, Any]) -> Mapping[str, Any]:
    data = envelope.get("data")
    if not isinstance(data, Mapping):
        raise KeyRefused("envelope data is not an object")
    return data


class KeyRegistry:
    """Which key each actor may sign with, as of the events applied so far."""

    def __init__(self) -> None:
        self._actors: dict[str, _Actor] = {}
        self._by_subject: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self._actors)

    def _is_genesis(self, envelope: Mapping[str, Any]) -> bool:
        return (
            envelope.get("type") == "actor.register"
            and envelope.get("actor") == PLATFORM_ACCOUNT
            and _data(envelope).get("account") == PLATFORM_ACCOUNT
            and PLATFORM_ACCOUNT not in self._actors
        )

    def key_for(self, envelope: Mapping[str, Any], kid: str) -> bytes:
        """The public key `kid` names, if the envelope's actor may sign with it now.

        Raises KeyRefused saying why not.
        """
        if self._is_genesis(envelope):
            key = _public_key(_data(envelope).get("public_key"))
            if key_id(key) != kid:
                raise KeyRefused("genesis must be signed by the key it registers")
            return key
        account = envelope.get("actor")
        actor = self._actors.get(account) if isinstance(account, str) else None
        if actor is None:
            raise KeyRefused(f"actor {account!r} is not registered at this point of the log")
        if not actor.active:
            raise KeyRefused(f"actor {account} was deactivated before this event")
        if envelope.get("role") != actor.role:
            raise KeyRefused(
                f"actor {account} is registered as {actor.role}, signed as {envelope.get('role')}"
            )
        entry = actor.keys.get(kid)
        if entry is None:
            raise KeyRefused(f"key {kid} is not a key of actor {account}")
        key, status = entry
        if status == ROTATED:
            raise KeyRefused(f"key {kid} of actor {account} was rotated out before this event")
        if status == REVOKED:
            raise KeyRefused(f"key {kid} of actor {account} was revoked before this event")
        return key

    def registered_role(self, account: object) -> str | None:
        """The role `account` was registered with, or None if it is not registered (yet).

        Authorisation uses this role, not the envelope's: `key_for` refuses an envelope whose
        role differs from it, and the genesis, the one event of an unregistered actor that
        `key_for` accepts, is authorised by the key it registers.
        """
        actor = self._actors.get(account) if isinstance(account, str) else None
        return None if actor is None else actor.role

    def apply(self, envelope: Mapping[str, Any]) -> None:
        """Feed a valid event to the registry (events of other types are ignored).

        Raises KeyRefused when a key event cannot be applied (unknown actor or key).
        """
        kind = envelope.get("type")
        if not isinstance(kind, str) or not kind.startswith("actor."):
            return
        data = _data(envelope)
        if kind == "actor.register":
            account, role = data.get("account"), data.get("role")
            if not isinstance(account, str) or not isinstance(role, str):
                raise KeyRefused("registration without account or role")
            actor = _Actor(account, role)
            actor.add_key(_public_key(data.get("public_key")))
            self._actors[account] = actor
            self._by_subject[str(envelope.get("subject"))] = account
            return
        account = self._by_subject.get(str(envelope.get("subject")))
        target = self._actors.get(account) if account is not None else None
        if target is None:
            raise KeyRefused(f"{kind} for an actor record that was never registered")
        if kind == "actor.rotate_key":
            target.add_key(_public_key(data.get("public_key")))
        elif kind == "actor.revoke_key":
            kid = data.get("key_id")
            if not isinstance(kid, str) or kid not in target.keys:
                raise KeyRefused(f"revocation of key {kid!r}, not a key of {target.account}")
            target.keys[kid] = (target.keys[kid][0], REVOKED)
        elif kind == "actor.deactivate":
            target.active = False
        elif kind == "actor.change_rights":
            role = data.get("role", target.role)
            if not isinstance(role, str):
                raise KeyRefused(f"change of rights of {target.account} to a role that is no text")
            target.role = role
