"""Every error of the command line is one line, `ErrorName: message`, on stderr, with a non-zero
exit: bad arguments to every command (enumerated from the Typer app, so a new command is covered
the day it is registered), unreadable input, unwritable output, impossible event ids."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import typer
from typer.testing import CliRunner

from ops.cli import app
from ops.keystore import Keystore
from tests.support import new_uscc

runner = CliRunner()
ONE_LINE = re.compile(r"[A-Z][A-Za-z]*: \S.*")
BAD = "/no/such:thing"  # a missing file, an invalid id, an unknown name, an invalid code


def commands() -> Iterator[tuple[list[str], Any]]:
    """(path, click command) of every leaf command of `anjian`, groups walked recursively."""

    def walk(group: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        for name, command in sorted(group.commands.items()):
            if hasattr(command, "commands"):
                yield from walk(command, [*path, name])
            else:
                yield [*path, name], command

    return walk(typer.main.get_command(app), [])


def bad_invocations() -> Iterator[Any]:
    """For each command: an unknown option; every option without its value (or, for a flag,
    with one); every number option with a word; its arguments and required options all BAD."""
    for path, command in commands():
        name = " ".join(path)
        yield pytest.param([*path, "--no-such-option"], id=f"{name} --no-such-option")
        filled: list[str] = []
        for param in command.params:
            opt = param.opts[0]
            if param.param_type_name == "argument":
                filled.append(BAD)
            elif getattr(param, "is_flag", False):
                yield pytest.param([*path, f"{opt}=yes"], id=f"{name} {opt}=yes")
            else:
                yield pytest.param([*path, opt], id=f"{name} {opt} (no value)")
                if param.type_descriptor.annotation in (int, float):
                    yield pytest.param([*path, opt, "many"], id=f"{name} {opt} many")
                if param.required:
                    filled += [opt, BAD]
        if filled:
            yield pytest.param([*path, *filled], id=f"{name} {' '.join(filled)}")


def assert_one_line_error(code: int, stderr: str) -> None:
    assert code != 0
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert ONE_LINE.fullmatch(lines[0]), stderr


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    return tmp_path / "var"


def test_every_command_is_enumerated() -> None:
    names = {" ".join(path) for path, _ in commands()}
    assert {"record", "show", "audit proof", "projections rebuild", "export"} <= names


@pytest.mark.parametrize("argv", list(bad_invocations()))
def test_every_command_answers_bad_arguments_with_one_line_and_a_non_zero_exit(
    home: Path, argv: list[str]
) -> None:
    result = runner.invoke(app, argv)
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    assert_one_line_error(result.exit_code, result.stderr)


def test_a_usage_error_names_the_command_in_one_line(home: Path) -> None:
    result = runner.invoke(app, ["ledger", "sync", "--no-such-option"])
    assert result.exit_code == 2
    assert result.stderr == "UsageError: anjian ledger sync: No such option: --no-such-option\n"


def test_a_group_asked_for_nothing_still_prints_its_help(home: Path) -> None:
    result = runner.invoke(app, ["ledger"])
    assert "sync" in result.output
    assert "status" in result.output


# -- real processes: stdin, encodings, files ---------------------------------------------------


def anjian(home: Path, *argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """`anjian ARGV` in a fresh interpreter (the code of this checkout), stdin as given."""
    env = {**os.environ, "ANJIAN_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-c", "from ops.cli import main; main()", *argv],
        input=stdin,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )


def one_line_error(done: subprocess.CompletedProcess[bytes]) -> str:
    stderr = done.stderr.decode("utf-8")
    assert_one_line_error(done.returncode, stderr)
    return stderr


def test_invalid_utf8_on_stdin_is_named_by_its_line(home: Path) -> None:
    stdin = b"\n" + b'{"type": "enterprise.register", "actor": "r-1", "data": {"name": "\xff"}}\n'
    stderr = one_line_error(anjian(home, "record", "-", "--as", "r-1", stdin=stdin))
    assert stderr.startswith("InvalidEnvelope: line 2: not UTF-8: byte 0xff")


def test_a_line_of_a_hundred_thousand_nested_arrays_is_refused(home: Path) -> None:
    stdin = b"[" * 100_000 + b"]" * 100_000 + b"\n"
    stderr = one_line_error(anjian(home, "record", "-", stdin=stdin))
    assert stderr.startswith("InvalidEnvelope: line 1: nested deeper than")


def test_nesting_the_parser_accepts_is_still_refused_before_anything_recurses(
    home: Path,
) -> None:
    deep: object = "x"
    for _ in range(500):
        deep = [deep]
    line = {"type": "enterprise.register", "actor": "platform", "region": "420000"}
    stdin = json.dumps({**line, "data": {"name": deep}}).encode() + b"\n"
    stderr = one_line_error(anjian(home, "record", "-", "--as", "platform", stdin=stdin))
    assert stderr.startswith("InvalidEnvelope: line 1: nested deeper than 32 levels [/data/name/")


def test_a_missing_input_file_is_one_line(home: Path, tmp_path: Path) -> None:
    stderr = one_line_error(anjian(home, "record", str(tmp_path / "missing.jsonl")))
    assert stderr.startswith("FileNotFoundError: cannot read ")
    stderr = one_line_error(anjian(home, "audit", "check", str(tmp_path / "missing.json")))
    assert stderr.startswith("BundleFormatError: cannot read ")


def test_an_input_that_is_a_directory_is_one_line(home: Path, tmp_path: Path) -> None:
    stderr = one_line_error(anjian(home, "record", str(tmp_path)))
    assert stderr.startswith("IsADirectoryError: cannot read ")


def test_a_bundle_nested_too_deeply_is_one_line(home: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "deep.json"
    bundle.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    stderr = one_line_error(anjian(home, "audit", "check", str(bundle)))
    assert stderr.startswith("BundleFormatError: ")


def test_a_missing_output_directory_is_one_line(home: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    stderr = one_line_error(
        anjian(home, "export", "enterprises", "--format", "csv", "-o", str(missing / "e.csv"))
    )
    assert stderr.startswith("FileNotFoundError: cannot write ")


def test_a_huge_version_in_an_event_id_is_one_line(home: Path) -> None:
    event_id = f"{uuid4()}:99999999999999999999"
    for argv in (["show", event_id], ["audit", "proof", event_id]):
        stderr = one_line_error(anjian(home, *argv))
        assert stderr.startswith("InvalidValue: event id must be '<uuid>:<version>'")


@pytest.mark.parametrize("version", ["0", "-1", "+1", "1_000", "١", " 1", "1.0"])
def test_an_event_version_is_ascii_digits_from_one(home: Path, version: str) -> None:
    result = runner.invoke(app, ["show", f"{uuid4()}:{version}"])
    assert result.exit_code == 1
    assert result.stderr.startswith("InvalidValue: event id must be '<uuid>:<version>'")


# -- a batch names the line that failed --------------------------------------------------------


def regulator(home: Path) -> dict[str, Any]:
    return {
        "type": "actor.register",
        "actor": "platform",
        "region": "420000",
        "data": {
            "account": "r-1",
            "role": "regulator",
            "name": "武汉市应急管理局",
            "jurisdiction": "420100",
            "public_key": Keystore(home / "keys").custodial("r-1").public_key_b64,
            "custody": "platform",
        },
    }


def enterprise(uscc: str) -> dict[str, Any]:
    data = {"uscc": uscc, "name": "某公司", "industry": "non_coal_mining"}
    return {
        "type": "enterprise.register",
        "actor": "r-1",
        "region": "420102",
        "data": {**data, "standardisation": "level2"},
    }


@pytest.mark.parametrize("batch", ["1", "3", "10"])
def test_inside_a_batch_the_error_names_the_line_that_failed(
    home: Path, tmp_path: Path, batch: str
) -> None:
    f = tmp_path / "platform.jsonl"
    f.write_text(json.dumps(regulator(home)) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["record", str(f), "--as", "platform", "--no-sync"]).exit_code == 0
    a, b, c = new_uscc(), new_uscc(), new_uscc()
    lines = [enterprise(a), enterprise(b), enterprise(c), enterprise(c), enterprise(b)]
    f = tmp_path / "batch.jsonl"
    f.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    result = runner.invoke(app, ["record", str(f), "--as", "r-1", "--batch", batch, "--no-sync"])
    assert result.exit_code == 1
    assert result.stderr.startswith("AlreadyExists: line 4: "), result.stderr


def test_an_endless_bundle_is_refused_at_its_limit(home: Path) -> None:
    stderr = one_line_error(anjian(home, "audit", "check", "/dev/zero"))
    assert stderr.startswith("BundleFormatError: cannot read /dev/zero: more than ")
    assert "too large to be a proof bundle" in stderr


def test_an_endless_receipt_is_refused_at_its_limit(home: Path) -> None:
    stderr = one_line_error(anjian(home, "audit", "receipt", "/dev/zero"))
    assert stderr.startswith("ReceiptRefused: cannot read /dev/zero: more than 65536 bytes")


def test_the_auditors_own_check_refuses_an_endless_bundle_at_its_limit() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "audit", "check", "/dev/zero"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert_one_line_error(done.returncode, done.stderr)
    assert "too large to be a proof bundle" in done.stderr
