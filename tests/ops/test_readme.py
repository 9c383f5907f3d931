"""The README's examples run: every `anjian` line of its shell blocks is executed against a demo
province (the `make` lines set the machine up and are left to `make`), its JSON command line is
a command of the catalog, and every command and option its command table names exists. The
demo province fills every analysis the README names."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from domain.catalog import CATALOG
from ops.cli import app
from projections.analytics import ANALYSES

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)
runner = CliRunner()
# Large enough that every analysis has rows (§113 included: a repeat offender's major hazard).
PROVINCE = ["--enterprises", "40", "--months", "24", "--seed", "7"]


def blocks(language: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(README.read_text("utf-8")) if lang == language]


def shell_lines() -> list[str]:
    """The logical lines of the README's shell blocks (continuations joined)."""
    lines: list[str] = []
    for body in blocks("sh"):
        for line in body.replace("\\\n", " ").splitlines():
            code = line.split("  #")[0].strip()
            if code:
                lines.append(code)
    return lines


def anjian_lines() -> list[str]:
    return [line for line in shell_lines() if not line.startswith("make ")]


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("readme")
    done = runner.invoke(app, ["demo", *PROVINCE], env={"ANJIAN_HOME": str(home)})
    assert done.exit_code == 0, done.output
    return home


def run_line(line: str, home: Path) -> Any:
    """One README line: `anjian ARGS`, or `echo 'JSON' | .venv/bin/anjian ARGS`."""
    stdin = None
    if "|" in line and line.startswith("echo "):
        left, right = line.split("|", 1)
        (_, stdin) = shlex.split(left)
        stdin += "\n"
        line = right.strip()
    argv = shlex.split(line)
    assert argv[0] in ("anjian", ".venv/bin/anjian"), line
    return runner.invoke(app, argv[1:], input=stdin, env={"ANJIAN_HOME": str(home)})


def test_the_readme_has_examples_to_run() -> None:
    assert len(anjian_lines()) >= 8
    assert {line.split()[0] for line in shell_lines()} <= {"make", "anjian", "echo"}


def test_every_anjian_line_of_the_readme_runs_against_the_demo_province(
    province: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where `-o FILE` writes
    for line in anjian_lines():
        done = run_line(line, province)
        assert done.exit_code == 0, (line, done.output)
    todo = json.loads(run_line("anjian todo --region 420100 --json", province).stdout)
    assert todo["items"]
    for item in todo["items"][:3]:
        shown = run_line(f"anjian show {item['event_id']} --json", province)
        assert shown.exit_code == 0, shown.output
    assert (tmp_path / "licences.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_the_demo_province_fills_every_analysis(province: Path) -> None:
    for name in ANALYSES:
        done = run_line(f"anjian analytics {name} --json", province)
        assert done.exit_code == 0, done.output
        assert json.loads(done.stdout), name


def test_the_readmes_json_command_line_is_a_command_of_the_catalog() -> None:
    (body,) = blocks("json")
    line = json.loads(body)
    env = line["envelope"]
    spec = CATALOG[env["type"]]
    assert env["role"] in spec.describe()["roles"]
    properties = spec.schema["properties"]
    assert set(env["data"]) <= set(properties)
    assert set(spec.schema["required"]) <= set(env["data"])
    assert set(line) == {"envelope", "signature", "key_id"}


def _commands_in_the_table() -> list[str]:
    text = README.read_text("utf-8")
    table = text.split("## Command line", 1)[1].split("\n\n", 2)[1]
    found = []
    for row in table.splitlines():
        first = row.split(" | ")[0]
        found += [c for c in re.findall(r"`([^`]+)`", first) if c.startswith("anjian ")]
    return found


def _resolve(words: list[str]) -> Any:
    """The click command the words name (typer's own click types)."""
    command: Any = typer.main.get_command(app)
    for word in words:
        subcommands = getattr(command, "commands", None)
        assert isinstance(subcommands, dict), words
        command = subcommands[word]
    return command


def test_every_command_and_option_of_the_command_table_exists() -> None:
    commands = _commands_in_the_table()
    assert len(commands) >= 20
    for text in commands:
        tokens = text.replace("[", " ").replace("]", " ").replace("\\|", " ").split()[1:]
        words = []
        for t in tokens:
            if t.startswith("-") or not t.islower() or "|" in t:
                break
            words.append(t)
        command = _resolve(words)
        options = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        for t in tokens:
            for option in re.findall(r"^--?[a-z][a-z-]*", t):
                assert option in options, (text, option)
