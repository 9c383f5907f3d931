"""Every error is an RFC 9457 problem document with a stable type URI per error class."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.problems import kebab, pointer
from tests.api.conftest import PUBLIC_URL, World, bearer

FIELDS = {"type", "title", "status", "detail", "instance"}


def test_an_unknown_route_is_a_404_problem(client: TestClient) -> None:
    r = client.get("/v2/nothing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body.keys() >= FIELDS
    assert body["type"] == f"{PUBLIC_URL}/problems/not-found"
    assert body["instance"] == "/v2/nothing"
    assert body["status"] == 404


def test_a_wrong_method_is_a_405_problem(client: TestClient) -> None:
    r = client.put("/v1/catalog")
    assert r.status_code == 405
    assert r.json()["type"] == f"{PUBLIC_URL}/problems/method-not-allowed"
    assert r.headers["allow"] == "GET"
    assert client.put("/v1/session").headers["allow"] == "DELETE, GET, POST"


def test_fastapi_s_own_validation_errors_are_422_problems_with_pointers(
    client: TestClient, world: World
) -> None:
    r = client.get("/v1/enterprises", params={"limit": 0}, headers=bearer("reg-wh"))
    assert r.status_code == 422
    body = r.json()
    assert body["type"] == f"{PUBLIC_URL}/problems/invalid-request"
    assert body["errors"][0]["pointer"] == "/query/limit"
    assert "\n" not in body["detail"]
    r = client.post("/v1/session", json={"login": "x"})
    assert r.status_code == 422
    assert body["errors"][0]["pointer"].startswith("/")


def test_a_region_outside_hubei_is_refused_by_the_schema_with_a_pointer(
    client: TestClient, world: World
) -> None:
    for region in ("110000", "421400", "429099"):
        r = client.get("/v1/enterprises", params={"region": region}, headers=bearer("reg-prov"))
        assert r.status_code == 422
        assert r.json()["errors"][0]["pointer"] == "/query/region"


def test_type_names_and_pointers() -> None:
    assert kebab("InvalidTransition") == "invalid-transition"
    assert kebab("CsrfRejected") == "csrf-rejected"
    assert pointer("data.uscc", 2) == "/2/data/uscc"
    assert pointer("/data/holder/name") == "/data/holder/name"
    assert pointer("data.evidence[0].ref") == "/data/evidence/0/ref"
    assert pointer("a/b") == "/a~1b"


def test_an_unexpected_failure_is_a_500_problem_without_its_inner_detail(
    client: TestClient, world: World
) -> None:
    def broken() -> None:
        raise RuntimeError("secret internals")

    world.backend.readmodels = broken  # type: ignore[assignment]
    with TestClient(client.app, raise_server_exceptions=False) as c:
        r = c.get("/v1/enterprises", headers=bearer("reg-wh"))
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert "secret" not in r.text


def test_a_query_parameter_given_twice_is_refused_not_read_as_the_last(
    client: TestClient, world: World
) -> None:
    r = client.get("/v1/hazards?region=420500&region=420100", headers=bearer("reg-wh"))
    assert r.status_code == 400
    assert r.json()["type"] == f"{PUBLIC_URL}/problems/repeated-parameter"


def test_a_body_that_is_not_json_is_a_400_problem(client: TestClient) -> None:
    r = client.post("/v1/session", content=b"\xff{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.json()["type"] == f"{PUBLIC_URL}/problems/malformed-request"
