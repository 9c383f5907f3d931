"""The API served for real: uvicorn on a free loopback port, over a platform built by
ops.bootstrap.build, spoken to over TCP; and `anjian serve`'s options."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from api.app import create_app
from ops.cli import app as cli_app
from tests.api.conftest import World, bearer, hazard


@pytest.fixture
def served(world: World) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(world.backend), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            thread.join(0.05)
            assert thread.is_alive(), "the server stopped before it started"
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def test_the_served_api_records_and_reads_over_tcp(served: str, world: World) -> None:
    with httpx.Client(base_url=served, timeout=30) as http:
        assert http.get("/v1/catalog").status_code == 200
        r = http.post(
            "/v1/commands",
            json=hazard(world.wuhan, "420102", "e-wh", "served"),
            headers=bearer("ent-wh"),
        )
        assert r.status_code == 200, r.text
        (event_id,) = r.json()["event_ids"]
        shown = http.get(f"/v1/events/{event_id}", headers=bearer("ent-wh")).json()
        assert shown["envelope"]["channel"] == "api"
        assert http.get(f"/v1/events/{event_id}", headers=bearer("ent-yc")).status_code == 404


def test_anjian_serve_takes_a_host_and_a_port() -> None:
    result = CliRunner().invoke(cli_app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--host" in result.output
    assert "--port" in result.output
