"""Major hazard sources (重大危险源, GB 18218) and their online monitoring: each source gets a
gateway — a device account with its own Ed25519 key derived from the demo seed — and two to
four sensors at GB/T 50493 set points. Gateways sign a monthly commitment of each sensor's
readings (the batch's root, count and period; the readings themselves are not simulated) and
the alarms they raise; the enterprise acknowledges, disposes of or dismisses them, and a
serious alarm can open a hazard case.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from demo.clock import DAY, HOUR, MINUTE, any_time, next_month, office_after
from demo.hazards import HazardPlan, hazard_life
from demo.sim import Proc, hex64, new_uuid
from demo.world import Ent, SensorState, World, child, poisson
from domain.ids import actor_id, device_id
from domain.sensor import alarm_level

# name: (critical quantity Q in tonnes, β, what it is) — GB 18218-2018 表1/表2
SUBSTANCES = {
    "液氯": (5, 4, "toxic"),
    "液氨": (10, 2, "toxic"),
    "一氧化碳": (10, 2, "toxic"),
    "甲醇": (500, 1, "flammable"),
    "汽油": (200, 1, "flammable"),
    "苯": (50, 1, "flammable"),
    "甲苯": (500, 1, "flammable"),
    "液化石油气": (50, 1.5, "flammable"),
    "天然气": (50, 1.5, "flammable"),
    "氢气": (5, 1.5, "flammable"),
    "硝酸铵": (50, 2, "explosive"),
}
SOURCES: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "hazardous_chemicals": (
        ("液氯储罐区", ("液氯",)),
        ("甲醇罐区", ("甲醇",)),
        ("液氨储罐区", ("液氨",)),
        ("合成氨装置", ("液氨", "氢气")),
        ("苯罐区", ("苯", "甲苯")),
        ("液化石油气储罐区", ("液化石油气",)),
        ("加氢反应装置", ("氢气",)),
    ),
    "metallurgy": (("煤气柜区", ("一氧化碳",)),),
    "warehousing": (("危险化学品仓库", ("甲醇", "汽油")), ("LNG储罐区", ("天然气",))),
    "non_coal_mining": (("炸药库", ("硝酸铵",)),),
}
# quantity: (unit, level-1 set point, level-2 set point)
GAUGES: dict[str, tuple[str, float | None, float | None]] = {
    "combustible_gas": ("%LEL", 20, 40),
    "toxic_gas": ("%OEL", 100, 200),
    "oxygen": ("%VOL", None, None),
    "temperature": ("℃", 45, 60),
    "pressure": ("MPa", 1.6, 2.0),
    "level": ("%", 85, 95),
}
ALARMS_PER_MONTH = 0.3
FATES = ("handled", "acknowledged", "false_raised", "false_ack")
FATE_WEIGHTS = (62, 16, 12, 10)


@dataclass(frozen=True)
class SourcePlan:
    ref: str
    name: str
    substances: tuple[str, ...]


def source_plans(rng: random.Random, industry: str, count: int) -> list[SourcePlan]:
    picks = rng.sample(SOURCES[industry], min(count, len(SOURCES[industry])))
    return [SourcePlan(f"HS-{i:02d}", name, subs) for i, (name, subs) in enumerate(picks, 1)]


def monitoring(w: World, ent: Ent, plans: list[SourcePlan]) -> Proc:
    """File each source, register its gateway, install its sensors, start them."""
    rng = child(ent.rng)
    for plan in plans:
        if not ent.open_for(w.now):
            return
        _file_source(w, ent, plan, rng)
        account = f"d-{ent.uscc}-{plan.ref}"
        yield office_after(rng, w.now, HOUR, 3 * DAY)
        gateway = {
            "account": account,
            "role": "device",
            "name": f"{ent.name}{plan.name}监测网关",
            "jurisdiction": ent.region,
            "enterprise": ent.uscc,
            "public_key": w.device_key(account).public_key_b64,
            "custody": "own",
        }
        w.as_platform(rng, "actor.register", ent.region, actor_id(account), gateway)
        ent.gateways[plan.ref] = account
        yield office_after(rng, w.now, HOUR, 5 * DAY)
        for k, quantity in enumerate(_gauges(rng, plan), start=1):
            yield w.now + rng.randint(10, 60) * MINUTE
            _install(w, ent, plan, (k, quantity), rng)
        yield office_after(rng, w.now, DAY, 10 * DAY)


def _file_source(w: World, ent: Ent, plan: SourcePlan, rng: random.Random) -> None:
    share = rng.uniform(1.3, 30) / len(plan.substances)  # Σ q/Q ≥ 1: a major hazard source
    substances = []
    for name in plan.substances:
        critical, beta, _ = SUBSTANCES[name]
        quantity = round(critical * share * rng.uniform(0.8, 1.2) + 0.5)
        substances.append({"name": name, "quantity": quantity, "critical": critical, "beta": beta})
    filing = {
        "uscc": ent.uscc,
        "source": plan.ref,
        "name": plan.name,
        "substances": substances,
        "people_within_500m": rng.choice((0, 12, 25, 40, 60, 85, 120, 260)),
    }
    w.as_ent(rng, ent, "enterprise.register_hazard_source", ent.id, filing)
    ent.sources[plan.ref] = plan.name


def _gauges(rng: random.Random, plan: SourcePlan) -> list[str]:
    kinds = {SUBSTANCES[s][2] for s in plan.substances}
    first = "toxic_gas" if "toxic" in kinds else "combustible_gas"
    return [first, *rng.sample(["level", "temperature", "pressure", "oxygen"], rng.randint(1, 3))]


def _install(
    w: World, ent: Ent, plan: SourcePlan, gauge: tuple[int, str], rng: random.Random
) -> None:
    """Sensor `k` of the source, measuring `quantity`, behind the source's gateway."""
    k, quantity = gauge
    account = ent.gateways[plan.ref]
    unit, high, high_high = GAUGES[quantity]
    serial = f"SN-{ent.uscc[8:17]}-{plan.ref}-{k}"
    data: dict[str, Any] = {
        "enterprise": ent.uscc,
        "serial": serial,
        "account": account,
        "source": plan.ref,
        "quantity": quantity,
        "unit": unit,
        "substance": plan.substances[0],
        "location": f"{plan.name}{k}号探头",
    }
    if high is not None and high_high is not None:
        data["high"], data["high_high"] = high, high_high
    w.as_ent(rng, ent, "sensor.install", device_id(serial), data)
    sensor = SensorState(device_id(serial), serial, account, quantity, unit, high, high_high, w.now)
    ent.sensors.append(sensor)
    w.sim.start(sensor_life(w, ent, sensor), w.now + MINUTE)


def sensor_life(w: World, ent: Ent, sensor: SensorState) -> Proc:
    """A signed commitment of each month's readings just after the month ends, and the month's
    alarms. (Monthly, not daily: each batch of commands replays every device it touches from
    its first event, so a device's event count is what the demo pays for.)"""
    rng = child(ent.rng)
    key = w.device_key(sensor.account)
    start = sensor.installed_at
    while True:
        month_end = next_month(start)
        for _ in range(poisson(rng, ALARMS_PER_MONTH * ((month_end - w.now) / (30 * DAY)))):
            fate = rng.choices(FATES, FATE_WEIGHTS)[0]
            w.sim.start(alarm_life(w, ent, sensor, fate), any_time(rng, w.now, month_end))
        yield month_end + rng.randint(1, 20) * MINUTE
        if not sensor.active:
            return
        batch = {
            "root": hex64(rng),
            "count": int((month_end - start).total_seconds()) // 10,  # a reading every 10 s
            "period_start": start.isoformat(),
            "period_end": month_end.isoformat(),
        }
        w.sim.emit_signed(
            rng,
            key,
            "sensor.commit_readings",
            sensor.id,
            batch,
            actor=sensor.account,
            region=ent.region,
        )
        start = month_end


def alarm_reading(rng: random.Random, sensor: SensorState, severe: bool) -> tuple[float, str]:
    """A reading past a set point, with the level the aggregate will derive from it."""
    if sensor.quantity == "oxygen":
        low = rng.random() < 0.7
        value = round(rng.uniform(17.5, 19.4) if low else rng.uniform(23.6, 25), 1)
    else:
        assert sensor.high is not None
        assert sensor.high_high is not None
        if severe:
            lo, hi = sensor.high_high, sensor.high_high * 1.3
        else:
            lo, hi = sensor.high, sensor.high_high
        value = min(max(round(rng.uniform(lo, hi), 1), lo), hi if severe else round(hi - 0.1, 1))
    level = alarm_level(sensor.quantity, sensor.high, sensor.high_high, value)
    assert level is not None
    return value, level


def alarm_life(w: World, ent: Ent, sensor: SensorState, fate: str) -> Proc:
    """Raised by the gateway; acknowledged and disposed of (or found false) by the enterprise;
    cleared by the gateway when the reading is back to normal."""
    rng = child(ent.rng)
    if not sensor.active or not ent.active:
        return
    aid = new_uuid(rng)
    key = w.device_key(sensor.account)
    value, level = alarm_reading(rng, sensor, rng.random() < 0.25)
    raised = {"enterprise": ent.uscc, "device": str(sensor.id), "value": value, "level": level}
    w.sim.emit_signed(
        rng, key, "sensor_alarm.raise", aid, raised, actor=sensor.account, region=ent.region
    )
    yield w.now + rng.randint(2, 15) * MINUTE
    if fate == "false_raised":
        dismissed = {"reason": "现场核查无泄漏, 探头受潮误报"}
        w.as_ent(rng, ent, "sensor_alarm.confirm_false", aid, dismissed)
        return
    w.as_ent(rng, ent, "sensor_alarm.acknowledge", aid, {"note": "中控室已确认, 通知巡检人员到场"})
    yield w.now + rng.randint(10, 60) * MINUTE
    if fate == "false_ack":
        w.as_ent(rng, ent, "sensor_alarm.confirm_false", aid, {"reason": "现场检测正常, 仪表漂移"})
        return
    if fate == "handled":
        disposed = {"measures": "关闭阀门, 加强通风, 检修密封点"}
        w.as_ent(rng, ent, "sensor_alarm.dispose", aid, disposed)
        yield w.now + rng.randint(10, 90) * MINUTE
    normal = 20.9 if sensor.quantity == "oxygen" else round((sensor.high or 1) * 0.4, 1)
    cleared = {"value": normal, "note": "读数恢复正常"}
    w.sim.emit_signed(
        rng, key, "sensor_alarm.clear", aid, cleared, actor=sensor.account, region=ent.region
    )
    if fate == "handled" and level in ("level2", "high_high") and rng.random() < 0.35:
        followed = rng.choice(("on_time", "on_time", "late"))
        plan = HazardPlan(source="sensor", alarm=aid, fate=followed)
        w.sim.start(hazard_life(w, ent, plan), w.now + rng.randint(1, 4) * HOUR)
