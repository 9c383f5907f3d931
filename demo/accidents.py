"""Production safety accidents (生产安全事故): the unit's report within the hour (some late),
casualty updates within 30 days that can move the grade, the investigation by the government
level the grade calls for (一般: county or city, 较大: city, 重大: province), an extension now
and then, the report, closing — and, when the unit is liable, a penalty case and a follow-up
inspection.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from demo.clock import DAY, HOUR, MINUTE, day_of, inspection_time, office_after, office_within
from demo.inspections import follow_up
from demo.penalties import for_accident
from demo.sim import Proc, new_uuid
from demo.world import AccidentState, Bureau, Ent, World, child
from domain.accident import KINDS as KIND_NAMES
from domain.accident import grade_of
from domain.clocks import last_day

KINDS = {
    "hazardous_chemicals": ("explosion", "fire", "poisoning_asphyxiation", "burn"),
    "non_coal_mining": ("roof_fall", "collapse", "blasting", "vehicle_injury"),
    "metallurgy": ("burn", "poisoning_asphyxiation", "mechanical_injury", "lifting_injury"),
    "construction": ("fall_from_height", "object_strike", "collapse", "lifting_injury"),
    "fireworks": ("explosion", "fire"),
    "industry_trade": ("mechanical_injury", "electric_shock", "fire", "object_strike"),
    "warehousing": ("fire", "vehicle_injury", "lifting_injury", "poisoning_asphyxiation"),
}
PLACES = ("生产车间", "罐区", "仓库", "装卸区", "施工作业面", "采场", "配电室", "检修现场")


@dataclass(frozen=True)
class AccidentPlan:
    deaths: int
    injuries: int
    loss: int  # direct economic loss, yuan
    later: tuple[int, int, int] | None  # casualties after the update within 30 days
    late_report: bool = False
    liable: bool = True
    extend: bool = False
    concealed: bool = False


def random_plan(rng: random.Random) -> AccidentPlan:
    """Mostly 一般 (under 3 deaths, 10 serious injuries, 10 million yuan), a few 较大."""
    if rng.random() < 0.06:
        loss = rng.randint(300, 900) * 10_000
        return AccidentPlan(rng.randint(3, 5), rng.randint(0, 6), loss, None, extend=True)
    deaths = rng.choices((0, 1, 2), (35, 50, 15))[0]
    injuries = rng.randint(0 if deaths else 1, 4)
    loss = rng.randint(5, 300) * 10_000
    later = None
    if rng.random() < 0.3:  # a worker dies in hospital, or the loss is assessed higher
        extra = rng.randint(5, 80) * 10_000
        later = (deaths + (rng.random() < 0.4), max(0, injuries - 1), loss + extra)
    return AccidentPlan(
        deaths,
        injuries,
        loss,
        later,
        late_report=rng.random() < 0.1,
        liable=rng.random() < 0.8,
        extend=rng.random() < 0.15,
        concealed=rng.random() < 0.02,
    )


def accident_life(w: World, ent: Ent, plan: AccidentPlan) -> Proc:
    rng = child(ent.rng)
    if not ent.open_for(w.now) or not ent.account_ready:
        return
    aid = new_uuid(rng)
    delay = rng.randint(2, 6) * HOUR if plan.late_report else rng.randint(10, 55) * MINUTE
    happened = w.now - delay
    kind, place = rng.choice(KINDS[ent.industry]), rng.choice(PLACES)
    band = grade_of(*(plan.later or (plan.deaths, plan.injuries, plan.loss)))
    summary = (
        f"{happened:%Y年%m月%d日%H时%M分}, {ent.name}{place}发生一起{KIND_NAMES[kind]}事故, "
        f"造成{plan.deaths}人死亡、{plan.injuries}人重伤"
    )
    report = {
        "enterprise": ent.uscc,
        "happened_at": happened.isoformat(),
        "kind": kind,
        "place": place,
        "summary": summary,
        "deaths": plan.deaths,
        "serious_injuries": plan.injuries,
        "direct_loss": plan.loss,
    }
    w.as_ent(rng, ent, "accident.report", aid, report)
    state = AccidentState(aid, day_of(happened), plan.deaths)
    ent.accidents.append(state)
    bureau = _investigator(w, ent, band.grade)
    officer = rng.choice(bureau.officers)
    visit = inspection_time(rng, day_of(w.now) + timedelta(days=rng.randint(1, 4)))
    w.sim.start(follow_up(w, ent, aid), visit)

    yield office_after(rng, w.now, 3 * HOUR, 3 * DAY)
    team = {
        "authority": f"{_government(bureau)}“{happened:%m·%d}”{band.zh}事故调查组",
        "team_lead": f"{bureau.name}副局长",
    }
    w.as_officer(rng, ent, "accident.open_investigation", aid, team, by=officer)
    due = last_day(happened, 60)
    if plan.later:
        yield office_within(rng, w.now, day_of(happened) + timedelta(days=28), HOUR)
        deaths, injuries, loss = plan.later
        update = {
            "deaths": deaths,
            "serious_injuries": injuries,
            "direct_loss": loss,
            "note": "伤员经抢救无效死亡" if deaths > plan.deaths else "直接经济损失核定",
        }
        w.as_ent(rng, ent, "accident.update_casualties", aid, update)
        state.deaths = deaths
    if plan.concealed:
        yield office_after(rng, w.now, 2 * DAY, 10 * DAY)
        finding = {"finding": "concealed", "basis": "经调查, 事故单位迟报并隐瞒伤亡人数"}
        w.as_officer(rng, ent, "accident.flag_concealment", aid, finding, by=officer)
    if plan.extend:
        yield office_within(rng, w.now, due - timedelta(days=1), HOUR)
        days = rng.choice((30, 45, 60))
        extension = {"days": days, "reason": "技术鉴定尚未完成"}
        w.as_officer(rng, ent, "accident.extend_investigation", aid, extension, by=officer)
        due += timedelta(days=days)

    yield office_within(rng, w.now, due, DAY)
    findings = {
        "cause": f"作业人员违章操作, 企业安全管理不到位, 导致{KIND_NAMES[kind]}事故",
        "liability": plan.liable,
        "measures": "落实全员安全生产责任制, 开展隐患排查治理",
    }
    w.as_officer(rng, ent, "accident.submit_report", aid, findings, by=officer)
    if plan.liable:
        case = for_accident(w, ent, bureau, band.grade, state)
        w.sim.start(case, office_after(rng, w.now, 3 * DAY, 15 * DAY))
    yield office_after(rng, w.now, 7 * DAY, 30 * DAY)
    decision = {"decision": "同意事故调查报告, 对事故责任单位和责任人依法处理"}
    w.as_officer(rng, ent, "accident.close", aid, decision, by=officer)


def _investigator(w: World, ent: Ent, grade: str) -> Bureau:
    if grade in ("major", "especially_major"):
        return w.province
    return ent.pref if grade == "larger" else ent.bureau


def _government(bureau: Bureau) -> str:
    return bureau.name.removesuffix("应急管理局").removesuffix("应急管理厅") + "人民政府"
