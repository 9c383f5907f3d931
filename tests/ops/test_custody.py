"""Custodial signing authenticates: the platform signs an unsigned line only for the principal its
entry point authenticated (`anjian record --as ACCOUNT`, or `--migrate` for history from before
go-live), records that principal's channel in the envelope, and signs with the platform account
only the command types of the platform role."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from domain.actor import Actor
from domain.enterprise import Enterprise
from domain.envelope import SignedCommand
from domain.errors import InvalidValue, NotAuthenticated, NotAuthorized
from domain.ids import actor_id, enterprise_id
from ledger.canonical import canonical_text
from ledger.keys import KeyPair
from ops.bootstrap import build
from ops.cli import app
from ops.keystore import Keystore
from ops.settings import load_settings
from services.ingest.intake import Intake
from services.ingest.principal import Principal
from tests.support import Harness, new_uscc

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    return tmp_path / "var"


def record(tmp_path: Path, lines: Sequence[dict[str, Any]], *options: str) -> Result:
    f = tmp_path / "in.jsonl"
    f.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines), "utf-8")
    return runner.invoke(app, ["record", str(f), "--no-sync", "--json", *options])


def register_actor(
    home: Path,
    account: str,
    role: str = "regulator",
    jurisdiction: str = "420100",
    *,
    key: KeyPair | None = None,
    enterprise: str | None = None,
) -> dict[str, Any]:
    """The platform's line registering `account` (custodial unless `key` is its own)."""
    data: dict[str, Any] = {
        "account": account,
        "role": role,
        "name": account,
        "jurisdiction": jurisdiction,
        "public_key": (key or Keystore(home / "keys").custodial(account)).public_key_b64,
        "custody": "own" if key else "platform",
    }
    if enterprise:
        data["enterprise"] = enterprise
    return {"type": "actor.register", "actor": "platform", "region": "420000", "data": data}


def register_enterprise(uscc: str, by: str = "r-wh") -> dict[str, Any]:
    return {
        "type": "enterprise.register",
        "actor": by,
        "region": uscc[2:8],
        "data": {
            "uscc": uscc,
            "name": f"企业{uscc[-6:]}",
            "industry": "hazardous_chemicals",
            "standardisation": "level2",
        },
    }


def envelopes(home: Path) -> list[dict[str, Any]]:
    p = build(load_settings())
    try:
        return [r.envelope for r in p.records.notifications()]
    finally:
        p.close()


def assert_refused(result: Result, error: str, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(f"{error}: line 1: "), result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


@pytest.fixture
def wuhan(home: Path, tmp_path: Path) -> Path:
    """A store with the custodial regulator r-wh (Wuhan), registered by the platform operator."""
    assert record(tmp_path, [register_actor(home, "r-wh")], "--as", "platform").exit_code == 0
    return home


# -- no principal, no custodial signature ------------------------------------------------------


def test_an_unsigned_line_naming_a_regulator_without_as_is_refused(
    wuhan: Path, tmp_path: Path
) -> None:
    result = record(tmp_path, [register_enterprise(new_uscc())])
    assert_refused(
        result,
        "NotAuthenticated",
        "unsigned command: pass --as ACCOUNT (the account you are authenticated as) or sign it",
    )
    assert [e["type"] for e in envelopes(wuhan)] == ["actor.register", "actor.register"]


def test_an_unsigned_line_naming_the_platform_without_as_is_refused(
    home: Path, tmp_path: Path
) -> None:
    result = record(tmp_path, [register_actor(home, "r-evil", jurisdiction="420000")])
    assert_refused(result, "NotAuthenticated", "--as ACCOUNT")
    assert [e["data"]["account"] for e in envelopes(home)] == ["platform"]  # genesis only


def test_as_one_account_the_platform_signs_for_no_other(wuhan: Path, tmp_path: Path) -> None:
    yichang = register_actor(wuhan, "r-yc", jurisdiction="420500")
    assert record(tmp_path, [yichang], "--as", "platform").exit_code == 0
    line = register_enterprise(new_uscc("420502"), by="r-yc")
    result = record(tmp_path, [line], "--as", "r-wh")
    assert_refused(result, "NotAuthorized", "authenticated as r-wh", "does not sign for r-yc")
    assert record(tmp_path, [line], "--as", "r-yc").exit_code == 0


def test_a_platform_signed_actor_registration_needs_as_platform(
    wuhan: Path, tmp_path: Path
) -> None:
    line = register_actor(wuhan, "r-hs", jurisdiction="420200")
    assert_refused(record(tmp_path, [line]), "NotAuthenticated")
    assert_refused(record(tmp_path, [line], "--as", "r-wh"), "NotAuthorized", "for platform")
    assert record(tmp_path, [line], "--as", "platform").exit_code == 0


@pytest.mark.parametrize("principal", [["--as", "platform"], ["--migrate"]])
def test_the_platform_account_signs_only_command_types_of_the_platform_role(
    wuhan: Path, tmp_path: Path, principal: list[str]
) -> None:
    uscc = new_uscc()
    assert record(tmp_path, [register_enterprise(uscc)], "--as", "r-wh").exit_code == 0
    report = {
        "type": "hazard.report",
        "actor": "platform",
        "region": "420102",
        "data": {
            "enterprise": uscc,
            "grade": "general",
            "source": "inspection",
            "description": "消防通道堵塞",
            "location": "仓库",
        },
    }
    result = record(tmp_path, [report], *principal)
    assert_refused(result, "NotAuthorized", "the platform account does not sign hazard.report")


def test_an_enterprise_account_cannot_register_a_provincial_regulator_with_its_own_key(
    wuhan: Path, tmp_path: Path
) -> None:
    uscc = new_uscc()
    assert record(tmp_path, [register_enterprise(uscc)], "--as", "r-wh").exit_code == 0
    clerk = register_actor(wuhan, "e-1", "enterprise", "420102", enterprise=uscc)
    assert record(tmp_path, [clerk], "--as", "platform").exit_code == 0
    own_key = KeyPair.generate()
    province = register_actor(wuhan, "r-fake", jurisdiction="420000", key=own_key)
    assert_refused(record(tmp_path, [province], "--as", "e-1"), "NotAuthorized", "for platform")
    as_itself = {**province, "actor": "e-1"}
    assert_refused(record(tmp_path, [as_itself], "--as", "e-1"), "NotAuthorized", "role enterprise")
    accounts = [e["data"].get("account") for e in envelopes(wuhan) if e["type"] == "actor.register"]
    assert "r-fake" not in accounts


def test_as_and_migrate_exclude_each_other(home: Path, tmp_path: Path) -> None:
    result = record(tmp_path, [], "--as", "r-wh", "--migrate")
    assert result.exit_code == 2
    assert result.stderr == (
        "UsageError: --as and --migrate exclude each other: pass one of them\n"
    )


# -- the channel -------------------------------------------------------------------------------


def test_the_stored_envelope_records_the_channel_of_its_principal(
    wuhan: Path, tmp_path: Path
) -> None:
    a, b = new_uscc(), new_uscc()
    assert record(tmp_path, [register_enterprise(a)], "--as", "r-wh").exit_code == 0
    migrated = {**register_enterprise(b), "occurred_at": "2020-01-02T09:00:00+08:00"}
    assert record(tmp_path, [migrated], "--migrate").exit_code == 0
    channels = {e["data"].get("uscc"): e.get("channel") for e in envelopes(wuhan)}
    assert (channels[a], channels[b]) == ("cli", "migration")
    shown = runner.invoke(app, ["show", f"{enterprise_id(a)}:1"])
    assert "channel" in shown.stdout
    assert "cli" in shown.stdout


def test_a_pre_signed_line_needs_no_principal_and_keeps_its_envelope(
    home: Path, tmp_path: Path
) -> None:
    key = KeyPair.generate()
    holder = register_actor(home, "r-key", key=key)
    assert record(tmp_path, [holder], "--as", "platform").exit_code == 0
    uscc = new_uscc()
    envelope = {
        "actor": "r-key",
        "data": register_enterprise(uscc)["data"],
        "id": "0b9c7a52-4c7e-4c59-9c55-6a0f3f1f2a10",
        "occurred_at": "2024-03-01T09:00:00+08:00",
        "region": "420102",
        "role": "regulator",
        "subject": str(enterprise_id(uscc)),
        "type": "enterprise.register",
    }
    text = canonical_text(envelope)
    signed = {"envelope": envelope, "signature": key.sign_b64(text.encode()), "key_id": key.key_id}
    assert record(tmp_path, [signed]).exit_code == 0
    assert envelopes(home)[-1] == envelope  # no channel added: the actor signed it


# -- the intake and Records --------------------------------------------------------------------


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[tuple[Harness, Keystore]]:
    """Records with the custodial regulator r-c (its key from a keystore) and a key holder."""
    h = Harness()
    keystore = Keystore(tmp_path / "keys")
    h.run_as(
        "platform",
        "actor.register",
        "420100",
        {
            "account": "r-c",
            "role": "regulator",
            "name": "r-c",
            "jurisdiction": "420100",
            "public_key": keystore.custodial("r-c").public_key_b64,
            "custody": "platform",
        },
        subject=actor_id("r-c"),
    )
    h.keys["r-c"] = keystore.custodial("r-c")
    h.actor("r-own", "regulator", "420100")
    yield h, keystore
    h.close()


def enterprise_data(uscc: str) -> dict[str, Any]:
    data: dict[str, Any] = register_enterprise(uscc)["data"]
    return data


def registration(h: Harness, account: str, uscc: str, channel: str | None) -> SignedCommand:
    """`account`'s signed command registering enterprise `uscc` (Harness.sign's channel)."""
    data, subject = enterprise_data(uscc), enterprise_id(uscc)
    return h.sign(account, "enterprise.register", "420102", data, subject=subject, channel=channel)


def test_records_refuses_a_custodial_signature_that_names_no_channel(
    harness: tuple[Harness, Keystore],
) -> None:
    h, _ = harness
    uscc = new_uscc()
    cmd = registration(h, "r-c", uscc, channel=None)
    assert "channel" not in cmd.envelope.parsed
    with pytest.raises(NotAuthenticated, match="must name the channel") as caught:
        h.records.execute(cmd)
    assert caught.value.field == "channel"
    h.records.execute(registration(h, "r-c", uscc, channel="api"))


def test_an_actor_holding_its_own_key_may_omit_the_channel(
    harness: tuple[Harness, Keystore],
) -> None:
    h, _ = harness
    uscc = new_uscc()
    cmd = registration(h, "r-own", uscc, channel="auto")
    assert "channel" not in cmd.envelope.parsed
    h.records.execute(cmd)


def test_events_stored_before_the_channel_rule_still_load(
    harness: tuple[Harness, Keystore],
) -> None:
    h, _ = harness
    uscc = new_uscc()
    old = registration(h, "r-c", uscc, channel=None)
    h.records.save(Enterprise.create(old))  # as stored before the rule: not judged again
    assert h.records.load(enterprise_id(uscc), Enterprise).uscc == uscc
    h.run_as(
        "r-c",
        "enterprise.update_profile",
        "420102",
        {"uscc": uscc, "employees": 9},
        subject=enterprise_id(uscc),
    )
    assert h.records.load(actor_id("r-c"), Actor).custody == "platform"


def test_without_a_principal_the_intake_signs_nothing_and_seals_nothing(
    harness: tuple[Harness, Keystore],
) -> None:
    h, keystore = harness
    sealed: list[str] = []

    def sealer(ctype: str, data: dict[str, Any]) -> dict[str, Any]:
        sealed.append(ctype)
        return data

    intake = Intake(h.records, keystore, sealer=sealer)
    with pytest.raises(NotAuthenticated, match="pass --as ACCOUNT"):
        intake.parse(
            {
                "type": "enterprise.register",
                "actor": "r-c",
                "region": "420102",
                "data": enterprise_data(new_uscc()),
            }
        )
    assert sealed == []


def test_the_migration_principal_signs_for_any_registered_account_marked_migration(
    harness: tuple[Harness, Keystore],
) -> None:
    h, keystore = harness
    intake = Intake(h.records, keystore, principal=Principal.migration())
    h.records.go_live = h.clock + timedelta(days=1)  # the harness's history is all before it
    uscc = new_uscc()
    line = {
        "type": "enterprise.register",
        "actor": "r-c",
        "region": "420102",
        "occurred_at": h.tick().isoformat(),  # migrated history is dated by the harness clock
        "data": enterprise_data(uscc),
    }
    cmd = intake.parse(line)
    assert cmd.envelope.channel == "migration"
    h.records.execute(cmd)
    with pytest.raises(NotAuthorized, match="does not sign for r-c"):
        Intake(h.records, keystore, principal=Principal.operator("r-own")).parse(line)


def test_the_platform_does_not_sign_for_an_actor_holding_its_own_key(
    harness: tuple[Harness, Keystore],
) -> None:
    h, keystore = harness
    intake = Intake(h.records, keystore, principal=Principal.operator("r-own"))
    line = {"type": "enterprise.register", "actor": "r-own", "region": "420102"}
    with pytest.raises(NotAuthorized, match="holds a key of its own"):
        intake.parse(line | {"data": enterprise_data(new_uscc())})


def test_a_principal_names_a_known_channel_and_a_non_empty_account() -> None:
    assert Principal.operator("r-1") == Principal("r-1", "cli")
    assert Principal.migration() == Principal(None, "migration")
    with pytest.raises(InvalidValue, match="channel must be one of"):
        Principal("r-1", "telepathy")
    with pytest.raises(InvalidValue, match="must not be empty"):
        Principal.operator("")
