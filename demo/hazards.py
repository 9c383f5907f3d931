"""Hazard cases (事故隐患) through the closed loop of 总局令第16号: report, rectification order,
for a major hazard the report to the regulator, 挂牌督办 and the six-item plan, rectification,
the on-site re-check (accepted or rejected), 销号 — and the cases that go wrong: rectified late,
never rectified (overdue at the end), rejected once, reopened after closing.

A major hazard whose order stops production suspends the enterprise's licence until 销号.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from demo import permits
from demo.clock import (
    DAY,
    HOUR,
    MINUTE,
    day_of,
    daytime,
    office_after,
    office_time,
    office_within,
    staff_after,
)
from demo.penalties import PenaltyPlan, penalty_life
from demo.sim import Proc, hex64, new_uuid
from demo.texts import GENERAL_HAZARDS, MAJOR_HAZARDS
from demo.world import Ent, World, child
from domain.clocks import last_day

REPEAT_CASES = 3  # §113: 3 penalties within 180 days while a major hazard is open
REPEAT_OPEN_DAYS = 75  # a repeat offender's deadline: its cases are decided before it
FATES = ("on_time", "late", "stalled", "rejected", "reopened")
FATE_WEIGHTS = (80, 8, 3, 6, 3)
PLAN_TEXT = {
    "goal": "彻底消除重大事故隐患, 恢复安全生产条件",
    "method": "停用相关装置, 委托有资质单位完成设计和改造, 经验收后投用",
    "funds_materials": "企业自筹整改资金, 设备材料已订购",
    "responsible": "企业主要负责人牵头, 安全生产管理部门和设备部门具体负责",
    "safety_measures": "停产区域设置警戒, 加强巡检, 制定专项应急预案并组织演练",
}


@dataclass(frozen=True)
class HazardPlan:
    grade: str = "general"  # general | major
    source: str = "self_check"  # self_check | inspection | public_tip | sensor
    fate: str = "on_time"
    stop: bool = False  # a major hazard's order stops (part of) production
    inspection: tuple[UUID, str] | None = None  # the finding it was opened from
    reporter: str | None = None  # the officer who reports an inspection's or a tip's hazard
    deadline: date | None = None  # set by the inspection's order to correct
    alarm: UUID | None = None
    found: tuple[str, str] | None = None  # (description, criterion or location) as found


def random_plan(rng: random.Random, ent: Ent, source: str = "self_check") -> HazardPlan:
    major = ent.industry in MAJOR_HAZARDS and rng.random() < 0.025
    fates = FATES if not major else FATES[:2] + FATES[3:]  # a supervised major hazard is not left
    weights = FATE_WEIGHTS if not major else FATE_WEIGHTS[:2] + FATE_WEIGHTS[3:]
    return HazardPlan(
        grade="major" if major else "general",
        source=source,
        fate=rng.choices(fates, weights)[0],
        stop=major and rng.random() < 0.6,
    )


def hazard_life(w: World, ent: Ent, plan: HazardPlan) -> Proc:
    rng = child(ent.rng)
    if not ent.open_for(w.now) or not ent.account_ready:
        return
    hid, major = new_uuid(rng), plan.grade == "major"
    by_regulator = plan.source in ("inspection", "public_tip")
    officer = plan.reporter or rng.choice(ent.bureau.officers)
    if by_regulator:
        w.as_officer(rng, ent, "hazard.report", hid, _report(rng, ent, plan), by=officer)
    else:
        w.as_ent(rng, ent, "hazard.report", hid, _report(rng, ent, plan))
    yield w.now + rng.randint(5, 90) * MINUTE
    days = rng.randint(30, 75) if major else rng.randint(3, 20)
    deadline = plan.deadline or day_of(w.now) + timedelta(days=days)
    if major and repeats(hid):  # its cases are decided while it is open: §113 lists it
        deadline = max(deadline, day_of(w.now) + timedelta(days=REPEAT_OPEN_DAYS))
        for i in range(REPEAT_CASES):
            w.sim.start(_penalised(w, ent, hid), w.now + (1 + 3 * i) * DAY)
    order: dict[str, Any] = {"deadline": deadline.isoformat()}
    if major or by_regulator:  # only the regulator orders a major hazard's rectification
        order["document_no"] = f"{ent.bureau.code}-ZG-{w.now.year}-{w.number('order'):05d}"
        order["requirements"] = "责令限期整改, 整改期间采取可靠的安全防范措施"
        if major:
            order["stop_production"] = plan.stop
            order["evacuate"] = plan.stop and rng.random() < 0.2
        w.as_officer(rng, ent, "hazard.order_rectification", hid, order, by=officer)
    else:
        order["requirements"] = "立即组织整改, 落实整改责任人和措施"
        w.as_ent(rng, ent, "hazard.order_rectification", hid, order)
    if major and plan.stop:
        reason = "存在重大事故隐患, 责令停产停业整改"
        permits.suspend(w, rng, ent, f"hazard:{hid}", reason=reason, ref=order["document_no"])
    limit = deadline
    if major:
        limit = yield from _supervision(w, ent, hid, deadline, rng)
    yield from _loop(w, ent, hid, plan, limit=limit, rng=rng)


def repeats(hid: UUID) -> bool:
    """Whether the unit of major hazard `hid` is penalised again and again while it stays open
    (安全生产法 §113: 3 times in 180 days refers it for closure): one in two, read from the id so
    the simulation's random draws stay as they were."""
    return hid.int % 2 == 0


def _penalised(w: World, ent: Ent, hid: UUID) -> Proc:
    """A case for not removing the major hazard `hid` (§102), filed while it is open."""
    plan = PenaltyPlan(
        "未采取措施消除重大事故隐患",
        "安全生产法 §102",
        day_of(w.now),
        {"types": ["fine"], "fine_yuan": 50_000},
        {"hazard": str(hid)},
        service="on_the_spot",
    )
    yield from penalty_life(w, ent, ent.bureau, plan)


def _report(rng: random.Random, ent: Ent, plan: HazardPlan) -> dict[str, Any]:
    if plan.grade == "major":
        description, criterion = plan.found or rng.choice(MAJOR_HAZARDS[ent.industry])
        location = "生产装置区"
    else:
        description, location = plan.found or rng.choice(GENERAL_HAZARDS[ent.industry])
        criterion = ""
    data: dict[str, Any] = {
        "enterprise": ent.uscc,
        "grade": plan.grade,
        "source": plan.source,
        "description": description,
        "location": location,
    }
    if criterion:
        data["criterion_ref"] = criterion
    if plan.inspection is not None:
        data["inspection"], data["finding"] = str(plan.inspection[0]), plan.inspection[1]
    if plan.alarm is not None:
        data["alarm"] = str(plan.alarm)
    return data


def _supervision(
    w: World, ent: Ent, hid: UUID, deadline: date, rng: random.Random
) -> Generator[datetime, None, date]:
    """Report to the regulator, 挂牌督办 by the city, the six-item treatment plan; returns the
    plan's time limit."""
    yield staff_after(rng, w.now, 20 * HOUR, 40 * HOUR)
    report = {
        "status_and_cause": "隐患现状及其产生原因已查明: 设计缺陷叠加日常管理不到位",
        "harm_analysis": "一旦失控可能引发火灾爆炸或人员中毒, 危害程度和整改难易程度已评估",
    }
    w.as_ent(rng, ent, "hazard.report_to_regulator", hid, report)
    yield office_after(rng, w.now, 2 * DAY, 6 * DAY)
    listing = {
        "supervisor": ent.pref.name,
        "document_no": f"{ent.pref.code}-DB-{w.now.year}-{w.number('listing'):04d}",
    }
    officer = rng.choice(ent.pref.officers)
    w.as_officer(rng, ent, "hazard.list_for_supervision", hid, listing, by=officer)
    yield staff_after(rng, w.now, 2 * DAY, 6 * DAY)
    limit = max(deadline - timedelta(days=rng.randint(0, 10)), day_of(w.now) + timedelta(days=7))
    limit = min(limit, deadline)
    w.as_ent(rng, ent, "hazard.file_plan", hid, {**PLAN_TEXT, "time_limit": limit.isoformat()})
    return limit


def _loop(
    w: World, ent: Ent, hid: UUID, plan: HazardPlan, *, limit: date, rng: random.Random
) -> Proc:
    """Rectify, request the re-check, re-check on site; close, and perhaps reopen."""
    fate, rounds = plan.fate, 0
    bureau = ent.pref if plan.grade == "major" else ent.bureau
    while fate != "stalled":  # a stalled case is overdue from the day after its deadline
        rounds += 1
        if fate == "late" and rounds == 1:
            yield daytime(rng, limit + timedelta(days=rng.randint(2, 30)))
        else:
            yield _before(rng, w.now, limit)
        evidence = {
            "ref": f"EV-{rng.getrandbits(32):08x}",
            "sha256": hex64(rng),
            "description": "整改完成后现场照片及验收记录",
        }
        done = {"description": "已按整改要求完成整改", "evidence": [evidence]}
        w.as_ent(rng, ent, "hazard.rectify", hid, done)
        yield staff_after(rng, w.now, HOUR, 40 * HOUR)
        w.as_ent(rng, ent, "hazard.request_recheck", hid, {"note": "整改完成, 申请复查销号"})
        if rng.random() < 0.03:  # the regulator's own 10-day clock slips (a recorded breach)
            yield office_time(rng, day_of(w.now) + timedelta(days=rng.randint(11, 15)))
        else:
            yield office_within(rng, w.now, last_day(w.now, 10), 2 * HOUR)
        team = bureau.team(rng)
        if fate == "rejected" and rounds == 1:
            limit = day_of(w.now) + timedelta(days=rng.randint(5, 15))
            rejection = {
                "officers": team,
                "on_site": True,
                "deadline": limit.isoformat(),
                "reasons": "现场复查发现整改不彻底, 防护设施仍不符合要求",
            }
            w.as_officer(rng, ent, "hazard.reject", hid, rejection, by=team[0])
            continue
        accepted = {"officers": team, "on_site": True, "report": "现场复查, 整改到位"}
        w.as_officer(rng, ent, "hazard.accept", hid, accepted, by=team[0])
        yield office_after(rng, w.now, 30 * MINUTE, 3 * DAY)
        number = f"XH-{w.now.year}-{w.number('closure'):05d}"
        closing = {"document_no": number, "note": "予以销号"}
        w.as_officer(rng, ent, "hazard.close", hid, closing, by=team[0])
        permits.reinstate(w, rng, ent, f"hazard:{hid}")
        if fate != "reopened" or rounds > 1:
            return
        yield office_after(rng, w.now, 15 * DAY, 60 * DAY)
        limit = day_of(w.now) + timedelta(days=rng.randint(7, 20))
        reopening = {"reason": "回头看检查发现隐患反弹, 重新整改", "deadline": limit.isoformat()}
        w.as_officer(rng, ent, "hazard.reopen", hid, reopening, by=rng.choice(bureau.officers))
        fate = "on_time"


def _before(rng: random.Random, now: datetime, limit: date) -> datetime:
    """A daytime instant after `now`, on or before the day `limit` when there is room."""
    first = day_of(now + 2 * HOUR)
    span = (limit - first).days
    d = first + timedelta(days=rng.randint(0, span)) if span > 0 else first
    t = daytime(rng, d)
    return t if t > now + HOUR else now + rng.randint(2, 5) * HOUR
