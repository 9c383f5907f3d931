"""Logins, sessions, lockout and the security log."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from domain.ids import actor_id
from services.identity.accounts import LOGIN_FAILED, Accounts
from services.identity.passwords import csrf_matches
from services.identity.port import LockedOut, Unauthenticated
from services.ingest.principal import Principal
from tests.identity.conftest import Clock


def added(accounts: Accounts, login: str = "wh-reg") -> str:
    return accounts.add(login, "regulator", "420100").password


def failed(accounts: Accounts, login: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            accounts.login(login, "wrong password", source="127.0.0.1")


def test_a_login_opens_a_session_naming_the_caller_and_its_csrf_token(
    accounts: Accounts,
) -> None:
    grant = accounts.login("wh-reg", added(accounts), source="127.0.0.1")
    assert (grant.caller.account, grant.caller.role, grant.caller.jurisdiction) == (
        "wh-reg",
        "regulator",
        "420100",
    )
    caller, csrf = accounts.session(grant.cookie)
    assert caller.via == "session"
    assert caller.writes_records
    assert csrf == grant.csrf
    assert csrf != grant.cookie
    assert len(csrf) >= 32


def test_wrong_password_unknown_login_and_disabled_account_get_one_message(
    accounts: Accounts,
) -> None:
    password = added(accounts)
    messages = []
    for login, secret in (("wh-reg", "wrong"), ("nobody", password)):
        with pytest.raises(Unauthenticated) as exc:
            accounts.login(login, secret, source="s")
        messages.append(str(exc.value))
    accounts.disable("wh-reg", reason="离职")
    with pytest.raises(Unauthenticated) as exc:
        accounts.login("wh-reg", password, source="s")
    messages.append(str(exc.value))
    assert messages == [LOGIN_FAILED] * 3


def test_five_failed_logins_lock_the_login_for_fifteen_minutes(
    accounts: Accounts, clock: Clock
) -> None:
    password = added(accounts)
    failed(accounts, "wh-reg", 4)
    with pytest.raises(LockedOut) as exc:
        accounts.login("wh-reg", "wrong password", source="s")
    assert exc.value.until == clock.now + accounts.policy.lock
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(LockedOut):  # even the right password, while locked
        accounts.login("wh-reg", password, source="s")
    clock.advance(seconds=1)
    assert accounts.login("wh-reg", password, source="s").caller.account == "wh-reg"


def test_an_unknown_login_locks_like_a_known_one(accounts: Accounts) -> None:
    failed(accounts, "nobody", 4)
    with pytest.raises(LockedOut):
        accounts.login("nobody", "x", source="s")


def test_a_successful_login_restarts_the_count(accounts: Accounts) -> None:
    password = added(accounts)
    failed(accounts, "wh-reg", 4)
    accounts.login("wh-reg", password, source="s")
    failed(accounts, "wh-reg", 4)  # four more: not locked
    accounts.login("wh-reg", password, source="s")


def test_a_session_cookie_is_stored_only_as_its_hash(accounts: Accounts, db_file: Path) -> None:
    grant = accounts.login("wh-reg", added(accounts), source="s")
    stored = b"".join(p.read_bytes() for p in db_file.parent.glob("identity.sqlite*"))
    assert grant.cookie.encode() not in stored


def test_a_session_ends_at_logout_and_at_its_expiry(accounts: Accounts, clock: Clock) -> None:
    password = added(accounts)
    grant = accounts.login("wh-reg", password, source="s")
    accounts.logout(grant.cookie)
    with pytest.raises(Unauthenticated):
        accounts.session(grant.cookie)
    accounts.logout(grant.cookie)  # an unknown cookie is ignored
    grant = accounts.login("wh-reg", password, source="s")
    clock.now = grant.expires
    with pytest.raises(Unauthenticated):
        accounts.session(grant.cookie)


def test_disabling_an_account_ends_its_sessions_and_deactivates_its_actor(
    accounts: Accounts,
) -> None:
    grant = accounts.login("wh-reg", added(accounts), source="s")
    accounts.disable("wh-reg", reason="离职")
    with pytest.raises(Unauthenticated):
        accounts.session(grant.cookie)
    last = list(accounts.ingest.records.notifications())[-1]
    assert (last.envelope["type"], last.envelope["actor"]) == ("actor.deactivate", "platform")
    (view,) = accounts.accounts()
    assert (view.status, view.disabled) == ("deactivated", True)


def test_an_actor_deactivated_in_the_log_no_longer_logs_in(accounts: Accounts) -> None:
    password = added(accounts)
    grant = accounts.login("wh-reg", password, source="s")
    line = {
        "type": "actor.deactivate",
        "actor": "platform",
        "region": "420100",
        "subject": str(actor_id("wh-reg")),
        "data": {"reason": "离职"},
    }
    list(accounts.ingest.record([line], Principal.operator("platform")))
    with pytest.raises(Unauthenticated):
        accounts.session(grant.cookie)
    with pytest.raises(Unauthenticated, match=LOGIN_FAILED):
        accounts.login("wh-reg", password, source="s")


def test_a_password_reset_replaces_the_password_and_lifts_the_lockout(
    accounts: Accounts,
) -> None:
    old = added(accounts)
    grant = accounts.login("wh-reg", old, source="s")
    failed(accounts, "wh-reg", 4)
    with pytest.raises(LockedOut):
        accounts.login("wh-reg", "wrong", source="s")
    new = accounts.reset_password("wh-reg").password
    with pytest.raises(Unauthenticated):
        accounts.session(grant.cookie)  # its sessions ended
    with pytest.raises(Unauthenticated):
        accounts.login("wh-reg", old, source="s")
    assert accounts.login("wh-reg", new, source="s").caller.account == "wh-reg"


def test_each_event_leaves_its_row_in_the_security_log(accounts: Accounts) -> None:
    password = added(accounts)
    grant = accounts.login("wh-reg", password, source="10.0.0.7")
    accounts.logout(grant.cookie)
    failed(accounts, "wh-reg", 4)
    with pytest.raises(LockedOut):
        accounts.login("wh-reg", "wrong", source="10.0.0.7")
    issued = accounts.create_token("wh-reg", scope="read", ttl=timedelta(days=1))
    accounts.bearer(issued.token, source="10.0.0.8")
    accounts.revoke_token(issued.record.id)
    with pytest.raises(Unauthenticated):
        accounts.bearer(issued.token, source="10.0.0.8")
    accounts.change_rights("wh-reg", reason="调岗", region="420102")
    accounts.reset_password("wh-reg")
    accounts.disable("wh-reg", reason="离职")
    kinds = [e.kind for e in accounts.security_log("wh-reg")]
    assert kinds == [
        "account_added",
        "login_ok",
        "session_ended",
        *["login_failed"] * 5,
        "locked_out",
        "token_issued",
        "token_used",
        "token_revoked",
        "token_refused",
        "rights_changed",
        "password_reset",
        "account_disabled",
    ]
    rows = accounts.security_log("wh-reg")
    assert rows[1].source == "10.0.0.7"
    assert rows[1].at.utcoffset() is not None
    assert str(rows[1].at.utcoffset()) == "8:00:00"  # the platform's time zone


def test_the_security_log_refuses_updates_and_deletes(accounts: Accounts, db_file: Path) -> None:
    added(accounts)
    with sqlite3.connect(db_file) as db:
        for statement in (
            "UPDATE identity_security_log SET kind = 'login_ok'",
            "DELETE FROM identity_security_log",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                db.execute(statement)
    assert [e.kind for e in accounts.security_log()] == ["account_added"]


def test_a_form_post_passes_only_with_its_sessions_csrf_token(accounts: Accounts) -> None:
    password = added(accounts)
    grant = accounts.login("wh-reg", password, source="s")
    other = accounts.login("wh-reg", password, source="s")
    _, csrf = accounts.session(grant.cookie)
    assert csrf_matches(csrf, grant.csrf)
    assert not csrf_matches(csrf, other.csrf)
    assert not csrf_matches(csrf, None)
    assert not csrf_matches(csrf, "")
