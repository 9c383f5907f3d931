"""The warning module's benchmark (issue 14), with its baselines measured in the same run.

    .venv/bin/python -m bench.modules [--rate 200] [--seconds 10] [--events 10000] [--no-write]

Figures:
- latency: gas alarms recorded through the real command path (services.ingest, custodial
  device signatures, SQLite store) at a steady --rate per second for --seconds; the relay and
  the warning worker run on threads of the same process against nats-server (JetStream, file
  store), as `anjian serve` will run them. Latency = the warning's recorded time − its alarm's
  recorded time (both the platform's clock), p50 and p99 over every alarm. Goal p99 ≤ 1 s.
- rule evaluation: `WarningPolicy.observe` over --events decoded events (alarms,
  acknowledgements, clearings of 50 devices; the store's own StoredRecords) against a bare
  loop over the same events reading each event's type and data (the floor of any fold).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from bench.results import write_section
from domain.ids import device_id
from domain.stored import StoredRecord
from domain.warning_policy import WarningPolicy
from ops.bootstrap import Platform, build
from ops.modules import warning_worker
from ops.settings import load_settings
from services.ingest.principal import Principal
from tests.nats_throwaway import NatsProcess
from tests.streams.warning_scene import REGION, Scene, scene


def record_alarms(s: Scene, rate: float, seconds: float) -> tuple[int, float]:
    """Alarms of GD-1 at `rate` per second for `seconds`, each one command; (alarms, rate
    achieved). Values alternate level-1 and level-2, dated now."""
    p, n = s.p, int(rate * seconds)
    who = Principal.operator("dev-1")
    start = time.monotonic()
    for i in range(n):
        due = start + i / rate
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        value, level = (25, "level1") if i % 2 else (45, "level2")
        line = {
            "type": "sensor_alarm.raise",
            "actor": "dev-1",
            "region": REGION,
            "subject": str(uuid4()),
            "data": {
                "enterprise": s.uscc,
                "device": str(device_id("GD-1")),
                "value": value,
                "level": level,
            },
        }
        for _ in p.ingest.record([json.dumps(line)], who):
            pass
    return n, n / (time.monotonic() - start)


def latencies(p: Platform) -> list[float]:
    """Seconds from each alarm's recording to its gas-alarm warning's."""
    alarms: dict[str, datetime] = {}
    warned: dict[str, datetime] = {}
    for r in p.records.notifications():
        at = datetime.fromisoformat(r.recorded_at)
        if r.type == "sensor_alarm.raise":
            alarms[r.event_id] = at
        elif r.type == "warning.issue" and r.envelope["data"]["rule"] == "gas-alarm":
            warned[r.envelope["data"]["triggers"][0]] = at
    missing = alarms.keys() - warned.keys()
    if missing:
        raise RuntimeError(f"{len(missing)} alarms got no warning")
    return sorted((warned[e] - alarms[e]).total_seconds() for e in alarms)


def latency_run(directory: Path, rate: float, seconds: float) -> dict[str, Any]:
    nats = NatsProcess(directory / "js")
    nats.start()
    try:
        with build(load_settings(home=directory / "home", nats_url=nats.url)) as p:
            s = scene(p)
            s.at = datetime.now(s.at.tzinfo) - timedelta(minutes=1)
            worker = warning_worker(p, tick_seconds=3600)
            stop = threading.Event()
            relay = threading.Thread(target=p.stream.run, args=(stop, 0.05), daemon=True)
            consumer = threading.Thread(target=worker.run, args=(stop,), daemon=True)
            relay.start()
            consumer.start()
            n, achieved = record_alarms(s, rate, seconds)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                got = sum(
                    1
                    for r in p.records.notifications()
                    if r.type == "warning.issue" and r.envelope["data"]["rule"] == "gas-alarm"
                )
                if got >= n:
                    break
                time.sleep(0.2)
            stop.set()
            p.stream.wake()
            relay.join(30)
            consumer.join(30)
            lat = latencies(p)
    finally:
        nats.stop()
    return {
        "alarms": n,
        "achieved": achieved,
        "p50": statistics.median(lat),
        "p99": lat[min(len(lat) - 1, int(0.99 * len(lat)))],
        "max": lat[-1],
    }


def evaluation_events(directory: Path, n: int) -> list[StoredRecord]:
    """`n` decoded events of a store: alarms of 50 devices, each acknowledged and cleared."""
    from tests.domain.test_sensor import install, raise_alarm
    from tests.domain.test_warning_policy import site_in
    from tests.support import Harness

    h = Harness()
    try:
        uscc = site_in(h)
        devices = []
        for k in range(50):
            h.actor(f"dev-b{k}", "device", REGION, enterprise=uscc)
            devices.append((install(h, uscc, f"B-{k}", f"dev-b{k}", source="T-03"), f"dev-b{k}"))
        stored = len(list(h.records.notifications()))
        for i in range(max(0, n - stored + 2) // 3):
            dev, account = devices[i % len(devices)]
            a = raise_alarm(h, uscc, dev, 25, "level1", account=account)
            h.run_as("e-site", "sensor_alarm.acknowledge", REGION, {}, subject=a)
            h.run_as("e-site", "sensor_alarm.clear", REGION, {}, subject=a)
        return list(h.records.notifications())[:n]
    finally:
        h.close()


def evaluation(events: list[StoredRecord], runs: int = 5) -> dict[str, float]:
    def bare() -> float:
        t = time.perf_counter()
        seen = 0
        for r in events:
            env = r.envelope
            if env["type"] and env["data"] is not None:
                seen += 1
        assert seen == len(events)
        return time.perf_counter() - t

    def policy() -> float:
        p = WarningPolicy()
        t = time.perf_counter()
        for r in events:
            p.observe(r)
        return time.perf_counter() - t

    b = statistics.median(bare() for _ in range(runs))
    q = statistics.median(policy() for _ in range(runs))
    return {"bare": len(events) / b, "policy": len(events) / q}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--events", type=int, default=10000)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    load0 = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        lat = latency_run(Path(tmp), args.rate, args.seconds)
        ev = evaluation(evaluation_events(Path(tmp), args.events))
    load1 = os.getloadavg()[0]
    body = (
        f"nats-server (JetStream, file store) on loopback, SQLite event store; relay and warning "
        f"worker on threads of one process; 1-minute load average before/after: "
        f"{load0:.1f}/{load1:.1f} on {os.cpu_count()} cores.\n\n"
        "| figure | value |\n|---|---|\n"
        f"| alarms recorded (asked {args.rate:.0f}/s for {args.seconds:.0f} s) | "
        f"{lat['alarms']} at {lat['achieved']:.0f}/s |\n"
        f"| **alarm committed → warning committed, p50** | **{lat['p50'] * 1000:.0f} ms** |\n"
        f"| **alarm committed → warning committed, p99** (goal ≤ 1 s) | "
        f"**{lat['p99'] * 1000:.0f} ms** |\n"
        f"| alarm → warning, max | {lat['max'] * 1000:.0f} ms |\n"
        f"| baseline: bare loop over {args.events:,} decoded events | "
        f"{ev['bare']:,.0f} events/s |\n"
        f"| **WarningPolicy.observe** over the same events | **{ev['policy']:,.0f} events/s** |\n"
        f"| policy / bare loop | {ev['policy'] / ev['bare']:.3f} |\n"
    )
    print(body)
    if not args.no_write:
        command = "`.venv/bin/python -m bench.modules`"
        write_section("bench/modules.py", "Warning module", f"Command: {command}\n\n{body}")


if __name__ == "__main__":
    main()
