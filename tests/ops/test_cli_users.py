"""`anjian users` and `anjian tokens`: accounts, one-time passwords, API tokens, the security log;
one-line errors, exit 2 for bad arguments, nothing written on refusal."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from domain.uscc import make_uscc
from ops.bootstrap import Platform, build
from ops.cli import app
from ops.settings import load_settings
from services.identity.port import Unauthenticated

runner = CliRunner()
A, B = make_uscc("91420102MA0000001"), make_uscc("91420102MA0000002")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    return tmp_path / "var"


def anjian(*args: str) -> Result:
    return runner.invoke(app, list(args))


def opened() -> Platform:
    return build(load_settings())


def as_json(result: Result) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_users_add_prints_a_one_time_password_that_logs_in(home: Path) -> None:
    result = anjian("users", "add", "wh-reg", "--role", "regulator", "--region", "420100")
    assert result.exit_code == 0, result.output
    login, password = result.stdout.split()
    assert login == "wh-reg"
    assert "shown once" in result.stderr
    with opened() as p:
        grant = p.identity.login("wh-reg", password, source="test")
    assert (grant.caller.role, grant.caller.jurisdiction) == ("regulator", "420100")


def test_an_enterprise_account_is_bound_to_every_enterprise_named(home: Path) -> None:
    added = as_json(
        anjian(
            "users", "add", "group", "--role", "enterprise", "--region", "420102",
            "--enterprise", A, "--enterprise", B, "--json",
        )
    )  # fmt: skip
    assert added["login"] == "group"
    assert added["one_time_password"]
    (account,) = as_json(anjian("users", "list", "--json"))
    assert account["enterprises"] == [A, B]
    assert account["status"] == "active"


@pytest.mark.parametrize(
    "args",
    [
        ["users", "add", "x1", "--role", "platform", "--region", "420100"],
        ["users", "add", "x1", "--role", "regulator", "--region", "990000"],
        ["users", "add", "x1", "--role", "enterprise", "--region", "420102"],
        ["users", "add", "x1", "--role", "enterprise", "--region", "420102", "--enterprise", "1"],
        ["users", "add", "X 1", "--role", "regulator", "--region", "420100"],
        ["users", "add", "x1", "--region", "420100"],
        ["users", "change", "x1", "--reason", "r"],
        ["tokens", "create", "--user", "x1", "--scope", "admin", "--ttl", "1h"],
        ["tokens", "create", "--user", "x1", "--scope", "read", "--ttl", "1y"],
        ["tokens", "create", "--user", "x1", "--scope", "read", "--ttl", "0h"],
    ],
)
def test_a_usage_error_is_one_line_exit_2_and_writes_nothing(home: Path, args: list[str]) -> None:
    result = anjian(*args)
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1
    with opened() as p:
        assert p.identity.accounts() == []
        assert p.identity.tokens() == []
        assert p.identity.security_log() == []
        assert [r.envelope["type"] for r in p.records.notifications()] in ([], ["actor.register"])


def test_without_a_store_only_users_add_creates_one(home: Path) -> None:
    for args in (["users", "list"], ["users", "disable", "ghost"], ["tokens", "list"]):
        result = anjian(*args)
        assert result.exit_code == 1
        assert result.stderr.startswith("NoStore: ")
        assert not home.exists()
    assert (
        anjian("users", "add", "wh-reg", "--role", "regulator", "--region", "420100").exit_code == 0
    )
    assert [a["login"] for a in as_json(anjian("users", "list", "--json"))] == ["wh-reg"]


def test_an_unknown_account_is_one_line_exit_1(home: Path) -> None:
    assert (
        anjian("users", "add", "wh-reg", "--role", "regulator", "--region", "420100").exit_code == 0
    )
    for args in (["users", "disable", "ghost"], ["users", "reset-password", "ghost"]):
        result = anjian(*args)
        assert result.exit_code == 1
        assert result.stderr.startswith("UnknownAccount: no account")
    result = anjian("tokens", "revoke", "nosuch")
    assert result.exit_code == 1
    assert result.stderr.startswith("UnknownToken:")


def test_disable_and_reset_password(home: Path) -> None:
    first = anjian("users", "add", "wh-reg", "--role", "regulator", "--region", "420100")
    old = first.stdout.split()[1]
    new = as_json(anjian("users", "reset-password", "wh-reg", "--json"))["one_time_password"]
    with opened() as p:
        with pytest.raises(Unauthenticated):
            p.identity.login("wh-reg", old, source="test")
        p.identity.login("wh-reg", new, source="test")
    assert anjian("users", "disable", "wh-reg", "--reason", "离职").exit_code == 0
    (account,) = as_json(anjian("users", "list", "--json"))
    assert (account["status"], account["disabled"]) == ("deactivated", True)
    with opened() as p, pytest.raises(Unauthenticated):
        p.identity.login("wh-reg", new, source="test")
    again = anjian("users", "disable", "wh-reg")
    assert again.exit_code == 1
    assert "disabled already" in again.stderr


def test_users_change_records_the_rights_in_the_log(home: Path) -> None:
    anjian("users", "add", "wh-reg", "--role", "regulator", "--region", "420100")
    result = anjian("users", "change", "wh-reg", "--region", "420500", "--reason", "调岗")
    assert result.exit_code == 0, result.output
    (account,) = as_json(anjian("users", "list", "--json"))
    assert account["jurisdiction"] == "420500"
    with opened() as p:
        last = list(p.records.notifications())[-1].envelope
    assert last["type"] == "actor.change_rights"
    assert last["data"]["reason"] == "调岗"


def test_tokens_create_list_revoke(home: Path) -> None:
    anjian("users", "add", "wh-reg", "--role", "regulator", "--region", "420100")
    created = anjian("tokens", "create", "--user", "wh-reg", "--scope", "read", "--ttl", "30d")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("anj_")
    listed = anjian("tokens", "list", "--user", "wh-reg", "--json")
    (record,) = as_json(listed)
    assert token not in listed.stdout
    assert record["scope"] == "read"
    with opened() as p:
        assert p.identity.bearer(token, source="test").scope == "read"
    assert anjian("tokens", "revoke", record["id"]).exit_code == 0
    with opened() as p, pytest.raises(Unauthenticated):
        p.identity.bearer(token, source="test")
    (record,) = as_json(anjian("tokens", "list", "--json"))
    assert record["revoked"] is not None


def test_users_log_shows_the_security_log(home: Path) -> None:
    anjian("users", "add", "wh-reg", "--role", "regulator", "--region", "420100")
    anjian("users", "add", "yc-reg", "--role", "regulator", "--region", "420500")
    with opened() as p, pytest.raises(Unauthenticated):
        p.identity.login("wh-reg", "wrong", source="10.1.2.3")
    rows = as_json(anjian("users", "log", "--login", "wh-reg", "--json"))
    assert [(r["kind"], r["source"]) for r in rows] == [
        ("account_added", "cli"),
        ("login_failed", "10.1.2.3"),
    ]
    table = anjian("users", "log")
    assert table.exit_code == 0
    assert "yc-reg" in table.stdout
