"""Settings, read once at start-up from the environment (prefix ANJIAN_) — never at import.

A malformed value fails `load_settings` with pydantic's ValidationError naming the environment
variable; inputs are never echoed in the error (the chain owner key is a secret, and database
URLs may carry passwords).
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.clocks import CLOCK_SKEW
from ledger.note import valid_key_name

# The order n of secp256k1's base point (SEC 2, 2.4.1): a private key is an integer in [1, n).
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_PRIVATE_KEY = re.compile(r"0x[0-9a-fA-F]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")
# The platform's time zone unless ANJIAN_TIMEZONE names another; DEFAULT_ZONE is it as a tzinfo.
TIMEZONE = "Asia/Shanghai"
DEFAULT_ZONE = ZoneInfo(TIMEZONE)
# A skew beyond this stops bounding anything: a signer could date a step a day ahead.
MAX_CLOCK_SKEW = timedelta(hours=1)


def nats_urls(value: str) -> bool:
    """Whether `value` is one or more nats:// or tls:// URLs naming a host, separated by commas
    (the servers of one NATS cluster)."""
    for url in value.split(","):
        try:
            parts = urlparse(url.strip())
            parts.port  # noqa: B018  (raises ValueError on a port out of range)
        except ValueError:
            return False
        if parts.scheme not in ("nats", "tls") or not parts.hostname or parts.path not in ("", "/"):
            return False
    return True


def http_url(value: str) -> bool:
    """Whether `value` is an http(s) URL naming a host (a JSON-RPC endpoint)."""
    try:
        parts = urlparse(value)
        parts.port  # noqa: B018  (raises ValueError on a port out of range)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


class WitnessSetting(BaseModel):
    """One witness the platform submits checkpoints to: its URL and C2SP vkey (type 0x04)."""

    url: str
    vkey: str

    @field_validator("url")
    @classmethod
    def _http(cls, value: str) -> str:
        if not http_url(value):
            raise ValueError("ANJIAN_WITNESSES: a witness URL must be an http(s) URL with a host")
        return value

    @field_validator("vkey")
    @classmethod
    def _cosigner_key(cls, value: str) -> str:
        from audit.cosignature import WitnessKey

        try:
            WitnessKey.from_vkey(value)
        except ValueError as exc:
            raise ValueError(f"ANJIAN_WITNESSES: a witness vkey: {exc}") from None
        return value


class Settings(BaseSettings):
    """Everything that differs between the embedded default and a deployment at scale."""

    model_config = SettingsConfigDict(
        env_prefix="ANJIAN_", extra="ignore", hide_input_in_errors=True
    )

    home: Path = Field(default=Path("var"), description="data directory (ANJIAN_HOME)")
    database_url: str = Field(
        default="",
        description="event store: empty = SQLite file under home; "
        "postgresql://user@host:port/db for PostgreSQL",
    )
    postgres_pool_size: int = 5
    vault_url: str = Field(
        default="",
        description="the PIPL vault's key store: empty = SQLite file keys/vault.sqlite in the "
        "data directory; postgresql://user@host:port/db for another database than the event store",
    )
    identity_url: str = Field(
        default="",
        description="the credential store (password hashes, token and session hashes, the "
        "security log): empty = SQLite file keys/identity.sqlite in the data directory; "
        "postgresql://user@host:port/db for a PostgreSQL database",
    )
    keys_dir: Path | None = Field(
        default=None,
        description="the platform's signing keys (platform, custody secret, log, anchorer) apart "
        "from the data directory: mode 0700, files 0600 (ops/key_directory.py); empty = "
        "keys/ in the data directory",
    )
    chain_rpc_url: str = Field(default="", description="empty = launch a local EVM node")
    chain_owner_key: SecretStr = Field(
        default=SecretStr(""),
        description="0x + 64 hex: the secp256k1 key that deploys the Anchor contract and "
        "allow-lists the anchorer; empty = the dev chain's account 0 on the embedded node or "
        "on chain id 31337, none elsewhere",
    )
    chain_contract: str = Field(
        default="",
        description="0x + 40 hex: an operator-deployed Anchor contract that already "
        "allow-lists the platform's anchorer; empty = the platform deploys its own",
    )
    log_origin: str = "anjian.hubei.gov.cn/log"
    public_url: str = Field(
        default="https://anjian.hubei.gov.cn",
        description="the platform's public base URL (ANJIAN_PUBLIC_URL): links the API gives "
        "and the catalog URIs of CloudEvents (dataschema = <public_url>/v1/catalog/<type>)",
    )
    nats_url: str = Field(
        default="",
        description="empty = the embedded nats-server (ops/nats_server.py, store in "
        "$ANJIAN_HOME/nats); else the external server or cluster: nats:// or tls:// URLs "
        "separated by commas (user:password@ in a URL authenticates the platform)",
    )
    nats_creds: Path | None = Field(
        default=None,
        description="with ANJIAN_NATS_URL: the platform's credentials on that server, a .creds "
        "file (user JWT and nkey seed) or a file holding an nkey seed (SU...); empty = none or "
        "the URL's user:password",
    )
    checkpoint_every_leaves: int = 1000
    checkpoint_every_seconds: float = 60.0
    confirmations: int = 1
    timezone: str = Field(
        default=TIMEZONE,
        description="IANA time zone the platform shows and writes times in (read models, "
        "--json, tables, the default occurred_at of an unsigned line)",
    )
    clock_skew: timedelta = Field(
        default=CLOCK_SKEW,
        description="how far a declared occurred_at may run ahead of the platform's recorded "
        "time: seconds (300) or an ISO 8601 duration (PT5M); 0 to 1 hour",
    )

    stream_replicas: int = Field(
        default=1,
        ge=1,
        le=5,
        description="replicas of the JetStream stream ANJIAN_EVENTS (3 on a three-node cluster)",
    )
    stream_max_age: timedelta = Field(
        default=timedelta(0),
        description="how long ANJIAN_EVENTS keeps an event: seconds or an ISO 8601 duration; "
        "0 = keep everything",
    )

    witnesses: list[WitnessSetting] = Field(
        default_factory=list,
        description='JSON list of {"url": ..., "vkey": ...}: the tlog witnesses that cosign '
        "each new checkpoint (anjian witness serve); empty = none",
    )

    @field_validator("keys_dir", "nats_creds", mode="before")
    @classmethod
    def _unset_when_empty(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("clock_skew", "stream_max_age", mode="before")
    @classmethod
    def _seconds_or_duration(cls, value: Any) -> Any:
        if isinstance(value, str) and _SECONDS.fullmatch(value.strip()):
            return float(value)
        return value

    @field_validator("clock_skew")
    @classmethod
    def _bounded_skew(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        if not timedelta(0) <= value <= MAX_CLOCK_SKEW:
            raise ValueError(
                f"{_variable(info)} must be between 0 and {int(MAX_CLOCK_SKEW.total_seconds())} "
                "seconds (a larger skew lets a signer date its steps ahead of the platform)"
            )
        return value

    @field_validator("stream_max_age")
    @classmethod
    def _not_negative(cls, value: timedelta, info: ValidationInfo) -> timedelta:
        if value < timedelta(0):
            raise ValueError(
                f"{_variable(info)} must be 0 (keep everything) or a positive duration"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str, info: ValidationInfo) -> str:
        try:
            ZoneInfo(value)
        except (ValueError, ZoneInfoNotFoundError):
            raise ValueError(
                f"{_variable(info)} must name an IANA time zone such as Asia/Shanghai"
            ) from None
        return value

    @field_validator("log_origin")
    @classmethod
    def _origin(cls, value: str, info: ValidationInfo) -> str:
        if not valid_key_name(value):
            raise ValueError(
                f"{_variable(info)} must be a C2SP log origin: non-empty, no spaces, no '+' "
                "(such as anjian.hubei.gov.cn/log)"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str, info: ValidationInfo) -> str:
        if not http_url(value):
            raise ValueError(f"ANJIAN_PUBLIC_URL must be an http(s) URL with a host, got {value!r}")
        return value.rstrip("/")

    @field_validator("chain_rpc_url")
    @classmethod
    def _rpc(cls, value: str, info: ValidationInfo) -> str:
        if value and not http_url(value):
            raise ValueError(
                f"{_variable(info)} must be empty (the embedded node) or an http(s) JSON-RPC URL"
            )
        return value

    @field_validator("nats_url")
    @classmethod
    def _nats(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if value and not nats_urls(value):
            raise ValueError(
                f"{_variable(info)} must be empty (the embedded nats-server) or nats:// or "
                "tls:// URLs with a host, separated by commas"
            )
        return value

    @model_validator(mode="after")
    def _creds_for_an_external_server(self) -> Settings:
        if self.nats_creds is not None and not self.nats_url:
            raise ValueError(
                "ANJIAN_NATS_CREDS applies to an external NATS server: set ANJIAN_NATS_URL too "
                "(the embedded server uses the platform's own nkey)"
            )
        return self

    @field_validator("database_url", "vault_url", "identity_url")
    @classmethod
    def _known_scheme(cls, value: str, info: ValidationInfo) -> str:
        if value and not value.startswith(("postgresql://", "postgresql+psycopg://", "sqlite")):
            raise ValueError(f"{_variable(info)} must be empty, sqlite:///PATH or postgresql://...")
        return value

    @model_validator(mode="after")
    def _keys_apart_from_ciphertexts(self) -> Settings:
        if _database_of(self.vault_sqlalchemy_url) == _database_of(self.sqlalchemy_url):
            raise ValueError(
                "ANJIAN_VAULT_URL must name another database than the event store "
                "(ANJIAN_DATABASE_URL): the vault's keys live apart from the ciphertexts they open"
            )
        return self

    @field_validator("chain_owner_key")
    @classmethod
    def _secp256k1_key(cls, value: SecretStr, info: ValidationInfo) -> SecretStr:
        key = value.get_secret_value()
        if not key:
            return value
        if not _PRIVATE_KEY.fullmatch(key):
            raise ValueError(
                f"{_variable(info)} must be a secp256k1 private key written as 0x and 64 hex "
                "digits (32 bytes)"
            )
        if not 0 < int(key, 16) < SECP256K1_ORDER:
            raise ValueError(
                f"{_variable(info)} is not a secp256k1 private key: zero, or not below the "
                "order of the curve"
            )
        return value

    @field_validator("chain_contract")
    @classmethod
    def _address(cls, value: str, info: ValidationInfo) -> str:
        if not value:
            return value
        if not _ADDRESS.fullmatch(value):
            raise ValueError(
                f"{_variable(info)} must be a contract address written as 0x and 40 hex digits "
                "(20 bytes)"
            )
        digits = value[2:]
        if digits != digits.lower() and digits != digits.upper():
            from eth_utils.address import is_checksum_address  # mixed case: EIP-55 applies

            if not is_checksum_address(value):
                raise ValueError(
                    f"{_variable(info)} fails its EIP-55 checksum (mixed case must match "
                    "the address's Keccak-256 hash): a mistyped address?"
                )
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The platform's time zone (ANJIAN_TIMEZONE)."""
        return ZoneInfo(self.timezone)

    @property
    def signing_keys_dir(self) -> Path:
        """Where the platform's signing keys are: ANJIAN_KEYS_DIR, else keys/ in the home."""
        return self.keys_dir if self.keys_dir is not None else self.home / "keys"

    @property
    def sqlite_path(self) -> Path:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.home / "anjian.sqlite"

    @property
    def vault_sqlalchemy_url(self) -> str:
        """The vault's key store as a SQLAlchemy URL (see ledger.privacy)."""
        if not self.vault_url:
            return f"sqlite:///{self.home / 'keys' / 'vault.sqlite'}"
        return self.vault_url.replace("postgresql://", "postgresql+psycopg://", 1)

    @property
    def identity_sqlalchemy_url(self) -> str:
        """The credential store as a SQLAlchemy URL (see ops.identity_store)."""
        if not self.identity_url:
            return f"sqlite:///{self.home / 'keys' / 'identity.sqlite'}"
        return self.identity_url.replace("postgresql://", "postgresql+psycopg://", 1)

    @property
    def store_location(self) -> str:
        """Where the event store is, for a person: its SQLite file, or the PostgreSQL
        database."""
        return "the PostgreSQL database" if self.is_postgres else str(self.sqlite_path)

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def sqlalchemy_url(self) -> str:
        """The same database as a SQLAlchemy URL (for the ledger and the read models)."""
        if self.is_postgres:
            return self.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        return f"sqlite:///{self.sqlite_path}"


def _database_of(url: str) -> str:
    """`url` with a SQLite file's path made absolute, to tell two spellings of one file."""
    if url.startswith("sqlite:///"):
        return "sqlite:///" + str(Path(url.removeprefix("sqlite:///")).resolve())
    return url


def _variable(info: ValidationInfo) -> str:
    """The environment variable of the field being validated (ANJIAN_ + its name)."""
    prefix = Settings.model_config.get("env_prefix", "")
    return f"{prefix}{info.field_name}".upper()


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
