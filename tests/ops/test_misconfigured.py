"""A misconfigured environment or an unreachable service ends a command with one line naming
what is wrong, never a traceback (each was a traceback before)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ops.test_cli_errors import assert_one_line_error


def anjian(home: Path, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m ops.cli ARGV` in a fresh interpreter with ANJIAN_* variables as given."""
    return subprocess.run(
        [sys.executable, "-m", "ops.cli", *argv],
        env={**os.environ, "ANJIAN_HOME": str(home), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def home(tmp_path: Path) -> Path:
    h = tmp_path / "home"
    h.mkdir(mode=0o700)
    return h


def test_python_dash_m_runs_the_command_line_as_anjian(home: Path) -> None:
    done = anjian(home, "ledger", "--help")
    assert done.returncode == 0, done.stderr
    assert "Usage: anjian ledger" in done.stdout


@pytest.mark.parametrize("url", ["nonsense", "ftp://node:8545", "http://", "http://h:99999"])
def test_a_rpc_option_that_is_not_an_http_url_is_a_usage_error(home: Path, url: str) -> None:
    done = anjian(home, "audit", "verify", "--rpc", url)
    assert_one_line_error(done.returncode, done.stderr)
    assert done.returncode == 2
    assert "--rpc" in done.stderr
    assert "http(s) JSON-RPC URL" in done.stderr


def test_a_chain_url_setting_that_is_not_an_http_url_names_its_variable(home: Path) -> None:
    done = anjian(home, "ledger", "sync", ANJIAN_CHAIN_RPC_URL="nonsense")
    assert_one_line_error(done.returncode, done.stderr)
    assert done.stderr.startswith("SettingsError: ANJIAN_CHAIN_RPC_URL must be empty")
    assert not (home / "anjian.sqlite").exists()  # refused before anything was opened


@pytest.mark.parametrize("origin", ["", "two words", "a+b", "tab\there"])
def test_a_log_origin_a_checkpoint_cannot_carry_names_its_variable(home: Path, origin: str) -> None:
    done = anjian(home, "ledger", "sync", ANJIAN_LOG_ORIGIN=origin)
    assert_one_line_error(done.returncode, done.stderr)
    assert done.stderr.startswith("SettingsError: ANJIAN_LOG_ORIGIN must be a C2SP log origin")


def test_an_unreachable_postgresql_is_one_line_naming_the_refusal(home: Path) -> None:
    url = f"postgresql://anjian@127.0.0.1:{closed_port()}/anjian"
    done = anjian(home, "enterprises", ANJIAN_DATABASE_URL=url)
    assert_one_line_error(done.returncode, done.stderr)
    assert done.stderr.startswith("StoreUnavailable: cannot open the database: ")
    assert "Connection refused" in done.stderr


@pytest.mark.parametrize("url", ["anjian.hubei.gov.cn", "ftp://anjian", "https://"])
def test_a_public_url_that_is_not_an_http_url_names_its_variable(home: Path, url: str) -> None:
    done = anjian(home, "ledger", "status", ANJIAN_PUBLIC_URL=url)
    assert_one_line_error(done.returncode, done.stderr)
    assert done.stderr.startswith("SettingsError: ANJIAN_PUBLIC_URL must be an http(s) URL")


@pytest.mark.parametrize("url", ["http://nats:4222", "nats://user:pw@", "nats://a:4222,"])
def test_a_nats_url_setting_that_is_not_a_nats_url_names_its_variable(home: Path, url: str) -> None:
    done = anjian(home, "integrators", "list", ANJIAN_NATS_URL=url)
    assert_one_line_error(done.returncode, done.stderr)
    assert done.returncode == 2
    assert done.stderr.startswith("SettingsError: ANJIAN_NATS_URL must be empty")
    assert "pw" not in done.stderr
    assert not (home / "nats").exists()
