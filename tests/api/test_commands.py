"""POST /v1/commands: custodial and signed commands, one or a batch, idempotent by command id;
every refusal is a problem document and stores nothing."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from domain.ids import enterprise_id
from domain.stored import parse_event_id
from ledger.canonical import canonical_text
from ledger.receipt import open_receipt
from tests.api.conftest import PUBLIC_URL, World, bearer, hazard, register
from tests.support import new_uscc


def post(client: TestClient, body: Any, token: str = "ent-wh") -> Any:
    return client.post("/v1/commands", json=body, headers=bearer(token))


def test_an_enterprise_records_a_hazard_and_gets_event_position_and_receipt(
    client: TestClient, world: World
) -> None:
    before = world.events()
    r = post(client, hazard(world.wuhan, "420102", "e-wh", "配电箱未接地"))
    assert r.status_code == 200, r.text
    body = r.json()
    (event_id,) = body["event_ids"]
    (position,) = body["notification_ids"]
    assert position == before + 1 == world.events()
    (result,) = body["results"]
    assert result["recorded_before"] is False
    receipt = open_receipt(result["receipt"], [world.platform.log_signer.verifier])
    assert (receipt.event_id, receipt.notification_id) == (event_id, position)
    stored = world.platform.records.stored(event_id)
    assert stored.envelope["channel"] == "api"
    assert stored.envelope["actor"] == "e-wh"


def test_a_batch_is_recorded_in_order_as_one_transaction(client: TestClient, world: World) -> None:
    a, b = new_uscc("420102"), new_uscc("420103")
    r = post(client, [register(a, "420102", "r-wh"), register(b, "420103", "r-wh")], "reg-wh")
    assert r.status_code == 200, r.text
    assert [x["type"] for x in r.json()["results"]] == ["enterprise.register"] * 2
    first, second = r.json()["notification_ids"]
    assert second == first + 1


def test_the_same_command_sent_again_returns_the_original_result_and_stores_nothing(
    client: TestClient, world: World
) -> None:
    command = {**hazard(world.wuhan, "420102", "e-wh", "安全出口锁闭"), "id": str(uuid4())}
    first = post(client, command).json()
    count = world.events()
    again = post(client, command)
    assert again.status_code == 200
    assert world.events() == count
    assert again.json()["event_ids"] == first["event_ids"]
    assert again.json()["notification_ids"] == first["notification_ids"]
    assert again.json()["results"][0]["receipt"] == first["results"][0]["receipt"]
    assert again.json()["results"][0]["recorded_before"] is True


def test_the_same_command_id_with_other_content_is_a_conflict(
    client: TestClient, world: World
) -> None:
    command_id = str(uuid4())
    post(client, {**hazard(world.wuhan, "420102", "e-wh", "甲"), "id": command_id})
    count = world.events()
    r = post(client, {**hazard(world.wuhan, "420102", "e-wh", "乙"), "id": command_id})
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"] == f"{PUBLIC_URL}/problems/duplicate-command"
    assert world.events() == count


def test_a_read_token_and_the_roles_that_do_not_write_are_refused(
    client: TestClient, world: World
) -> None:
    count = world.events()
    for token in ("reg-wh-read", "auditor", "integrator", "admin"):
        r = post(client, register(new_uscc("420102"), "420102", "r-wh"), token)
        assert r.status_code == 403, (token, r.text)
        assert r.json()["type"] == f"{PUBLIC_URL}/problems/forbidden"
    assert world.events() == count


def test_the_platform_signs_only_for_the_caller_s_own_account(
    client: TestClient, world: World
) -> None:
    count = world.events()
    r = post(client, register(new_uscc("420102"), "420102", "r-wh"), "reg-yc")
    assert r.status_code == 403
    assert r.json()["type"] == f"{PUBLIC_URL}/problems/not-authorized"
    assert world.events() == count


def test_a_regulator_cannot_act_outside_its_jurisdiction(client: TestClient, world: World) -> None:
    count = world.events()
    r = post(client, register(new_uscc("420502"), "420502", "r-wh"), "reg-wh")
    assert r.status_code == 403, r.text
    assert world.events() == count


def test_an_invalid_transition_is_409_with_its_legal_rule(client: TestClient, world: World) -> None:
    subject, _ = parse_event_id(world.hazard)
    command = {
        "type": "hazard.close",
        "actor": "r-wh",
        "region": "420102",
        "subject": str(subject),
        "data": {"note": "已整改"},
    }
    count = world.events()
    r = post(client, command, "reg-wh")
    assert r.status_code == 409, r.text
    problem = r.json()
    assert problem["type"] == f"{PUBLIC_URL}/problems/invalid-transition"
    assert problem["rule"]
    assert problem["instance"] == "/v1/commands"
    assert world.events() == count


def test_a_refused_command_of_a_batch_stores_nothing_and_is_pointed_at(
    client: TestClient, world: World
) -> None:
    good = register(new_uscc("420102"), "420102", "r-wh")
    bad = register(new_uscc("420102"), "420102", "r-wh")
    bad["data"]["industry"] = "not-an-industry"
    count = world.events()
    r = post(client, [good, bad], "reg-wh")
    assert r.status_code == 422, r.text
    problem = r.json()
    assert problem["command"] == 1
    assert problem["errors"][0]["pointer"].startswith("/1/data/industry")
    assert problem["rule"] == "catalog JSON Schema"
    assert world.events() == count


def test_a_schema_error_of_one_command_points_into_the_body(
    client: TestClient, world: World
) -> None:
    bad = register(new_uscc("420102"), "420102", "r-wh")
    del bad["data"]["name"]
    r = post(client, bad, "reg-wh")
    assert r.status_code == 422
    assert r.json()["errors"][0]["pointer"].startswith("/data")
    assert "command" not in r.json()


def test_a_signed_command_is_taken_as_its_actor_signed_it(client: TestClient, world: World) -> None:
    key = world.platform.keystore.custodial("r-wh")
    envelope = {
        "actor": "r-wh",
        "channel": "api",
        "data": {
            "industry": "non_coal_mining",
            "name": "某矿山",
            "standardisation": "level3",
            "uscc": (uscc := new_uscc("420102")),
        },
        "id": str(uuid4()),
        "occurred_at": "2024-04-01T09:00:00+08:00",
        "region": "420102",
        "role": "regulator",
        "subject": str(enterprise_id(uscc)),
        "type": "enterprise.register",
    }
    text = canonical_text(envelope)
    signed = {"envelope": envelope, "signature": key.sign_b64(text.encode()), "key_id": key.key_id}
    r = post(client, signed, "reg-wh")
    assert r.status_code == 200, r.text
    assert world.platform.records.stored(r.json()["event_ids"][0]).envelope_text == text


def test_bodies_that_are_too_large_or_malformed_are_refused(
    client: TestClient, world: World
) -> None:
    count = world.events()
    many = [hazard(world.wuhan, "420102", "e-wh")] * (world.backend.max_commands + 1)
    assert post(client, many).status_code == 413
    huge = b"[" + b" " * world.backend.max_body_bytes + b"]"
    r = client.post("/v1/commands", content=huge, headers=bearer("ent-wh"))
    assert r.status_code == 413
    r = client.post("/v1/commands", content=b"{not json", headers=bearer("ent-wh"))
    assert r.status_code == 400
    assert r.json()["type"] == f"{PUBLIC_URL}/problems/malformed-json"
    dup = b'{"type": "hazard.report", "type": "hazard.close"}'
    assert client.post("/v1/commands", content=dup, headers=bearer("ent-wh")).status_code == 400
    assert post(client, []).status_code == 422
    assert post(client, [1]).status_code == 422
    assert world.events() == count


def test_without_a_credential_nothing_is_recorded(client: TestClient, world: World) -> None:
    count = world.events()
    r = client.post("/v1/commands", content=json.dumps(hazard(world.wuhan, "420102", "e-wh")))
    assert r.status_code == 401
    assert r.json()["type"] == f"{PUBLIC_URL}/problems/unauthenticated"
    r = client.post("/v1/commands", json={}, headers=bearer("no-such-token"))
    assert r.status_code == 401
    assert world.events() == count
