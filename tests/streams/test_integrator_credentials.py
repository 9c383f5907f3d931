"""The whole path an integrator takes on the embedded default: the operator creates its NATS user
with `anjian integrators add --region 420100`, the demo streams the province's events, and the
example consumer, connecting with the seed and inbox prefix it was given, receives Wuhan's events
only, each verified with the keys of `anjian actors keys`; asking for another region is refused
by nats-server itself."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from domain.regions import prefecture_of
from ops.bootstrap import build
from ops.cli import app
from ops.settings import load_settings
from tests.streams.support import EXAMPLE

runner = CliRunner()
NAME = "wuhan-emergency"
Scene = tuple[str, Path, Path, list[tuple[str, str]]]


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    base = tmp_path_factory.mktemp("integrator")
    home, seed, keys = base / "home", base / "wuhan.nk", base / "keys.json"
    env = {"ANJIAN_HOME": str(home)}
    added = runner.invoke(
        app, ["integrators", "add", NAME, "--region", "420100", "--seed-file", str(seed),
              "--json"], env=env,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["inbox_prefix"] == f"_INBOX_{NAME}"
    made = runner.invoke(app, ["demo", "--enterprises", "12", "--months", "3"], env=env)
    assert made.exit_code == 0, made.output
    exported = runner.invoke(app, ["actors", "keys", "--out", str(keys)], env=env)
    assert exported.exit_code == 0, exported.output
    with build(load_settings(home=home)) as p:
        stored = [(r.event_id, str(r.envelope["region"])) for r in p.records.notifications()]
        yield p.nats.servers[0], seed, keys, stored  # the embedded server runs meanwhile


def consume(
    scene: Scene, subject: str, *args: str, durable: str = NAME
) -> subprocess.CompletedProcess[str]:
    url, seed, keys, _ = scene
    return subprocess.run(
        [sys.executable, str(EXAMPLE), "--server", url, "--nkey-seed", str(seed),
         "--inbox-prefix", f"_INBOX_{NAME}", "--durable", durable, "--subject", subject,
         "--keys", str(keys), "--reconnect-attempts", "1", "--json", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.mark.slow
def test_an_integrator_of_wuhan_receives_wuhans_events_only_each_verified(scene: Scene) -> None:
    stored = scene[3]
    wuhan = [event for event, region in stored if prefecture_of(region) == "420100"]
    assert wuhan
    assert len(wuhan) < len(stored)  # the demo recorded other regions too
    done = consume(scene, "anjian.events.4201.>", "--count", str(len(wuhan)), "--idle", "10")
    assert done.returncode == 0, done.stderr
    got = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["id"] for e in got] == wuhan
    assert {e["verified"] for e in got} == {"ok"}
    assert "GAP" not in done.stderr


@pytest.mark.slow
def test_the_same_integrator_asking_for_another_region_is_refused_by_the_server(
    scene: Scene,
) -> None:
    done = consume(scene, "anjian.events.4205.>", "--idle", "2", durable="yichang")
    assert done.returncode != 0
    assert done.stdout == ""
    assert "permissions violation" in done.stderr.lower() or "timeout" in done.stderr.lower()


@pytest.mark.slow
def test_its_durable_asked_for_another_subject_is_refused_by_the_consumer(scene: Scene) -> None:
    consume(scene, "anjian.events.4201.>", "--idle", "1")  # the durable exists
    done = consume(scene, "anjian.events.4201.*.hazard.>", "--idle", "1")
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"durable {NAME} consumes anjian.events.4201.>, not anjian.events.4201.*.hazard.>: "
        "use another durable for another subject"
    )
