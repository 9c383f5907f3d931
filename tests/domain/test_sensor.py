"""Sensor devices at major hazard sources, device-signed alarms and committed reading batches."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotAuthorized
from domain.ids import device_id, enterprise_id
from domain.sensor import SensorAlarm, SensorDevice, alarm_level
from ledger.canonical import canonical_bytes
from ledger.rfc6962 import inclusion_proof, leaf_hash, root_hash, verify_inclusion
from tests.support import Harness

REGION = "420102"


@pytest.fixture
def site(h: Harness, regulator: str) -> str:
    """An enterprise with the filed major hazard source T-01 and device accounts dev-1, dev-2."""
    uscc = h.enterprise(regulator)
    h.run_as(
        regulator,
        "enterprise.register_hazard_source",
        REGION,
        {
            "uscc": uscc,
            "source": "T-01",
            "name": "液化烃罐区",
            "substances": [{"name": "丙烯", "quantity": 200, "critical": 10, "beta": 1.5}],
            "people_within_500m": 40,
        },
        subject=enterprise_id(uscc),
    )
    h.actor("e-site", "enterprise", REGION, enterprise=uscc)
    h.actor("dev-1", "device", REGION, enterprise=uscc)
    h.actor("dev-2", "device", REGION, enterprise=uscc)
    return uscc


def install(
    h: Harness, uscc: str, serial: str = "GD-0001", account: str = "dev-1", **over: Any
) -> UUID:
    subject = over.pop("subject", None) or device_id(serial)
    data: dict[str, Any] = {
        "enterprise": uscc,
        "serial": serial,
        "account": account,
        "source": "T-01",
        "quantity": "combustible_gas",
        "unit": "%LEL",
        "high": 20,
        "high_high": 40,
        "substance": "丙烯",
        **over,
    }
    data = {k: v for k, v in data.items() if v is not None}
    h.run_as("e-site", "sensor.install", REGION, data, subject=subject)
    return device_id(serial)


def raise_alarm(
    h: Harness, uscc: str, device: UUID, value: float, level: str, *, account: str = "dev-1"
) -> UUID:
    subject = uuid4()
    h.run_as(
        account,
        "sensor_alarm.raise",
        REGION,
        {"enterprise": uscc, "device": str(device), "value": value, "level": level},
        subject=subject,
    )
    return subject


def alarm_act(
    h: Harness, account: str, alarm: UUID, verb: str, data: dict[str, Any]
) -> SensorAlarm:
    h.run_as(account, f"sensor_alarm.{verb}", REGION, data, subject=alarm)
    return h.records.load(alarm, SensorAlarm)


# -- devices ----------------------------------------------------------------------------------


def test_installed_device_watches_a_filed_hazard_source(h: Harness, site: str) -> None:
    dev = h.records.load(install(h, site), SensorDevice)
    assert (dev.status, dev.enterprise, dev.source, dev.account, dev.high, dev.high_high) == (
        "active",
        site,
        "T-01",
        "dev-1",
        20,
        40,
    )


def test_install_needs_a_filed_hazard_source(h: Harness, site: str) -> None:
    with pytest.raises(InvalidValue, match="not a filed major hazard source"):
        install(h, site, source="T-99")


def test_install_needs_a_registered_device_account(h: Harness, site: str) -> None:
    with pytest.raises(InvalidValue, match="not an active device account"):
        install(h, site, account="e-site")
    with pytest.raises(InvalidValue, match="not an active device account"):
        install(h, site, account="nobody")


def test_device_account_of_another_enterprise_cannot_be_installed(
    h: Harness, regulator: str, site: str
) -> None:
    h.actor("dev-x", "device", REGION, enterprise=h.enterprise(regulator))
    with pytest.raises(NotAuthorized, match="is bound to"):
        install(h, site, account="dev-x")


def test_device_id_derives_from_the_serial_and_installs_once(h: Harness, site: str) -> None:
    with pytest.raises(InvalidValue, match="subject of device"):
        install(h, site, subject=uuid4())
    install(h, site)
    with pytest.raises(AlreadyExists, match="installed already"):
        install(h, site, account="dev-2")


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"high": 30, "high_high": 50}, r"level-1 set point 30 must be in \(0, 25.0\]"),
        ({"high": 25, "high_high": 60}, "level-2 set point 60 must be ≤ 50.0"),
        ({"high": 40, "high_high": 30}, "must be below the level-2 set point"),
        (
            {"quantity": "toxic_gas", "unit": "%OEL", "high": 100, "high_high": 250},
            "level-2 set point 250 must be ≤ 200.0",
        ),
        ({"quantity": "toxic_gas", "unit": "ppm"}, "measured in %OEL"),
        ({"quantity": "oxygen", "unit": "%VOL"}, "fixed set points"),
        ({"quantity": "pressure", "unit": "MPa", "high": None}, "needs its high and high_high"),
    ],
)
def test_set_points_outside_the_standard_are_rejected(
    h: Harness, site: str, over: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidValue, match=message):
        install(h, site, **over)


@pytest.mark.parametrize(
    ("quantity", "high", "high_high", "value", "level"),
    [
        ("combustible_gas", 25, 50, 24.9, None),
        ("combustible_gas", 25, 50, 25, "level1"),
        ("combustible_gas", 25, 50, 49.9, "level1"),
        ("combustible_gas", 25, 50, 50, "level2"),
        ("toxic_gas", 100, 200, 150, "level1"),
        ("toxic_gas", 100, 200, 200, "level2"),
        ("oxygen", None, None, 23.5, "oxygen_high"),
        ("oxygen", None, None, 20.9, None),
        ("oxygen", None, None, 19.5, "oxygen_low"),
        ("pressure", 1.6, 2.0, 1.7, "high"),
        ("pressure", 1.6, 2.0, 2.1, "high_high"),
        ("temperature", -10, 5, -20, None),
    ],
)
def test_alarm_level_follows_the_thresholds(
    quantity: str, high: float | None, high_high: float | None, value: float, level: str | None
) -> None:
    assert alarm_level(quantity, high, high_high, value) == level


def test_oxygen_detector_installs_without_set_points(h: Harness, site: str) -> None:
    device = install(h, site, quantity="oxygen", unit="%VOL", high=None, high_high=None)
    alarm = raise_alarm(h, site, device, 18.0, "oxygen_low")
    assert h.records.load(alarm, SensorAlarm).level == "oxygen_low"


def test_changed_set_points_change_the_derived_level(h: Harness, site: str) -> None:
    device = install(h, site)
    raise_alarm(h, site, device, 30, "level1")
    h.run_as(
        "e-site", "sensor.set_thresholds", REGION, {"high": 10, "high_high": 25}, subject=device
    )
    assert h.records.load(raise_alarm(h, site, device, 30, "level2"), SensorAlarm).level == (
        "level2"
    )
    with pytest.raises(InvalidValue, match="level-2 set point 55"):
        h.run_as(
            "e-site", "sensor.set_thresholds", REGION, {"high": 10, "high_high": 55}, subject=device
        )


# -- alarms -----------------------------------------------------------------------------------


def test_device_signed_alarm_is_raised_with_its_derived_level(h: Harness, site: str) -> None:
    device = install(h, site)
    alarm = h.records.load(raise_alarm(h, site, device, 42.5, "level2"), SensorAlarm)
    assert (alarm.status, alarm.level, alarm.value, alarm.device, alarm.device_account) == (
        "raised",
        "level2",
        42.5,
        device,
        "dev-1",
    )


def test_alarm_with_a_level_its_reading_does_not_reach_is_rejected(h: Harness, site: str) -> None:
    device = install(h, site)
    with pytest.raises(InvalidValue, match="is a level1 alarm, not level2") as err:
        raise_alarm(h, site, device, 30, "level2")
    assert "GB/T 50493" in err.value.rule


def test_reading_below_every_set_point_is_not_an_alarm(h: Harness, site: str) -> None:
    device = install(h, site)
    with pytest.raises(InvalidValue, match="below every alarm set point"):
        raise_alarm(h, site, device, 5, "level1")


def test_alarm_signed_by_another_device_is_rejected(h: Harness, site: str) -> None:
    device = install(h, site)
    with pytest.raises(NotAuthorized, match="signed by its own account dev-1, not dev-2"):
        raise_alarm(h, site, device, 30, "level1", account="dev-2")


def test_alarm_is_raised_only_by_a_device(h: Harness, site: str) -> None:
    device = install(h, site)
    with pytest.raises(NotAuthorized, match=r"may not issue sensor_alarm\.raise"):
        raise_alarm(h, site, device, 30, "level1", account="e-site")


def test_device_of_another_enterprise_cannot_raise_here(
    h: Harness, regulator: str, site: str
) -> None:
    device = install(h, site)
    h.actor("dev-x", "device", REGION, enterprise=h.enterprise(regulator))
    with pytest.raises(NotAuthorized, match="not dev-x"):
        raise_alarm(h, site, device, 30, "level1", account="dev-x")


def test_decommissioned_device_raises_no_alarm(h: Harness, site: str) -> None:
    device = install(h, site)
    h.run_as("e-site", "sensor.decommission", REGION, {"reason": "更换"}, subject=device)
    with pytest.raises(InvalidTransition, match="decommissioned"):
        raise_alarm(h, site, device, 30, "level1")


def test_alarm_is_acknowledged_disposed_and_cleared(h: Harness, site: str) -> None:
    alarm = raise_alarm(h, site, install(h, site), 30, "level1")
    assert alarm_act(h, "e-site", alarm, "acknowledge", {}).status == "acknowledged"
    assert alarm_act(h, "e-site", alarm, "dispose", {"measures": "关阀、通风"}).status == (
        "disposed"
    )
    a = alarm_act(h, "dev-1", alarm, "clear", {"value": 3.0})
    assert a.status == "cleared"
    assert a.history == [
        "sensor_alarm.raise",
        "sensor_alarm.acknowledge",
        "sensor_alarm.dispose",
        "sensor_alarm.clear",
    ]
    assert a.acknowledged_at is not None
    assert a.closed_at is not None


def test_unacknowledged_alarm_cannot_be_disposed_or_cleared(h: Harness, site: str) -> None:
    alarm = raise_alarm(h, site, install(h, site), 30, "level1")
    with pytest.raises(InvalidTransition, match="raised; disposal needs acknowledged"):
        alarm_act(h, "e-site", alarm, "dispose", {"measures": "x"})
    with pytest.raises(InvalidTransition, match="raised; clearing needs"):
        alarm_act(h, "dev-1", alarm, "clear", {})


def test_only_its_own_device_clears_an_alarm(h: Harness, site: str) -> None:
    install(h, site, serial="GD-0002", account="dev-2")
    alarm = raise_alarm(h, site, install(h, site), 30, "level1")
    alarm_act(h, "e-site", alarm, "acknowledge", {})
    with pytest.raises(NotAuthorized, match="only device dev-1"):
        alarm_act(h, "dev-2", alarm, "clear", {})


def test_false_alarm_is_closed_and_takes_no_disposal(h: Harness, site: str) -> None:
    alarm = raise_alarm(h, site, install(h, site), 30, "level1")
    alarm_act(h, "e-site", alarm, "acknowledge", {})
    a = alarm_act(h, "e-site", alarm, "confirm_false", {"reason": "探头受潮"})
    assert a.status == "false_alarm"
    with pytest.raises(InvalidTransition, match="false_alarm"):
        alarm_act(h, "e-site", alarm, "dispose", {"measures": "x"})
    with pytest.raises(InvalidTransition, match="false_alarm"):
        alarm_act(h, "e-site", alarm, "confirm_false", {"reason": "again"})


def test_device_cannot_acknowledge_its_own_alarm(h: Harness, site: str) -> None:
    alarm = raise_alarm(h, site, install(h, site), 30, "level1")
    with pytest.raises(NotAuthorized, match="may not issue"):
        alarm_act(h, "dev-1", alarm, "acknowledge", {})


# -- committed readings -----------------------------------------------------------------------


def readings(serial: str, start: datetime, n: int) -> list[bytes]:
    return [
        canonical_bytes(
            {
                "at": (start + timedelta(seconds=10 * i)).isoformat(),
                "serial": serial,
                "value": 3 + i % 7,
            }
        )
        for i in range(n)
    ]


def commit(
    h: Harness,
    device: UUID,
    start: datetime,
    n: int,
    *,
    account: str = "dev-1",
    root: str | None = None,
) -> SensorDevice:
    leaves = readings("GD-0001", start, n)
    h.run_as(
        account,
        "sensor.commit_readings",
        REGION,
        {
            "root": root or root_hash(leaves).hex(),
            "count": n,
            "period_start": start.isoformat(),
            "period_end": (start + timedelta(seconds=10 * (n - 1))).isoformat(),
        },
        subject=device,
        occurred_at=start + timedelta(seconds=10 * n),
    )
    return h.records.load(device, SensorDevice)


def test_committed_batch_proves_any_of_its_readings(h: Harness, site: str) -> None:
    device = install(h, site)
    start = h.tick(hours=1)
    dev = commit(h, device, start, 360)
    assert (dev.batches, dev.readings_committed) == (1, 360)
    leaves = readings("GD-0001", start, 360)
    # A reading proven later against the committed root.
    verify_inclusion(
        123,
        360,
        leaf_hash(leaves[123]),
        inclusion_proof(leaves, 123),
        bytes.fromhex(str(dev.last_root)),
    )


def test_overlapping_batch_is_rejected(h: Harness, site: str) -> None:
    device = install(h, site)
    start = h.tick(hours=1)
    commit(h, device, start, 60)
    with pytest.raises(InvalidValue, match="committed once"):
        commit(h, device, start + timedelta(minutes=5), 60)
    assert commit(h, device, start + timedelta(minutes=10), 60).batches == 2


def test_batch_is_committed_by_the_device_itself(h: Harness, site: str) -> None:
    device = install(h, site)
    start = h.tick(hours=1)
    with pytest.raises(NotAuthorized, match="own account dev-1, not dev-2"):
        commit(h, device, start, 10, account="dev-2")
    with pytest.raises(NotAuthorized, match="may not issue"):
        commit(h, device, start, 10, account="e-site")


def test_batch_root_must_be_a_sha256_hex(h: Harness, site: str) -> None:
    device = install(h, site)
    with pytest.raises(InvalidValue, match="root"):
        commit(h, device, h.tick(hours=1), 10, root="AB" * 32)


def test_batch_period_must_be_ordered_and_past(h: Harness, site: str) -> None:
    device = install(h, site)
    start = h.tick(hours=1)
    with pytest.raises(InvalidValue, match="precedes"):
        h.run_as(
            "dev-1",
            "sensor.commit_readings",
            REGION,
            {
                "root": "ab" * 32,
                "count": 1,
                "period_start": start.isoformat(),
                "period_end": (start - timedelta(seconds=1)).isoformat(),
            },
            subject=device,
        )
    with pytest.raises(InvalidValue, match="after it was committed"):
        h.run_as(
            "dev-1",
            "sensor.commit_readings",
            REGION,
            {
                "root": "ab" * 32,
                "count": 1,
                "period_start": start.isoformat(),
                "period_end": (start + timedelta(hours=1)).isoformat(),
            },
            subject=device,
            occurred_at=start + timedelta(minutes=1),
        )
