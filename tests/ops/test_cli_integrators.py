"""`anjian integrators add | list | revoke` against the embedded nats-server of a data directory,
running as `anjian serve` would run it: the seed is shown once and stored nowhere, a bad
argument writes nothing, and a change of users reaches the running server without a restart."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest
from nats.aio.client import Client
from typer.testing import CliRunner

from ops.cli import app
from ops.keystore import Keystore
from ops.nats_access import platform_nats
from ops.nats_server import EmbeddedNats, NatsEndpoint
from ops.settings import load_settings
from tests.ops.test_cli_errors import assert_one_line_error

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    monkeypatch.delenv("ANJIAN_NATS_URL", raising=False)
    monkeypatch.delenv("ANJIAN_KEYS_DIR", raising=False)
    return tmp_path / "var"


@pytest.fixture
def serving(home: Path) -> Iterator[tuple[NatsEndpoint, EmbeddedNats]]:
    """The embedded server run by this process, as `anjian serve` runs it."""
    settings = load_settings()
    endpoint, server = platform_nats(settings, Keystore(home / "keys"))
    assert server is not None
    try:
        yield endpoint, server
    finally:
        server.stop()


def add(name: str, *options: str) -> dict[str, object]:
    done = runner.invoke(app, ["integrators", "add", name, *options, "--json"])
    assert done.exit_code == 0, done.output
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop for the clients of a test (connections outlive a single call)."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def connect(loop: asyncio.AbstractEventLoop, url: str, answer: dict[str, object]) -> Client:
    client: Client = loop.run_until_complete(
        nats.connect(
            url,
            nkeys_seed_str=str(answer["seed"]),
            inbox_prefix=str(answer["inbox_prefix"]),
            allow_reconnect=False,
        )
    )
    return client


def everything_under(*roots: Path) -> bytes:
    return b"".join(p.read_bytes() for root in roots for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["Wuhan-EM", "--region", "420100"], "integrator name"),
        (["x", "--region", "420100"], "integrator name"),
        (["em.platform", "--region", "420100"], "integrator name"),
        (["wuhan-em", "--region", "4201"], "6-digit"),
        (["wuhan-em", "--region", "110000"], "outside Hubei"),
        (["wuhan-em", "--region", "420100", "--kinds", "hazard,weather"], "unknown kind"),
        (["wuhan-em", "--region", "420100", "--kinds", "hazard,"], "none empty"),
    ],
)
def test_a_bad_name_region_or_kind_is_one_line_exit_2_and_writes_nothing(
    home: Path, argv: list[str], complaint: str
) -> None:
    done = runner.invoke(app, ["integrators", "add", *argv])
    assert done.exit_code == 2
    assert_one_line_error(done.exit_code, done.stderr)
    assert done.stderr.startswith("InvalidIntegrator: ")
    assert complaint in done.stderr
    assert not home.exists()


def test_add_prints_the_seed_once_and_keeps_only_the_public_key(home: Path) -> None:
    answer = add("wuhan-em", "--region", "420100", "--kinds", "hazard,penalty")
    seed = str(answer["seed"])
    assert seed.startswith("SU")
    assert answer["consumers"] == [
        {"durable": "wuhan-em_hazard", "filter": "anjian.events.4201.*.hazard.>"},
        {"durable": "wuhan-em_penalty", "filter": "anjian.events.4201.*.penalty.>"},
    ]
    assert seed.encode() not in everything_under(home)
    listed = runner.invoke(app, ["integrators", "list", "--json"])
    assert listed.exit_code == 0
    assert seed not in listed.stdout
    (row,) = json.loads(listed.stdout)
    assert row["public_key"] == answer["public_key"]
    assert (row["region"], row["kinds"], row["revoked"]) == ("420100", ["hazard", "penalty"], None)
    store = home / "nats" / "integrators.json"
    assert store.stat().st_mode & 0o777 == 0o600
    again = runner.invoke(app, ["integrators", "add", "wuhan-em", "--region", "420100"])
    assert again.exit_code == 1
    assert again.stderr.startswith("IntegratorExists: ")


def test_revoke_refuses_the_integrator_and_spares_the_others_without_a_restart(
    serving: tuple[NatsEndpoint, EmbeddedNats], loop: asyncio.AbstractEventLoop
) -> None:
    endpoint, server = serving
    pid = server.child.pid
    url = endpoint.servers[0]
    wuhan = add("wuhan-em", "--region", "420100")
    yichang = add("yichang-em", "--region", "420500")
    assert wuhan["servers"] == url
    kept = connect(loop, url, wuhan)
    doomed = connect(loop, url, yichang)

    done = runner.invoke(app, ["integrators", "revoke", "yichang-em"])
    assert done.exit_code == 0, done.output
    assert "reloaded" in done.stderr
    assert server.child.pid == pid  # reloaded, not restarted

    loop.run_until_complete(kept.flush(timeout=2))  # the other integrator's connection lives
    assert kept.is_connected
    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        connect(loop, url, yichang)
    with pytest.raises(nats.errors.Error):  # and its open connection was dropped
        loop.run_until_complete(doomed.flush(timeout=2))
    loop.run_until_complete(kept.close())
    listed = json.loads(runner.invoke(app, ["integrators", "list", "--json"]).stdout)
    assert [(r["name"], r["revoked"] is not None) for r in listed] == [
        ("wuhan-em", False),
        ("yichang-em", True),
    ]
    revoked_again = runner.invoke(app, ["integrators", "revoke", "yichang-em"])
    assert revoked_again.exit_code == 1
    assert revoked_again.stderr.startswith("UnknownIntegrator: ")


def test_an_integrator_added_while_the_server_runs_connects_at_once(
    serving: tuple[NatsEndpoint, EmbeddedNats], loop: asyncio.AbstractEventLoop
) -> None:
    endpoint, _ = serving
    answer = add("xiaogan-em", "--region", "420900")
    nc = connect(loop, endpoint.servers[0], answer)
    assert nc.is_connected
    loop.run_until_complete(nc.close())


def test_the_seed_file_is_new_and_private(home: Path, tmp_path: Path) -> None:
    seed_file = tmp_path / "wuhan-em.nk"
    answer = add("wuhan-em", "--region", "420100", "--seed-file", str(seed_file))
    assert seed_file.read_text().strip() == answer["seed"]
    assert seed_file.stat().st_mode & 0o777 == 0o600
    again = runner.invoke(
        app, ["integrators", "add", "other-em", "--region", "420100", "--seed-file", str(seed_file)]
    )
    assert again.exit_code == 2
    assert_one_line_error(again.exit_code, again.stderr)
    listed = json.loads(runner.invoke(app, ["integrators", "list", "--json"]).stdout)
    assert [r["name"] for r in listed] == ["wuhan-em"]


def test_with_an_external_server_the_users_are_written_for_its_operator(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANJIAN_NATS_URL", "nats://10.0.0.1:4222,nats://10.0.0.2:4222")
    done = runner.invoke(app, ["integrators", "add", "wuhan-em", "--region", "420100", "--json"])
    assert done.exit_code == 0, done.output
    answer = json.loads(done.stdout)
    assert answer["servers"] == "nats://10.0.0.1:4222,nats://10.0.0.2:4222"
    assert "integrators.conf" in done.stderr
    written = (home / "nats" / "integrators.conf").read_text()
    assert answer["public_key"] in written
    assert "CONSUMER.CREATE.ANJIAN_EVENTS.wuhan-em.anjian.events.4201.>" in written
    assert (
        written.count('"nkey"') == 1
    )  # the integrators only: the platform's user is the operator's
