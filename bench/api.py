"""API benchmark: POST /v1/commands against Records.execute_batch of the same commands, and
the lifecycle history's latency on a province of enterprises, in the same run.

    .venv/bin/python -m bench.api [--enterprises 2000] [--updates 4] [--requests 300]

- write: `--enterprises` registrations and `--updates` profile updates of each, signed by a
  regulator holding its own key, posted in batches of 500 (one transaction each, receipts
  signed) through the application in process (httpx's ASGI transport, no socket), against the
  same signed commands given to Records.execute_batch in batches of 500 on a second, fresh
  store. Events/s of each, and their ratio (goal ≥ 0.7).
- read: GET /v1/enterprises/{uscc}/history for random enterprises of that province (each
  entry verified as `anjian history` does), p50 and p99 over `--requests` (goal p99 ≤ 50 ms).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from uuid import uuid4

from fastapi.testclient import TestClient

from api.app import create_app
from bench.results import write_section
from domain.envelope import SignedCommand
from domain.ids import enterprise_id
from ledger.canonical import canonical_text
from ledger.keys import KeyPair
from ops.api_backend import backend_of
from ops.bootstrap import Platform, build
from ops.settings import Settings
from services.identity.caller import Caller
from services.ingest.genesis import ensure_genesis
from services.ingest.principal import Principal
from tests.api.fakes import FakeAuthenticator
from tests.support import new_uscc

BATCH = 500
REGION = "420102"


def platform(home: Path, key: KeyPair) -> Platform:
    """A fresh platform whose regulator `r-bench` (Jianghan district) holds `key`."""
    p = build(Settings(home=home))
    ensure_genesis(p.ingest)
    line = {
        "type": "actor.register",
        "actor": "platform",
        "region": "420000",
        "data": {
            "account": "r-bench",
            "role": "regulator",
            "name": "r-bench",
            "jurisdiction": REGION,
            "public_key": key.public_key_b64,
            "custody": "own",
        },
    }
    list(p.ingest.record([line], Principal.operator("platform")))
    return p


def signed(key: KeyPair, ctype: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    envelope = {
        "actor": "r-bench",
        "data": data,
        "id": str(uuid4()),
        "occurred_at": "2026-01-05T09:00:00+08:00",
        "region": REGION,
        "role": "regulator",
        "subject": subject,
        "type": ctype,
    }
    text = canonical_text(envelope)
    return {"envelope": envelope, "signature": key.sign_b64(text.encode()), "key_id": key.key_id}


def commands(key: KeyPair, usccs: Sequence[str], updates: int) -> list[dict[str, Any]]:
    out = [
        signed(key, "enterprise.register", str(enterprise_id(u)), {
            "uscc": u, "name": f"企业{u[-6:]}", "industry": "hazardous_chemicals",
            "standardisation": "level2"})
        for u in usccs
    ]  # fmt: skip
    for n in range(updates):
        out.extend(
            signed(key, "enterprise.update_profile", str(enterprise_id(u)),
                   {"uscc": u, "employees": 10 + n})
            for u in usccs
        )  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=2000)
    ap.add_argument("--updates", type=int, default=4, help="profile updates per enterprise")
    ap.add_argument("--requests", type=int, default=300, help="history requests timed")
    args = ap.parse_args()
    load_before = os.getloadavg()[0]
    key = KeyPair.generate()
    usccs = [new_uscc(REGION) for _ in range(args.enterprises)]
    lines = commands(key, usccs, args.updates)
    batches = [lines[i : i + BATCH] for i in range(0, len(lines), BATCH)]
    with tempfile.TemporaryDirectory(prefix="anjian-bench-api-") as tmp:
        root = Path(tmp)
        with platform(root / "direct", key) as direct:
            parsed = [
                [SignedCommand.of(canonical_text(c["envelope"]), c["signature"], c["key_id"])
                 for c in batch]
                for batch in batches
            ]  # fmt: skip
            start = time.perf_counter()
            for cmds in parsed:
                direct.records.execute_batch(cmds)
            direct_s = time.perf_counter() - start
        with platform(root / "api", key) as p:
            auth = FakeAuthenticator(tokens={"t": Caller("r-bench", "regulator", REGION)})
            backend = backend_of(p, auth)
            backend.after_write = None
            with TestClient(create_app(backend)) as client:
                headers = {"Authorization": "Bearer t"}
                start = time.perf_counter()
                for batch in batches:
                    r = client.post("/v1/commands", json=batch, headers=headers)
                    assert r.status_code == 200, r.text
                api_s = time.perf_counter() - start
                client.get(f"/v1/enterprises/{usccs[0]}/history", headers=headers)  # catch up
                rng = random.Random(2018)
                times = []
                for _ in range(args.requests):
                    uscc = rng.choice(usccs)
                    t0 = time.perf_counter()
                    r = client.get(f"/v1/enterprises/{uscc}/history", headers=headers)
                    times.append((time.perf_counter() - t0) * 1000)
                    assert r.status_code == 200
                    assert len(r.json()["items"]) == 1 + args.updates
    n = len(lines)
    times.sort()
    p50 = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    rows = {
        "Records.execute_batch, batches of 500": f"{n / direct_s:,.0f} events/s",
        "POST /v1/commands, batches of 500 (signed, receipts)": f"{n / api_s:,.0f} events/s",
        "ratio API / execute_batch (goal ≥ 0.7)": f"{direct_s / api_s:.2f}",
        f"GET history p50 ({args.enterprises:,} enterprises, {1 + args.updates} entries)": (
            f"{p50:.1f} ms"
        ),
        "GET history p99 (goal ≤ 50 ms)": f"{p99:.1f} ms",
    }
    for k, v in rows.items():
        print(f"{k}: {v}")
    body = (
        f"Command: `.venv/bin/python -m bench.api --enterprises {args.enterprises} "
        f"--updates {args.updates} --requests {args.requests}`\n\n"
        f"{n:,} events, SQLite, in-process ASGI (no socket); 1-minute load average "
        f"before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.\n\n"
        "| figure | value |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows.items())
    )
    write_section("bench/api.py", "HTTP API", body)


if __name__ == "__main__":
    main()
