"""`anjian stream`: after `anjian demo` the stream holds exactly the store's events with lag 0;
`tail` shows them by region and kind with their Chinese names; `types` is the table of
docs/STREAMS.md; without a reachable NATS a command says so on one line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from ops.cli import app
from ops.cli.stream import types_markdown
from services.ingest.genesis import ensure_genesis
from tests.nats_throwaway import NatsProcess, nats_server
from tests.ops.test_cli_errors import assert_one_line_error
from tests.ops.test_misconfigured import anjian
from tests.streams.support import ROOT, platform, published_ids, stored_ids

runner = CliRunner()
Demo = tuple[Path, NatsProcess]


def cli(home: Path, url: str, *args: str) -> Result:
    env = {"ANJIAN_HOME": str(home), "ANJIAN_NATS_URL": url}
    return runner.invoke(app, list(args), env=env)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    base = tmp_path_factory.mktemp("stream-cli")
    with nats_server(base / "nats") as server:
        made = cli(base / "home", server.url, "demo", "--enterprises", "5", "--months", "4")
        assert made.exit_code == 0, made.output
        yield base / "home", server


@pytest.mark.slow
def test_after_the_demo_the_stream_holds_exactly_the_stores_events_with_lag_0(
    demo: Demo,
) -> None:
    home, server = demo
    status = cli(home, server.url, "stream", "status", "--json")
    assert status.exit_code == 0, status.output
    report = json.loads(status.stdout)
    with platform(home, server.url) as p:
        stored = stored_ids(p)
    assert report["stream"]["messages"] == len(stored)
    assert report["relay"]["lag_events"] == 0
    assert report["relay"]["lag_seconds"] == 0
    assert report["relay"]["position"] == report["relay"]["head"]
    assert published_ids(server.url) == stored


@pytest.mark.slow
def test_tail_shows_one_region_and_kind_from_a_sequence(demo: Demo) -> None:
    home, server = demo
    shown = cli(home, server.url, "stream", "tail", "--region", "4201", "--kind", "enterprise",
                "--from", "1", "--count", "2", "--json")  # fmt: skip
    assert shown.exit_code == 0, shown.output
    events = [json.loads(line) for line in shown.stdout.splitlines()]
    assert len(events) == 2
    assert all(e["region"].startswith("4201") for e in events)
    assert all(e["type"].startswith("cn.gov.hubei.anjian.enterprise.") for e in events)


@pytest.mark.slow
def test_tail_names_events_in_chinese(demo: Demo) -> None:
    home, server = demo
    shown = cli(home, server.url, "stream", "tail", "--kind", "hazard", "--from", "1",
                "--count", "1")  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "隐患" in shown.stdout


def test_the_types_table_of_the_integrators_guide_is_the_catalogs() -> None:
    doc = (ROOT / "docs" / "STREAMS.md").read_text("utf-8")
    begin, end = "<!-- types: anjian stream types --markdown -->\n", "<!-- /types -->"
    table = doc[doc.index(begin) + len(begin) : doc.index(end)]
    assert table == types_markdown()
    shown = runner.invoke(app, ["stream", "types", "--markdown"])
    assert shown.exit_code == 0
    assert shown.stdout == types_markdown()


@pytest.mark.slow
def test_on_the_embedded_default_the_demo_streams_every_event_and_the_stream_outlives_it(
    tmp_path: Path,
) -> None:
    home = tmp_path / "h"
    made = cli(home, "", "demo", "--enterprises", "3", "--months", "2")
    assert made.exit_code == 0, made.output
    assert "lag 0" in made.stderr
    status = cli(home, "", "stream", "status", "--json")  # a new start of the same store
    assert status.exit_code == 0, status.output
    report = json.loads(status.stdout)
    with platform(home, "") as p:
        stored = stored_ids(p)
    assert report["stream"]["messages"] == len(stored)
    assert report["relay"]["lag_events"] == 0
    assert (home / "nats" / "jetstream").is_dir()


def a_store(home: Path, url: str) -> None:
    """A store holding the genesis: `stream` commands need one (NoStore otherwise)."""
    with platform(home, url) as p:
        ensure_genesis(p.ingest)


def test_status_without_a_store_is_no_store(tmp_path: Path) -> None:
    done = cli(tmp_path / "h", "", "stream", "status")
    assert_one_line_error(done.exit_code, done.stderr)
    assert done.stderr.startswith("NoStore: ")
    assert not (tmp_path / "h").exists()


def test_without_the_nats_server_binary_status_says_so_on_one_line(tmp_path: Path) -> None:
    a_store(tmp_path / "h", "")
    done = anjian(tmp_path / "h", "stream", "status", ANJIAN_NATS_SERVER=str(tmp_path / "none"))
    assert_one_line_error(done.returncode, done.stderr)
    assert "nats-server not found" in done.stderr


def test_an_unreachable_nats_is_one_line(tmp_path: Path) -> None:
    down = NatsProcess(tmp_path / "js")
    a_store(tmp_path / "h", down.url)
    done = cli(tmp_path / "h", down.url, "stream", "status")
    assert_one_line_error(done.exit_code, done.stderr)
    assert "StreamUnavailable" in done.stderr


def test_a_nats_url_setting_that_is_not_a_nats_url_names_its_variable(tmp_path: Path) -> None:
    done = anjian(tmp_path / "h", "stream", "status", ANJIAN_NATS_URL="http://x:4222")
    assert_one_line_error(done.returncode, done.stderr)
    assert "ANJIAN_NATS_URL" in done.stderr
