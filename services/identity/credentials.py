"""The credential store: the port through which services/identity keeps what must never enter
the immutable log (ops/identity_store.py implements it on SQLAlchemy; ops/bootstrap.py wires it).

It holds, per login: the argon2id password hash and whether the account is disabled; the
failed-login counter and the lockout; API tokens and browser sessions, each only as the SHA-256
of its secret; and the security log, an append-only table of what happened to credentials.
Times are aware datetimes; the store keeps them as ISO 8601 text with their offset.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

__all__ = [
    "SECURITY_KINDS",
    "Credential",
    "CredentialStore",
    "SecurityEvent",
    "SessionRecord",
    "TokenRecord",
]

# What the security log records (one row per event, never updated or deleted).
SECURITY_KINDS = (
    "login_ok",
    "login_failed",
    "locked_out",
    "token_issued",
    "token_used",
    "token_refused",
    "token_revoked",
    "session_ended",
    "rights_changed",
    "account_added",
    "account_disabled",
    "password_reset",
)


@dataclass(frozen=True)
class Credential:
    """An account's password credential (the account itself is its actor in the log)."""

    login: str
    password_hash: str  # argon2id, PHC string format
    disabled: bool
    one_time: bool  # the password was issued by an administrator (add, reset-password)
    created: datetime


@dataclass(frozen=True)
class TokenRecord:
    """An API token as the store knows it: never the token, only its hash."""

    id: str
    login: str
    scope: str  # read | write
    created: datetime
    expires: datetime
    revoked: datetime | None
    last_used: datetime | None


@dataclass(frozen=True)
class SessionRecord:
    login: str
    csrf: str
    created: datetime
    expires: datetime


@dataclass(frozen=True)
class SecurityEvent:
    seq: int
    at: datetime
    login: str
    kind: str  # one of SECURITY_KINDS
    source: str  # "cli", or the API client's address
    detail: str


class CredentialStore(Protocol):
    # -- passwords ------------------------------------------------------------------------

    def credential(self, login: str) -> Credential | None: ...

    def credentials(self) -> list[Credential]:
        """Every credential, by login."""
        ...

    def add_credential(self, login: str, password_hash: str, *, at: datetime) -> None:
        """A new one-time credential; KeyError if `login` has one already."""
        ...

    def set_password(self, login: str, password_hash: str, *, one_time: bool) -> None: ...

    def set_disabled(self, login: str, disabled: bool) -> None: ...

    # -- failed logins ----------------------------------------------------------------------

    def locked_until(self, login: str) -> datetime | None:
        """The end of the lockout of `login` (any login, known or not), if one was set."""
        ...

    def count_failure(self, login: str, *, at: datetime, limit: int, lock: timedelta) -> bool:
        """Count a failed login atomically; at the `limit`-th failure in a row lock the login
        until `at + lock` and restart the count. True when this failure locked it."""
        ...

    def clear_failures(self, login: str) -> None: ...

    # -- API tokens -------------------------------------------------------------------------

    def add_token(self, token: TokenRecord, token_hash: str) -> None: ...

    def token(self, token_hash: str) -> TokenRecord | None: ...

    def tokens(self, login: str | None = None) -> list[TokenRecord]: ...

    def token_by_id(self, id: str) -> TokenRecord | None: ...

    def revoke_token(self, id: str, *, at: datetime) -> None: ...

    def touch_token(self, id: str, *, at: datetime) -> None: ...

    # -- browser sessions -------------------------------------------------------------------

    def add_session(self, session_hash: str, session: SessionRecord) -> None: ...

    def session(self, session_hash: str) -> SessionRecord | None: ...

    def end_session(self, session_hash: str) -> SessionRecord | None:
        """Delete the session; the ended session, or None if there was none."""
        ...

    def end_sessions(self, login: str) -> int:
        """End every session of `login`; how many there were."""
        ...

    # -- the security log -------------------------------------------------------------------

    def log(self, *, at: datetime, login: str, kind: str, source: str, detail: str = "") -> None:
        """Append one row to the security log."""
        ...

    def security_log(self, login: str | None = None, limit: int = 1000) -> list[SecurityEvent]:
        """The last `limit` rows (of `login`), oldest first."""
        ...
