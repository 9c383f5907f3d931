"""Proof bundles, anchors and actor keys: what an auditor checks the platform with. The
acceptance path: an enterprise records a hazard over HTTP, sees it in its history, downloads
its proof bundle and verifies it with `python -m audit check` in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from domain.ids import actor_id
from ledger.keys import KeyPair
from ops.chain_node import AnvilNode
from services.ledger.sync import sync
from tests.api.conftest import PUBLIC_URL, World, bearer, hazard

ROOT = Path(__file__).parents[2]


def test_a_hazard_recorded_over_http_is_proven_offline(
    client: TestClient, world: World, tmp_path: Path
) -> None:
    r = client.post(
        "/v1/commands", json=hazard(world.wuhan, "420102", "e-wh", "液氨管道泄漏"),
        headers=bearer("ent-wh"),
    )  # fmt: skip
    assert r.status_code == 200, r.text
    (event_id,) = r.json()["event_ids"]
    history = client.get(f"/v1/enterprises/{world.wuhan}/history", headers=bearer("ent-wh"))
    assert event_id in [e["event_id"] for e in history.json()["items"]]
    early = client.get(f"/v1/proofs/{event_id}", headers=bearer("ent-wh"))
    assert early.status_code == 404  # not logged yet
    assert early.json()["type"] == f"{PUBLIC_URL}/problems/proof-unavailable"
    sync(world.platform.ledger)
    r = client.get(f"/v1/proofs/{event_id}", headers=bearer("ent-wh"))
    assert r.status_code == 200, r.text
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps(r.json()), encoding="utf-8")
    key = world.platform.log_signer.vkey
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANJIAN_")}
    env["PYTHONPATH"] = str(ROOT)
    with AnvilNode(world.platform.settings.home / "chain") as node:
        done = subprocess.run(
            [sys.executable, "-m", "audit", "check", str(bundle), "--log-key", key,
             "--rpc", node.rpc_url],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "FAIL" not in done.stdout
    anchors = client.get("/v1/anchors", headers=bearer("auditor")).json()["items"]
    assert anchors
    assert anchors[-1]["anchored_at"].endswith("+08:00")
    assert client.get(f"/v1/proofs/{event_id}", headers=bearer("ent-yc")).status_code == 404


def test_an_actor_s_keys_with_their_rotation_history(client: TestClient, world: World) -> None:
    key = world.platform.keystore.custodial("r-prov")
    answer = client.get("/v1/actors/r-prov/keys", headers=bearer("auditor")).json()
    assert answer["account"] == "r-prov"
    assert [(k["key_id"], k["status"]) for k in answer["keys"]] == [(key.key_id, "current")]
    assert [e["type"] for e in answer["events"]] == ["actor.register"]
    assert client.get("/v1/actors/nobody/keys", headers=bearer("auditor")).status_code == 404
    own = KeyPair.generate()
    rotation = {
        "type": "actor.rotate_key",
        "actor": "r-prov",
        "region": "420000",
        "subject": str(actor_id("r-prov")),
        "data": {"public_key": own.public_key_b64},
    }
    r = client.post("/v1/commands", json=rotation, headers=bearer("reg-prov"))
    assert r.status_code == 200, r.text
    after = client.get("/v1/actors/r-prov/keys", headers=bearer("auditor")).json()
    assert [(k["key_id"], k["status"]) for k in after["keys"]] == [
        (key.key_id, "rotated"),
        (own.key_id, "current"),
    ]
    assert [e["type"] for e in after["events"]] == ["actor.register", "actor.rotate_key"]
    assert after["events"][1]["event_id"] == r.json()["event_ids"][0]


def test_the_log_s_tiles_are_public_and_its_entries_only_for_whoever_sees_the_whole_log(
    client: TestClient, world: World
) -> None:
    assert client.get("/log/checkpoint").status_code == 404  # nothing signed yet
    sync(world.platform.ledger)
    note = client.get("/log/checkpoint")
    assert note.status_code == 200
    size = int(note.text.splitlines()[1])
    assert size == world.events()
    assert client.get("/log/tile/0/000.p/" + str(size)).status_code == 200  # anyone
    entries = f"/log/tile/entries/000.p/{size}"
    assert client.get(entries).status_code == 401
    allowed = {"auditor", "reg-prov"}
    for token in ("auditor", "reg-prov", "reg-wh", "reg-jh", "ent-wh", "integrator", "admin"):
        r = client.get(entries, headers=bearer(token))
        assert r.status_code == (200 if token in allowed else 403), token
        if r.status_code == 403:
            assert r.headers["content-type"] == "application/problem+json"
            assert "entry bundles" in r.json()["detail"]


def test_no_spelling_of_an_entries_path_escapes_its_guard(client: TestClient, world: World) -> None:
    sync(world.platform.ledger)
    size = world.events()
    for path in (
        f"/log/tile//entries/000.p/{size}",
        f"/log/tile/0/../entries/000.p/{size}",
        f"/log/tile/./entries/000.p/{size}",
        f"/log/tile/%65ntries/000.p/{size}",
        f"/log/tile/ENTRIES/000.p/{size}",
        f"/log/tile/entries/000.p/{size}/",
    ):
        r = client.get(path, headers=bearer("reg-wh"))
        assert r.status_code in (400, 403, 404), (path, r.status_code)
        assert r.headers["content-type"] == "application/problem+json", path
