"""Settings, read once at start-up from the environment (prefix ANJIAN_) — never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything that differs between the embedded default and a deployment at scale."""

    model_config = SettingsConfigDict(env_prefix="ANJIAN_", extra="ignore")

    home: Path = Field(default=Path("var"), description="data directory (ANJIAN_HOME)")
    database_url: str = Field(
        default="",
        description="event store: empty = SQLite file under home; "
        "postgresql://user@host:port/db for PostgreSQL",
    )
    postgres_pool_size: int = 5
    chain_rpc_url: str = Field(default="", description="empty = launch a local EVM node")
    log_origin: str = "anjian.hubei.gov.cn/log"
    checkpoint_every_leaves: int = 1000
    checkpoint_every_seconds: float = 60.0
    confirmations: int = 1
    timezone: str = "Asia/Shanghai"

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and not value.startswith(("postgresql://", "postgresql+psycopg://", "sqlite")):
            raise ValueError("database_url must be empty, sqlite:///PATH or postgresql://...")
        return value

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def sqlite_path(self) -> Path:
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.home / "anjian.sqlite"

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")

    @property
    def sqlalchemy_url(self) -> str:
        """The same database as a SQLAlchemy URL (for the ledger and the read models)."""
        if self.is_postgres:
            return self.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
        return f"sqlite:///{self.sqlite_path}"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
