"""API fixtures: a platform built by ops.bootstrap.build on a fresh data directory, a small
world recorded through the ingest path, and a TestClient whose callers are fixed tokens."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.backend import Backend
from ops.api_backend import backend_of
from ops.bootstrap import Platform, build
from ops.settings import load_settings
from services.identity.caller import Caller
from services.ingest.genesis import ensure_genesis
from services.ingest.principal import Principal
from tests.api.fakes import FakeAuthenticator
from tests.nats_throwaway import NatsProcess, nats_server
from tests.support import new_uscc

PUBLIC_URL = "https://anjian.example"


@dataclass
class World:
    """What the fixture recorded, and the tokens of its callers."""

    platform: Platform
    backend: Backend
    auth: FakeAuthenticator
    wuhan: str  # USCC of an enterprise of Jianghan district, Wuhan (420102)
    wuhan2: str  # another enterprise of Wuhan (Hongshan, 420111)
    yichang: str  # USCC of an enterprise of Yichang (420502)
    hazard: str = ""  # event id of the hazard the Wuhan enterprise reported
    yichang_hazard: str = ""  # event id of the hazard the Yichang enterprise reported

    def events(self) -> int:
        """How many events the store holds."""
        return self.platform.records.recorder.max_notification_id() or 0


TOKENS = {
    "reg-wh": ("r-wh", "regulator", "420100", (), "write"),
    "reg-wh-read": ("r-wh", "regulator", "420100", (), "read"),
    "reg-yc": ("r-yc", "regulator", "420500", (), "write"),
    "reg-prov": ("r-prov", "regulator", "420000", (), "write"),
    "reg-jh": ("r-jh", "regulator", "420102", (), "write"),
    "ent-wh": ("e-wh", "enterprise", "420102", ("wuhan",), "write"),
    "ent-yc": ("e-yc", "enterprise", "420502", ("yichang",), "write"),
    "auditor": ("aud", "auditor", "420000", (), "read"),
    "integrator": ("int-wh", "integrator", "420100", (), "read"),
    "admin": ("admin", "admin", "420000", (), "write"),
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def actor(p: Platform, account: str, role: str, region: str, **extra: str) -> dict[str, Any]:
    return {
        "type": "actor.register",
        "actor": "platform",
        "region": "420000",
        "data": {
            "account": account,
            "role": role,
            "name": account,
            "jurisdiction": region,
            "public_key": p.keystore.custodial(account).public_key_b64,
            "custody": "platform",
            **extra,
        },
    }


def register(uscc: str, region: str, by: str) -> dict[str, Any]:
    return {
        "type": "enterprise.register",
        "actor": by,
        "region": region,
        "data": {
            "uscc": uscc,
            "name": f"企业{uscc[-6:]}",
            "industry": "hazardous_chemicals",
            "standardisation": "level2",
        },
    }


def hazard(uscc: str, region: str, by: str, description: str = "消防通道堵塞") -> dict[str, Any]:
    return {
        "type": "hazard.report",
        "actor": by,
        "region": region,
        "data": {
            "enterprise": uscc,
            "grade": "general",
            "source": "self_check",
            "description": description,
        },
    }


def record(p: Platform, account: str | None, lines: list[dict[str, Any]]) -> list[str]:
    principal = Principal.operator(account) if account else Principal.migration()
    out: list[str] = []
    for committed in p.ingest.record(lines, principal):
        out.extend(r.event_id for r in committed.recorded)
    return out


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    for name in ("ANJIAN_CHAIN_RPC_URL", "ANJIAN_DATABASE_URL", "ANJIAN_CHAIN_CONTRACT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANJIAN_HOME", str(tmp_path / "var"))
    monkeypatch.setenv("ANJIAN_PUBLIC_URL", PUBLIC_URL)
    monkeypatch.setenv("ANJIAN_CHECKPOINT_EVERY_LEAVES", "1")
    wuhan, wuhan2, yichang = new_uscc("420102"), new_uscc("420111"), new_uscc("420502")
    usccs = {"wuhan": wuhan, "yichang": yichang}
    auth = FakeAuthenticator()
    for token, (account, role, region, bound, scope) in TOKENS.items():
        auth.tokens[token] = Caller(
            account, role, region, frozenset(usccs[b] for b in bound), scope
        )
    p = build(load_settings())
    try:
        ensure_genesis(p.ingest)
        record(
            p,
            "platform",
            [
                actor(p, "r-wh", "regulator", "420100"),
                actor(p, "r-yc", "regulator", "420500"),
                actor(p, "r-prov", "regulator", "420000"),
                actor(p, "r-jh", "regulator", "420102"),
            ],
        )
        record(p, "r-wh", [register(wuhan, "420102", "r-wh"), register(wuhan2, "420111", "r-wh")])
        record(p, "r-yc", [register(yichang, "420502", "r-yc")])
        record(
            p,
            "platform",
            [
                actor(p, "e-wh", "enterprise", "420102", enterprise=wuhan),
                actor(p, "e-yc", "enterprise", "420502", enterprise=yichang),
            ],
        )
        (report,) = record(p, "e-wh", [hazard(wuhan, "420102", "e-wh")])
        (other,) = record(p, "e-yc", [hazard(yichang, "420502", "e-yc", "储罐区无警示标志")])
        backend = backend_of(p, auth)
        backend.public_url = PUBLIC_URL
        backend.secure_cookies = False  # the TestClient speaks http
        backend.after_write = None  # tests sync the ledger themselves
        yield World(p, backend, auth, wuhan, wuhan2, yichang, report, other)
    finally:
        p.close()


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.backend)) as c:
        yield c


@pytest.fixture
def nats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NatsProcess]:
    """A throwaway nats-server the platform of `world` publishes to (ask for it before
    `world`)."""
    with nats_server(tmp_path / "nats") as server:
        monkeypatch.setenv("ANJIAN_NATS_URL", server.url)
        yield server
