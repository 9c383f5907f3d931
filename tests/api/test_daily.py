"""GET /v1/todo and /v1/documents: the daily-work views of `anjian todo` and `anjian documents`,
scoped like every business view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.api.conftest import World, bearer, record


def order_rectification(world: World) -> None:
    """The Wuhan regulator orders the Wuhan enterprise's hazard rectified within 20 days."""
    due = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    line = {
        "type": "hazard.order_rectification",
        "actor": "r-wh",
        "region": "420102",
        "subject": world.hazard.split(":")[0],
        "data": {
            "deadline": due,
            "requirements": "疏通消防通道",
            "document_no": "武应急责改〔2026〕7号",
        },
    }
    record(world.platform, "r-wh", [line])


def test_the_todo_list_of_a_jurisdiction_holds_its_steps_and_only_its_own(
    client: TestClient, world: World
) -> None:
    order_rectification(world)
    wuhan = client.get("/v1/todo", headers=bearer("reg-wh"))
    assert wuhan.status_code == 200, wuhan.text
    items = wuhan.json()["items"]
    assert items
    assert {i["region"][:4] for i in items} == {"4201"}
    assert all(i["due"] and i["rule"] and i["party"] in ("regulator", "enterprise") for i in items)
    province = client.get("/v1/todo?within_days=3650", headers=bearer("reg-prov")).json()["items"]
    assert {i["record"] for i in province} >= {i["record"] for i in items}
    assert client.get("/v1/todo", headers=bearer("ent-yc")).json()["items"] == []
    own = client.get("/v1/todo", headers=bearer("ent-wh")).json()["items"]
    assert own
    assert {i["enterprise"] for i in own} == {world.wuhan}


def test_the_todo_list_outside_the_callers_scope_is_404(client: TestClient) -> None:
    assert client.get("/v1/todo?region=420500", headers=bearer("reg-wh")).status_code == 404
    assert client.get("/v1/todo", headers=bearer("auditor")).status_code == 404
    assert client.get("/v1/todo?within_days=-1", headers=bearer("reg-wh")).status_code == 422


def test_a_todo_list_of_a_uscc_no_enterprise_can_hold_is_404_and_of_a_malformed_one_422(
    client: TestClient, world: World
) -> None:
    wrong_check = world.wuhan[:17] + ("1" if world.wuhan[17] != "1" else "2")
    answer = client.get(f"/v1/todo?enterprise={wrong_check}", headers=bearer("reg-wh"))
    assert answer.status_code == 404, answer.text
    assert wrong_check in answer.json()["detail"]
    garbled = client.get("/v1/todo?enterprise=91420100MA4KXXXXXZ", headers=bearer("reg-wh"))
    assert garbled.status_code == 422
    assert "enterprise" in garbled.text


def test_a_document_search_answers_within_the_callers_scope(
    client: TestClient, world: World
) -> None:
    order_rectification(world)
    for token in ("reg-prov", "reg-wh", "ent-wh"):
        found = client.get("/v1/documents?number=责改", headers=bearer(token))
        assert found.status_code == 200, found.text
        assert [h["number"] for h in found.json()["items"]] == ["武应急责改〔2026〕7号"], token
    other = client.get("/v1/documents?number=责改", headers=bearer("ent-yc")).json()["items"]
    assert other == []
    assert client.get("/v1/documents?number=", headers=bearer("reg-wh")).status_code == 422
    outside = client.get("/v1/documents?number=1&region=420500", headers=bearer("reg-wh"))
    assert outside.status_code == 404
