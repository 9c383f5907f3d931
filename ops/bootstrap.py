"""The composition root: the only place that wires concrete adapters together.

`build` first makes the data directory private (ops.home: umask 077, home 0700, looser modes
tightened), then opens the vault's key store apart from the event store, moving keys kept in
the event store's database by earlier versions (ledger.vault_migration), then the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from eventsourcing.utils import get_topic
from sqlalchemy import create_engine

from domain.application import Records
from ledger.notary import Ed25519Notary
from ledger.privacy import Vault
from ledger.vault_migration import move_keys
from ops.home import secure_home
from ops.intake import Intake, Principal
from ops.keystore import Keystore
from ops.recorders import GatedSQLiteRecorder, PostgresRecordsRecorder
from ops.schemas import CatalogSchemas
from ops.sealing import catalog_sealer, person_matcher
from ops.settings import Settings


def store_env(settings: Settings) -> dict[str, str]:
    """eventsourcing's persistence settings for the configured event store, with the
    recorders that keep command ids unique (ops.recorders)."""
    if settings.is_postgres:
        url = urlparse(settings.database_url.replace("+psycopg", ""))
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": url.path.lstrip("/"),
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": url.username or "postgres",
            "POSTGRES_PASSWORD": url.password or "",
            "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
            "APPLICATION_RECORDER_TOPIC": get_topic(PostgresRecordsRecorder),
            # Not POSTGRES_ENABLE_DB_FUNCTIONS: that insert function writes no command ids
            # (the recorder refuses it) and takes no table lock. The plain path locks the
            # events table before drawing ids, so ids become visible in id order and a follower
            # passes a gap at once (domain.log_reader, tests/store/test_log_order.py). Its
            # psycopg pipeline hangs on one save of >15k events, so Records caps a batch.
            "CREATE_TABLE": "y",
        }
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return sqlite_env(str(settings.sqlite_path))


def sqlite_env(dbname: str) -> dict[str, str]:
    """The SQLite store at `dbname` (a path, or ":memory:")."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "APPLICATION_RECORDER_TOPIC": get_topic(GatedSQLiteRecorder),
        "SQLITE_DBNAME": dbname,
        "SQLITE_LOCK_TIMEOUT": "30",
        "CREATE_TABLE": "y",
    }


@dataclass
class Platform:
    """Everything a CLI command or the API needs, built from settings."""

    settings: Settings
    records: Records
    keystore: Keystore
    schemas: CatalogSchemas
    vault: Vault

    def intake(self, principal: Principal | None = None) -> Intake:
        """The command intake, sealing personal data before anything is signed; it signs
        unsigned lines only for `principal` (None: pre-signed lines only)."""
        return Intake(
            self.records,
            self.keystore,
            sealer=catalog_sealer(self.vault),
            principal=principal,
            same_person=person_matcher(self.vault),
            zone=self.settings.zone,
        )

    def close(self) -> None:
        self.records.close()
        self.vault.close()


def build(settings: Settings) -> Platform:
    secure_home(settings)
    vault = open_vault(settings)
    schemas = CatalogSchemas()
    records = Records(Ed25519Notary(), schemas, env=store_env(settings), skew=settings.clock_skew)
    return Platform(settings, records, Keystore(settings.keys_dir), schemas, vault)


def open_vault(settings: Settings) -> Vault:
    """The vault on its own key store, holding every key earlier versions kept in the event
    store's database (moved, then removed there)."""
    vault = Vault(settings.vault_sqlalchemy_url)
    if settings.is_postgres or settings.sqlite_path.exists():
        source = create_engine(settings.sqlalchemy_url)
        try:
            move_keys(source, vault)
        finally:
            source.dispose()
    return vault
