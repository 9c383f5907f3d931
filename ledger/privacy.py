"""The PIPL vault: personal data enters the log only sealed, and can be crypto-shredded.

Each data subject (a person: certificate holder, complainant, …) gets a random 32-byte key and a
random 32-byte salt, stored in the table `vault_subjects` of the vault's OWN key store, a
database apart from the event log that holds the ciphertexts (by default a SQLite file in the
platform's keys directory, mode 0600; see ops.settings). The log carries only the sealed form
(domain.catalog.SEALED_PERSON):

    {"ref":        subject uuid (the vault row),
     "commitment": hex HMAC-SHA256(key=salt, msg=RFC 8785 canonical JSON of the person),
     "sealed":     base64(nonce[24] ‖ XChaCha20-Poly1305 ciphertext ‖ tag[16])}

The AEAD's associated data is b"anjian/vault/v1\\x00" ‖ ref (16 raw bytes), so a ciphertext
cannot be moved to another subject. A person is {"name": str, "id_number": str, "phone"?: str}.

`erase(ref)` deletes the key and salt (crypto-shredding). The log is untouched, so every event
hash, signature, Merkle proof and anchor stays valid, while the ciphertext can no longer be
opened and the salted commitment can no longer be tested against a guessed ID number (an
unsalted hash of an 18-digit ID number would be brute-forced in minutes). The erased bytes must
not survive in the store's files either: on SQLite the key store runs with `secure_delete`
(freed cells are zeroed) and its write-ahead log is checkpointed and truncated after each
erasure, so no frame keeps the old page; on PostgreSQL the
table is rewritten (VACUUM FULL) after each erasure, so no dead tuple keeps the old key (the
server's WAL archive and backups must then age out under the operator's retention policy).

Errors (all LedgerError)::

    VaultError
    ├── PersonFormatError   the value to seal is not a plain person
    ├── UnknownSubject      no vault row with that ref
    ├── SubjectErased       the subject was erased: nothing can be opened any more
    └── SealBroken          ciphertext or commitment does not verify (tampered or misplaced)
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import nacl.utils
from nacl.exceptions import CryptoError
from nacl.secret import Aead
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    LargeBinary,
    MetaData,
    Table,
    Uuid,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry

from ledger.canonical import canonical_bytes
from ledger.errors import LedgerError

__all__ = [
    "PersonFormatError",
    "SealBroken",
    "SubjectErased",
    "UnknownSubject",
    "Vault",
    "VaultError",
    "is_plain_person",
    "key_store_engine",
    "vault_subjects",
]

AAD_LABEL = b"anjian/vault/v1\x00"
KEY_SIZE = Aead.KEY_SIZE  # 32
SALT_SIZE = 32
PERSON_FIELDS = frozenset({"name", "id_number", "phone"})

metadata = MetaData()
vault_subjects = Table(
    "vault_subjects",
    metadata,
    Column("ref", Uuid(as_uuid=True), primary_key=True),
    Column("key", LargeBinary(KEY_SIZE), nullable=True),
    Column("salt", LargeBinary(SALT_SIZE), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True), nullable=True),
)


class VaultError(LedgerError):
    """Base class of the vault's errors."""


class PersonFormatError(VaultError, ValueError):
    """The value is not a plain person {"name", "id_number", "phone"?} of non-empty strings."""


class UnknownSubject(VaultError, LookupError):
    """No subject with this ref in the vault."""


class SubjectErased(VaultError):
    """The subject's key and salt were erased; its sealed data cannot be opened any more."""

    def __init__(self, ref: UUID, erased_at: datetime | None) -> None:
        self.ref = ref
        self.erased_at = erased_at
        super().__init__(f"subject {ref} was erased at {erased_at}; its data cannot be opened")


class SealBroken(VaultError):
    """The ciphertext or the commitment does not verify under the subject's key and salt."""


def is_plain_person(value: object) -> bool:
    """True for {"name", "id_number", "phone"?} with string values (what the sealer seals)."""
    return (
        isinstance(value, dict)
        and {"name", "id_number"} <= value.keys() <= PERSON_FIELDS
        and all(isinstance(v, str) for v in value.values())
    )


def _check_person(person: Mapping[str, Any]) -> bytes:
    if not is_plain_person(dict(person)):
        raise PersonFormatError(
            "a person is {name, id_number, phone?} of strings, got keys "
            f"{sorted(person) if isinstance(person, Mapping) else type(person).__name__}"
        )
    if not all(person.values()):
        raise PersonFormatError("a person's name, id_number and phone cannot be empty")
    return canonical_bytes(dict(person))


def _aad(ref: UUID) -> bytes:
    return AAD_LABEL + ref.bytes


def commitment(salt: bytes, canonical_person: bytes) -> str:
    return hmac.new(salt, canonical_person, hashlib.sha256).hexdigest()


def key_store_engine(url: str) -> Engine:
    """An engine on the vault's key store at `url`.

    A SQLite file is created mode 0600 (its folder 0700) before SQLite opens it, whatever the
    process umask; every connection zeroes what it deletes (`secure_delete`) and writes ahead
    (WAL, synchronous FULL: a seal costs one fsync, a third of a rollback journal's). The
    write-ahead log keeps the frames an erasure overwrote until a checkpoint: `Vault.erase`
    checkpoints and truncates it before it returns.
    """
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    path = url.removeprefix("sqlite:///")
    if path and path not in (url, ":memory:"):
        _create_private(Path(path))
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        cur = dbapi.cursor()
        cur.execute("PRAGMA secure_delete=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.close()

    return engine


def _create_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


class Vault:
    """Per-subject keys and salts in `vault_subjects`; seals, opens and erases persons."""

    def __init__(self, url_or_engine: str | Engine) -> None:
        """`url_or_engine`: a SQLAlchemy URL (sqlite:///FILE, postgresql+psycopg://…) or Engine
        of the key store, which must not be the event store's database.

        Creates the table if it does not exist.
        """
        self.engine = (
            key_store_engine(url_or_engine) if isinstance(url_or_engine, str) else url_or_engine
        )
        metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # -- sealing -------------------------------------------------------------------------------

    def seal(self, person: Mapping[str, Any], *, ref: UUID | None = None) -> dict[str, str]:
        """The sealed form of `person`, under a new subject or the existing subject `ref`."""
        plain = _check_person(person)
        if ref is None:
            ref = uuid4()
            key, salt = nacl.utils.random(KEY_SIZE), nacl.utils.random(SALT_SIZE)
            with self.engine.begin() as conn:
                conn.execute(
                    vault_subjects.insert().values(
                        ref=ref, key=key, salt=salt, created_at=datetime.now(UTC)
                    )
                )
        else:
            key, salt = self._secrets(ref)
        sealed = Aead(key).encrypt(plain, aad=_aad(ref))
        return {
            "ref": str(ref),
            "commitment": commitment(salt, plain),
            "sealed": base64.b64encode(bytes(sealed)).decode("ascii"),
        }

    def open(self, sealed: Mapping[str, Any]) -> dict[str, str]:
        """The person a sealed form holds; SubjectErased after erasure, SealBroken if altered."""
        ref = _ref(sealed)
        key, salt = self._secrets(ref)
        try:
            blob = base64.b64decode(str(sealed.get("sealed", "")), validate=True)
            plain = Aead(key).decrypt(blob, aad=_aad(ref))
        except (binascii.Error, CryptoError, ValueError):
            raise SealBroken(f"the sealed data of subject {ref} does not decrypt") from None
        if not hmac.compare_digest(commitment(salt, plain), str(sealed.get("commitment", ""))):
            raise SealBroken(f"the commitment of subject {ref} does not match its sealed data")
        person: dict[str, str] = json.loads(plain)
        return person

    def matches(self, sealed: Mapping[str, Any], person: Mapping[str, Any]) -> bool:
        """True when `person` is the one committed to (e.g. checking a presented identity)."""
        _, salt = self._secrets(_ref(sealed))
        return hmac.compare_digest(
            commitment(salt, _check_person(person)), str(sealed.get("commitment", ""))
        )

    def erase(self, ref: UUID | str) -> datetime:
        """Delete the subject's key and salt; returns when it was erased (idempotent)."""
        ref = UUID(str(ref))
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            done = conn.execute(
                update(vault_subjects)
                .where(vault_subjects.c.ref == ref, vault_subjects.c.erased_at.is_(None))
                .values(key=None, salt=None, erased_at=now)
            ).rowcount
        self._purge()  # also when erased before: completes a purge that found the log busy
        if done:
            return now
        erased = self.erased_at(ref)
        assert erased is not None  # no row was updated: erased already
        return erased

    def erased_at(self, ref: UUID | str) -> datetime | None:
        """When the subject was erased, None while its key is held; UnknownSubject if the
        vault never held it."""
        ref = UUID(str(ref))
        with self.engine.connect() as conn:
            row = conn.execute(
                select(vault_subjects.c.erased_at).where(vault_subjects.c.ref == ref)
            ).first()
        if row is None:
            raise UnknownSubject(f"no personal data subject {ref} in the vault")
        erased: datetime | None = row.erased_at
        if erased is not None and erased.tzinfo is None:
            erased = erased.replace(tzinfo=UTC)  # SQLite keeps no offset; stored as UTC
        return erased

    def _purge(self) -> None:
        """Leave no copy of erased keys in the store's files (see the module docstring)."""
        dialect = self.engine.dialect.name
        if dialect not in ("postgresql", "sqlite"):
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if dialect == "postgresql":
                conn.exec_driver_sql("VACUUM FULL vault_subjects")
                return
            busy = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").scalar()
        if busy:  # a reader kept an older snapshot: its frames may still hold the key
            raise VaultError("the erased key is still in the key store's write-ahead log; retry")

    def _secrets(self, ref: UUID) -> tuple[bytes, bytes]:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(
                    vault_subjects.c.key, vault_subjects.c.salt, vault_subjects.c.erased_at
                ).where(vault_subjects.c.ref == ref)
            ).first()
        if row is None:
            raise UnknownSubject(f"no personal data subject {ref} in the vault")
        if row.erased_at is not None or row.key is None or row.salt is None:
            raise SubjectErased(ref, row.erased_at)
        return bytes(row.key), bytes(row.salt)


def _ref(sealed: Mapping[str, Any]) -> UUID:
    try:
        return UUID(str(sealed["ref"]))
    except (KeyError, ValueError):
        raise SealBroken("a sealed person needs its ref (a uuid)") from None
