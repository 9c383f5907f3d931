"""The showcase: what the first enterprises are scripted to go through, so that a province of
any size (from a few enterprises and twelve months) holds every kind of record, and
`anjian history` of the first enterprise reads like a full lifecycle.

Enterprise 0 — a Wuhan chemical plant: licence extended without review, two major hazard
sources with a device-signed gateway each, alarms handled and dismissed, a self-reported hazard
reopened after 销号, an inspection whose major hazard goes through 挂牌督办 to 销号 (its stop
order suspending the licence meanwhile) and whose violation becomes a penalty case with notice,
hearing, a lighter decision and a late payment, an accident with casualty updates and an
investigation, and a hazard left overdue at the end.
Enterprise 1 — a fireworks works in Macheng whose licence lapses and is cancelled, then a 较大
explosion. Enterprise 2 — a Yichang chemical plant with a 重大 accident (larger provinces only).
Times are fractions of the window, so the script scales with --months.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from demo.accidents import AccidentPlan, accident_life
from demo.certificates import CertPlan
from demo.clock import DAY, GO_LIVE, inspection_time, office_time
from demo.enterprises import EntPlan
from demo.hazards import HazardPlan, hazard_life
from demo.inspections import Finding, InspectionPlan, inspection_life
from demo.penalties import PenaltyPlan
from demo.permits import PermitPlan
from demo.sensors import SourcePlan, alarm_life
from demo.sim import Proc
from demo.world import Ent, World

FIXED_COUNTIES = ["420107", "421181", "420581"]  # 武汉青山, 黄冈麻城, 宜昌宜都
INDUSTRIES = ["hazardous_chemicals", "fireworks", "hazardous_chemicals"]


def apply(w: World, plans: list[tuple[Ent, EntPlan]], months: int) -> None:
    def at(fraction: float) -> datetime:
        return office_time(plans[0][0].rng, (GO_LIVE + (w.sim.end - GO_LIVE) * fraction).date())

    if plans:
        _showcase(w, *plans[0], at)
    if len(plans) > 1:
        ent, plan = plans[1]
        plan.permit = _migrated_licence(at(0.3), ("lapse",))
        ent.founded = min(ent.founded, plan.permit.applied - 400 * DAY)
        blast = AccidentPlan(3, 1, 4_200_000, None, extend=True)
        plan.script.append((at(0.5), lambda: accident_life(w, ent, blast)))
    if len(plans) >= 50 and months >= 12:  # 重大 accidents are rare: larger provinces only
        ent2 = plans[2][0]
        major = AccidentPlan(10, 8, 42_000_000, None, extend=True)
        plans[2][1].script.append((at(0.7), lambda: accident_life(w, ent2, major)))


def _migrated_licence(expiry: datetime, fates: tuple[str, ...]) -> PermitPlan:
    """A licence granted three years before `expiry` (about 26 days after applying)."""
    granted = expiry.replace(year=expiry.year - 3)
    return PermitPlan(granted - timedelta(days=26), "grant", fates)


def _showcase(w: World, ent: Ent, plan: EntPlan, at: Callable[[float], datetime]) -> None:
    ent.employees, ent.standardisation = max(ent.employees, 420), "level2"
    plan.permit = _migrated_licence(at(0.35), ("extend", "renew", "extend"))
    # the oldest unit of the province, so that it is the first `anjian enterprises` lists
    ent.founded = office_time(ent.rng, date(2005, 4, 18))
    plan.sources = [
        SourcePlan("HS-01", "液氯储罐区", ("液氯",)),
        SourcePlan("HS-02", "甲醇罐区", ("甲醇",)),
    ]
    due = at(0.3)
    plan.certificates.append((due.replace(year=due.year - 3), CertPlan(4, ("pass",) * 3)))
    inspected = inspection_time(ent.rng, at(0.45).date())
    penalty = PenaltyPlan(
        "未对重大危险源进行定期检测、评估、监控",
        "安全生产法(2014) §98 (三)",
        (inspected - 10 * DAY).date(),
        {"types": ["fine"], "fine_yuan": 100_000},  # major: 法制审核 and a hearing
        {},
        party="hearing",
        reduce=True,
        service="direct",
        payment="late",
    )
    findings = (
        Finding("hazard", HazardPlan("major", "inspection", "on_time", stop=True)),
        Finding("violation", penalty=penalty),
        Finding("hazard", HazardPlan("general", "inspection", "on_time")),
    )
    accident = AccidentPlan(0, 2, 800_000, (0, 3, 950_000))
    plan.script += [
        (at(0.12), lambda: hazard_life(w, ent, HazardPlan(fate="reopened"))),
        (at(0.2), lambda: _alarm(w, ent, "handled")),
        (at(0.3), lambda: _alarm(w, ent, "false_ack")),
        (inspected, lambda: inspection_life(w, ent, InspectionPlan("routine_plan", findings))),
        (at(0.6), lambda: accident_life(w, ent, accident)),
        (at(0.8), lambda: hazard_life(w, ent, HazardPlan(fate="stalled"))),
    ]


def _alarm(w: World, ent: Ent, fate: str) -> Proc:
    if ent.sensors:
        yield from alarm_life(w, ent, ent.sensors[0], fate)
