"""The relay on the scale-out path: ANJIAN_NATS_URL names a three-node JetStream cluster, the
stream has three replicas, and the node leading the stream is killed (kill -9) while the relay
follows a log that keeps growing. The relay goes on through the other nodes; afterwards the
stream holds every stored event exactly once, in log order."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest

from streams.connect import connect
from streams.stream import STREAM
from tests.nats_throwaway import nats_cluster
from tests.streams.support import (
    platform,
    published_ids,
    register_enterprises,
    register_regulator,
    stored_ids,
)


async def leader(servers: str) -> str:
    """The server name (n1, n2, n3) of the node leading the stream."""
    nc = await connect(servers)
    try:
        info = await nc.jetstream().stream_info(STREAM)
        assert info.cluster is not None
        return str(info.cluster.leader)
    finally:
        await nc.close()


@pytest.mark.slow
def test_the_relay_goes_on_when_the_streams_leader_is_killed_and_loses_nothing(
    tmp_path: Path,
) -> None:
    with (
        nats_cluster(tmp_path / "cluster") as cluster,
        platform(tmp_path / "home", cluster.servers, stream_replicas=3) as p,
    ):
        register_regulator(p)
        register_enterprises(p, 60, batch=20)
        relay = p.stream
        stop = threading.Event()
        follower = threading.Thread(target=relay.run, args=(stop, 0.05), daemon=True)
        follower.start()
        try:
            deadline = time.monotonic() + 60
            while relay.status().lag and time.monotonic() < deadline:
                time.sleep(0.05)
            killed = asyncio.run(leader(cluster.servers))
            cluster.node(killed).kill()
            register_enterprises(p, 120, batch=20)  # recorded while the stream elects a leader
            deadline = time.monotonic() + 90
            while relay.status().lag and time.monotonic() < deadline:
                time.sleep(0.1)
            assert relay.status().lag == 0, relay.status()
        finally:
            stop.set()
            follower.join(timeout=30)
        survivor = next(n.url for n in cluster.nodes if n is not cluster.node(killed))
        assert asyncio.run(leader(survivor)) != killed
        assert published_ids(survivor) == stored_ids(p)
