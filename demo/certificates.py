"""Special-operation certificates (特种作业操作证): issue after the exam, review every three
years (six with ten clean years), re-review after a failure, cancellation when the review is
missed, and the occasional suspension.

The holder goes into the line as a plain person {"name", "id_number", "phone"}: the intake seals
it through the PIPL vault before anything is signed, so the log only ever holds the sealed form.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from demo.clock import (
    DAY,
    GO_LIVE,
    OFFICE_OPEN,
    at,
    day_of,
    office_after,
    office_time,
    office_within,
)
from demo.province import person
from demo.sim import Proc, new_uuid
from demo.world import Ent, World, child
from domain.terms import add_years

OPERATIONS: dict[str, tuple[str, ...]] = {
    "electrical": ("低压电工作业", "高压电工作业", "防爆电气作业"),
    "welding_cutting": ("熔化焊接与热切割作业", "压力焊作业"),
    "work_at_height": ("登高架设作业", "高处安装、维护、拆除作业"),
    "refrigeration": ("制冷与空调设备运行操作作业", "制冷与空调设备安装修理作业"),
    "metal_nonmetal_mine": ("金属非金属矿井通风作业", "金属非金属矿山爆破作业",
                            "金属非金属矿山提升机操作作业", "尾矿作业"),
    "metallurgy": ("煤气作业",),
    "hazardous_chemicals": ("氯化工艺作业", "加氢工艺作业", "聚合工艺作业", "重氮化工艺作业",
                            "化工自动化控制仪表作业"),
    "fireworks": ("烟火药制造作业", "黑火药制造作业", "烟花爆竹产品涉药作业", "烟花爆竹储存作业"),
}  # fmt: skip
CATEGORIES = {
    "hazardous_chemicals": ("hazardous_chemicals", "hazardous_chemicals", "electrical",
                            "welding_cutting"),
    "non_coal_mining": ("metal_nonmetal_mine", "metal_nonmetal_mine", "electrical"),
    "metallurgy": ("metallurgy", "welding_cutting", "electrical"),
    "construction": ("work_at_height", "work_at_height", "electrical", "welding_cutting"),
    "fireworks": ("fireworks", "fireworks", "electrical"),
    "industry_trade": ("electrical", "welding_cutting", "refrigeration"),
    "warehousing": ("electrical", "refrigeration", "work_at_height"),
}  # fmt: skip
FATES = ("pass", "fail_then_pass", "fail_twice", "missed")
FATE_WEIGHTS = (86, 6, 2, 6)


@dataclass(frozen=True)
class CertPlan:
    clean_years: int  # years in the trade without violations when issued
    fates: tuple[str, ...]  # one per review
    suspension: bool = False


def random_plan(rng: random.Random) -> CertPlan:
    return CertPlan(
        rng.choice((0, 0, 1, 2, 3, 5, 8, 12)),
        tuple(rng.choices(FATES, FATE_WEIGHTS, k=3)),
        rng.random() < 0.04,
    )


def certificate_life(w: World, ent: Ent, plan: CertPlan) -> Proc:
    rng = child(ent.rng)
    if not ent.open_for(w.now):
        return
    yield from Certificate(w, ent, plan, rng).run()


class Certificate:
    """One holder's certificate: its review clock mirrors the aggregate's."""

    def __init__(self, w: World, ent: Ent, plan: CertPlan, rng: random.Random) -> None:
        self.w, self.ent, self.plan, self.rng = w, ent, plan, rng
        self.id = new_uuid(rng)
        self.issued = day_of(w.now)
        self.review_due = add_years(self.issued, 3)
        self.valid_until = add_years(self.issued, 6)

    def officer(self, ctype: str, data: dict[str, Any]) -> None:
        by = self.rng.choice(self.ent.pref.officers)
        self.w.as_officer(self.rng, self.ent, ctype, self.id, data, by=by)

    def run(self) -> Proc:
        w, ent, rng, plan = self.w, self.ent, self.rng, self.plan
        category = rng.choice(CATEGORIES[ent.industry])
        issue = {
            "enterprise": ent.uscc,
            "holder": person(ent.region, rng, self.issued),  # sealed by the intake's vault
            "category": category,
            "operation": rng.choice(OPERATIONS.get(category, ("电工作业",))),
            "number": f"T{ent.place.prefecture}{self.issued.year}{w.number('cert'):05d}",
            "exam_score": rng.choice((80, 82, 85, 86, 88, 90, 91, 93, 95, 98)),
            "exam_on": (self.issued - timedelta(days=rng.randint(5, 25))).isoformat(),
        }
        self.officer("certificate.issue", issue)
        for i, planned in enumerate(plan.fates):
            if not ent.active:
                return  # the holder left with the enterprise's closure
            # a review due before go-live is migrated history: those were all passed
            live = self.review_due > GO_LIVE.date()
            fate = planned if live else "pass"
            if plan.suspension and i == 0 and live:
                yield from self.suspension()
            start = max(self.review_due - timedelta(days=rng.randint(5, 58)), day_of(w.now) + DAY)
            if fate == "missed" or start > self.review_due:
                yield office_time(rng, self.review_due + timedelta(days=rng.randint(10, 60)))
                self.officer(
                    "certificate.cancel", {"grounds": "review_overdue", "note": "逾期未复审"}
                )
                return
            yield office_within(rng, at(start, OFFICE_OPEN - 60), self.review_due, timedelta(0))
            clean = yield from self.review(fate)
            if clean < 0:
                return
            base, self.review_due = (
                self.review_due,
                add_years(self.review_due, 6 if clean >= 10 else 3),
            )
            if self.review_due > self.valid_until:  # 延期换证: six more years from the due date
                self.valid_until = add_years(base, 6)

    def review(self, fate: str) -> Generator[datetime, None, int]:
        """Apply (≥ 8 class hours), then the review; a failure may be retaken within 30 days.
        Returns the clean years the passing review states, or -1 after failing twice."""
        w, rng = self.w, self.rng
        results = {"pass": ["passed"], "fail_then_pass": ["failed", "passed"]}
        for result in results.get(fate, ["failed", "failed"]):
            hours = rng.choice((8, 12, 16, 24))
            w.as_ent(rng, self.ent, "certificate.apply_review", self.id, {"class_hours": hours})
            yield office_after(rng, w.now, 3 * DAY, 20 * DAY)
            clean = self.plan.clean_years + (day_of(w.now) - self.issued).days // 365
            note = "复审合格" if result == "passed" else "安全培训考核不合格"
            self.officer(
                "certificate.review", {"result": result, "clean_years": clean, "note": note}
            )
            if result == "passed":
                return clean
            yield office_after(rng, w.now, 5 * DAY, 25 * DAY)  # within the 30-day window
        return -1

    def suspension(self) -> Proc:
        """Suspended for a violation found on site, handed back after retraining (well clear
        of the review window, which needs an active certificate)."""
        w, rng = self.w, self.rng
        first = max(day_of(w.now), GO_LIVE.date())
        room = (self.review_due - first).days - 150
        if room <= 0:
            return
        yield office_time(rng, first + timedelta(days=rng.randint(1, room)))
        back = day_of(w.now) + timedelta(days=rng.randint(30, 90))
        reason = "违章作业, 暂扣操作证并责令重新培训"
        self.officer("certificate.suspend", {"reason": reason, "until": back.isoformat()})
        yield office_time(rng, back)
        self.officer("certificate.reinstate", {"note": "重新培训合格, 发还"})
