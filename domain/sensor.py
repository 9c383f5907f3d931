"""Sensor devices at major hazard sources and the alarms they raise (重大危险源在线监测;
总局令第40号 §13; GB/T 50493-2019 石油化工可燃气体和有毒气体检测报警设计标准).

A device is an actor of its own: its account is registered with `actor.register` (role
"device", bound to the enterprise, its own Ed25519 key), then `sensor.install` binds that
account to a monitored quantity at one of the enterprise's filed major hazard sources. The
device id is derived from its serial (domain.ids.device_id), so a serial is installed once.

Set points: every device but an oxygen detector states its level-1 (`high`) and level-2
(`high_high`) set points in the install command, so the signed record holds the thresholds the
alarm levels were derived from. For gas detectors GB/T 50493-2019 §5.5.2 caps them: combustible
level-1 ≤ 25 %LEL, level-2 ≤ 50 %LEL; toxic level-1 ≤ 100 %OEL, level-2 ≤ 200 %OEL. Oxygen
alarms use the fixed set points 23.5 %VOL (过氧) and 19.5 %VOL (欠氧).

Alarm lifecycle (SensorAlarm, raised and signed by the device itself):

    raise ──► raised ──acknowledge──► acknowledged ──dispose──► disposed ──clear──► cleared
                 │                        │ └────────────────clear──────────────────►│
                 └───────confirm_false────┴──► false_alarm

Raw readings are not events: `sensor.commit_readings` records the RFC 6962 Merkle root (hex)
of a batch of readings with its count and period. A reading's leaf data is the RFC 8785 JSON
{"at": ISO 8601 instant, "serial": str, "value": number}, leaves in reading order, so any one
reading can be proven later by an inclusion proof against the committed root.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.actor import Actor
from domain.commands import (
    DEVICE,
    ENTERPRISE,
    INSTANT,
    REF,
    REGULATOR,
    USCC,
    UUID_,
    command,
    enum,
    integer,
    text,
)
from domain.context import Context
from domain.enterprise import enterprise_of
from domain.envelope import Envelope, SignedCommand
from domain.errors import AlreadyExists, InvalidTransition, InvalidValue, NotAuthorized
from domain.ids import actor_id, device_id
from domain.record import Record
from domain.terms import parse_instant

RULE = "总局令第40号 §13 (重大危险源在线监测)"
GAS_RULE = "GB/T 50493-2019 §5.5.2 (报警设定值)"
ALARM_RULE = "GB/T 50493-2019; 总局令第40号 §13"

QUANTITIES = {
    "combustible_gas": "可燃气体",
    "toxic_gas": "有毒气体",
    "oxygen": "氧气",
    "temperature": "温度",
    "pressure": "压力",
    "level": "液位",
    "flow": "流量",
}
GAS_UNITS = {"combustible_gas": "%LEL", "toxic_gas": "%OEL", "oxygen": "%VOL"}
# The highest allowed level-1 and level-2 set points of gas detectors.
GAS_CAPS = {"combustible_gas": (25.0, 50.0), "toxic_gas": (100.0, 200.0)}
OXYGEN_HIGH = 23.5
OXYGEN_LOW = 19.5
LEVELS = {
    "level1": "一级报警",
    "level2": "二级报警",
    "high": "高报",
    "high_high": "高高报",
    "oxygen_high": "过氧报警",
    "oxygen_low": "欠氧报警",
}
READING = {"type": "number"}
THRESHOLDS = {"high": READING, "high_high": READING}
HEX32 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def check_thresholds(quantity: str, high: float | None, high_high: float | None) -> None:
    """Raise InvalidValue unless the set points suit the quantity (see the module docstring)."""
    if quantity == "oxygen":
        if high is not None or high_high is not None:
            raise InvalidValue(
                f"oxygen alarms use the fixed set points {OXYGEN_HIGH} and {OXYGEN_LOW} %VOL",
                field="data.high",
                rule=GAS_RULE,
            )
        return
    if high is None or high_high is None:
        raise InvalidValue(
            f"a {quantity} device needs its high and high_high set points",
            field="data.high",
            rule=ALARM_RULE,
        )
    if not high < high_high:
        raise InvalidValue(
            f"the level-1 set point {high} must be below the level-2 set point {high_high}",
            field="data.high_high",
            rule=ALARM_RULE,
        )
    if quantity in GAS_CAPS:
        cap1, cap2 = GAS_CAPS[quantity]
        unit = GAS_UNITS[quantity]
        if not 0 < high <= cap1:
            raise InvalidValue(
                f"{QUANTITIES[quantity]} level-1 set point {high} must be in (0, {cap1}] {unit}",
                field="data.high",
                rule=GAS_RULE,
            )
        if high_high > cap2:
            raise InvalidValue(
                f"{QUANTITIES[quantity]} level-2 set point {high_high} must be ≤ {cap2} {unit}",
                field="data.high_high",
                rule=GAS_RULE,
            )


def alarm_level(
    quantity: str, high: float | None, high_high: float | None, value: float
) -> str | None:
    """The alarm level a reading reaches, or None when it is below every set point."""
    if quantity == "oxygen":
        if value >= OXYGEN_HIGH:
            return "oxygen_high"
        if value <= OXYGEN_LOW:
            return "oxygen_low"
        return None
    assert high is not None
    assert high_high is not None
    gas = quantity in GAS_CAPS
    if value >= high_high:
        return "level2" if gas else "high_high"
    if value >= high:
        return "level1" if gas else "high"
    return None


class SensorDevice(Record):
    KIND = "sensor"
    KIND_ZH = "监测设备"

    @classmethod
    @command(
        "install",
        event="SensorInstalled",
        zh="监测设备安装",
        en="Install sensor",
        event_zh="监测设备已安装",
        rule=RULE,
        roles=(ENTERPRISE, REGULATOR),
        creates=True,
        step="监管",
        properties={
            "enterprise": USCC,
            "serial": REF,
            "account": text(64),
            "source": REF,
            "quantity": enum(*QUANTITIES),
            "unit": text(16),
            "substance": text(100),
            "location": text(300),
            **THRESHOLDS,
        },
        required=("enterprise", "serial", "account", "source", "quantity", "unit"),
    )
    def install(cls, cmd: SignedCommand, ctx: Context) -> SensorDevice:
        env, d = cmd.envelope, cmd.envelope.data
        ent = enterprise_of(cmd, ctx)
        if env.subject != device_id(d["serial"]):
            raise InvalidValue(
                f"subject of device {d['serial']} must be {device_id(d['serial'])}",
                field="subject",
            )
        if ctx.find(env.subject, SensorDevice) is not None:
            raise AlreadyExists(f"device {d['serial']} is installed already", rule=RULE)
        if d["source"] not in ent.hazard_sources:
            raise InvalidValue(
                f"{d['source']} is not a filed major hazard source of {ent.uscc}",
                field="data.source",
                rule=RULE,
            )
        account = ctx.find(actor_id(d["account"]), Actor)
        if account is None or account.role != DEVICE or account.status != "active":
            raise InvalidValue(
                f"{d['account']} is not an active device account (register it with "
                "actor.register, role device)",
                field="data.account",
            )
        if account.enterprise != ent.uscc:
            raise NotAuthorized(
                f"device account {d['account']} is bound to {account.enterprise}, not {ent.uscc}",
                field="data.account",
            )
        unit = GAS_UNITS.get(d["quantity"])
        if unit is not None and d["unit"] != unit:
            raise InvalidValue(
                f"{d['quantity']} is measured in {unit}", field="data.unit", rule=GAS_RULE
            )
        check_thresholds(d["quantity"], d.get("high"), d.get("high_high"))
        return cls.create(cmd)

    def on_install(self, env: Envelope, d: dict[str, Any]) -> None:
        self.enterprise: str = d["enterprise"]
        self.serial: str = d["serial"]
        self.account: str = d["account"]
        self.source: str = d["source"]
        self.quantity: str = d["quantity"]
        self.unit: str = d["unit"]
        self.high: float | None = d.get("high")
        self.high_high: float | None = d.get("high_high")
        self.committed_until: datetime | None = None
        self.readings_committed: int = 0
        self.batches: int = 0
        self.last_root: str | None = None
        self.status = "active"

    def level_for(self, value: float) -> str | None:
        return alarm_level(self.quantity, self.high, self.high_high, value)

    def require_signed_by_self(self, cmd: SignedCommand, what: str) -> None:
        if cmd.envelope.actor != self.account:
            raise NotAuthorized(
                f"{what} of device {self.serial} must be signed by its own account "
                f"{self.account}, not {cmd.envelope.actor}",
                field="actor",
                rule=ALARM_RULE,
            )

    @command(
        "set_thresholds",
        event="SensorThresholdsSet",
        zh="设定报警值",
        en="Set alarm set points",
        event_zh="报警设定值已变更",
        rule=GAS_RULE,
        roles=(ENTERPRISE, REGULATOR),
        step="监管",
        properties=THRESHOLDS,
        required=("high", "high_high"),
    )
    def set_thresholds(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", action="changing set points", rule=RULE)
        d = cmd.envelope.data
        check_thresholds(self.quantity, d["high"], d["high_high"])
        self.record(cmd)

    def on_set_thresholds(self, env: Envelope, d: dict[str, Any]) -> None:
        self.high, self.high_high = d["high"], d["high_high"]

    @command(
        "commit_readings",
        event="SensorReadingsCommitted",
        zh="监测数据批次存证",
        en="Commit readings batch",
        event_zh="监测数据批次已存证",
        rule=RULE + " (数据保存≥30日); RFC 6962",
        roles=(DEVICE,),
        step="监管",
        properties={
            "root": HEX32,
            "count": integer(1, 10_000_000),
            "period_start": INSTANT,
            "period_end": INSTANT,
        },
        required=("root", "count", "period_start", "period_end"),
    )
    def commit_readings(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", action="committing readings", rule=RULE)
        self.require_signed_by_self(cmd, "a readings batch")
        env, d = cmd.envelope, cmd.envelope.data
        start = parse_instant(d["period_start"], "data.period_start")
        end = parse_instant(d["period_end"], "data.period_end")
        if end < start:
            raise InvalidValue("period_end precedes period_start", field="data.period_end")
        if end > env.occurred_at:
            raise InvalidValue(
                "a batch cannot hold readings taken after it was committed",
                field="data.period_end",
            )
        if self.committed_until is not None and start < self.committed_until:
            raise InvalidValue(
                f"the batch starts at {start.isoformat()}, inside the period committed until "
                f"{self.committed_until.isoformat()}: each reading is committed once",
                field="data.period_start",
            )
        self.record(cmd)

    def on_commit_readings(self, env: Envelope, d: dict[str, Any]) -> None:
        self.committed_until = parse_instant(d["period_end"], "data.period_end")
        self.readings_committed += d["count"]
        self.batches += 1
        self.last_root = d["root"]

    @command(
        "decommission",
        event="SensorDecommissioned",
        zh="监测设备停用",
        en="Decommission sensor",
        event_zh="监测设备已停用",
        rule=RULE,
        roles=(ENTERPRISE, REGULATOR),
        step="监管",
        properties={"reason": text(500)},
        required=("reason",),
    )
    def decommission(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("active", action="decommissioning", rule=RULE)
        self.record(cmd)

    def on_decommission(self, env: Envelope, d: dict[str, Any]) -> None:
        self.status = "decommissioned"


class SensorAlarm(Record):
    KIND = "sensor_alarm"
    KIND_ZH = "监测报警"

    @classmethod
    @command(
        "raise",
        event="SensorAlarmRaised",
        zh="监测报警",
        en="Raise alarm",
        event_zh="监测报警已产生",
        rule=ALARM_RULE,
        roles=(DEVICE,),
        creates=True,
        step="监管",
        properties={
            "enterprise": USCC,
            "device": UUID_,
            "value": READING,
            "level": enum(*LEVELS),
        },
        required=("enterprise", "device", "value", "level"),
    )
    def raise_(cls, cmd: SignedCommand, ctx: Context) -> SensorAlarm:
        d = cmd.envelope.data
        enterprise_of(cmd, ctx)
        device = ctx.get(UUID(d["device"]), SensorDevice)
        device.require_signed_by_self(cmd, "an alarm")
        if device.status != "active":
            raise InvalidTransition(f"device {device.serial} is {device.status}", rule=RULE)
        if device.enterprise != d["enterprise"]:
            raise InvalidValue(
                f"device {device.serial} is installed at {device.enterprise}",
                field="data.enterprise",
            )
        level = device.level_for(d["value"])
        if level is None:
            raise InvalidValue(
                f"reading {d['value']} {device.unit} is below every alarm set point of "
                f"device {device.serial}",
                field="data.value",
                rule=ALARM_RULE,
            )
        if level != d["level"]:
            raise InvalidValue(
                f"reading {d['value']} {device.unit} is a {level} alarm, not {d['level']}",
                field="data.level",
                rule=ALARM_RULE,
            )
        return cls.create(cmd)

    def on_raise(self, env: Envelope, d: dict[str, Any]) -> None:
        self.enterprise: str = d["enterprise"]
        self.device: UUID = UUID(d["device"])
        self.device_account: str = env.actor
        self.value: float = d["value"]
        self.level: str = d["level"]
        self.raised_at: datetime = env.occurred_at
        self.acknowledged_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.status = "raised"

    @command(
        "acknowledge",
        event="SensorAlarmAcknowledged",
        zh="报警确认",
        en="Acknowledge alarm",
        event_zh="报警已确认",
        rule=ALARM_RULE,
        roles=(ENTERPRISE, REGULATOR),
        step="监管",
        properties={"note": text(1000)},
    )
    def acknowledge(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("raised", action="acknowledging", rule=ALARM_RULE)
        self.record(cmd)

    def on_acknowledge(self, env: Envelope, d: dict[str, Any]) -> None:
        self.acknowledged_at = env.occurred_at
        self.status = "acknowledged"

    @command(
        "dispose",
        event="SensorAlarmDisposed",
        zh="报警处置",
        en="Dispose alarm",
        event_zh="报警已处置",
        rule=ALARM_RULE,
        roles=(ENTERPRISE, REGULATOR),
        step="监管",
        properties={"measures": text(2000)},
        required=("measures",),
    )
    def dispose(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("acknowledged", action="disposal", rule=ALARM_RULE)
        self.record(cmd)

    def on_dispose(self, env: Envelope, d: dict[str, Any]) -> None:
        self.measures: str = d["measures"]
        self.status = "disposed"

    @command(
        "clear",
        event="SensorAlarmCleared",
        zh="报警解除",
        en="Clear alarm",
        event_zh="报警已解除",
        rule=ALARM_RULE,
        roles=(DEVICE, ENTERPRISE, REGULATOR),
        step="监管",
        properties={"value": READING, "note": text(1000)},
    )
    def clear(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("acknowledged", "disposed", action="clearing", rule=ALARM_RULE)
        if cmd.envelope.role == DEVICE and cmd.envelope.actor != self.device_account:
            raise NotAuthorized(
                f"only device {self.device_account} may clear its own alarm", field="actor"
            )
        self.record(cmd)

    def on_clear(self, env: Envelope, d: dict[str, Any]) -> None:
        self.closed_at = env.occurred_at
        self.status = "cleared"

    @command(
        "confirm_false",
        event="SensorAlarmConfirmedFalse",
        zh="确认误报",
        en="Confirm false alarm",
        event_zh="报警已确认为误报",
        rule=ALARM_RULE,
        roles=(ENTERPRISE, REGULATOR),
        step="监管",
        properties={"reason": text(1000)},
        required=("reason",),
    )
    def confirm_false(self, cmd: SignedCommand, ctx: Context) -> None:
        self.require("raised", "acknowledged", action="confirming a false alarm", rule=ALARM_RULE)
        self.record(cmd)

    def on_confirm_false(self, env: Envelope, d: dict[str, Any]) -> None:
        self.closed_at = env.occurred_at
        self.status = "false_alarm"
