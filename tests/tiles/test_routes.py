"""/log/*: the tlog-tiles resources with the media types and caching the specification asks,
and every odd path answered 400 or 404, never 500."""

from __future__ import annotations

import gzip
import http.client
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

from api.tiles import IMMUTABLE, MUTABLE
from tests.tiles.serving import log_app, serving
from tests.tiles.toylog import ToyLog

OCTETS = "application/octet-stream"


@pytest.fixture
def client(toy: ToyLog) -> TestClient:
    toy.grow(300)
    return TestClient(log_app(toy.server()))


def test_the_checkpoint_is_mutable_utf8_text(client: TestClient, toy: ToyLog) -> None:
    answer = client.get("/log/checkpoint")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.headers["cache-control"] == MUTABLE
    assert answer.text == toy.checkpoints.latest().note  # type: ignore[union-attr]


@pytest.mark.parametrize("path", ["tile/0/000", "tile/0/001.p/44", "tile/1/000.p/1"])
def test_tiles_are_immutable_octets(client: TestClient, path: str) -> None:
    answer = client.get(f"/log/{path}")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == OCTETS
    assert answer.headers["cache-control"] == IMMUTABLE
    assert "content-encoding" not in answer.headers


def test_entry_bundles_are_gzipped_for_a_client_that_accepts_gzip(client: TestClient) -> None:
    plain = client.get("/log/tile/entries/000", headers={"Accept-Encoding": "identity"})
    assert plain.headers["content-type"] == OCTETS
    assert plain.headers["cache-control"] == IMMUTABLE
    assert "content-encoding" not in plain.headers
    raw = client.get("/log/tile/entries/000", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.headers["vary"] == "Accept-Encoding"
    assert raw.content == plain.content  # httpx decoded it
    refused = client.get("/log/tile/entries/000", headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_no_checkpoint_yet_is_404(toy: ToyLog) -> None:
    client = TestClient(log_app(toy.server()))
    assert client.get("/log/checkpoint").status_code == 404
    assert client.get("/log/tile/0/000.p/1").status_code == 404


BAD = [
    "/log/tile/0/x001",
    "/log/tile/00/000",
    "/log/tile/0/000.p/0",
    "/log/tile/0/000.p/256",
    "/log/tile/0/000.p/01",
    "/log/tile/0/1",
    "/log/tile/0/%2e%2e/%2e%2e/x",
    "/log/tile/0/000%00",
    "/log/tile/-1/000",
    "/log/tile/64/000",
    "/log/tile/" + "9" * 5000 + "/000",
    "/log/tile/entries/000.p/0",
    "/log/tile/entries/../000",
    "/log/tile/",
    "/log/tile/0",
]
ABSENT = [
    "/log/tile/0/001",  # N=1 is spelled 001: well-formed, not in a tree of 300 leaves
    "/log/tile/0/002.p/1",
    "/log/tile/0/001.p/45",
    "/log/tile/1/000",
    "/log/tile/9/000.p/1",
    "/log/tile/63/000.p/1",
    "/log/tile/0/" + "x999/" * 40 + "999",
    "/log/tile/entries/001",
    "/log/tile/entries/002.p/1",
    "/log/tiles/0/000",
    "/log/checkpoint/x",
]


@pytest.mark.parametrize("path", BAD)
def test_a_path_that_is_not_a_tile_path_is_400(client: TestClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 400, answer.text
    assert answer.headers["cache-control"] == MUTABLE


@pytest.mark.parametrize("path", ABSENT)
def test_a_tile_outside_the_checkpointed_tree_is_404(client: TestClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_a_tile_the_live_log_holds_beyond_the_checkpoint_is_404(toy: ToyLog) -> None:
    toy.grow(300)
    toy.record(300)
    toy.log_events()
    client = TestClient(log_app(toy.server()))
    assert client.get("/log/tile/0/001.p/44").status_code == 200
    assert client.get("/log/tile/0/001").status_code == 404
    assert client.get("/log/tile/entries/002.p/88").status_code == 404


def test_a_changed_event_makes_its_bundle_unavailable_not_an_error(toy: ToyLog) -> None:
    toy.grow(5)
    toy.tamper_event(2)
    client = TestClient(log_app(toy.server()))
    assert client.get("/log/tile/entries/000.p/5").status_code == 503
    assert client.get("/log/tile/0/000.p/5").status_code == 200


@pytest.mark.parametrize(
    "raw",
    ["/log/tile/0/../../x", "/log/tile/0/./000", "/log/tile/0//000", "/log/tile/0/%2F..%2Fx"],
)
def test_raw_paths_over_real_http_are_never_a_server_error(client: TestClient, raw: str) -> None:
    """Sent byte for byte (http.client does not remove dot segments), to uvicorn."""
    with serving(client.app) as base:  # type: ignore[arg-type]
        conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=10)
        conn.request("GET", raw)
        status = conn.getresponse().status
        conn.close()
    assert status in (400, 404)


def test_gzip_of_a_bundle_is_deterministic(client: TestClient) -> None:
    a = client.get("/log/tile/entries/000", headers={"Accept-Encoding": "gzip"})
    with serving(client.app) as base:  # type: ignore[arg-type]
        conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=10)
        conn.request("GET", "/log/tile/entries/000", headers={"Accept-Encoding": "gzip"})
        answer = conn.getresponse()
        body = answer.read()
        conn.close()
    assert answer.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(body) == a.content
