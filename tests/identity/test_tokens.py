"""API tokens: opaque, scoped, expiring, revocable, stored only as their SHA-256."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest

from services.identity.accounts import Accounts, InvalidAccount, UnknownToken
from services.identity.port import Unauthenticated
from tests.identity.conftest import Clock

DAY = timedelta(days=1)


@pytest.fixture
def login(accounts: Accounts) -> str:
    accounts.add("wh-reg", "regulator", "420100")
    return "wh-reg"


def test_a_token_resolves_to_its_caller_with_its_scope(accounts: Accounts, login: str) -> None:
    read = accounts.create_token(login, scope="read", ttl=DAY)
    write = accounts.create_token(login, scope="write", ttl=DAY)
    reader = accounts.bearer(read.token, source="s")
    assert (reader.account, reader.scope, reader.via) == (login, "read", "token")
    assert not reader.writes_records
    assert reader.sees_region("420102")
    assert accounts.bearer(write.token, source="s").writes_records
    (used, _) = accounts.tokens(login)
    assert used.last_used is not None


def test_a_token_is_refused_from_its_expiry(accounts: Accounts, login: str, clock: Clock) -> None:
    issued = accounts.create_token(login, scope="read", ttl=timedelta(hours=1))
    clock.advance(minutes=59, seconds=59)
    accounts.bearer(issued.token, source="s")
    clock.advance(seconds=1)
    with pytest.raises(Unauthenticated):
        accounts.bearer(issued.token, source="s")


def test_a_revoked_token_is_refused_from_its_next_use(accounts: Accounts, login: str) -> None:
    issued = accounts.create_token(login, scope="write", ttl=DAY)
    accounts.bearer(issued.token, source="s")
    revoked = accounts.revoke_token(issued.record.id)
    assert revoked.revoked is not None
    with pytest.raises(Unauthenticated):
        accounts.bearer(issued.token, source="s")
    assert accounts.revoke_token(issued.record.id).revoked == revoked.revoked  # once
    with pytest.raises(UnknownToken):
        accounts.revoke_token("nosuchtoken")


def test_an_unknown_token_is_refused(accounts: Accounts, login: str) -> None:
    issued = accounts.create_token(login, scope="write", ttl=DAY)
    with pytest.raises(Unauthenticated):
        accounts.bearer(issued.token + "x", source="s")


def test_only_the_hash_of_a_token_is_stored(accounts: Accounts, login: str, db_file: Path) -> None:
    issued = accounts.create_token(login, scope="write", ttl=DAY)
    stored = b"".join(p.read_bytes() for p in db_file.parent.glob("identity.sqlite*"))
    assert issued.token.encode() not in stored
    assert hashlib.sha256(issued.token.encode()).hexdigest().encode() in stored


def test_a_disabled_accounts_token_is_refused(accounts: Accounts, login: str) -> None:
    issued = accounts.create_token(login, scope="read", ttl=DAY)
    accounts.disable(login, reason="离职")
    with pytest.raises(Unauthenticated):
        accounts.bearer(issued.token, source="s")


@pytest.mark.parametrize(
    ("scope", "ttl"),
    [("admin", DAY), ("read", timedelta(0)), ("read", timedelta(days=367))],
)
def test_a_tokens_scope_and_lifetime_are_checked_and_nothing_is_written(
    accounts: Accounts, login: str, scope: str, ttl: timedelta
) -> None:
    with pytest.raises(InvalidAccount):
        accounts.create_token(login, scope=scope, ttl=ttl)
    assert accounts.tokens() == []
