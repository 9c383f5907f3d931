"""Inspections (监管执法检查) by two or three officers: planned, special campaigns, double-random
draws, complaints, accident follow-ups and re-inspections. Hazard findings open hazard cases
under an order to correct; a major one may stop production; violations open penalty cases;
an order to correct brings the officers back for a re-inspection after its deadline.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from demo.clock import DAY, MINUTE, day_of, inspection_time, office_after
from demo.hazards import FATE_WEIGHTS, FATES, HazardPlan, hazard_life
from demo.penalties import PenaltyPlan, penalty_life
from demo.penalties import random_plan as random_penalty
from demo.sim import Proc, new_uuid
from demo.texts import GENERAL_HAZARDS, MAJOR_HAZARDS, VIOLATIONS
from demo.world import Bureau, Ent, World, child

TYPES = ("routine_plan", "special_campaign", "double_random", "complaint")
TYPE_WEIGHTS = (50, 20, 24, 6)


@dataclass(frozen=True)
class Finding:
    kind: str  # hazard | violation
    hazard: HazardPlan | None = None
    penalty: PenaltyPlan | None = None  # a scripted case; random otherwise


@dataclass(frozen=True)
class InspectionPlan:
    type: str
    findings: tuple[Finding, ...] = ()
    previous: UUID | None = None
    bureau: Bureau | None = None  # who inspects (default: the enterprise's own regulator)
    seal: bool = False
    revisit: bool = True  # come back after an order to correct
    source_ref: str | None = None  # what prompted it (required for draws and complaints)


def random_plan(rng: random.Random, ent: Ent) -> InspectionPlan:
    kind = rng.choices(TYPES, TYPE_WEIGHTS)[0]
    n = rng.choices((0, 1, 2, 3, 4), (30, 30, 22, 12, 6))[0]
    findings = tuple(
        Finding("violation") if rng.random() < 0.22 else Finding("hazard", _hazard(rng, ent))
        for _ in range(n)
    )
    return InspectionPlan(kind, findings, seal=rng.random() < 0.03)


def _hazard(rng: random.Random, ent: Ent) -> HazardPlan:
    """About one in fifteen hazards an inspection finds at a high-risk unit is major (and
    supervised to the end: never left unrectified)."""
    major = ent.industry in MAJOR_HAZARDS and rng.random() < 0.07
    fate = "on_time" if major else rng.choices(FATES, FATE_WEIGHTS)[0]
    grade = "major" if major else "general"
    return HazardPlan(grade, "inspection", fate, stop=major and rng.random() < 0.5)


def inspection_life(w: World, ent: Ent, plan: InspectionPlan) -> Proc:
    rng = child(ent.rng)
    if not ent.open_for(w.now) or not ent.account_ready:
        return
    yield from Visit(w, ent, plan, rng).run()


class Visit:
    """One inspection: the team on site, what it finds, and what follows from it."""

    def __init__(self, w: World, ent: Ent, plan: InspectionPlan, rng: random.Random) -> None:
        self.w, self.ent, self.plan, self.rng = w, ent, plan, rng
        self.id = new_uuid(rng)
        self.bureau = plan.bureau or ent.bureau
        self.team = self.bureau.team(rng, rng.choice((2, 2, 3)))
        self.hazards: list[tuple[str, HazardPlan]] = []
        self.violations: list[tuple[str, PenaltyPlan | tuple[str, str]]] = []

    def act(self, verb: str, data: dict[str, Any]) -> None:
        self.w.as_officer(self.rng, self.ent, f"inspection.{verb}", self.id, data, by=self.team[0])

    def run(self) -> Proc:
        w, rng, plan = self.w, self.rng, self.plan
        self.act("start", self.opening())
        for i, finding in enumerate(plan.findings, start=1):
            yield w.now + rng.randint(15, 50) * MINUTE
            self.act("record_finding", self.record(f"F{i}", finding))
        yield w.now + rng.randint(10, 40) * MINUTE
        deadline = day_of(w.now) + timedelta(days=rng.randint(7, 30))
        for measure in _measures(self.hazards, deadline, plan.seal):
            self.act("order_measure", measure)
        for ref, hz in self.hazards:
            # a general hazard is rectified by the order's deadline; a major one by its own
            by = deadline if hz.grade == "general" else None
            case = replace(hz, inspection=(self.id, ref), reporter=self.team[0], deadline=by)
            w.sim.start(hazard_life(w, self.ent, case), w.now + rng.randint(5, 30) * MINUTE)
        yield w.now + rng.randint(30, 120) * MINUTE
        summary = f"检查发现问题{len(plan.findings)}项" if plan.findings else "未发现问题"
        self.act("close", {"summary": summary})
        self.follow_up(deadline)

    def opening(self) -> dict[str, Any]:
        w, plan = self.w, self.plan
        start: dict[str, Any] = {
            "enterprise": self.ent.uscc,
            "type": plan.type,
            "officers": self.team,
        }
        if plan.source_ref is not None:
            start["source_ref"] = plan.source_ref
        elif plan.type == "double_random":
            start["source_ref"] = f"SSJ-{w.now.year}-{w.number('draw'):05d}"
        elif plan.type == "complaint":
            start["source_ref"] = f"JB-{w.now.year}-{w.number('tip'):05d}"
        if plan.previous is not None:
            start["previous"] = str(plan.previous)
        return start

    def record(self, ref: str, finding: Finding) -> dict[str, Any]:
        """The finding's record; the case opened from it will say the same."""
        rng, industry = self.rng, self.ent.industry
        if finding.kind == "hazard":
            hazard = finding.hazard or _hazard(rng, self.ent)
            text = rng.choice(
                (MAJOR_HAZARDS if hazard.grade == "major" else GENERAL_HAZARDS)[industry]
            )
            self.hazards.append((ref, replace(hazard, found=text)))
            return {"finding": ref, "kind": "hazard", "description": text[0]}
        violation, basis = rng.choice(VIOLATIONS)
        if finding.penalty is not None:
            violation, basis = finding.penalty.violation, finding.penalty.basis
        self.violations.append((ref, finding.penalty or (violation, basis)))
        return {"finding": ref, "kind": "violation", "description": violation, "basis": basis}

    def follow_up(self, deadline: date) -> None:
        """Penalty cases for the violations; a re-inspection after the order's deadline."""
        w, rng, ent = self.w, self.rng, self.ent
        for ref, violation in self.violations:
            refs = {"inspection": str(self.id), "finding": ref}
            began = day_of(w.now) - timedelta(days=rng.randint(0, 30))
            if isinstance(violation, PenaltyPlan):
                penalty = replace(violation, refs=refs)
            else:
                penalty = random_penalty(rng, ent, (began, violation), refs)
            case = penalty_life(w, ent, self.bureau, penalty)
            w.sim.start(case, office_after(rng, w.now, DAY, 7 * DAY))
        if any(hz.grade == "general" for _, hz in self.hazards) and self.plan.revisit:
            findings = _revisit_findings(rng)
            again = InspectionPlan(
                "re_inspection", findings, previous=self.id, bureau=self.bureau, revisit=False
            )
            when = inspection_time(rng, deadline + timedelta(days=rng.randint(1, 10)))
            w.sim.start(inspection_life(w, ent, again), when)


def _measures(
    hazards: list[tuple[str, HazardPlan]], deadline: date, seal: bool
) -> list[dict[str, Any]]:
    """An order to correct the general hazards by a deadline, a stop order for major hazards
    that need one, and now and then sealed equipment."""
    general = [ref for ref, hz in hazards if hz.grade == "general"]
    stops = [ref for ref, hz in hazards if hz.grade == "major" and hz.stop]
    out: list[dict[str, Any]] = []
    if general:
        out.append(
            {
                "measure_no": "M1",
                "measure": "order_correct",
                "findings": general,
                "deadline": deadline.isoformat(),
            }
        )
    if stops:
        out.append({"measure_no": "M2", "measure": "stop_production", "findings": stops})
    if seal and hazards:
        items = ["存在严重缺陷的压力容器1台"]
        out.append(
            {
                "measure_no": "M3",
                "measure": "seal_equipment",
                "findings": [hazards[0][0]],
                "items": items,
            }
        )
    return out


def _revisit_findings(rng: random.Random) -> tuple[Finding, ...]:
    """Most re-inspections find the order carried out; some find it ignored (a violation)."""
    return (Finding("violation"),) if rng.random() < 0.12 else ()


def follow_up(w: World, ent: Ent, accident: UUID) -> Proc:
    """The inspection after an accident: hazards found on site, under an order to correct."""
    rng = child(ent.rng)
    findings = tuple(Finding("hazard", _hazard(rng, ent)) for _ in range(rng.randint(1, 3)))
    plan = InspectionPlan("accident_follow_up", findings, source_ref=f"accident:{accident}")
    yield from inspection_life(w, ent, plan)
