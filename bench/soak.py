"""Soak: `anjian serve` on the embedded default under a steady stream of commands through the API.

    .venv/bin/python -m bench.soak [--seconds 600] [--rate 500] [--concurrency 64]

A fresh data directory, a regulator of Wuhan with an API token, and `anjian serve` as a
subprocess (the API, the ledger, read-model and stream followers, nats-server, anvil). The
client posts one `enterprise.register` per request, open-loop at `--rate` commands/s (request i
is due at start + i/rate; a late request is sent at once and counted late). Every 5 s it samples
/readyz (each follower's events behind, the newest anchor's age) and the resident memory of the
server's process tree. At the end it waits for every follower to catch up, stops the server
with SIGTERM and checks that the log, the stream and the read models hold every event.

Printed (and written to bench/RESULTS.md): the commands/s reached against the rate asked (the
baseline of this run; ratio goal 1.0), errors (goal 0), p50/p99 request latency, p99 and max of
each follower's lag, the newest anchor's age, and the server's RSS in the first and the last
minute (ratio goal ≈ 1.0: no growth).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.results import write_section
from tests.support import new_uscc

ROOT = Path(__file__).resolve().parents[1]


def anjian(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "ops.cli", *args], env=env, cwd=ROOT, capture_output=True,
        text=True, check=True, timeout=300,
    )  # fmt: skip
    return done.stdout


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rss_kb(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def tree(server: int, home: Path) -> list[int]:
    pids = [server]
    for f in (home / "nats" / "server.pid", home / "chain" / "node.pid"):
        with contextlib.suppress(OSError, ValueError):
            pids.append(int(f.read_text()))
    return pids


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def load(
    base: str, token: str, *, seconds: float, rate: float, concurrency: int, home: Path, pid: int
) -> dict[str, Any]:
    total = int(seconds * rate)
    latencies: list[float] = []
    errors: list[str] = []
    late = 0
    samples: list[dict[str, Any]] = []
    next_index = 0
    start = time.monotonic()
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:

        async def worker() -> None:
            nonlocal next_index, late
            while next_index < total and time.monotonic() < start + seconds:
                i = next_index
                next_index += 1
                due = start + i / rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -0.1:
                    late += 1
                line = {
                    "type": "enterprise.register",
                    "actor": "r-soak",
                    "region": f"4201{2 + i % 5:02d}",
                    "data": {
                        "uscc": new_uscc(),
                        "name": f"武汉浸泡测试有限公司{i}",
                        "industry": "industry_trade",
                        "standardisation": "level3",
                    },
                }
                t0 = time.monotonic()
                try:
                    r = await http.post("/v1/commands", json=line, headers=headers)
                    if r.status_code != 200:
                        errors.append(f"{r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
                latencies.append((time.monotonic() - t0) * 1000)

        async def sampler() -> None:
            while next_index < total and time.monotonic() < start + seconds:
                await asyncio.sleep(5)
                r = await http.get("/readyz")
                parts = {c["name"]: c for c in r.json()["components"]}
                samples.append(
                    {
                        "t": time.monotonic() - start,
                        "ready": r.status_code == 200,
                        "ledger": parts["ledger"].get("events_behind", 0),
                        "projections": parts["projections"].get("events_behind", 0),
                        "relay": parts["relay"].get("events_behind", 0),
                        "anchor_age": parts["ledger"].get("anchor_age_seconds") or 0.0,
                        "rss_kb": rss_kb(tree(pid, home)),
                        "server_rss_kb": rss_kb([pid]),
                    }
                )

        await asyncio.gather(sampler(), *(worker() for _ in range(concurrency)))
    elapsed = time.monotonic() - start
    return {
        "sent": len(latencies),
        "asked": total,
        "elapsed": elapsed,
        "latencies": latencies,
        "errors": errors,
        "late": late,
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="anjian-soak-") as tmp:
        home = Path(tmp) / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANJIAN_")}
        env |= {"ANJIAN_HOME": str(home), "PYTHONPATH": str(ROOT)}
        anjian(env, "users", "add", "r-soak", "--role", "regulator", "--region", "420100")
        issued = anjian(
            env, "tokens", "create", "--user", "r-soak", "--scope", "write", "--ttl", "1d", "--json"
        )
        token = json.loads(issued)["token"]
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = (Path(tmp) / "serve.log").open("w")
        server = subprocess.Popen(
            [sys.executable, "-m", "ops.cli", "serve", "--port", str(port)],
            env=env | {"ANJIAN_PUBLIC_URL": base}, cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=log, start_new_session=True,
        )  # fmt: skip

        def stop_server(signum: int, _frame: object) -> None:
            server.send_signal(signal.SIGTERM)
            raise SystemExit(128 + signum)

        signal.signal(signal.SIGTERM, stop_server)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=5).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not become ready")
                time.sleep(0.2)
            result = asyncio.run(
                load(
                    base,
                    token,
                    seconds=args.seconds,
                    rate=args.rate,
                    concurrency=args.concurrency,
                    home=home,
                    pid=server.pid,
                )
            )
            t0 = time.monotonic()
            while True:  # every follower catches up
                parts = {
                    c["name"]: c
                    for c in httpx.get(f"{base}/readyz", timeout=10).json()["components"]
                }
                if not any(c.get("events_behind", 0) for c in parts.values()):
                    break
                if time.monotonic() - t0 > 600:
                    print("the followers did not catch up in 600 s:", parts, file=sys.stderr)
                    break
                time.sleep(0.5)
            drain_s = time.monotonic() - t0
        finally:
            server.send_signal(signal.SIGTERM)
            code = server.wait(timeout=120)
        status = json.loads(anjian(env, "stream", "status", "--json"))
        ledger = json.loads(anjian(env, "ledger", "status", "--json"))
    samples = result["samples"]
    reached = (result["sent"] - len(result["errors"])) / result["elapsed"]
    behind = result["asked"] - result["sent"]
    first = [s["server_rss_kb"] for s in samples if s["t"] <= 60] or [0]
    last = [s["server_rss_kb"] for s in samples if s["t"] >= result["elapsed"] - 60] or [0]
    lat = result["latencies"]
    rows = {
        "commands/s asked (the baseline of this run)": f"{args.rate:,.0f}",
        "commands/s reached": f"{reached:,.0f}",
        "ratio reached / asked (goal 1.0)": f"{reached / args.rate:.2f}",
        "requests sent late (> 100 ms behind the schedule)": f"{result['late']:,}",
        "requests never sent (the schedule ran ahead of the server)": f"{behind:,}",
        "errors (goal 0)": f"{len(result['errors'])}",
        "request latency p50 / p99": f"{statistics.median(lat):.1f} / {pct(lat, 0.99):.1f} ms",
        **{
            f"{name} lag p99 / max (events)": (
                f"{pct([s[name] for s in samples], 0.99):,.0f} / "
                f"{max((s[name] for s in samples), default=0):,}"
            )
            for name in ("ledger", "projections", "relay")
        },
        "newest anchor's age p99 / max": (
            f"{pct([s['anchor_age'] for s in samples], 0.99):.1f} / "
            f"{max((s['anchor_age'] for s in samples), default=0):.1f} s"
        ),
        "/readyz not ready in samples": f"{sum(not s['ready'] for s in samples)} of {len(samples)}",
        "server RSS, first minute → last minute (median)": (
            f"{statistics.median(first) / 1024:.0f} → {statistics.median(last) / 1024:.0f} MiB"
        ),
        "RSS ratio last / first minute (goal ≈ 1.0)": (
            f"{statistics.median(last) / max(1, statistics.median(first)):.2f}"
        ),
        "process tree RSS at the end (API + nats-server + anvil)": (
            f"{(samples[-1]['rss_kb'] if samples else 0) / 1024:.0f} MiB"
        ),
        "catch-up after the load": f"{drain_s:.1f} s",
        "events stored / logged / in the stream": (
            f"{ledger['events']:,} / {ledger['tree_size']:,} / {status['stream']['messages']:,}"
        ),
        "serve exit code after SIGTERM": f"{code}",
    }
    for k, v in rows.items():
        print(f"{k}: {v}")
    for e in result["errors"][:5]:
        print("error:", e)
    body = (
        f"Command: `.venv/bin/python -m bench.soak --seconds {args.seconds:g} --rate "
        f"{args.rate:g} --concurrency {args.concurrency}`\n\n"
        "One `enterprise.register` per request, open-loop; SQLite, embedded nats-server and "
        f"anvil; client and server on the same {os.cpu_count()} cores; 1-minute load average "
        f"before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f}.\n\n"
        "| figure | value |\n|---|---|\n" + "".join(f"| {k} | {v} |\n" for k, v in rows.items())
    )
    write_section("bench/soak.py", "Soak: anjian serve under a steady load", body)


if __name__ == "__main__":
    main()
