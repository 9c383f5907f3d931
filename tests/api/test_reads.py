"""The read routes: each answers the same view the command line shows, scoped, paged by an
opaque cursor, every instant with its offset in the platform's zone."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from api.routes.views import VIEWS
from projections.timeline import lifecycle
from tests.api.conftest import PUBLIC_URL, World, bearer, record, register
from tests.support import new_uscc

OFFSET = re.compile(r"[+-]\d\d:\d\d$")


def get(client: TestClient, path: str, token: str = "reg-wh", **params: Any) -> Any:
    r = client.get(path, headers=bearer(token), params=params)
    assert r.status_code == 200, r.text
    return r.json()


def test_enterprises_of_a_jurisdiction_and_their_search(client: TestClient, world: World) -> None:
    listed = get(client, "/v1/enterprises")["items"]
    assert [e["uscc"] for e in listed] == sorted([world.wuhan, world.wuhan2])
    assert [e["uscc"] for e in get(client, "/v1/enterprises", region="420102")["items"]] == [
        world.wuhan
    ]
    named = get(client, "/v1/enterprises", "reg-prov", name=world.yichang[-6:])["items"]
    assert [e["uscc"] for e in named] == [world.yichang]
    assert get(client, "/v1/enterprises", industry="non_coal_mining")["items"] == []
    assert get(client, "/v1/enterprises", "ent-wh")["items"][0]["uscc"] == world.wuhan


def test_every_list_pages_by_an_opaque_cursor_with_a_next_link(
    client: TestClient, world: World
) -> None:
    more = sorted(new_uscc("420102") for _ in range(4))
    record(world.platform, "r-wh", [register(u, "420102", "r-wh") for u in more])
    seen: list[str] = []
    page = get(client, "/v1/enterprises", limit=2)
    while True:
        seen.extend(e["uscc"] for e in page["items"])
        if page["next"] is None:
            break
        assert page["next"].startswith("http")
        r = client.get(page["next"], headers=bearer("reg-wh"))
        page = r.json()
    assert seen == sorted([world.wuhan, world.wuhan2, *more])
    r = client.get("/v1/enterprises", params={"cursor": "!!"}, headers=bearer("reg-wh"))
    assert r.status_code == 404
    assert r.json()["type"] == f"{PUBLIC_URL}/problems/invalid-cursor"


def test_the_history_is_the_cli_s_lifecycle_verified_with_offsets(
    client: TestClient, world: World
) -> None:
    answer = get(client, f"/v1/enterprises/{world.wuhan}/history")
    with world.backend.read() as conn:
        life = lifecycle(conn, world.wuhan, "420000")
    zone = world.backend.zone
    assert [{k: v for k, v in e.items() if k != "verified"} for e in answer["items"]] == [
        e.to_json(zone) for e in life.entries
    ]
    assert world.hazard in [e["event_id"] for e in answer["items"]]
    assert all(e["verified"]["ok"] for e in answer["items"])
    assert all(OFFSET.search(e["occurred_at"]) for e in answer["items"])
    assert all(e["recorded_at"].endswith("+08:00") for e in answer["items"])


def test_one_enterprise_and_its_credit_with_the_rules_behind_it(
    client: TestClient, world: World
) -> None:
    one = get(client, f"/v1/enterprises/{world.wuhan}")
    assert one["uscc"] == world.wuhan
    assert one["registered_at"].endswith("+08:00")
    credit = get(client, f"/v1/enterprises/{world.wuhan}/credit")
    assert credit["uscc"] == world.wuhan
    assert credit["grade"] in "ABCD"
    assert {"applied", "history", "rulebook", "score"} <= credit.keys()


def test_each_business_view_answers_for_a_regulator(client: TestClient, world: World) -> None:
    for view in VIEWS:
        answer = get(client, f"/v1/{view}")
        assert answer["next"] is None
    (row,) = get(client, "/v1/hazards")["items"]
    assert row["enterprise"] == world.wuhan
    assert row["reported_at"].endswith("+08:00")
    assert get(client, "/v1/hazards", status="closed")["items"] == []
    assert get(client, "/v1/hazards", enterprise=world.wuhan2)["items"] == []
    assert get(client, "/v1/penalty-clocks")["items"] == []


def test_the_analyses_of_a_jurisdiction(client: TestClient, world: World) -> None:
    names = [a["name"] for a in get(client, "/v1/analytics")["items"]]
    assert "risk_heat" in names
    for name in names:
        get(client, f"/v1/analytics/{name}")
    r = client.get("/v1/analytics/nothing", headers=bearer("reg-wh"))
    assert r.status_code == 404


def test_an_enterprise_reads_only_its_own_records(client: TestClient, world: World) -> None:
    rows = get(client, "/v1/hazards", "ent-wh", region="420000")["items"]
    assert {r["enterprise"] for r in rows} == {world.wuhan}
    assert get(client, "/v1/enterprises", "ent-wh", region="420000")["items"] == [
        get(client, f"/v1/enterprises/{world.wuhan}", "ent-wh")
    ]


def test_a_wuhan_regulator_gets_404_on_a_yichang_enterprise(
    client: TestClient, world: World
) -> None:
    for path in ("", "/history", "/credit"):
        r = client.get(f"/v1/enterprises/{world.yichang}{path}", headers=bearer("reg-wh"))
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"
        assert world.yichang not in str(r.json().get("items", ""))
    r = client.get("/v1/hazards", params={"region": "420500"}, headers=bearer("reg-wh"))
    assert r.status_code == 404


def test_the_auditor_reads_no_business_view_nor_personal_data(
    client: TestClient, world: World
) -> None:
    for path in ("/v1/enterprises", "/v1/certificates", f"/v1/enterprises/{world.wuhan}"):
        assert client.get(path, headers=bearer("auditor")).status_code == 404


def test_certificate_numbers_only_for_callers_who_see_personal_data(
    client: TestClient, world: World
) -> None:
    certificate = {
        "type": "certificate.issue",
        "actor": "r-jh",
        "region": "420102",
        "data": {
            "enterprise": world.wuhan,
            "holder": {"name": "张三", "id_number": "420102199001011234", "phone": "13800000000"},
            "category": "electrical",
            "operation": "低压电工作业",
            "number": "T-420102-0001",
            "exam_score": 92,
            "exam_on": "2024-02-20",
        },
    }
    record(world.platform, "r-jh", [certificate])
    (seen,) = get(client, "/v1/certificates", "reg-wh")["items"]
    (hidden,) = get(client, "/v1/certificates", "integrator")["items"]
    assert seen["number"] == "T-420102-0001"
    assert hidden["number"] is None
    assert {k: v for k, v in seen.items() if k != "number"} == {
        k: v for k, v in hidden.items() if k != "number"
    }
