"""Browser sessions: the login sets an HttpOnly SameSite cookie and returns the CSRF token;
a change sent with the cookie needs the token; logout ends the session; repeated failures
lock the login out (429)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from api.auth import COOKIE, CSRF_HEADER
from services.identity.caller import Caller
from tests.api.conftest import PUBLIC_URL, World, hazard
from tests.api.fakes import LOCK_AFTER


def login(client: TestClient, world: World) -> tuple[str, str]:
    world.auth.logins["wh-ent"] = ("s3cret", Caller("e-wh", "enterprise", "420102",
                                                    frozenset({world.wuhan})))  # fmt: skip
    r = client.post("/v1/session", json={"login": "wh-ent", "password": "s3cret"})
    assert r.status_code == 200, r.text
    return r.cookies[COOKIE], r.json()["csrf"]


def test_login_sets_an_httponly_samesite_cookie_and_returns_the_csrf_token(
    client: TestClient, world: World
) -> None:
    r = client.post("/v1/session", json={"login": "nobody", "password": "x"})
    assert r.status_code == 401
    cookie, csrf = login(client, world)
    client.cookies.set(COOKIE, cookie)
    header = client.post("/v1/session", json={"login": "wh-ent", "password": "s3cret"}).headers[
        "set-cookie"
    ]
    assert "HttpOnly" in header
    assert "SameSite=strict" in header or "SameSite=Strict" in header
    assert csrf
    who = client.get("/v1/session").json()
    assert (who["account"], who["via"]) == ("e-wh", "session")


def test_a_secure_cookie_when_the_public_url_is_https(client: TestClient, world: World) -> None:
    world.backend.secure_cookies = True
    world.auth.logins["x"] = ("y", Caller("e-wh", "enterprise", "420102"))
    header = client.post("/v1/session", json={"login": "x", "password": "y"}).headers["set-cookie"]
    assert "Secure" in header


def test_a_post_with_the_cookie_but_no_csrf_token_is_refused_and_writes_nothing(
    client: TestClient, world: World
) -> None:
    cookie, csrf = login(client, world)
    client.cookies.set(COOKIE, cookie)
    count = world.events()
    body = hazard(world.wuhan, "420102", "e-wh", "跨站请求")
    r = client.post("/v1/commands", json=body)
    assert r.status_code == 403
    assert r.json()["type"] == f"{PUBLIC_URL}/problems/csrf-rejected"
    r = client.post("/v1/commands", json=body, headers={CSRF_HEADER: csrf + "x"})
    assert r.status_code == 403
    assert world.events() == count
    r = client.post("/v1/commands", json=body, headers={CSRF_HEADER: csrf})
    assert r.status_code == 200, r.text
    assert world.events() == count + 1


def test_reads_with_the_cookie_need_no_csrf_token(client: TestClient, world: World) -> None:
    cookie, _ = login(client, world)
    client.cookies.set(COOKIE, cookie)
    r = client.get(f"/v1/enterprises/{world.wuhan}")
    assert r.status_code == 200


def test_logout_ends_the_session(client: TestClient, world: World) -> None:
    cookie, csrf = login(client, world)
    client.cookies.set(COOKIE, cookie)
    assert client.delete("/v1/session").status_code == 403
    r = client.delete("/v1/session", headers={CSRF_HEADER: csrf})
    assert r.status_code == 204
    assert f'{COOKIE}=""' in r.headers["set-cookie"]  # the browser drops it
    assert "Max-Age=0" in r.headers["set-cookie"]
    assert world.auth.sessions == {}  # and the server forgot it: the old cookie is refused
    assert client.get("/v1/session").status_code == 401


def test_repeated_failed_logins_lock_the_login_out(client: TestClient, world: World) -> None:
    world.auth.logins["target"] = ("right", Caller("e-wh", "enterprise", "420102"))
    for _ in range(LOCK_AFTER):
        r = client.post("/v1/session", json={"login": "target", "password": "wrong"})
        assert r.status_code == 401
    r = client.post("/v1/session", json={"login": "target", "password": "right"})
    assert r.status_code == 429
    assert r.json()["type"] == f"{PUBLIC_URL}/problems/locked-out"
    assert int(r.headers["retry-after"]) > 0


def test_a_malformed_authorization_header_is_401(client: TestClient, world: World) -> None:
    r = client.get("/v1/session", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401
