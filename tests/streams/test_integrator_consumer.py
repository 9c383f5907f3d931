"""examples/integrator_consumer.py, run as integrators run it against a server the relay fed:
a durable pull consumer of one region that verifies every signature, acks, resumes after its
acks, replays from a sequence, and reports a gap in the log or in a record's versions."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.regions import prefecture_of
from streams.cloudevent import read
from tests.nats_throwaway import NatsProcess, nats_server
from tests.streams.support import (
    EXAMPLE,
    example,
    platform,
    raw_messages,
    record_province,
    stored_ids,
    write_keys,
)

USER, PASSWORD = "integrator", "s3cret-pass"
Fed = tuple[NatsProcess, Path, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fed]:
    base = tmp_path_factory.mktemp("consumer")
    config = base / "nats.conf"
    config.write_text(f'authorization {{ user: "{USER}", password: "{PASSWORD}" }}\n')
    with nats_server(base / "nats", config=config) as server:
        url = server.url.replace("nats://", f"nats://{USER}:{PASSWORD}@")
        with platform(base / "home", url) as p:
            record_province(p, enterprises=6, months=4)
            p.stream.catch_up()
            keys = write_keys(p, base / "keys.json")
            stored = [
                {"id": r.event_id, "region": r.envelope["region"], "nid": r.notification_id}
                for r in p.records.notifications()
            ]
            assert len(stored) == len(stored_ids(p))
        yield server, keys, stored


def consume(server: NatsProcess, keys: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLE), "--server", server.url, "--user", USER,
         "--password", PASSWORD, "--keys", str(keys), "--idle", "10", "--json", *args],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def events(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_wuhan_consumer_receives_only_wuhans_events_each_verified(fed: Fed) -> None:
    server, keys, stored = fed
    wuhan = [s["id"] for s in stored if prefecture_of(s["region"]) == "420100"]
    wuhan_only = ("--durable", "wuhan", "--subject", "anjian.events.4201.>")
    done = consume(server, keys, *wuhan_only, "--count", str(len(wuhan)))
    got = events(done)
    assert [e["id"] for e in got] == wuhan
    assert events(consume(server, keys, *wuhan_only, "--idle", "2")) == []  # nothing else
    assert {e["verified"] for e in got} == {"ok"}
    assert "GAP" not in done.stderr


def test_a_durable_consumer_resumes_after_its_acks(fed: Fed) -> None:
    server, keys, stored = fed
    first = consume(server, keys, "--durable", "resume", "--count", "5")
    rest = consume(server, keys, "--durable", "resume", "--count", str(len(stored) - 5))
    assert [e["id"] for e in events(first) + events(rest)] == [s["id"] for s in stored]
    assert "GAP" not in first.stderr + rest.stderr  # a resumed durable starts mid-record


def test_a_new_durable_replays_from_a_stream_sequence(fed: Fed) -> None:
    server, keys, stored = fed
    count = str(len(stored) - 9)
    got = events(consume(server, keys, "--durable", "replay", "--from-seq", "10", "--count", count))
    assert [e["id"] for e in got] == [s["id"] for s in stored[9:]]


def test_a_new_durable_replays_from_a_time(fed: Fed) -> None:
    server, keys, stored = fed
    all_of_it = ("--count", str(len(stored)))
    since_2000 = consume(
        server, keys, "--durable", "t1", "--from-time", "2000-01-01T00:00:00+08:00", *all_of_it
    )
    since_2090 = consume(
        server, keys, "--durable", "t2", "--from-time", "2090-01-01T00:00:00+08:00", "--idle", "2"
    )
    assert len(events(since_2000)) == len(stored)
    assert events(since_2090) == []


def test_wrong_credentials_are_refused(fed: Fed, tmp_path: Path) -> None:
    server, keys, _ = fed
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--server", server.url, "--user", USER,
         "--password", "wrong", "--keys", str(keys), "--durable", "x", "--idle", "1",
         "--reconnect-attempts", "1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "Authorization" in done.stderr or "authorization" in done.stderr


def _events(fed: Fed) -> list[Any]:
    server = fed[0]
    url = server.url.replace("nats://", f"nats://{USER}:{PASSWORD}@")
    return [read(m.data) for m in raw_messages(url)]


def test_a_missing_event_of_the_whole_log_is_a_gap(fed: Fed) -> None:
    gaps = example().Gaps(whole=True, from_start=True)
    found = [gaps.check(e) for i, e in enumerate(_events(fed)) if i != 3]
    assert [f for f in found if f is not None] == [found[3]]
    assert found[3] is not None
    assert "missing" in found[3]


def test_a_missing_version_of_a_record_is_a_gap_under_a_filter(fed: Fed) -> None:
    evs = _events(fed)
    record = next(e.get_subject() for e in evs if e.get_id().endswith(":3"))
    skipped = f"{record}:2"
    gaps = example().Gaps(whole=False, from_start=True)
    found = [gaps.check(e) for e in evs if e.get_id() != skipped]
    assert [f for f in found if f is not None] == [f"record {record}: versions 2..2 missing"]


def test_nothing_missing_is_no_gap(fed: Fed) -> None:
    evs = _events(fed)
    whole, filtered = example().Gaps(True, True), example().Gaps(False, True)
    assert {whole.check(e) for e in evs} == {None}
    wuhan = [e for e in evs if e.get_attributes()["region"].startswith("4201")]
    assert {filtered.check(e) for e in wuhan} == {None}
