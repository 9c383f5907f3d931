"""One event with its signature, and the change feed: full signed events in log order, scoped,
paged by position."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient

from ledger.keys import decode_public_key, verify_signature
from tests.api.conftest import World, bearer, hazard, record


def feed(client: TestClient, token: str, after: int = 0, limit: int = 100) -> Any:
    r = client.get("/v1/events", params={"after": after, "limit": limit}, headers=bearer(token))
    assert r.status_code == 200, r.text
    return r.json()


def test_one_event_as_signed_with_its_place_in_the_log(client: TestClient, world: World) -> None:
    r = client.get(f"/v1/events/{world.hazard}", headers=bearer("reg-wh"))
    assert r.status_code == 200
    shown = r.json()
    stored = world.platform.records.stored(world.hazard)
    assert shown["envelope"] == stored.envelope
    assert shown["signature"] == stored.signature
    assert shown["key_id"] == stored.key_id
    assert shown["recorded_at"].endswith("+08:00")
    assert shown["notification_id"] > 0
    assert client.get("/v1/events/not-an-id", headers=bearer("reg-wh")).status_code == 404
    missing = world.hazard.rsplit(":", 1)[0] + ":9"
    assert client.get(f"/v1/events/{missing}", headers=bearer("reg-wh")).status_code == 404


def test_the_feed_gives_every_event_in_log_order_to_the_auditor(
    client: TestClient, world: World
) -> None:
    answer = feed(client, "auditor")
    positions = [e["notification_id"] for e in answer["items"]]
    assert positions == list(range(1, world.events() + 1))
    assert answer["position"] == world.events()
    for e in answer["items"]:
        stored = world.platform.records.stored(e["event_id"])
        assert e["signature"] == stored.signature


def test_the_feed_is_scoped_to_the_caller(client: TestClient, world: World) -> None:
    ent = feed(client, "ent-wh")["items"]
    assert world.hazard in [e["event_id"] for e in ent]
    assert world.yichang_hazard not in [e["event_id"] for e in ent]
    assert {e["envelope"]["region"] for e in feed(client, "reg-yc")["items"]} <= {
        "420502",
        "420000",
    }
    assert world.yichang_hazard not in [e["event_id"] for e in feed(client, "reg-wh")["items"]]
    assert feed(client, "admin")["items"] == []
    assert feed(client, "admin")["position"] == world.events()


def test_the_feed_pages_by_position_and_resumes_with_what_came_later(
    client: TestClient, world: World
) -> None:
    seen: list[int] = []
    after = 0
    while True:
        page = feed(client, "auditor", after, limit=3)
        seen.extend(e["notification_id"] for e in page["items"])
        if page["position"] == after:
            break
        after = page["position"]
    assert seen == list(range(1, world.events() + 1))
    (new,) = record(world.platform, "e-wh", [hazard(world.wuhan, "420102", "e-wh", "新隐患")])
    later = feed(client, "ent-wh", after)
    assert [e["event_id"] for e in later["items"]] == [new]
    assert later["next"].endswith(f"after={later['position']}&limit=100")


def test_an_event_s_signature_verifies_against_its_actor_s_key(
    client: TestClient, world: World
) -> None:
    shown = client.get(f"/v1/events/{world.hazard}", headers=bearer("reg-wh")).json()
    keys = client.get("/v1/actors/e-wh/keys", headers=bearer("auditor")).json()
    (key,) = [k for k in keys["keys"] if k["key_id"] == shown["key_id"]]
    text = world.platform.records.stored(world.hazard).envelope_text
    signature = base64.b64decode(shown["signature"])
    assert verify_signature(decode_public_key(key["public_key"]), text.encode(), signature)
