"""An identity service on a real platform (event store, credential store) in a fresh data
directory, with a clock the test moves and a cheap argon2id hasher (the default one's cost is
pinned by test_passwords.py)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type

from ops.bootstrap import Platform, build
from ops.identity_store import SqlCredentials, identity_engine
from ops.settings import load_settings
from services.identity.accounts import Accounts
from services.identity.passwords import Passwords
from services.ingest.genesis import ensure_genesis

CHEAP = Passwords(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID))


@dataclass
class Clock:
    now: datetime = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    return tmp_path / "var"


@pytest.fixture
def platform(home: Path) -> Iterator[Platform]:
    with build(load_settings()) as p:
        ensure_genesis(p.ingest)
        yield p


def accounts_on(platform: Platform, url: str, clock: Clock) -> Accounts:
    return Accounts(
        platform.ingest, SqlCredentials(identity_engine(url)), clock=clock, passwords=CHEAP
    )


@pytest.fixture
def accounts(platform: Platform, clock: Clock) -> Accounts:
    return accounts_on(platform, platform.settings.identity_sqlalchemy_url, clock)


@pytest.fixture
def db_file(platform: Platform) -> Path:
    return Path(platform.settings.identity_sqlalchemy_url.removeprefix("sqlite:///"))
