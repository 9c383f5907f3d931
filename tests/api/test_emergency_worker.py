"""The emergency command module for real: rescue teams registered and an accident of grade 较大
(three deaths) reported through the API, published by the relay to a real nats-server, consumed
by the emergency module's worker (the durable consumer `emergency`), which opens a level III
incident owned by the prefecture with the nearest capable teams suggested; a second worker
process's worth of redelivery (a fresh worker over the same consumer) opens nothing more."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from fastapi.testclient import TestClient

from api.app import create_app
from domain.emergency import EmergencyIncident
from domain.rescue import team_id
from ops.modules import emergency_worker
from streams.worker import Worker
from tests.api.conftest import World, bearer
from tests.nats_throwaway import NatsProcess

TEAMS = [  # code, region, latitude, longitude, capabilities
    ("WH-HAZ-1", "420107", 30.640, 114.385, ["hazchem", "fire"]),
    ("EZ-HAZ-1", "420700", 30.391, 114.895, ["hazchem"]),
    ("YC-HAZ-1", "420500", 30.692, 111.286, ["hazchem", "medical"]),
    ("WH-MINE-1", "420102", 30.600, 114.309, ["mine"]),
]


def run_until(worker: Worker, world: World, done: float = 60) -> None:
    """The worker runs, the relay publishing, until it has caught up with the stream."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + done
        while not (world.platform.stream.catch_up() == 0 and worker.caught_up()):
            assert time.monotonic() < deadline, worker.status()
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(30)


def test_a_larger_accident_opens_a_prefecture_incident_with_the_nearest_teams_suggested(
    nats: NatsProcess, world: World
) -> None:
    now = datetime.now(UTC)
    with TestClient(create_app(world.backend)) as client:
        for code, region, lat, lon, capabilities in TEAMS:
            team = {
                "type": "rescue.register",
                "actor": "r-prov",
                "region": region,
                "subject": str(team_id(code)),
                "data": {"code": code, "name": f"{code} 救援队", "latitude": lat,
                         "longitude": lon, "capabilities": capabilities, "size": 30},
            }  # fmt: skip
            r = client.post("/v1/commands", json=team, headers=bearer("reg-prov"))
            assert r.status_code == 200, r.text
        accident = {
            "type": "accident.report",
            "actor": "e-wh",
            "region": "420102",
            "subject": str(uuid4()),
            "data": {
                "enterprise": world.wuhan,
                "happened_at": (now - timedelta(minutes=40)).isoformat(),
                "kind": "explosion",
                "summary": "反应釜爆炸",
                "deaths": 3,
                "serious_injuries": 2,
                "direct_loss": 0,
            },
        }
        r = client.post("/v1/commands", json=accident, headers=bearer("ent-wh"))
        assert r.status_code == 200, r.text
        (reported,) = r.json()["event_ids"]
    run_until(emergency_worker(world.platform), world)
    records = world.platform.records
    opened = [r for r in records.notifications() if r.type == "emergency.open"]
    assert len(opened) == 1
    data = opened[0].envelope["data"]
    assert opened[0].envelope["actor"] == "svc-emergency"
    assert data["cause"] == reported
    incident = records.load(opened[0].subject, EmergencyIncident)
    assert (incident.level, incident.jurisdiction) == ("III", "420100")  # 较大: the prefecture
    hazchem = [s["code"] for s in data["suggested"] if s["capability"] == "hazchem"]
    assert hazchem[:2] == ["WH-HAZ-1", "EZ-HAZ-1"]  # nearest first; the mine team cannot help
    assert "WH-MINE-1" not in {s["code"] for s in data["suggested"]}
    assert incident.enterprise == world.wuhan
    run_until(emergency_worker(world.platform), world)  # a restart: everything again, nothing new
    assert [r.subject for r in records.notifications() if r.type == "emergency.open"] == [
        opened[0].subject
    ]
