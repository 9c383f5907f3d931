"""Settings: the chain owner key and the pinned Anchor contract come from ANJIAN_CHAIN_OWNER_KEY
and ANJIAN_CHAIN_CONTRACT; a malformed value stops start-up naming its variable, never echoing
the value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from ops.chain_node import dev_accounts
from ops.settings import SECP256K1_ORDER, load_settings

OWNER = dev_accounts(1)[0]
OWNER_KEY = "0x" + OWNER.key.hex()
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"  # EIP-55 form


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANJIAN_CHAIN_OWNER_KEY", "ANJIAN_CHAIN_CONTRACT", "ANJIAN_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_the_owner_key_and_the_contract_are_read_from_their_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANJIAN_CHAIN_OWNER_KEY", OWNER_KEY)
    monkeypatch.setenv("ANJIAN_CHAIN_CONTRACT", CONTRACT)
    settings = load_settings()
    assert settings.chain_owner_key.get_secret_value() == OWNER_KEY
    assert settings.chain_contract == CONTRACT


@pytest.mark.parametrize("value", [None, ""])
def test_unset_or_empty_means_no_owner_key_and_no_pinned_contract(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is not None:
        monkeypatch.setenv("ANJIAN_CHAIN_OWNER_KEY", value)
        monkeypatch.setenv("ANJIAN_CHAIN_CONTRACT", value)
    settings = load_settings()
    assert settings.chain_owner_key.get_secret_value() == ""
    assert settings.chain_contract == ""


def test_the_owner_key_never_shows_in_the_settings_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANJIAN_CHAIN_OWNER_KEY", OWNER_KEY)
    settings = load_settings()
    assert OWNER_KEY[2:] not in repr(settings)
    assert OWNER_KEY[2:] not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (OWNER_KEY[2:], "must be a secp256k1 private key written as 0x and 64 hex digits"),
        (OWNER_KEY[:-2], "must be a secp256k1 private key written as 0x and 64 hex digits"),
        (OWNER_KEY + "00", "must be a secp256k1 private key written as 0x and 64 hex digits"),
        (OWNER_KEY[:-1] + "g", "must be a secp256k1 private key written as 0x and 64 hex digits"),
        (" " + OWNER_KEY, "must be a secp256k1 private key written as 0x and 64 hex digits"),
        ("0x" + "00" * 32, "is not a secp256k1 private key"),
        (f"0x{SECP256K1_ORDER:064x}", "is not a secp256k1 private key"),
        ("0x" + "ff" * 32, "is not a secp256k1 private key"),
    ],
    ids=["no-0x", "31-bytes", "33-bytes", "not-hex", "space", "zero", "order", "above-order"],
)
def test_a_malformed_owner_key_names_its_variable_and_is_not_echoed(
    monkeypatch: pytest.MonkeyPatch, value: str, why: str
) -> None:
    monkeypatch.setenv("ANJIAN_CHAIN_OWNER_KEY", value)
    with pytest.raises(ValidationError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"ANJIAN_CHAIN_OWNER_KEY {why}" in message
    digits = value.strip().removeprefix("0x")
    assert digits[:10] not in message  # pydantic would show the start and end of the input
    assert digits[-10:] not in message


def test_the_largest_private_key_below_the_curve_order_is_accepted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    largest = f"0x{SECP256K1_ORDER - 1:064x}"
    monkeypatch.setenv("ANJIAN_CHAIN_OWNER_KEY", largest)
    assert load_settings().chain_owner_key.get_secret_value() == largest


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (CONTRACT[2:], "must be a contract address written as 0x and 40 hex digits"),
        (CONTRACT[:-2], "must be a contract address written as 0x and 40 hex digits"),
        (CONTRACT + "00", "must be a contract address written as 0x and 40 hex digits"),
        (CONTRACT[:-1] + "g", "must be a contract address written as 0x and 40 hex digits"),
        (CONTRACT.replace("F", "f", 1), "fails its EIP-55 checksum"),
    ],
    ids=["no-0x", "19-bytes", "21-bytes", "not-hex", "bad-checksum"],
)
def test_a_malformed_contract_address_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, value: str, why: str
) -> None:
    monkeypatch.setenv("ANJIAN_CHAIN_CONTRACT", value)
    with pytest.raises(ValidationError, match=f"ANJIAN_CHAIN_CONTRACT {why}"):
        load_settings()


@pytest.mark.parametrize("value", [CONTRACT, CONTRACT.lower(), "0x" + CONTRACT[2:].upper()])
def test_a_contract_address_in_one_case_or_with_its_checksum_is_accepted(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ANJIAN_CHAIN_CONTRACT", value)
    assert load_settings().chain_contract == value


def test_an_unknown_database_scheme_names_its_variable_and_is_not_echoed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANJIAN_DATABASE_URL", "mysql://anjian:s3cret@db/anjian")
    with pytest.raises(ValidationError, match="ANJIAN_DATABASE_URL must be empty") as caught:
        load_settings()
    assert "s3cret" not in str(caught.value)


def test_the_time_zone_is_read_from_its_variable_and_an_unknown_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert str(load_settings().zone) == "Asia/Shanghai"
    monkeypatch.setenv("ANJIAN_TIMEZONE", "Asia/Urumqi")
    assert str(load_settings().zone) == "Asia/Urumqi"
    monkeypatch.setenv("ANJIAN_TIMEZONE", "Asia/Atlantis")
    with pytest.raises(ValidationError, match="ANJIAN_TIMEZONE must name an IANA time zone"):
        load_settings()


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("ANJIAN_CHAIN_CONTRACT", "0x12", "ANJIAN_CHAIN_CONTRACT"),
        ("ANJIAN_POSTGRES_POOL_SIZE", "many", "ANJIAN_POSTGRES_POOL_SIZE"),
    ],
)
def test_the_cli_names_a_bad_setting_without_a_traceback(
    tmp_path: Path, variable: str, value: str, named: str
) -> None:
    env = {**os.environ, "ANJIAN_HOME": str(tmp_path), variable: value}
    done = subprocess.run(
        [sys.executable, "-c", "from ops.cli import main; main()", "enterprises"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("SettingsError: ")
    assert named in done.stderr
    assert "Traceback" not in done.stderr
    assert value not in done.stderr.replace(named, "")  # the value is not echoed back


@pytest.mark.parametrize(
    "url",
    [
        "nats://127.0.0.1:4222",
        "tls://nats.hubei.gov.cn:4222",
        "nats://a:4222,nats://b:4222, tls://c:4223",
        "nats://relay:secret@10.0.0.5:4222",
    ],
)
def test_nats_url_takes_nats_or_tls_urls_separated_by_commas(url: str) -> None:
    assert load_settings(nats_url=url).nats_url == url.strip()


@pytest.mark.parametrize(
    "url",
    ["nonsense", "http://nats:4222", "nats://", "nats://h:99999", "nats://a:1,,nats://b:2",
     "nats://h:4222/path", "127.0.0.1:4222"],
)  # fmt: skip
def test_a_nats_url_that_is_not_a_nats_url_names_its_variable(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        load_settings(nats_url=url)
    message = str(caught.value)
    assert "ANJIAN_NATS_URL must be empty (the embedded nats-server) or nats://" in message
    assert "secret" not in message


def test_nats_creds_without_an_external_server_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="ANJIAN_NATS_CREDS applies to an external"):
        load_settings(nats_creds=tmp_path / "platform.creds")
