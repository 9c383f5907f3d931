"""Personal data at rest and its erasure: a private data directory, the vault's keys apart from
the ciphertexts, and `anjian privacy erase` (个人信息保护法 §47)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner, Result

from domain.actor import PLATFORM_ACCOUNT
from ledger.keys import KeyPair
from ledger.privacy import SubjectErased, Vault
from ops.bootstrap import build
from ops.cli import app
from ops.settings import load_settings
from tests.ops.test_cli_record import enterprise_line, regulator_line, write
from tests.support import new_uscc

BIN = Path(sys.executable).parent
PERSON = {"name": "欧阳明远", "id_number": "42010219900101123X", "phone": "13912345678"}
PLATFORM_VARIABLES = (
    "ANJIAN_CHAIN_RPC_URL",
    "ANJIAN_DATABASE_URL",
    "ANJIAN_VAULT_URL",
    "ANJIAN_CHAIN_OWNER_KEY",
    "ANJIAN_CHAIN_CONTRACT",
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    for name in PLATFORM_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "var"


def log_key(bundle: Path) -> str:
    """The log key of the platform that made `bundle`, which the auditor pins."""
    return str(json.loads(bundle.read_text(encoding="utf-8"))["log_key"])


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def anjian(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`anjian ARGS` in a fresh process started with the usual umask 022."""
    env = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    return subprocess.run(
        [str(BIN / "anjian"), *args],
        env={**env, "ANJIAN_HOME": str(home)},
        umask=0o022,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def modes(home: Path) -> dict[str, int]:
    """Every path under `home` (itself included) → its permission bits."""
    out = {".": stat.S_IMODE(home.stat().st_mode)}
    for path in home.rglob("*"):
        out[str(path.relative_to(home))] = stat.S_IMODE(path.lstat().st_mode)
    return out


# -- a private data directory ------------------------------------------------------------------


def test_a_fresh_home_holds_only_owner_only_files_after_a_command(tmp_path: Path) -> None:
    home = tmp_path / "var"
    line = {
        "type": "actor.register",
        "actor": PLATFORM_ACCOUNT,
        "region": "420000",
        "data": {
            "account": "r-own-key",
            "role": "regulator",
            "name": "武汉市应急管理局",
            "jurisdiction": "420100",
            "public_key": KeyPair.generate().public_key_b64,
            "custody": "own",
        },
    }
    done = anjian(home, "record", str(write(tmp_path / "in.jsonl", [line])), "--as", "platform")
    assert done.returncode == 0, done.stderr
    assert anjian(home, "enterprises").returncode == 0  # the read models too
    found = modes(home)
    for name in ("anjian.sqlite", "readmodels.sqlite", "keys/vault.sqlite", "chain", "keys"):
        assert name in found
    wrong = {
        name: oct(mode)
        for name, mode in found.items()
        if mode != (0o700 if (home / name).is_dir() else 0o600)
    }
    assert wrong == {}


def test_a_home_with_looser_permissions_is_tightened_and_reported(tmp_path: Path) -> None:
    home = tmp_path / "var"
    (home / "keys").mkdir(parents=True)
    secret = home / "keys" / "custody.secret"
    secret.write_bytes(os.urandom(32))
    notes = home / "notes.txt"
    notes.write_text("x")
    for path, mode in ((home, 0o755), (home / "keys", 0o755), (secret, 0o644), (notes, 0o664)):
        path.chmod(mode)
    done = anjian(home, "record", "/dev/null", "--no-sync")  # the first run creates the store
    assert done.returncode == 0, done.stderr
    assert modes(home)["."] == 0o700
    assert (modes(home)["keys"], modes(home)["keys/custody.secret"]) == (0o700, 0o600)
    assert modes(home)["notes.txt"] == 0o600
    assert "removed them from 4 path(s)" in done.stderr
    again = anjian(home, "ledger", "status")
    assert "removed" not in again.stderr  # reported once, when it was tightened


# -- the vault's keys apart from the ciphertexts ------------------------------------------------


def certificate_line(uscc: str, holder: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "certificate.issue",
        "actor": "r-wh-1",
        "region": "420102",
        "data": {
            "enterprise": uscc,
            "holder": holder,
            "category": "electrical",
            "operation": "低压电工作业",
            "number": "T-420102-0001",
            "exam_score": 92,
            "exam_on": "2024-02-20",
        },
    }


def record_certificate(home: Path, tmp_path: Path) -> str:
    """Record a certificate whose holder is PERSON in the clear; the certificate event id."""
    uscc = new_uscc()
    setup = cli(
        "record", str(write(tmp_path / "r.jsonl", [regulator_line(home)])), "--as", "platform"
    )
    assert setup.exit_code == 0, setup.output
    lines = [enterprise_line(uscc), certificate_line(uscc, dict(PERSON))]
    result = cli("record", str(write(tmp_path / "in.jsonl", lines)), "--json", "--as", "r-wh-1")
    assert result.exit_code == 0, result.output
    event_id: str = json.loads(result.stdout.splitlines()[-1])["event_id"]
    return event_id


def subjects() -> list[dict[str, Any]]:
    result = cli("privacy", "subjects", "--json")
    assert result.exit_code == 0, result.output
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def holder_of(event_id: str) -> dict[str, str]:
    shown = json.loads(cli("show", event_id, "--json").stdout)
    holder: dict[str, str] = shown["envelope"]["data"]["holder"]
    return holder


def test_the_vaults_keys_are_kept_in_their_own_store_under_the_keys_directory(
    home: Path, tmp_path: Path
) -> None:
    holder = holder_of(record_certificate(home, tmp_path))
    events = create_engine(f"sqlite:///{home / 'anjian.sqlite'}")
    assert not inspect(events).has_table("vault_subjects")
    events.dispose()
    with sqlite3.connect(home / "keys" / "vault.sqlite") as keys:
        refs = [UUID(r) for (r,) in keys.execute("SELECT ref FROM vault_subjects")]
    assert refs == [UUID(holder["ref"])]


def test_start_up_moves_keys_from_the_event_store_and_removes_them_there(
    home: Path, tmp_path: Path
) -> None:
    """A home of an earlier version: the vault's table in anjian.sqlite, no key store."""
    holder = holder_of(record_certificate(home, tmp_path))
    store = home / "keys" / "vault.sqlite"
    with sqlite3.connect(home / "anjian.sqlite") as events:
        events.execute("ATTACH DATABASE ? AS keys", (str(store),))
        events.execute("CREATE TABLE main.vault_subjects AS SELECT * FROM keys.vault_subjects")
        (key,) = events.execute("SELECT key FROM vault_subjects").fetchone()
    events.close()
    store.unlink()

    platform = build(load_settings())
    try:
        assert platform.vault.open(holder) == PERSON
    finally:
        platform.close()
    files = b"".join(p.read_bytes() for p in home.glob("anjian.sqlite*"))
    assert key not in files
    assert key in store.read_bytes()
    assert stat.S_IMODE(store.stat().st_mode) == 0o600


def test_the_vault_cannot_share_the_event_stores_database(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(home.parent)
    monkeypatch.setenv("ANJIAN_VAULT_URL", "sqlite:///./var/../var/anjian.sqlite")
    result = cli("enterprises")
    assert result.exit_code != 0
    with pytest.raises(ValueError, match="ANJIAN_VAULT_URL must name another database"):
        load_settings()


# -- erasure ------------------------------------------------------------------------------------


def every_byte(home: Path) -> bytes:
    """Every file under the data directory: stores, read models, keys and the vault."""
    return b"".join(p.read_bytes() for p in sorted(home.rglob("*")) if p.is_file())


def test_erasure_is_recorded_then_no_file_can_recover_the_person_and_every_proof_holds(
    home: Path, tmp_path: Path
) -> None:
    certificate = record_certificate(home, tmp_path)
    holder = holder_of(certificate)
    ref = holder["ref"]
    with sqlite3.connect(home / "keys" / "vault.sqlite") as keys:
        (key, salt) = keys.execute("SELECT key, salt FROM vault_subjects").fetchone()
    assert [(s["ref"], s["status"]) for s in subjects()] == [(ref, "sealed")]

    result = cli("privacy", "erase", ref, "--reason", "持证人撤回同意", "--json")
    assert result.exit_code == 0, result.output
    erased = json.loads(result.stdout)
    assert (erased["event_id"], erased["recorded_now"]) == (f"{ref}:1", True)
    shown = json.loads(cli("show", erased["event_id"], "--json").stdout)["envelope"]
    assert (shown["type"], shown["data"]) == (
        "person.erase",
        {"record": certificate.split(":")[0], "reason": "持证人撤回同意"},
    )
    assert [(s["ref"], s["status"], s["erasure_event_id"]) for s in subjects()] == [
        (ref, "erased", erased["event_id"])
    ]

    # Nothing left to recover the person from: not the plaintext, not the key, not the salt.
    stored = every_byte(home)
    assert holder["sealed"].encode() in stored  # the ciphertext is still in the log
    for secret in (PERSON["name"].encode(), PERSON["id_number"].encode(), key, salt):
        assert secret not in stored
    platform = build(load_settings())
    try:
        with pytest.raises(SubjectErased, match="cannot be opened"):
            platform.vault.open(holder)
    finally:
        platform.close()

    # Every proof still holds, the certificate's included, checked by the auditor's tool.
    verified = cli("audit", "verify", "--json")
    assert verified.exit_code == 0, verified.output
    bundle = tmp_path / "bundle.json"
    assert cli("audit", "proof", certificate, "-o", str(bundle)).exit_code == 0
    auditor = {k: v for k, v in os.environ.items() if not k.startswith("ANJIAN_")}
    done = subprocess.run(
        [sys.executable, "-m", "audit", "check", str(bundle), "--log-key", log_key(bundle)],
        cwd=tmp_path,
        env=auditor,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_erasing_twice_records_nothing_and_answers_with_the_first_erasure(
    home: Path, tmp_path: Path
) -> None:
    ref = holder_of(record_certificate(home, tmp_path))["ref"]
    first = json.loads(cli("privacy", "erase", ref, "--json").stdout)
    events = json.loads(cli("ledger", "status", "--json").stdout)["last_notification_id"]
    again = cli("privacy", "erase", ref, "--json")
    assert again.exit_code == 0, again.output
    second = json.loads(again.stdout)
    assert (second["event_id"], second["recorded_now"]) == (first["event_id"], False)
    assert json.loads(cli("ledger", "status", "--json").stdout)["last_notification_id"] == events


def test_erasing_an_unknown_subject_is_a_one_line_error(home: Path, tmp_path: Path) -> None:
    record_certificate(home, tmp_path)
    unknown = "00000000-0000-4000-8000-000000000000"
    result = cli("privacy", "erase", unknown)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"UnknownSubject: no personal data subject {unknown} in the vault"
    ]
    usage = cli("privacy", "erase", "{00000000-0000-4000-8000-000000000000}")
    assert usage.exit_code == 2
    assert len(usage.stderr.splitlines()) == 1


def test_a_vault_key_store_file_is_created_owner_only(tmp_path: Path) -> None:
    before = os.umask(0o022)
    try:
        Vault(f"sqlite:///{tmp_path / 'keys' / 'vault.sqlite'}").close()
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "keys" / "vault.sqlite").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "sealed",
    [
        "姓名 张三 身份证 420102199001011234",  # plaintext posing as a ciphertext
        "5aeT5ZCNIOW8oOS4iSDouqvku73or4EgNDIwMTAyMTk5MDAxMDExMjM0",  # the same, in base64
    ],
)
def test_a_sealed_person_the_vault_did_not_seal_is_refused_and_nothing_is_stored(
    home: Path, tmp_path: Path, sealed: str
) -> None:
    """A 'sealed' holder that is really plaintext would enter the log for good, beyond any
    erasure (个人信息保护法 §47): only this vault's seals of subjects it holds pass."""
    record_certificate(home, tmp_path)  # a real seal, to compare against
    real = subjects()[0]
    forged = {"ref": "11111111-2222-4333-8444-555555555555", "commitment": "0" * 64}
    line = certificate_line(new_uscc(), {**forged, "sealed": sealed})
    count = json.loads(cli("ledger", "status", "--json").stdout)["last_notification_id"]
    result = cli("record", str(write(tmp_path / "forged.jsonl", [line])), "--as", "r-wh-1")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("InvalidValue: line 1:"), result.stderr
    assert json.loads(cli("ledger", "status", "--json").stdout)["last_notification_id"] == count
    assert [s["ref"] for s in subjects()] == [real["ref"]]
