"""Accounts: the unified identity (统一身份认证) behind the Authenticator port, and its
administration.

An account is an actor of the log (domain/actor.py): the login is the actor's account, so the
person who logs in and the identity that signs are one. The actor's role, jurisdiction,
enterprise bindings and status are events in the log and are read from it at every request (no
cache: a rights change or a deactivation binds the next request). The credentials (argon2id
password hash, API tokens and sessions as SHA-256 hashes, the failed-login counter) and the
security log live in the CredentialStore, never in the log.

    add             registers the actor (custody "platform": the platform signs for it with a
                    key derived for the account), then a one-time password
    change_rights   actor.change_rights (role, jurisdiction, enterprises)
    disable         actor.deactivate, the credential disabled, its sessions ended
    reset_password  a new one-time password, sessions ended, lockout lifted

Each is signed by `by`: the platform (the command line on the platform's machine) or an admin
account (through the API), custodially, under the domain's rules for admins.

Login: after `policy.failures` failed logins in a row a login is locked for `policy.lock`
(unknown logins too, so a lockout says nothing about whether a login exists); a wrong password,
an unknown login and a disabled account get one message.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from domain.actor import PLATFORM_ACCOUNT, Actor
from domain.clocks import CST
from domain.errors import NotFound
from domain.ids import actor_id
from domain.regions import covers
from services.identity.caller import (
    ADMIN,
    CALLER_ROLES,
    ENTERPRISE,
    SCOPES,
    WRITE,
    Caller,
)
from services.identity.credentials import (
    Credential,
    CredentialStore,
    SecurityEvent,
    SessionRecord,
    TokenRecord,
)
from services.identity.passwords import Passwords, one_time_password
from services.identity.port import (
    IdentityError,
    LockedOut,
    SessionGrant,
    Unauthenticated,
)
from services.ingest.batches import LineRefused
from services.ingest.principal import Principal
from services.ingest.service import Ingest

__all__ = [
    "AccountError",
    "AccountExists",
    "AccountView",
    "Accounts",
    "InvalidAccount",
    "IssuedToken",
    "LockoutPolicy",
    "NewPassword",
    "NotAdministrator",
    "UnknownAccount",
    "UnknownToken",
]

LOGIN = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
LOGIN_FAILED = "login failed: unknown login, wrong password or disabled account"
NO_SESSION = "no valid session: log in again"
NO_TOKEN = "no valid token: unknown, expired or revoked, or its account is disabled"  # noqa: S105
SESSION_TTL = timedelta(hours=8)
MAX_TOKEN_TTL = timedelta(days=366)
MIN_PASSWORD = 12
TOKEN_PREFIX = "anj_"  # noqa: S105 (the prefix that marks an Anjian token, no secret)

Clock = Callable[[], datetime]


class AccountError(IdentityError):
    """An administration request refused; nothing was written."""


class UnknownAccount(AccountError):
    pass


class AccountExists(AccountError):
    pass


class InvalidAccount(AccountError):
    """A malformed request: login, role, scope, lifetime or password."""


class UnknownToken(AccountError):
    pass


class NotAdministrator(AccountError):
    """`by` may not administer this account's credentials."""


@dataclass(frozen=True)
class LockoutPolicy:
    failures: int = 5  # failed logins in a row that lock a login
    lock: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class NewPassword:
    """A one-time password, shown once to the administrator who hands it over."""

    login: str
    password: str


@dataclass(frozen=True)
class IssuedToken:
    """An API token, shown once: the store keeps only its hash."""

    token: str
    record: TokenRecord


@dataclass(frozen=True)
class AccountView:
    """An account as the log and the credential store describe it."""

    login: str
    role: str
    name: str
    jurisdiction: str
    enterprises: tuple[str, ...]
    status: str  # the actor's: active | deactivated
    disabled: bool
    one_time: bool
    created: datetime


def secret_hash(secret: str) -> str:
    """How tokens and session cookies are stored: hex SHA-256 of the secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


class Accounts:
    """The Authenticator (services.identity.port) and account administration."""

    def __init__(
        self,
        ingest: Ingest,
        store: CredentialStore,
        *,
        clock: Clock | None = None,
        zone: tzinfo = CST,
        passwords: Passwords | None = None,
        policy: LockoutPolicy = LockoutPolicy(),
        session_ttl: timedelta = SESSION_TTL,
    ) -> None:
        self.ingest = ingest
        self.store = store
        self.clock: Clock = clock if clock is not None else (lambda: datetime.now(UTC))
        self.zone = zone
        self.passwords = passwords if passwords is not None else Passwords()
        self.policy = policy
        self.session_ttl = session_ttl

    def _now(self) -> datetime:
        return self.clock().astimezone(self.zone)

    def _log(self, login: str, kind: str, source: str, detail: str = "") -> None:
        self.store.log(at=self._now(), login=login[:64], kind=kind, source=source, detail=detail)

    # -- the Authenticator port -----------------------------------------------------------------

    def login(self, login: str, password: str, *, source: str) -> SessionGrant:
        now = self._now()
        login = login[:64]
        until = self.store.locked_until(login)
        if until is not None and until > now:
            self._log(login, "locked_out", source, "login refused while locked")
            raise LockedOut(_locked_message(until), until=until)
        cred = self.store.credential(login)
        if not self.passwords.verify(cred.password_hash if cred else None, password):
            locked = self.store.count_failure(
                login, at=now, limit=self.policy.failures, lock=self.policy.lock
            )
            self._log(login, "login_failed", source, "unknown login" if cred is None else "")
            if locked:
                until = now + self.policy.lock
                self._log(login, "locked_out", source, f"{self.policy.failures} failures in a row")
                raise LockedOut(_locked_message(until), until=until)
            raise Unauthenticated(LOGIN_FAILED)
        assert cred is not None  # verify is False for an unknown login
        try:
            caller = self._caller(login, WRITE, "session")
        except Unauthenticated as exc:
            self._log(login, "login_failed", source, str(exc))
            raise Unauthenticated(LOGIN_FAILED) from None
        self.store.clear_failures(login)
        if self.passwords.needs_rehash(cred.password_hash):
            self.store.set_password(login, self.passwords.hash(password), one_time=cred.one_time)
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        expires = now + self.session_ttl
        self.store.add_session(secret_hash(cookie), SessionRecord(login, csrf, now, expires))
        self._log(login, "login_ok", source)
        return SessionGrant(cookie=cookie, csrf=csrf, expires=expires, caller=caller)

    def session(self, cookie: str) -> tuple[Caller, str]:
        key = secret_hash(cookie)
        rec = self.store.session(key)
        if rec is None:
            raise Unauthenticated(NO_SESSION)
        if rec.expires <= self._now():
            self.store.end_session(key)
            raise Unauthenticated(NO_SESSION)
        try:
            return self._caller(rec.login, WRITE, "session"), rec.csrf
        except Unauthenticated:
            raise Unauthenticated(NO_SESSION) from None

    def logout(self, cookie: str) -> None:
        ended = self.store.end_session(secret_hash(cookie))
        if ended is not None:
            self._log(ended.login, "session_ended", "session", "logout")

    def bearer(self, token: str, *, source: str) -> Caller:
        rec = self.store.token(secret_hash(token))
        if rec is None:
            raise Unauthenticated(NO_TOKEN)
        now = self._now()
        why = "revoked" if rec.revoked is not None else "expired" if rec.expires <= now else ""
        if not why:
            try:
                caller = self._caller(rec.login, rec.scope, "token")
            except Unauthenticated as exc:
                why = str(exc)
        if why:
            self._log(rec.login, "token_refused", source, f"token {rec.id}: {why}")
            raise Unauthenticated(NO_TOKEN)
        self.store.touch_token(rec.id, at=now)
        self._log(rec.login, "token_used", source, f"token {rec.id}")
        return caller

    def _caller(self, login: str, scope: str, via: str) -> Caller:
        """The caller `login` is now, as the log says; Unauthenticated with the reason (for
        the security log, never for the caller) when it may not act."""
        cred = self.store.credential(login)
        if cred is None or cred.disabled:
            raise Unauthenticated("account disabled" if cred else "no credential")
        actor = self._actor(login)
        if actor is None or actor.status != "active":
            raise Unauthenticated("actor deactivated" if actor else "actor not registered")
        if actor.role not in CALLER_ROLES:
            raise Unauthenticated(f"role {actor.role} does not log in")
        return Caller(
            account=login,
            role=actor.role,
            jurisdiction=actor.jurisdiction,
            enterprises=frozenset(actor.enterprises),
            scope=scope,
            via=via,
        )

    def _actor(self, login: str) -> Actor | None:
        try:
            return self.ingest.records.load(actor_id(login), Actor)
        except NotFound:
            return None

    # -- administration -------------------------------------------------------------------------

    def add(
        self,
        login: str,
        role: str,
        region: str,
        *,
        enterprises: Sequence[str] = (),
        name: str | None = None,
        by: str = PLATFORM_ACCOUNT,
        channel: str = "cli",
        source: str = "cli",
    ) -> NewPassword:
        """Register `login` as an actor signed for by the platform, with a one-time password."""
        if not LOGIN.fullmatch(login):
            raise InvalidAccount(
                f"a login is 2 to 64 of a-z 0-9 . _ -, starting with a letter or digit: {login!r}"
            )
        if role not in CALLER_ROLES:
            raise InvalidAccount(f"role must be one of {', '.join(CALLER_ROLES)}, got {role!r}")
        bound = list(dict.fromkeys(enterprises))
        if role == ENTERPRISE and not bound:
            raise InvalidAccount("an enterprise account is bound to one or more USCCs")
        if role != ENTERPRISE and bound:
            raise InvalidAccount(f"a {role} account is bound to no enterprise")
        if self.store.credential(login) is not None:
            raise AccountExists(f"account {login} exists already")
        data: dict[str, Any] = {
            "account": login,
            "role": role,
            "name": name or login,
            "jurisdiction": region,
            "public_key": self.ingest.custody.custodial(login).public_key_b64,
            "custody": "platform",
        }
        if bound:
            data["enterprises"] = bound
        self._record("actor.register", login, region, data, by=by, channel=channel)
        password = one_time_password()
        self.store.add_credential(login, self.passwords.hash(password), at=self._now())
        detail = f"role {role}, jurisdiction {region}" + (
            f", enterprises {' '.join(bound)}" if bound else ""
        )
        self._log(login, "account_added", source, f"{detail}, by {by}")
        return NewPassword(login, password)

    def change_rights(
        self,
        login: str,
        *,
        reason: str,
        role: str | None = None,
        region: str | None = None,
        enterprises: Sequence[str] | None = None,
        by: str = PLATFORM_ACCOUNT,
        channel: str = "cli",
        source: str = "cli",
    ) -> None:
        """Record actor.change_rights for `login`: it binds the account's next request."""
        self._credential(login)
        if role is not None and role not in CALLER_ROLES:
            raise InvalidAccount(f"role must be one of {', '.join(CALLER_ROLES)}, got {role!r}")
        data: dict[str, Any] = {"reason": reason}
        if role is not None:
            data["role"] = role
        if region is not None:
            data["jurisdiction"] = region
        if enterprises is not None:
            data["enterprises"] = list(dict.fromkeys(enterprises))
        actor = self._actor(login)
        where = actor.region if actor is not None else region or ""
        self._record("actor.change_rights", login, where, data, by=by, channel=channel)
        changed = ", ".join(f"{k} {v}" for k, v in data.items() if k != "reason")
        self._log(login, "rights_changed", source, f"{changed}, by {by}: {reason}")

    def disable(
        self,
        login: str,
        *,
        reason: str,
        by: str = PLATFORM_ACCOUNT,
        channel: str = "cli",
        source: str = "cli",
    ) -> None:
        """Deactivate the actor (an event), disable the credential, end its sessions."""
        cred = self._credential(login)
        self._administers(by, login)
        if cred.disabled:
            raise AccountError(f"account {login} is disabled already")
        actor = self._actor(login)
        if actor is not None and actor.status == "active":
            self._record(
                "actor.deactivate", login, actor.region, {"reason": reason}, by=by, channel=channel
            )
        self.store.set_disabled(login, True)
        ended = self.store.end_sessions(login)
        self._log(login, "account_disabled", source, f"by {by}: {reason}; {ended} session(s) ended")

    def reset_password(
        self, login: str, *, by: str = PLATFORM_ACCOUNT, source: str = "cli"
    ) -> NewPassword:
        """A new one-time password; the account's sessions end and its lockout is lifted."""
        cred = self._credential(login)
        self._administers(by, login)
        if cred.disabled:
            raise AccountError(f"account {login} is disabled")
        password = one_time_password()
        self.store.set_password(login, self.passwords.hash(password), one_time=True)
        self.store.clear_failures(login)
        ended = self.store.end_sessions(login)
        self._log(login, "password_reset", source, f"by {by}; {ended} session(s) ended")
        return NewPassword(login, password)

    def change_password(self, login: str, old: str, new: str, *, source: str) -> None:
        """The account holder replaces its (one-time) password."""
        cred = self.store.credential(login)
        if cred is None or cred.disabled or not self.passwords.verify(cred.password_hash, old):
            raise Unauthenticated(LOGIN_FAILED)
        if len(new) < MIN_PASSWORD or new == old:
            raise InvalidAccount(f"a new password has {MIN_PASSWORD} characters or more")
        self.store.set_password(login, self.passwords.hash(new), one_time=False)
        self._log(login, "password_reset", source, "changed by the account holder")

    def accounts(self) -> list[AccountView]:
        out = []
        for cred in self.store.credentials():
            actor = self._actor(cred.login)
            out.append(
                AccountView(
                    login=cred.login,
                    role=actor.role if actor else "",
                    name=actor.name if actor else "",
                    jurisdiction=actor.jurisdiction if actor else "",
                    enterprises=actor.enterprises if actor else (),
                    status=actor.status if actor else "unregistered",
                    disabled=cred.disabled,
                    one_time=cred.one_time,
                    created=cred.created,
                )
            )
        return out

    # -- API tokens -----------------------------------------------------------------------------

    def create_token(
        self,
        login: str,
        *,
        scope: str,
        ttl: timedelta,
        by: str = PLATFORM_ACCOUNT,
        source: str = "cli",
    ) -> IssuedToken:
        """An opaque API token for `login` with `scope`, expiring after `ttl`."""
        if scope not in SCOPES:
            raise InvalidAccount(f"scope must be read or write, got {scope!r}")
        if not timedelta(0) < ttl <= MAX_TOKEN_TTL:
            raise InvalidAccount(f"a token lives more than 0 and at most {MAX_TOKEN_TTL.days} days")
        self._credential(login)
        if by not in (PLATFORM_ACCOUNT, login):
            raise NotAdministrator(
                f"{by} may not issue a token for {login}: a token acts as its account, so only "
                "the account itself or the platform issues one"
            )
        try:
            self._caller(login, scope, "token")
        except Unauthenticated as exc:
            raise AccountError(f"account {login} cannot hold a token: {exc}") from None
        now = self._now()
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        record = TokenRecord(secrets.token_hex(6), login, scope, now, now + ttl, None, None)
        self.store.add_token(record, secret_hash(token))
        self._log(
            login, "token_issued", source,
            f"token {record.id}, scope {scope}, expires {record.expires.isoformat()}, by {by}",
        )  # fmt: skip
        return IssuedToken(token, record)

    def tokens(self, login: str | None = None) -> list[TokenRecord]:
        return self.store.tokens(login)

    def revoke_token(
        self, id: str, *, by: str = PLATFORM_ACCOUNT, source: str = "cli"
    ) -> TokenRecord:
        """Revoke token `id`; revoking a revoked token changes nothing."""
        record = self.store.token_by_id(id)
        if record is None:
            raise UnknownToken(f"no token {id}")
        if by != record.login:
            self._administers(by, record.login)
        if record.revoked is None:
            self.store.revoke_token(id, at=self._now())
            self._log(record.login, "token_revoked", source, f"token {id}, by {by}")
            record = self.store.token_by_id(id) or record
        return record

    def security_log(self, login: str | None = None, limit: int = 1000) -> list[SecurityEvent]:
        return self.store.security_log(login, limit)

    # -- helpers --------------------------------------------------------------------------------

    def _credential(self, login: str) -> Credential:
        cred = self.store.credential(login)
        if cred is None:
            raise UnknownAccount(f"no account {login}")
        return cred

    def _administers(self, by: str, login: str) -> None:
        """The platform administers every account; an admin those within its jurisdiction
        (never itself: its own credential is the platform's to reset)."""
        if by == PLATFORM_ACCOUNT:
            return
        admin, target = self._actor(by), self._actor(login)
        if (
            admin is None
            or admin.role != ADMIN
            or admin.status != "active"
            or by == login
            or target is None
            or not covers(admin.jurisdiction, target.jurisdiction)
        ):
            raise NotAdministrator(f"{by} does not administer the account {login}")

    def _record(
        self, type_: str, login: str, region: str, data: dict[str, Any], *, by: str, channel: str
    ) -> None:
        """Record one actor command about `login`, signed for `by` through `channel`; the
        domain's refusal is raised as it is (nothing is written)."""
        line = {
            "type": type_,
            "actor": by,
            "region": region,
            "subject": str(actor_id(login)),
            "data": data,
        }
        try:
            for _ in self.ingest.record([line], Principal(by, channel)):
                pass
        except LineRefused as exc:
            raise exc.cause from None


def _locked_message(until: datetime) -> str:
    return f"too many failed logins: locked until {until.isoformat(timespec='seconds')}"
