"""A small in-memory Authenticator: fixed tokens, passwords and sessions mapped to Callers."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from services.identity.caller import Caller
from services.identity.port import LockedOut, SessionGrant, Unauthenticated

LOCK_AFTER = 3


@dataclass
class FakeAuthenticator:
    """Tokens and logins (login → password and caller) known in advance; sessions made by
    `login`; locked out after LOCK_AFTER failed logins in a row."""

    tokens: dict[str, Caller] = field(default_factory=dict)
    logins: dict[str, tuple[str, Caller]] = field(default_factory=dict)
    sessions: dict[str, tuple[Caller, str]] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    seen: list[tuple[str, str]] = field(default_factory=list)  # (what, source)

    def login(self, login: str, password: str, *, source: str) -> SessionGrant:
        self.seen.append(("login", source))
        if self.failures.get(login, 0) >= LOCK_AFTER:
            raise LockedOut(
                "too many failed logins", until=datetime.now(UTC) + timedelta(minutes=5)
            )
        known = self.logins.get(login)
        if known is None or known[0] != password:
            self.failures[login] = self.failures.get(login, 0) + 1
            raise Unauthenticated("wrong login or password")
        self.failures.pop(login, None)
        cookie, csrf = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        caller = Caller(
            known[1].account,
            known[1].role,
            known[1].jurisdiction,
            known[1].enterprises,
            known[1].scope,
            via="session",
        )
        self.sessions[cookie] = (caller, csrf)
        return SessionGrant(cookie, csrf, datetime.now(UTC) + timedelta(hours=8), caller)

    def session(self, cookie: str) -> tuple[Caller, str]:
        found = self.sessions.get(cookie)
        if found is None:
            raise Unauthenticated("no such session")
        return found

    def logout(self, cookie: str) -> None:
        self.sessions.pop(cookie, None)

    def bearer(self, token: str, *, source: str) -> Caller:
        self.seen.append(("bearer", source))
        found = self.tokens.get(token)
        if found is None:
            raise Unauthenticated("unknown token")
        return found
