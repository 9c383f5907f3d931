"""The port the API authenticates through. ops wires the adapter (the credential store)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.identity.caller import Caller

__all__ = [
    "Authenticator",
    "IdentityError",
    "LockedOut",
    "SessionGrant",
    "Unauthenticated",
]


class IdentityError(Exception):
    """Base of the identity errors; the message is one line, safe to show the caller."""


class Unauthenticated(IdentityError):
    """No valid credential: unknown login, wrong password, unknown, expired or revoked token or
    session, disabled account (HTTP 401). The message never says which."""


class LockedOut(IdentityError):
    """Too many failed logins for this login: refused until `until` (HTTP 429)."""

    def __init__(self, message: str, *, until: datetime) -> None:
        super().__init__(message)
        self.until = until


@dataclass(frozen=True)
class SessionGrant:
    """A browser session: the opaque cookie value (shown once, stored only as a hash), the CSRF
    token the pages echo in form posts, and when the session ends."""

    cookie: str
    csrf: str
    expires: datetime
    caller: Caller


class Authenticator(Protocol):
    """Turns a credential into a Caller; records each use in the security log."""

    def login(self, login: str, password: str, *, source: str) -> SessionGrant:
        """Check a password; a new session. Unauthenticated or LockedOut."""

    def session(self, cookie: str) -> tuple[Caller, str]:
        """The caller of a session cookie and the session's CSRF token. Unauthenticated."""

    def logout(self, cookie: str) -> None:
        """End the session (unknown cookies are ignored)."""

    def bearer(self, token: str, *, source: str) -> Caller:
        """The caller of an API token (`Authorization: Bearer …`). Unauthenticated."""
