"""An enterprise's life in the demo: its registration (migrated with the founding date, or new
inside the window), the account the platform keeps for it, its 五高 risk points and major hazard
sources, and then month by month the self-checks, inspections, public tips, accidents, new
certificate holders and yearly reassessments that happen to a unit of its industry and size —
until the window ends or it closes down (licence cancelled, sensors stopped, deregistered).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from demo import permits
from demo.accidents import accident_life
from demo.accidents import random_plan as random_accident
from demo.certificates import CertPlan, certificate_life
from demo.certificates import random_plan as random_cert
from demo.clock import (
    DAY,
    GO_LIVE,
    HOUR,
    MINUTE,
    any_time,
    day_of,
    daytime,
    inspection_time,
    next_month,
    office_after,
    office_time,
)
from demo.hazards import HazardPlan, hazard_life
from demo.hazards import random_plan as random_hazard
from demo.inspections import inspection_life
from demo.inspections import random_plan as random_inspection
from demo.permits import PermitPlan, permit_life
from demo.sensors import SourcePlan, monitoring
from demo.sim import Proc
from demo.world import Ent, World, child, poisson
from domain.ids import actor_id

SELF_CHECKS = {  # self-reported hazards a month, for a unit of 50–300 people
    "hazardous_chemicals": 0.9, "non_coal_mining": 0.7, "metallurgy": 0.6, "construction": 0.6,
    "fireworks": 0.7, "industry_trade": 0.35, "warehousing": 0.35,
}  # fmt: skip
INSPECTION_DAYS = {  # mean days between inspections
    "hazardous_chemicals": 100, "non_coal_mining": 110, "fireworks": 100, "metallurgy": 130,
    "construction": 130, "industry_trade": 210, "warehousing": 180,
}  # fmt: skip
ACCIDENTS = {  # accidents a year
    "construction": 0.08, "non_coal_mining": 0.08, "hazardous_chemicals": 0.05,
    "metallurgy": 0.05, "fireworks": 0.06, "industry_trade": 0.03, "warehousing": 0.03,
}  # fmt: skip
# 五高 risk points by industry: (name, the high-risk categories it falls in)
RISK_POINTS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "hazardous_chemicals": (
        ("液氯储罐区", ("goods", "place")),
        ("氯化反应工段", ("process", "equipment")),
        ("装卸车作业", ("operation",)),
        ("危化品仓库", ("goods", "place")),
    ),
    "non_coal_mining": (
        ("井下爆破作业", ("operation", "goods")),
        ("提升系统", ("equipment",)),
        ("尾矿库", ("place",)),
        ("露天边坡", ("place",)),
    ),
    "metallurgy": (
        ("高炉煤气系统", ("goods", "equipment")),
        ("熔融金属吊运", ("operation", "equipment")),
        ("有限空间作业", ("operation",)),
    ),
    "construction": (
        ("深基坑", ("place",)),
        ("塔式起重机", ("equipment",)),
        ("高大模板支撑", ("process",)),
        ("高处作业", ("operation",)),
    ),
    "fireworks": (
        ("涉药工房", ("place", "goods")),
        ("药物总库", ("goods", "place")),
        ("混药作业", ("operation", "process")),
    ),
    "industry_trade": (
        ("粉尘涉爆车间", ("place", "process")),
        ("冲压设备", ("equipment",)),
        ("有限空间", ("operation",)),
    ),
    "warehousing": (
        ("危险品仓库", ("goods", "place")),
        ("叉车作业", ("operation", "equipment")),
        ("冷库制冷系统", ("equipment", "goods")),
    ),
}
COLOURS = ("red", "orange", "yellow", "blue")
ROADS = ("工业大道", "建设路", "解放大道", "江汉路", "发展大道", "长江路", "东风大道", "化工园路")


@dataclass
class EntPlan:
    """What is known of an enterprise before the window opens, and what is scripted for it."""

    permit: PermitPlan | None = None
    certificates: list[tuple[datetime, CertPlan]] = field(default_factory=list)
    sources: list[SourcePlan] = field(default_factory=list)
    account_at: datetime = GO_LIVE
    script: list[tuple[datetime, Callable[[], Proc]]] = field(default_factory=list)


def size_factor(employees: int) -> float:
    return 0.6 if employees < 50 else 1.0 if employees < 300 else 1.4 if employees < 1000 else 1.8


def enterprise_life(w: World, ent: Ent, plan: EntPlan) -> Proc:
    rng = ent.rng
    street = f"{rng.choice(ROADS)}{rng.randint(1, 999)}号"
    registration = {
        "uscc": ent.uscc,
        "name": ent.name,
        "industry": ent.industry,
        "address": f"湖北省{ent.place.city}{ent.place.county_name}{street}",
        "standardisation": ent.standardisation,
        "employees": ent.employees,
    }
    registrar = ent.pref.officers[0]
    w.as_officer(rng, ent, "enterprise.register", ent.id, registration, by=registrar)
    if plan.permit is not None:
        w.sim.start(permit_life(w, ent, plan.permit), plan.permit.applied)
    for issued, cert in plan.certificates:
        w.sim.start(certificate_life(w, ent, cert), issued)

    yield max(plan.account_at, w.now + HOUR)
    account = {
        "account": ent.account,
        "role": "enterprise",
        "name": f"{ent.name} (企业账户)",
        "jurisdiction": ent.region,
        "enterprise": ent.uscc,
        "public_key": w.custodial_key(ent.account),
        "custody": "platform",
    }
    w.as_platform(rng, "actor.register", ent.region, actor_id(ent.account), account)
    ent.account_ready = True
    yield office_after(rng, w.now, DAY, 20 * DAY)
    yield from assess_risks(w, ent, rng, first=True)
    if plan.sources:
        w.sim.start(monitoring(w, ent, plan.sources), office_after(rng, w.now, DAY, 10 * DAY))
    for at, make in plan.script:
        w.sim.start(make(), max(at, w.now))

    next_inspection = w.now + timedelta(days=rng.uniform(20, INSPECTION_DAYS[ent.industry]))
    month = next_month(w.now)
    while True:
        yield month
        if not ent.active:
            return
        if ent.closing is not None and month <= ent.closing < next_month(month):
            w.sim.start(closure(w, ent), ent.closing)
        next_inspection = _month(w, ent, rng, month, next_inspection)
        month = next_month(month)


def _month(
    w: World, ent: Ent, rng: random.Random, month: datetime, inspect_at: datetime
) -> datetime:
    """Start this month's processes; returns when the next inspection is due."""
    end = next_month(month)
    size = size_factor(ent.employees)
    for _ in range(poisson(rng, SELF_CHECKS[ent.industry] * size)):
        w.sim.start(
            hazard_life(w, ent, random_hazard(rng, ent)),
            daytime(rng, day_of(any_time(rng, month, end))),
        )
    if rng.random() < 0.015:
        tip = HazardPlan(source="public_tip", fate=rng.choice(("on_time", "late", "rejected")))
        w.sim.start(hazard_life(w, ent, tip), office_time(rng, day_of(any_time(rng, month, end))))
    while inspect_at < end:
        w.sim.start(
            inspection_life(w, ent, random_inspection(rng, ent)),
            inspection_time(rng, day_of(inspect_at)),
        )
        inspect_at += timedelta(days=rng.expovariate(1 / INSPECTION_DAYS[ent.industry]) + 14)
    for _ in range(poisson(rng, ACCIDENTS[ent.industry] * size / 12)):
        w.sim.start(accident_life(w, ent, random_accident(rng)), any_time(rng, month, end) + HOUR)
    for _ in range(poisson(rng, 0.06 * size)):
        w.sim.start(
            certificate_life(w, ent, random_cert(rng)),
            office_time(rng, day_of(any_time(rng, month, end))),
        )
    if month.month == 1 and month > GO_LIVE:
        w.sim.start(
            yearly(w, ent), office_time(rng, month.date() + timedelta(days=rng.randint(7, 40)))
        )
    return inspect_at


def assess_risks(w: World, ent: Ent, rng: random.Random, first: bool = False) -> Proc:
    points = RISK_POINTS[ent.industry]
    chosen = points if first else rng.sample(points, rng.randint(1, len(points)))
    heavy = ent.industry in ("hazardous_chemicals", "non_coal_mining", "fireworks", "metallurgy")
    for i, (name, highs) in enumerate(chosen, start=1):
        ref = next((r for r, n in ent.risk_points.items() if n == name), f"RP-{i:02d}")
        colour = rng.choices(COLOURS, (10, 30, 40, 20) if heavy else (2, 15, 48, 35))[0]
        point = {
            "uscc": ent.uscc,
            "point": ref,
            "name": name,
            "five_highs": list(highs),
            "colour": colour,
        }
        w.as_ent(rng, ent, "enterprise.assess_risk_point", ent.id, point)
        ent.risk_points[ref] = name
        yield w.now + rng.randint(10, 90) * MINUTE


def yearly(w: World, ent: Ent) -> Proc:
    """The annual risk reassessment, and now and then a changed profile."""
    rng = child(ent.rng)
    if not ent.active:
        return
    yield from assess_risks(w, ent, rng)
    if rng.random() < 0.3:
        yield office_after(rng, w.now, DAY, 20 * DAY)
        ent.employees = max(5, int(ent.employees * rng.uniform(0.8, 1.25)))
        data: dict[str, Any] = {"uscc": ent.uscc, "employees": ent.employees}
        if ent.standardisation in ("none", "level3") and rng.random() < 0.4:
            ent.standardisation = "level3" if ent.standardisation == "none" else "level2"
            data["standardisation"] = ent.standardisation
        w.as_ent(rng, ent, "enterprise.update_profile", ent.id, data)


def closure(w: World, ent: Ent) -> Proc:
    """Closing down: the licence is cancelled, the sensors stopped, the unit deregistered."""
    rng = child(ent.rng)
    permits.cancel_on_closure(w, rng, ent)
    for sensor in ent.sensors:
        if sensor.active:
            yield w.now + rng.randint(5, 30) * MINUTE
            removed = {"reason": "企业停产关闭, 设备拆除"}
            w.as_ent(rng, ent, "sensor.decommission", sensor.id, removed)
            sensor.active = False
    yield office_after(rng, w.now, DAY, 5 * DAY)
    closed = {"uscc": ent.uscc, "reason": "企业依法注销登记, 停止生产经营"}
    w.as_officer(rng, ent, "enterprise.deregister", ent.id, closed, by=ent.pref.officers[0])
    ent.active = False
