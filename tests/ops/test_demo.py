"""`anjian demo`: a small synthetic province recorded through the real command path holds every
kind of record and every turn of the lifecycles the domain knows; the same seed gives the same
envelopes; the store is refused unless empty."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from typer.testing import CliRunner

from demo.clock import end_of
from demo.logins import LOGINS
from demo.province import allocate
from demo.sim import Sim
from demo.world import World
from domain.accident import Accident
from domain.certificate import TrainingCertificate
from domain.hazard import HazardCase
from domain.ids import actor_id
from domain.penalty import PenaltyCase
from domain.permit import Permit
from domain.regions import PREFECTURES, prefecture_of
from domain.stored import StoredRecord
from ops.bootstrap import Platform, build
from ops.cli import app
from ops.settings import load_settings

runner = CliRunner()
KINDS = {
    "actor", "enterprise", "permit", "certificate", "hazard", "inspection", "penalty",
    "sensor", "sensor_alarm", "accident", "rescue",
}  # fmt: skip
MODULES = {"warning", "emergency"}  # recorded by the module workers from the stream
SMALL = ["--enterprises", "15", "--months", "12", "--seed", "7"]


def demo(home: Path, *args: str) -> Any:
    result = runner.invoke(app, ["demo", *args, "--json"], env={"ANJIAN_HOME": str(home)})
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    home = tmp_path_factory.mktemp("province")
    return home, demo(home, *SMALL)


@pytest.fixture(scope="module")
def records(province: tuple[Path, dict[str, Any]]) -> Iterator[tuple[Platform, list[StoredRecord]]]:
    p = build(load_settings(home=province[0]))
    yield p, list(p.records.notifications())
    p.close()


def subjects(recs: list[StoredRecord], ctype: str) -> list[UUID]:
    return [r.subject for r in recs if r.type == ctype]


def test_a_small_province_holds_every_kind_of_record(province: tuple[Path, dict[str, Any]]) -> None:
    summary = province[1]
    assert set(summary["by_kind"]) == KINDS
    assert summary["events"] == sum(summary["by_kind"].values())


def test_the_provinces_alarms_and_accidents_give_warnings_and_incidents_through_the_workers(
    province: tuple[Path, dict[str, Any]], records: tuple[Platform, list[StoredRecord]]
) -> None:
    modules = province[1]["modules"]
    assert modules["warning"]["recorded"] > 0
    assert modules["emergency"]["recorded"] > 0
    by = Counter(r.envelope["actor"] for r in records[1] if r.envelope["role"] == "service")
    assert by["svc-warning"] == modules["warning"]["recorded"]
    assert by["svc-emergency"] == modules["emergency"]["recorded"]
    assert {r.envelope.get("channel") for r in records[1] if r.envelope["role"] == "service"} == {
        "stream"
    }


def test_enterprises_sit_in_county_level_divisions_of_hubei_prefectures(
    records: tuple[Platform, list[StoredRecord]],
) -> None:
    regions = [r.envelope["region"] for r in records[1] if r.type == "enterprise.register"]
    assert len(regions) == 15
    assert all(prefecture_of(code) in PREFECTURES for code in regions)
    assert len({prefecture_of(code) for code in regions}) == 15  # one per prefecture first


def test_two_hundred_enterprises_cover_all_17_prefectures_with_wuhan_the_largest() -> None:
    import random

    places = allocate(200, random.Random(1), ["420107"])
    per = Counter(p.prefecture for p in places)
    assert set(per) == set(PREFECTURES)
    assert per.most_common(1)[0][0] == "420100"


def test_some_hazards_are_overdue_at_the_end_and_some_were_reopened(
    records: tuple[Platform, list[StoredRecord]],
) -> None:
    p, recs = records
    cases = [p.records.load(s, HazardCase) for s in subjects(recs, "hazard.report")]
    end = end_of(12)
    assert any(c.is_overdue(end) for c in cases)
    assert any(c.reopenings for c in cases)
    assert any(c.rejections for c in cases)
    majors = [c for c in cases if c.major and c.status == "closed"]
    assert majors
    assert all(c.supervision and c.plan for c in majors)  # 挂牌督办, the six items, 销号


def test_penalty_cases_go_through_notice_and_hearing_to_payment(
    records: tuple[Platform, list[StoredRecord]],
) -> None:
    p, recs = records
    cases = [p.records.load(s, PenaltyCase) for s in subjects(recs, "penalty.file")]
    heard = [c for c in cases if c.hearing_outcome is not None]
    assert heard
    assert all(c.noticed_at is not None for c in heard)
    assert any(c.legal_opinion == "approved" for c in cases)
    late = [c for c in cases if c.settled_on and c.late_fee_fen(c.settled_on) > 0]
    assert late
    assert all(c.paid_fen == c.fine_fen + c.late_fee_fen(c.settled_on or end_of(12)) for c in late)
    assert any(c.status == "closed" and c.published_at for c in cases)


def test_licences_are_renewed_and_lapsed_ones_cancelled(
    records: tuple[Platform, list[StoredRecord]],
) -> None:
    p, recs = records
    permits = [p.records.load(s, Permit) for s in subjects(recs, "permit.apply")]
    assert any(x.renewals > 0 for x in permits)
    cancelled = {r.subject for r in recs if r.type == "permit.cancel"
                 and r.envelope["data"]["grounds"] == "expired"}  # fmt: skip
    assert cancelled
    for x in permits:
        if x.id in cancelled:
            assert x.status == "cancelled"
            assert x.is_expired(end_of(12))


def test_alarms_are_raised_and_cleared_by_the_devices_own_key(
    records: tuple[Platform, list[StoredRecord]],
) -> None:
    _, recs = records
    world = World(Sim(end_of(12)), 7, lambda account: "")
    signed = [r for r in recs if r.type in ("sensor_alarm.raise", "sensor.commit_readings")]
    assert any(r.type == "sensor_alarm.raise" for r in signed)
    for r in signed:
        assert r.envelope["role"] == "device"
        assert r.key_id == world.device_key(r.envelope["actor"]).key_id
    outcomes = Counter(r.type for r in recs if r.type.startswith("sensor_alarm."))
    assert outcomes["sensor_alarm.dispose"]
    assert outcomes["sensor_alarm.confirm_false"]


def test_certificate_holders_reach_the_store_only_sealed(
    province: tuple[Path, dict[str, Any]], records: tuple[Platform, list[StoredRecord]]
) -> None:
    p, recs = records
    issued = [r for r in recs if r.type == "certificate.issue"]
    assert issued
    stored = b"".join(f.read_bytes() for f in province[0].glob("anjian.sqlite*"))
    for r in issued:
        holder = r.envelope["data"]["holder"]
        assert set(holder) == {"ref", "commitment", "sealed"}
        person = p.vault.open(holder)
        assert person["id_number"].encode() not in stored
        assert person["phone"].encode() not in stored
    reviewed = {
        p.records.load(s, TrainingCertificate).reviews for s in subjects(recs, "certificate.issue")
    }
    assert max(reviewed) > 0


def test_accidents_span_at_least_two_grades(records: tuple[Platform, list[StoredRecord]]) -> None:
    p, recs = records
    accidents = [p.records.load(s, Accident) for s in subjects(recs, "accident.report")]
    assert len({a.grade for a in accidents}) >= 2
    assert any(a.status == "closed" for a in accidents)


def test_history_of_an_enterprise_lists_its_kinds_in_order_of_occurrence(
    province: tuple[Path, dict[str, Any]],
) -> None:
    home, summary = province
    result = runner.invoke(
        app, ["history", "--enterprise", summary["showcase"], "--json"],
        env={"ANJIAN_HOME": str(home)},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    kinds = [r["type"].partition(".")[0] for r in rows]
    assert KINDS - {"rescue"} <= set(kinds) <= (KINDS - {"rescue"}) | MODULES
    # The province's own history in order of occurrence (the modules decided on it afterwards).
    times = [datetime.fromisoformat(r["occurred_at"]) for r in rows if r["role"] != "service"]
    assert times == sorted(times)
    assert kinds[0] == "enterprise"


def test_history_shows_the_demo_as_migrated_history_recorded_after_it_happened(
    province: tuple[Path, dict[str, Any]],
) -> None:
    """The demo is pre-go-live history: the platform's signatures are marked migrated; a
    device's own signature cannot be, and shows its recorded time beside the declared one."""
    home, summary = province
    env = {"ANJIAN_HOME": str(home)}
    args = ["history", "--enterprise", summary["showcase"]]
    rows = json.loads(runner.invoke(app, [*args, "--json"], env=env).stdout)
    marks = {(r["role"] == "device", r["migrated"]) for r in rows if r["role"] != "service"}
    assert marks == {(False, True), (True, False)}
    assert not any(r["migrated"] for r in rows if r["role"] == "service")  # live, not history
    assert all(r["recorded_at"] > r["occurred_at"] for r in rows)
    assert runner.invoke(app, args, env=env).exit_code == 0


def test_the_first_enterprise_listed_is_the_showcase(
    province: tuple[Path, dict[str, Any]],
) -> None:
    home, summary = province
    result = runner.invoke(app, ["enterprises", "--json"], env={"ANJIAN_HOME": str(home)})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["uscc"] == summary["showcase"]


def test_the_province_replays_through_the_write_path_without_findings(
    province: tuple[Path, dict[str, Any]], records: tuple[Platform, list[StoredRecord]]
) -> None:
    """Every event of the demo, replayed in log order at its recorded time, is accepted again
    (`audit verify --replay`), and the audit holds."""
    home, _ = province
    result = runner.invoke(
        app,
        ["audit", "verify", "--offline", "--replay", "--json"],
        env={"ANJIAN_HOME": str(home)},
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["failures"] == []
    assert f"replayed {len(records[1])} events through the write path's rules" in (report["notes"])


def test_same_seed_gives_the_same_envelopes(tmp_path: Path) -> None:
    home = tmp_path / "var"
    tiny = ["--enterprises", "3", "--months", "3"]

    def envelopes() -> list[dict[str, Any]]:
        p = build(load_settings(home=home))
        try:
            return [_without_sealed(r.envelope) for r in history(p.records.notifications())]
        finally:
            p.close()

    demo(home, *tiny, "--seed", "11")
    first = envelopes()
    demo(home, *tiny, "--seed", "11", "--reset")
    assert envelopes() == first
    demo(home, *tiny, "--seed", "12", "--reset")
    assert envelopes() != first


def _without_sealed(envelope: dict[str, Any]) -> dict[str, Any]:
    """The vault seals each holder under a fresh random key and salt: everything else is
    determined by the seed (and, for custodial keys, by the keystore, kept by --reset)."""
    data = dict(envelope["data"])
    if "holder" in data:
        data["holder"] = "sealed"
    return {**envelope, "data": data}


def test_the_demo_refuses_a_store_that_holds_records(
    province: tuple[Path, dict[str, Any]],
) -> None:
    result = runner.invoke(app, ["demo", *SMALL], env={"ANJIAN_HOME": str(province[0])})
    assert result.exit_code == 1
    assert "StoreNotEmpty" in result.output
    assert "--reset" in result.output


def test_reset_deletes_the_embedded_store_and_keeps_the_keys(tmp_path: Path) -> None:
    home = tmp_path / "var"
    demo(home, "--enterprises", "2", "--months", "1")
    keys = platform_keys(home)
    summary = demo(home, "--enterprises", "2", "--months", "1", "--reset")
    p = build(load_settings(home=home))
    try:
        assert sum(1 for _ in p.records.notifications()) == summary["stored"]  # not twice
    finally:
        p.close()
    assert platform_keys(home) == keys


def platform_keys(home: Path) -> dict[str, bytes]:
    """The platform's own keys; not the vault's key store, whose keys open only the
    ciphertexts of the history that --reset deletes, and which goes with it."""
    return {f.name: f.read_bytes() for f in (home / "keys").iterdir() if f.suffix != ".sqlite"}


def test_reset_is_refused_for_postgresql(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["demo", "--reset"],
        env={"ANJIAN_HOME": str(tmp_path), "ANJIAN_DATABASE_URL": "postgresql://u@127.0.0.1:1/x"},
    )  # fmt: skip
    assert result.exit_code == 1
    assert "ResetRefused" in result.output


def test_the_demo_records_its_history_through_the_migration_path(
    records: tuple[Platform, list[StoredRecord]],
) -> None:
    """The province's history is from before go-live: every line the platform signed for an
    account names the migration channel; a device's own signature names none."""
    channels = Counter(
        (r.envelope["role"] == "device", r.envelope.get("channel")) for r in history(records[1])
    )
    assert set(channels) == {(False, "migration"), (True, None)}


def test_the_demo_creates_one_login_per_role_that_logs_in(
    province: tuple[Path, dict[str, Any]], records: tuple[Platform, list[StoredRecord]]
) -> None:
    """After the history, one live account per role, registered by the platform (channel cli),
    printed with a one-time password that logs in."""
    logins = {x["login"]: x for x in province[1]["logins"]}
    assert sorted(x["role"] for x in logins.values()) == [
        "admin", "auditor", "enterprise", "integrator", "regulator", "regulator", "regulator",
    ]  # fmt: skip
    assert [logins[x]["jurisdiction"] for x in LOGINS[:3]] == ["420100", "420500", "420000"]
    assert logins["wuhan-enterprise"]["enterprises"] == [province[1]["showcase"]]
    subjects = {str(actor_id(x)) for x in LOGINS}
    live = [r for r in records[1] if r.envelope["subject"] in subjects]
    assert len(live) == len(LOGINS)
    assert {(r.envelope["actor"], r.envelope.get("channel")) for r in live} == {("platform", "cli")}
    p = records[0]
    grant = p.identity.login("wuhan-enterprise", logins["wuhan-enterprise"]["one_time_password"],
                             source="test")  # fmt: skip
    assert grant.caller.enterprises == frozenset({province[1]["showcase"]})


def history(recs: Iterable[StoredRecord]) -> list[StoredRecord]:
    """The province's seeded history: every event but the live registrations of its logins and
    of the modules' service accounts, and what the modules' workers recorded."""
    live = {str(actor_id(x)) for x in [*LOGINS, "svc-warning", "svc-emergency"]}
    return [
        r for r in recs if r.envelope["subject"] not in live and r.envelope["role"] != "service"
    ]
