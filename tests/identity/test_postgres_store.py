"""The credential store on PostgreSQL (ANJIAN_IDENTITY_URL): the same behaviour as on SQLite."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from ops.bootstrap import Platform, build
from ops.settings import load_settings
from services.identity.port import LockedOut, Unauthenticated
from services.ingest.genesis import ensure_genesis
from tests.identity.conftest import Clock, accounts_on

pytestmark = pytest.mark.postgres


def test_logins_lockout_tokens_and_the_security_log_on_postgresql(
    platform: Platform, postgres_url: str, postgres_dsn: str, clock: Clock
) -> None:
    accounts = accounts_on(platform, postgres_url, clock)
    password = accounts.add("wh-reg", "regulator", "420100").password
    grant = accounts.login("wh-reg", password, source="s")
    assert accounts.session(grant.cookie)[1] == grant.csrf
    for _ in range(4):
        with pytest.raises(Unauthenticated):
            accounts.login("wh-reg", "wrong", source="s")
    with pytest.raises(LockedOut):
        accounts.login("wh-reg", "wrong", source="s")
    clock.advance(minutes=15)
    accounts.login("wh-reg", password, source="s")
    issued = accounts.create_token("wh-reg", scope="read", ttl=timedelta(hours=1))
    assert accounts.bearer(issued.token, source="s").scope == "read"
    accounts.revoke_token(issued.record.id)
    with pytest.raises(Unauthenticated):
        accounts.bearer(issued.token, source="s")
    with psycopg.connect(postgres_dsn) as db:
        hashes = db.execute("SELECT token_hash FROM identity_tokens").fetchall()
        assert issued.token not in str(hashes)
        with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
            db.execute("DELETE FROM identity_security_log")
    kinds = [e.kind for e in accounts.security_log("wh-reg")]
    assert kinds[:2] == ["account_added", "login_ok"]
    assert kinds[-1] == "token_refused"


def test_anjian_identity_url_puts_the_credential_store_in_postgresql(
    home: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANJIAN_IDENTITY_URL", postgres_url.replace("+psycopg", ""))
    with build(load_settings()) as p:
        assert p.settings.identity_sqlalchemy_url == postgres_url
        ensure_genesis(p.ingest)
        p.identity.add("wh-reg", "regulator", "420100")
        engines = [e for url, e in p.engines.items() if url == postgres_url]
        assert engines
        assert p.identity.store.credential("wh-reg") is not None
