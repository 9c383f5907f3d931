"""The credential store on SQLAlchemy (services.identity.credentials.CredentialStore).

Its own database, never the event store's: by default the SQLite file keys/identity.sqlite in
the data directory (mode 0600 in a 0700 folder, opened like the vault's key store), or the
PostgreSQL database of ANJIAN_IDENTITY_URL. Tables are created on first open (as the vault's):

    identity_credentials   login, argon2id password hash, disabled, one-time, created
    identity_failures      failed logins in a row and the lockout, per login (known or not)
    identity_tokens        API tokens: id, SHA-256 of the token, login, scope, expiry, revoked
    identity_sessions      browser sessions: SHA-256 of the cookie, login, CSRF token, expiry
    identity_security_log  append-only (triggers refuse UPDATE and DELETE): time with its
                           offset, login, kind, source, detail

No secret is stored in the clear: a token or a session cookie is shown once and kept only as
its hash.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from ledger.privacy import key_store_engine
from services.identity.credentials import (
    Credential,
    SecurityEvent,
    SessionRecord,
    TokenRecord,
)

__all__ = ["SqlCredentials", "identity_engine", "metadata"]

metadata = MetaData()
LOGIN = String(64)
WHEN = String(40)  # ISO 8601 with the offset

credentials = Table(
    "identity_credentials",
    metadata,
    Column("login", LOGIN, primary_key=True),
    Column("password_hash", String(200), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("one_time", Boolean, nullable=False, default=True),
    Column("created", WHEN, nullable=False),
)
failures = Table(
    "identity_failures",
    metadata,
    Column("login", LOGIN, primary_key=True),
    Column("failures", Integer, nullable=False, default=0),
    Column("locked_until", WHEN),
)
tokens = Table(
    "identity_tokens",
    metadata,
    Column("id", String(24), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("login", LOGIN, nullable=False, index=True),
    Column("scope", String(8), nullable=False),
    Column("created", WHEN, nullable=False),
    Column("expires", WHEN, nullable=False),
    Column("revoked", WHEN),
    Column("last_used", WHEN),
)
sessions = Table(
    "identity_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("login", LOGIN, nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("created", WHEN, nullable=False),
    Column("expires", WHEN, nullable=False),
)
security_log = Table(
    "identity_security_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("at", WHEN, nullable=False),
    Column("login", LOGIN, nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("source", String(100), nullable=False),
    Column("detail", String(500), nullable=False),
)

APPEND_ONLY = "the security log is append-only"
_SQLITE_TRIGGERS = [
    f"CREATE TRIGGER IF NOT EXISTS identity_security_log_no_{op.lower()} BEFORE {op} ON "
    f"identity_security_log BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
    for op in ("UPDATE", "DELETE")
]
_POSTGRES_TRIGGERS = [
    "CREATE OR REPLACE FUNCTION identity_security_log_append_only() RETURNS trigger "
    f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$",
    "DROP TRIGGER IF EXISTS identity_security_log_append_only ON identity_security_log",
    "CREATE TRIGGER identity_security_log_append_only BEFORE UPDATE OR DELETE ON "
    "identity_security_log FOR EACH ROW EXECUTE FUNCTION identity_security_log_append_only()",
]


def identity_engine(url: str) -> Engine:
    """An engine on the credential store at `url` (a SQLite file is created 0600)."""
    return key_store_engine(url)


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


class SqlCredentials:
    """The credential store (services.identity.credentials.CredentialStore) on `engine`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        with engine.begin() as conn:
            metadata.create_all(conn)
            postgres = engine.dialect.name == "postgresql"
            for statement in _POSTGRES_TRIGGERS if postgres else _SQLITE_TRIGGERS:
                conn.execute(text(statement))

    # -- passwords ------------------------------------------------------------------------

    def credential(self, login: str) -> Credential | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(credentials).where(credentials.c.login == login)).first()
        return None if row is None else _credential(row._mapping)

    def credentials(self) -> list[Credential]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(credentials).order_by(credentials.c.login))
            return [_credential(r._mapping) for r in rows]

    def add_credential(self, login: str, password_hash: str, *, at: datetime) -> None:
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    insert(credentials).values(
                        login=login,
                        password_hash=password_hash,
                        disabled=False,
                        one_time=True,
                        created=at.isoformat(),
                    )
                )
        except IntegrityError:
            raise KeyError(login) from None

    def set_password(self, login: str, password_hash: str, *, one_time: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(credentials)
                .where(credentials.c.login == login)
                .values(password_hash=password_hash, one_time=one_time)
            )

    def set_disabled(self, login: str, disabled: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(credentials).where(credentials.c.login == login).values(disabled=disabled)
            )

    # -- failed logins --------------------------------------------------------------------

    def locked_until(self, login: str) -> datetime | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(failures.c.locked_until).where(failures.c.login == login)
            ).scalar()
        return _when(value)

    def count_failure(self, login: str, *, at: datetime, limit: int, lock: timedelta) -> bool:
        with self.engine.begin() as conn:
            # The UPDATE takes the row's (SQLite: the database's) write lock first, so two
            # concurrent failures never both read the same count.
            self._insert_ignore(conn, login)
            conn.execute(
                update(failures)
                .where(failures.c.login == login)
                .values(failures=failures.c.failures + 1)
            )
            count = conn.execute(
                select(failures.c.failures).where(failures.c.login == login)
            ).scalar_one()
            if count < limit:
                return False
            conn.execute(
                update(failures)
                .where(failures.c.login == login)
                .values(failures=0, locked_until=(at + lock).isoformat())
            )
            return True

    def _insert_ignore(self, conn: Connection, login: str) -> None:
        dialect_insert: Any = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        conn.execute(
            dialect_insert(failures)
            .values(login=login, failures=0, locked_until=None)
            .on_conflict_do_nothing(index_elements=["login"])
        )

    def clear_failures(self, login: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(failures).where(failures.c.login == login))

    # -- API tokens -----------------------------------------------------------------------

    def add_token(self, token: TokenRecord, token_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(tokens).values(
                    id=token.id,
                    token_hash=token_hash,
                    login=token.login,
                    scope=token.scope,
                    created=token.created.isoformat(),
                    expires=token.expires.isoformat(),
                    revoked=None,
                    last_used=None,
                )
            )

    def token(self, token_hash: str) -> TokenRecord | None:
        return self._token(tokens.c.token_hash == token_hash)

    def token_by_id(self, id: str) -> TokenRecord | None:
        return self._token(tokens.c.id == id)

    def _token(self, where: Any) -> TokenRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens).where(where)).first()
        return None if row is None else _token(row._mapping)

    def tokens(self, login: str | None = None) -> list[TokenRecord]:
        query = select(tokens).order_by(tokens.c.created, tokens.c.id)
        if login is not None:
            query = query.where(tokens.c.login == login)
        with self.engine.connect() as conn:
            return [_token(r._mapping) for r in conn.execute(query)]

    def revoke_token(self, id: str, *, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(tokens)
                .where(tokens.c.id == id, tokens.c.revoked.is_(None))
                .values(revoked=at.isoformat())
            )

    def touch_token(self, id: str, *, at: datetime) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(tokens).where(tokens.c.id == id).values(last_used=at.isoformat()))

    # -- browser sessions -----------------------------------------------------------------

    def add_session(self, session_hash: str, session: SessionRecord) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(sessions).values(
                    session_hash=session_hash,
                    login=session.login,
                    csrf=session.csrf,
                    created=session.created.isoformat(),
                    expires=session.expires.isoformat(),
                )
            )

    def session(self, session_hash: str) -> SessionRecord | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(sessions).where(sessions.c.session_hash == session_hash)
            ).first()
        return None if row is None else _session(row._mapping)

    def end_session(self, session_hash: str) -> SessionRecord | None:
        with self.engine.begin() as conn:
            row = conn.execute(
                select(sessions).where(sessions.c.session_hash == session_hash)
            ).first()
            if row is None:
                return None
            conn.execute(delete(sessions).where(sessions.c.session_hash == session_hash))
        return _session(row._mapping)

    def end_sessions(self, login: str) -> int:
        with self.engine.begin() as conn:
            return conn.execute(delete(sessions).where(sessions.c.login == login)).rowcount

    # -- the security log -----------------------------------------------------------------

    def log(self, *, at: datetime, login: str, kind: str, source: str, detail: str = "") -> None:
        with self.engine.begin() as conn:
            conn.execute(
                insert(security_log).values(
                    at=at.isoformat(),
                    login=login[:64],
                    kind=kind,
                    source=source[:100],
                    detail=detail[:500],
                )
            )

    def security_log(self, login: str | None = None, limit: int = 1000) -> list[SecurityEvent]:
        query = select(security_log).order_by(security_log.c.seq.desc()).limit(limit)
        if login is not None:
            query = query.where(security_log.c.login == login)
        with self.engine.connect() as conn:
            rows = [r._mapping for r in conn.execute(query)]
        return [
            SecurityEvent(r["seq"], _at(r["at"]), r["login"], r["kind"], r["source"], r["detail"])
            for r in reversed(rows)
        ]


def _credential(m: Any) -> Credential:
    return Credential(
        m["login"], m["password_hash"], bool(m["disabled"]), bool(m["one_time"]), _at(m["created"])
    )


def _token(m: Any) -> TokenRecord:
    return TokenRecord(
        m["id"],
        m["login"],
        m["scope"],
        _at(m["created"]),
        _at(m["expires"]),
        _when(m["revoked"]),
        _when(m["last_used"]),
    )


def _session(m: Any) -> SessionRecord:
    return SessionRecord(m["login"], m["csrf"], _at(m["created"]), _at(m["expires"]))
