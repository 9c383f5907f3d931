"""An integrator scoped to a jurisdiction reads that jurisdiction's events and nothing else, as the
real nats-server enforces it: the embedded server of a data directory, the platform publishing
into ANJIAN_EVENTS, the integrator a nats-py client with its own nkey."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import nats
import pytest
from nats.aio.client import Client
from nats.js.errors import APIError

from ops.integrators import STREAM, Integrator, integrator_user, new_user_seed, public_key_of
from ops.nats_server import EmbeddedNats, NatsUser

WUHAN = ["anjian.events.4201.420102.hazard.reported", "anjian.events.4201.420106.penalty.decided"]
YICHANG = ["anjian.events.4205.420502.hazard.reported"]


class Scene:
    def __init__(self, server: EmbeddedNats, platform_seed: bytes, seeds: dict[str, bytes]):
        self.server = server
        self.platform_seed = platform_seed
        self.seeds = seeds

    async def platform(self) -> Client:
        return await nats.connect(self.server.url, nkeys_seed_str=self.platform_seed.decode())

    async def integrator(self, name: str, errors: list[str]) -> Client:
        async def collect(exc: Exception) -> None:
            errors.append(str(exc))

        return await nats.connect(
            self.server.url,
            nkeys_seed_str=self.seeds[name].decode(),
            inbox_prefix=f"_INBOX_{name}",
            error_cb=collect,
            allow_reconnect=False,
        )


def integrator(name: str, region: str, kinds: tuple[str, ...] = ()) -> tuple[Integrator, bytes]:
    seed = new_user_seed()
    return Integrator(name, public_key_of(seed), region, kinds, "2026-12-05T00:00:00+00:00"), seed


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    platform_seed = new_user_seed()
    wuhan, wuhan_seed = integrator("wuhan", "420100")
    jiangan, jiangan_seed = integrator("jiangan", "420102", ("hazard",))
    users = [
        NatsUser(public_key_of(platform_seed), "platform"),
        integrator_user(wuhan),
        integrator_user(jiangan),
    ]
    server = EmbeddedNats(tmp_path / "home", users)
    server.start()
    scene = Scene(server, platform_seed, {"wuhan": wuhan_seed, "jiangan": jiangan_seed})
    asyncio.run(publish(scene, [*WUHAN, *YICHANG]))
    try:
        yield scene
    finally:
        server.stop()


async def publish(scene: Scene, subjects: list[str]) -> None:
    nc = await scene.platform()
    js = nc.jetstream()
    await js.add_stream(name=STREAM, subjects=["anjian.events.>"])
    for n, subject in enumerate(subjects, 1):
        body = json.dumps({"id": f"e{n}", "subject": subject}).encode()
        await js.publish(subject, body, headers={"Nats-Msg-Id": f"e{n}"})
    await nc.close()


def run(
    scene: Scene, name: str, act: Callable[[Client], Awaitable[Any]], *, refused: bool = False
) -> tuple[Any, list[str]]:
    """Run `act` with the integrator's connection; its result and the server's errors (with
    `refused`, once the server's error has arrived: it comes asynchronously)."""

    async def go() -> tuple[Any, list[str]]:
        errors: list[str] = []
        nc = await scene.integrator(name, errors)
        try:
            try:
                result: Any = await act(nc)
            except (TimeoutError, nats.errors.Error, APIError) as exc:
                result = exc
            await nc.flush(timeout=2)
            for _ in range(500):
                if errors or not refused:
                    break
                await asyncio.sleep(0.01)
            return result, errors
        finally:
            await nc.close()

    return asyncio.run(go())


def violations(errors: list[str], kind: str) -> list[str]:
    """The server's permission violations of `kind` (nats-py lower-cases the message)."""
    return [e.lower() for e in errors if f"permissions violation for {kind}" in e.lower()]


def test_an_integrator_fetches_the_events_of_its_jurisdiction_with_its_durable_consumer(
    scene: Scene,
) -> None:
    async def fetch(nc: Client) -> list[str]:
        js = nc.jetstream()
        sub = await js.pull_subscribe("anjian.events.4201.>", durable="wuhan", stream=STREAM)
        msgs = await sub.fetch(10, timeout=2)
        for msg in msgs:
            await msg.ack()
        return [msg.subject for msg in msgs]

    got, errors = run(scene, "wuhan", fetch)
    assert got == WUHAN
    assert errors == []


def test_an_integrator_cannot_create_a_consumer_over_another_jurisdiction(scene: Scene) -> None:
    async def fetch(nc: Client) -> object:
        js = nc.jetstream()
        return await js.pull_subscribe("anjian.events.4205.>", durable="wuhan", stream=STREAM)

    got, errors = run(scene, "wuhan", fetch, refused=True)
    assert isinstance(got, TimeoutError | nats.errors.Error)
    assert violations(errors, "publish")
    assert (
        "consumer.create.anjian_events.wuhan.anjian.events.4205" in violations(errors, "publish")[0]
    )


def test_a_create_request_whose_filter_leaves_the_scope_of_its_subject_is_refused(
    scene: Scene,
) -> None:
    # The permitted create subject names 4201; the request body asks for 4205.
    async def forge(nc: Client) -> dict[str, Any]:
        body = {
            "stream_name": STREAM,
            "config": {
                "name": "wuhan",
                "durable_name": "wuhan",
                "filter_subject": "anjian.events.4205.>",
                "ack_policy": "explicit",
            },
        }
        subject = f"$JS.API.CONSUMER.CREATE.{STREAM}.wuhan.anjian.events.4201.>"
        reply = await nc.request(subject, json.dumps(body).encode(), timeout=2)
        answer: dict[str, Any] = json.loads(reply.data)
        return answer

    got, _ = run(scene, "wuhan", forge)
    assert got["error"]["code"] == 400, got
    assert "filter" in got["error"]["description"], got

    async def consumers() -> list[str]:
        nc = await scene.platform()
        found = [c.name for c in await nc.jetstream().consumers_info(STREAM)]
        await nc.close()
        return found

    assert asyncio.run(consumers()) == []


def test_the_legacy_create_subject_without_a_filter_is_refused(scene: Scene) -> None:
    async def legacy(nc: Client) -> object:
        body = {
            "stream_name": STREAM,
            "config": {"durable_name": "wuhan", "ack_policy": "explicit"},
        }
        return await nc.request(
            f"$JS.API.CONSUMER.DURABLE.CREATE.{STREAM}.wuhan", json.dumps(body).encode(), timeout=1
        )

    got, errors = run(scene, "wuhan", legacy, refused=True)
    assert isinstance(got, TimeoutError | nats.errors.Error)
    assert violations(errors, "publish")


def test_an_integrator_cannot_fetch_from_a_consumer_that_is_not_its_own(scene: Scene) -> None:
    async def other_consumer() -> None:
        nc = await scene.platform()
        await nc.jetstream().add_consumer(
            STREAM, name="yichang", durable_name="yichang", filter_subject="anjian.events.4205.>"
        )
        await nc.close()

    asyncio.run(other_consumer())

    async def steal(nc: Client) -> object:
        js = nc.jetstream()
        sub = await js.pull_subscribe_bind(durable="yichang", stream=STREAM)
        return await sub.fetch(10, timeout=1)

    got, errors = run(scene, "wuhan", steal, refused=True)
    assert isinstance(got, TimeoutError | nats.errors.Error)
    assert any("msg.next.anjian_events.yichang" in e for e in violations(errors, "publish"))


def test_an_integrator_cannot_publish_events(scene: Scene) -> None:
    async def forge(nc: Client) -> None:
        await nc.publish("anjian.events.4201.420102.hazard.reported", b'{"forged": true}')

    _, errors = run(scene, "wuhan", forge, refused=True)
    assert any(
        "anjian.events.4201.420102.hazard.reported" in e for e in violations(errors, "publish")
    )

    async def count() -> int:
        nc = await scene.platform()
        info = await nc.jetstream().stream_info(STREAM)
        await nc.close()
        return int(info.state.messages)

    assert asyncio.run(count()) == len(WUHAN) + len(YICHANG)


@pytest.mark.parametrize("subject", ["anjian.events.4205.>", "_INBOX.>", "_INBOX_jiangan.>", ">"])
def test_an_integrator_cannot_listen_outside_its_scope_and_inbox(
    scene: Scene, subject: str
) -> None:
    async def listen(nc: Client) -> None:
        await nc.subscribe(subject)

    _, errors = run(scene, "wuhan", listen, refused=True)
    assert violations(errors, "subscription")


def test_an_integrator_cannot_read_the_stream_api(scene: Scene) -> None:
    async def info(nc: Client) -> object:
        return await nc.jetstream().stream_info(STREAM)

    got, errors = run(scene, "wuhan", info, refused=True)
    assert isinstance(got, TimeoutError | nats.errors.Error)
    assert violations(errors, "publish")


def test_kinds_narrow_a_county_integrator_to_one_consumer_per_kind(scene: Scene) -> None:
    async def penalties(nc: Client) -> object:
        return await nc.jetstream().pull_subscribe(
            "anjian.events.*.420102.penalty.>", durable="jiangan_hazard", stream=STREAM
        )

    got, errors = run(scene, "jiangan", penalties, refused=True)
    assert isinstance(got, TimeoutError | nats.errors.Error)
    assert violations(errors, "publish")

    async def hazards(nc: Client) -> list[str]:
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            "anjian.events.*.420102.hazard.>", durable="jiangan_hazard", stream=STREAM
        )
        return [m.subject for m in await sub.fetch(10, timeout=2)]

    got, errors = run(scene, "jiangan", hazards)
    assert got == [WUHAN[0]]
    assert errors == []
