"""The composition root: the only place that wires concrete adapters together."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from eventsourcing.utils import get_topic

from domain.application import Records
from ledger.notary import Ed25519Notary
from ledger.privacy import Vault
from ops.intake import Intake
from ops.keystore import Keystore
from ops.recorders import GatedSQLiteRecorder
from ops.schemas import CatalogSchemas
from ops.sealing import catalog_sealer
from ops.settings import Settings


def store_env(settings: Settings) -> dict[str, str]:
    """eventsourcing's persistence settings for the configured event store."""
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
            # Not POSTGRES_ENABLE_DB_FUNCTIONS: that insert path does not take the table lock,
            # so a lower notification id can commit after a higher one is visible, and a
            # follower could step over it for good. The plain path serialises writers; its
            # psycopg pipeline hangs on one save of >15k events, so Records caps a batch.
            "CREATE_TABLE": "y",
        }
    settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "APPLICATION_RECORDER_TOPIC": get_topic(GatedSQLiteRecorder),
        "SQLITE_DBNAME": str(settings.sqlite_path),
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

    def intake(self, channel: str | None = None) -> Intake:
        """The command intake, sealing personal data before anything is signed."""
        return Intake(
            self.records, self.keystore, sealer=catalog_sealer(self.vault), channel=channel
        )

    def close(self) -> None:
        self.records.close()
        self.vault.close()


def build(settings: Settings) -> Platform:
    schemas = CatalogSchemas()
    records = Records(Ed25519Notary(), schemas, env=store_env(settings), skew=settings.clock_skew)
    vault = Vault(settings.sqlalchemy_url)
    return Platform(settings, records, Keystore(settings.keys_dir), schemas, vault)
