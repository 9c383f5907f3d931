"""The scale-out path: a three-node JetStream cluster on loopback (tests/nats_throwaway.py), the
stream with replicas 3. Publishing with Nats-Msg-Id and retrying what was not acknowledged,
through ANJIAN_NATS_URL's comma-separated servers, survives kill -9 of the stream's leader:
nothing is lost, nothing is stored twice, and publishing goes on."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import nats
from nats.js.errors import Error as JetStreamError

from ops.integrators import STREAM
from ops.keystore import Keystore
from ops.nats_access import platform_nats
from ops.settings import load_settings
from tests.nats_throwaway import NatsCluster, nats_cluster

EVENTS = 300
KILL_AT = 100


def subject(n: int) -> str:
    county = ("420102", "420106", "420111")[n % 3]
    return f"anjian.events.4201.{county}.hazard.reported"


async def publish_through_a_node_kill(cluster: NatsCluster, servers: list[str]) -> dict[str, int]:
    nc = await nats.connect(servers=servers, max_reconnect_attempts=-1, reconnect_time_wait=0.1)
    js = nc.jetstream(timeout=2)
    await js.add_stream(name=STREAM, subjects=["anjian.events.>"], num_replicas=3)
    retries = 0
    acked_after_kill = 0
    killed = ""
    for n in range(1, EVENTS + 1):
        if n == KILL_AT:
            info = await js.stream_info(STREAM)
            assert info.cluster is not None
            assert info.cluster.leader
            killed = info.cluster.leader
            cluster.node(killed).kill()
        while True:
            try:
                body = json.dumps({"id": f"e{n}"}).encode()
                await js.publish(subject(n), body, headers={"Nats-Msg-Id": f"e{n}"})
                break
            except (TimeoutError, JetStreamError, nats.errors.Error):
                retries += 1  # not acknowledged: the same id again, deduplicated if stored
                await asyncio.sleep(0.05)
        if n >= KILL_AT:
            acked_after_kill += 1
    info = await js.stream_info(STREAM)
    bodies = []
    for seq in range(1, info.state.last_seq + 1):
        msg = await js.get_msg(STREAM, seq)
        bodies.append(json.loads(msg.data or b"{}")["id"])
    await nc.close()
    assert killed
    assert info.cluster is not None
    assert killed != info.cluster.leader  # another node leads the stream now
    return {
        "messages": info.state.messages,
        "distinct": len(set(bodies)),
        "in_order": int(bodies == [f"e{n}" for n in range(1, EVENTS + 1)]),
        "after_kill": acked_after_kill,
        "retries": retries,
    }


def test_a_replicated_stream_loses_and_doubles_nothing_when_its_leader_is_killed(
    tmp_path: Path,
) -> None:
    with nats_cluster(tmp_path / "cluster") as cluster:
        settings = load_settings(home=tmp_path / "home", nats_url=cluster.servers)
        endpoint, server = platform_nats(settings, Keystore(tmp_path / "keys"))
        assert server is None
        assert list(endpoint.servers) == cluster.urls
        found = asyncio.run(publish_through_a_node_kill(cluster, list(endpoint.servers)))
    assert found["messages"] == EVENTS
    assert found["distinct"] == EVENTS
    assert found["in_order"] == 1
    assert found["after_kill"] == EVENTS - KILL_AT + 1
