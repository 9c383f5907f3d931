"""ANJIAN_KEYS_DIR keeps the platform's signing keys apart from the data directory: a copy of the
data directory alone cannot sign (it is refused before anything is opened, and writes nothing),
a keys directory others may read is refused naming the path, and `ledger status` and
`audit verify` say when the keys share the data directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ops.cli import app
from ops.key_directory import MARKER
from ops.keystore import KEY_FILES, Keystore

ACCOUNT = "r-wh-1"


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "var"
    monkeypatch.setenv("ANJIAN_HOME", str(home))
    monkeypatch.delenv("ANJIAN_KEYS_DIR", raising=False)
    monkeypatch.delenv("ANJIAN_DATABASE_URL", raising=False)
    return home


@pytest.fixture
def keys(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    keys = tmp_path / "secrets" / "anjian"
    monkeypatch.setenv("ANJIAN_KEYS_DIR", str(keys))
    del home
    return keys


def record_regulator(tmp_path: Path, keys: Path) -> Result:
    line = {
        "type": "actor.register",
        "actor": "platform",
        "region": "420000",
        "data": {
            "account": ACCOUNT,
            "role": "regulator",
            "name": "武汉市应急管理局",
            "jurisdiction": "420100",
            "public_key": Keystore(keys).custodial(ACCOUNT).public_key_b64,
            "custody": "platform",
        },
    }
    f = tmp_path / "regulator.jsonl"
    f.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    return cli("record", str(f), "--as", "platform", "--no-sync")


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def one_line_error(result: Result, name: str) -> str:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{name}: "), lines[0]
    return lines[0]


def test_with_keys_apart_the_data_directory_holds_no_signing_key(
    tmp_path: Path, home: Path, keys: Path
) -> None:
    assert record_regulator(tmp_path, keys).exit_code == 0
    assert sorted(p.name for p in keys.iterdir()) == sorted(KEY_FILES)
    assert not any((home / "keys" / name).exists() for name in KEY_FILES)
    assert (home / MARKER).exists()


def test_a_copy_of_the_data_directory_alone_cannot_sign_and_writes_nothing(
    tmp_path: Path, home: Path, keys: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert record_regulator(tmp_path, keys).exit_code == 0
    copy = tmp_path / "copy"
    shutil.copytree(home, copy)
    before = snapshot(copy)
    monkeypatch.setenv("ANJIAN_HOME", str(copy))
    monkeypatch.delenv("ANJIAN_KEYS_DIR")
    error = one_line_error(record_regulator(tmp_path, keys), "KeysMissing")
    assert "ANJIAN_KEYS_DIR" in error
    one_line_error(cli("ledger", "sync"), "KeysMissing")
    empty = tmp_path / "empty"
    empty.mkdir(mode=0o700)
    monkeypatch.setenv("ANJIAN_KEYS_DIR", str(empty))
    error = one_line_error(cli("ledger", "sync"), "KeysMissing")
    assert str(empty / KEY_FILES[0]) in error
    other = tmp_path / "other"
    shutil.copytree(keys, other)
    (other / "log.ed25519").write_bytes(b"\x07" * 32)
    monkeypatch.setenv("ANJIAN_KEYS_DIR", str(other))
    error = one_line_error(cli("ledger", "sync"), "KeysMissing")
    assert "log.ed25519 is not the key" in error
    assert snapshot(copy) == before
    assert not (copy / "keys" / KEY_FILES[0]).exists()


@pytest.mark.parametrize("loose", ["directory", "file"])
def test_a_keys_directory_others_may_read_is_refused_naming_the_path(
    tmp_path: Path, home: Path, keys: Path, loose: str
) -> None:
    assert record_regulator(tmp_path, keys).exit_code == 0
    path = keys if loose == "directory" else keys / "custody.secret"
    path.chmod(0o755 if loose == "directory" else 0o644)
    error = one_line_error(cli("ledger", "status"), "KeysDirTooOpen")
    assert f"{path} is mode" in error
    del home


def test_a_keys_directory_inside_the_data_directory_is_refused(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANJIAN_KEYS_DIR", str(home / "secrets"))
    error = one_line_error(cli("ledger", "status"), "KeysDirError")
    assert "inside the data directory" in error


def test_keys_kept_in_the_data_directory_must_be_moved_before_they_are_kept_apart(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert record_regulator(tmp_path, home / "keys").exit_code == 0
    keys = tmp_path / "secrets"
    monkeypatch.setenv("ANJIAN_KEYS_DIR", str(keys))
    error = one_line_error(cli("ledger", "status"), "KeysDirError")
    assert f"move them to {keys}" in error
    for name in KEY_FILES:
        if (home / "keys" / name).exists():
            keys.mkdir(mode=0o700, exist_ok=True)
            shutil.move(home / "keys" / name, keys / name)
    assert cli("ledger", "status").exit_code == 0
    assert (home / MARKER).exists()


def test_status_and_verify_say_when_the_keys_share_the_data_directory(
    tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert record_regulator(tmp_path, home / "keys").exit_code == 0
    status = json.loads(cli("ledger", "status", "--json").stdout)
    assert status["keys"]["apart"] is False
    assert "a copy of it can sign as the platform" in status["keys"]["statement"]
    assert "share the data directory" in cli("ledger", "status").stdout
    verified = cli("audit", "verify", "--offline", "--json")
    assert any("share the data directory" in n for n in json.loads(verified.stdout)["notes"])
    keys = tmp_path / "secrets"
    keys.mkdir(mode=0o700)
    for name in KEY_FILES:
        if (home / "keys" / name).exists():
            shutil.move(home / "keys" / name, keys / name)
    monkeypatch.setenv("ANJIAN_KEYS_DIR", str(keys))
    status = json.loads(cli("ledger", "status", "--json").stdout)
    assert status["keys"]["apart"] is True
    verified = cli("audit", "verify", "--offline", "--json")
    assert not any("share the data directory" in n for n in json.loads(verified.stdout)["notes"])
