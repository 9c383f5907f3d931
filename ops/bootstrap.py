"""The composition root: the only place that wires concrete adapters together.

`build(settings, **overrides)` returns the `Platform`: everything a process needs for its
lifetime, opened once and closed once (it is a context manager). The CLI builds it once per
run; the API will build it in its lifespan; tests build it with overrides instead of
assembling the application by hand.

    Platform
    ├── records      domain.application.Records on the event store (eventsourcing: SQLite
    │                file under ANJIAN_HOME, or PostgreSQL), with the recorders that keep
    │                command ids unique (ops/recorders.py)
    ├── ingest       services.ingest.service.Ingest: the keystore as its Custody port, the
    │                vault's sealer and matcher, the time zone of the settings, the log key as
    │                its ReceiptSigner port (ledger.receipt.ReceiptNotary)
    ├── vault        ledger.privacy.Vault on its own key store (never the event store's database)
    ├── readmodels   services.readmodels.ReadModels: the read-model store and its follower
    │                (opened on first use: a command that reads no read model never migrates it)
    ├── ledger       services.ledger.stores.Ledger: log, checkpoints and anchors, the log's
    │                signer, the chain (ops/chain.py), the witnesses of ANJIAN_WITNESSES
    │                (ops/witness_client.py), the sync lock (opened on first use)
    ├── nats         ops.nats_server.NatsEndpoint: the NATS URL(s) and the platform's connect
    │                options (ops/nats_access.py); the embedded nats-server is started on first
    │                use and stopped by close()
    ├── stream       streams.relay.Relay: the follower publishing every event to the JetStream
    │                stream ANJIAN_EVENTS on `nats`, its position in the event store's
    │                database (opened on first use; woken by each commit of `records`)
    └── identity     services.identity.accounts.Accounts: the Authenticator and account
                     administration, on the credential store of ANJIAN_IDENTITY_URL
                     (ops/identity_store.py; opened on first use)

One SQLAlchemy engine per database (`engines`): the event store's database holds the ledger's
tables (and, on PostgreSQL, the read models); the embedded SQLite read models live in a file of
their own beside it (projections.store); the vault's key store is another database, and so is
the credential store.

`build` first makes the data directory private (ops.home: umask 077, home 0700, looser modes
tightened), checks the signing keys' directory (ops.key_directory: ANJIAN_KEYS_DIR), then opens
the vault's key store apart from the event store, moving keys kept in
the event store's database by earlier versions (ledger.vault_migration), then the rest.

The PostgreSQL recorder inserts through eventsourcing's plain path, not its DB functions
(POSTGRES_ENABLE_DB_FUNCTIONS is left unset, see `store_env`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from functools import cached_property
from types import TracebackType
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from eventsourcing.utils import get_topic
from sqlalchemy import Engine

from domain.application import Records
from ledger.log import MerkleLog, log_engine
from ledger.notary import Ed25519Notary
from ledger.note import Signer
from ledger.privacy import Vault, key_store_engine
from ledger.receipt import ReceiptNotary
from ledger.vault_migration import move_keys
from ops.chain import SettingsChain
from ops.file_lock import locked
from ops.home import secure_home
from ops.identity_store import SqlCredentials, identity_engine
from ops.key_directory import key_directory
from ops.keystore import Keystore
from ops.nats_server import EmbeddedNats, NatsEndpoint
from ops.recorders import GatedSQLiteRecorder, PostgresRecordsRecorder
from ops.schemas import CatalogSchemas
from ops.settings import Settings
from ops.witness_client import HttpWitness
from projections.follower import Projection, ReadModelFollower
from projections.registry import all_projections
from projections.store import create_store_engine, migrate, readmodels_url
from services.identity.accounts import Accounts
from services.ingest.intake import Intake
from services.ingest.principal import Principal
from services.ingest.sealing import catalog_sealer, person_matcher
from services.ingest.service import Ingest
from services.ledger.chain import Chain
from services.ledger.stores import Cadence, Ledger
from services.readmodels import ReadModels
from streams.position import Positions
from streams.relay import JetStreamPublisher, Relay
from streams.stream import StreamSettings

__all__ = ["Clock", "Platform", "build", "replay_records", "sqlite_env", "store_env"]

Clock = Callable[[], datetime]  # the platform's recorded time (aware UTC)


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


def replay_records(clock: Clock) -> Records:
    """A fresh write path on an in-memory SQLite store (keeping command ids, as every store
    Records writes to must), whose clock is `clock`: the ledger service's replay judges each
    stored command at the time it was recorded (services/ledger/replay.py)."""
    return Records(
        Ed25519Notary(verify_threads=0), CatalogSchemas(), env=sqlite_env(":memory:"), clock=clock
    )


class Platform:
    """Everything a process needs for its lifetime (see the module docstring). Close it once,
    or use it as a context manager."""

    def __init__(
        self,
        settings: Settings,
        *,
        keystore: Keystore,
        chain: Chain,
        clock: Clock | None,
        projections: Sequence[Projection] | None,
    ) -> None:
        self.settings = settings
        self.keystore = keystore
        self.chain = chain
        self.clock = clock
        self._projections = projections
        self._engines: dict[str, Engine] = {}
        self._nats_server: EmbeddedNats | None = None
        self.vault = Vault(self._engine(settings.vault_sqlalchemy_url, key_store_engine))
        if settings.is_postgres or settings.sqlite_path.exists():
            self._move_legacy_keys()
        self.schemas = CatalogSchemas()
        self.records = Records(
            Ed25519Notary(),
            self.schemas,
            env=store_env(settings),
            clock=clock,
            skew=settings.clock_skew,
        )
        self.ingest = Ingest(
            self.records,
            keystore,
            sealer=catalog_sealer(self.vault),
            same_person=person_matcher(self.vault),
            zone=ZoneInfo(settings.timezone),
            receipts=ReceiptNotary(lambda: self.log_signer),
        )

    # -- engines: one per database -------------------------------------------------------------

    def _engine(self, url: str, open_engine: Callable[[str], Engine]) -> Engine:
        engine = self._engines.get(url)
        if engine is None:
            engine = self._engines[url] = open_engine(url)
        return engine

    @property
    def engines(self) -> dict[str, Engine]:
        """The engines opened so far, by database URL (one per database)."""
        return dict(self._engines)

    @property
    def event_store_engine(self) -> Engine:
        """The event store's database: the ledger's tables (and on PostgreSQL the read models)."""
        url = self.settings.sqlalchemy_url
        if self.settings.is_postgres:
            return self._engine(url, lambda u: log_engine(u, pool_pre_ping=True))
        return self._engine(url, log_engine)

    def _move_legacy_keys(self) -> None:
        """Move the vault keys earlier versions kept in the event store's database, then drop
        the engine's pooled connections (the move may leave one in autocommit mode)."""
        engine = self.event_store_engine
        move_keys(engine, self.vault)
        engine.dispose()

    # -- what a process holds --------------------------------------------------------------------

    def intake(self, principal: Principal | None = None) -> Intake:
        """The command intake, sealing personal data before anything is signed; it signs
        unsigned lines only for `principal` (None: pre-signed lines only)."""
        return self.ingest.intake(principal)

    @cached_property
    def readmodels(self) -> ReadModels:
        """The read-model store, migrated to the newest schema, and the follower of every
        projection (opened on first use)."""
        url = readmodels_url(self.settings.sqlalchemy_url)
        if url == self.settings.sqlalchemy_url:
            engine = self.event_store_engine  # PostgreSQL: the same database, tables rm_*
        else:
            engine = self._engine(url, create_store_engine)
        migrate(engine)
        chosen = self._projections

        def fresh() -> list[Projection]:  # the same projections, new instances when they are ours
            return all_projections() if chosen is None else list(chosen)

        follower = ReadModelFollower(self.records.recorder, engine, fresh())
        # A follower running in this process (projections follow, serve) wakes on each commit
        # of this Records instead of waiting for its next poll.
        self.records.add_commit_listener(follower.wake)
        return ReadModels(engine, follower, fresh)

    @cached_property
    def log_signer(self) -> Signer:
        """The log key, named by the log's origin: it signs checkpoints and receipts."""
        return Signer(self.settings.log_origin, self.keystore.log_key().seed)

    @cached_property
    def ledger(self) -> Ledger:
        """The ledger service's stores and ports (opened on first use)."""
        s = self.settings
        home = s.home

        def lock() -> AbstractContextManager[object]:
            return locked(home / "ledger.lock")

        return Ledger(
            self.records,
            MerkleLog(self.event_store_engine),
            self.log_signer,
            self.chain,
            cadence=Cadence(s.checkpoint_every_leaves, s.checkpoint_every_seconds),
            lock=lock,
            replay_store=replay_records,
            witnesses=[HttpWitness(w.url, w.vkey) for w in s.witnesses],
        )

    @cached_property
    def nats(self) -> NatsEndpoint:
        """The platform's NATS URL(s) and connect options (ops/nats_access.py): the external
        server of ANJIAN_NATS_URL, or the embedded nats-server, started now and stopped by
        `close()`."""
        from ops.nats_access import platform_nats

        endpoint, self._nats_server = platform_nats(self.settings, self.keystore)
        return endpoint

    @property
    def embedded_nats(self) -> EmbeddedNats | None:
        """The embedded nats-server this process runs (None: external, another process runs it,
        or not started yet)."""
        server = self._nats_server
        return server if server is not None and server.owner else None

    def nats_running(self) -> bool:
        """Whether the stream can be published without starting a server: NATS is external,
        or this or another process runs the embedded one (`anjian serve`, a relay)."""
        from ops.nats_access import embedded_running

        return (
            bool(self.settings.nats_url)
            or "nats" in self.__dict__
            or embedded_running(self.settings)
        )

    @cached_property
    def stream(self) -> Relay:
        """The stream relay on `nats` (opened on first use). It connects when it first
        publishes; a relay thread or `anjian stream relay` follows with it, and each commit of
        `records` wakes it."""
        s = self.settings
        endpoint = self.nats
        publisher = JetStreamPublisher(
            ",".join(endpoint.servers),
            StreamSettings(s.stream_replicas, s.stream_max_age.total_seconds()),
            connect_options=endpoint.options,
        )
        relay = Relay(
            self.records.recorder,
            Positions(self.event_store_engine),
            publisher,
            origin=s.log_origin,
            public_url=s.public_url,
        )
        self.records.add_commit_listener(relay.wake)
        return relay

    @cached_property
    def identity(self) -> Accounts:
        """Unified identity: the Authenticator (services.identity.port) and account
        administration, on the credential store (opened on first use)."""
        engine = self._engine(self.settings.identity_sqlalchemy_url, identity_engine)
        return Accounts(
            self.ingest, SqlCredentials(engine), clock=self.clock, zone=self.settings.zone
        )

    def close(self) -> None:
        if "stream" in self.__dict__:
            self.stream.close()
        server, self._nats_server = self._nats_server, None
        if server is not None:
            server.stop()
        self.records.close()
        self.vault.close()
        for engine in self._engines.values():
            engine.dispose()

    def __enter__(self) -> Platform:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def build(
    settings: Settings,
    *,
    keystore: Keystore | None = None,
    chain: Chain | None = None,
    clock: Clock | None = None,
    projections: Sequence[Projection] | None = None,
) -> Platform:
    """The platform of `settings`. Overrides, for tests and tools: `keystore` (default: the
    key files in ANJIAN_KEYS_DIR or ANJIAN_HOME/keys, checked by ops.key_directory, which
    raises KeysDirError before anything is opened), `chain` (default:
    ops.chain.SettingsChain), `clock` (the recorded time; default the system clock) and
    `projections` (default: every one)."""
    secure_home(settings)
    keys = keystore if keystore is not None else Keystore(key_directory(settings))
    return Platform(
        settings,
        keystore=keys,
        chain=chain if chain is not None else SettingsChain(settings, keys),
        clock=clock,
        projections=projections,
    )
