"""Safety production licences (安全生产许可证): application, grant, renewal or extension every
three years, lapse and cancellation (注销), suspension while a stop order stands.

Licences are issued by the province (湖北省应急管理厅). Licences granted before go-live are
migrated with their original dates, so terms run out — and are renewed, extended or left to
lapse — inside the simulated window.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from demo.clock import DAY, day_of, office_after, office_time
from demo.province import LICENSED
from demo.sim import Proc, Sub, new_uuid
from demo.world import Ent, PermitState, World, child
from domain.terms import add_months, add_years

CODES = {"hazardous_chemicals": "WH", "mine": "FM", "construction": "JZ", "fireworks": "YH"}
SCOPES = {
    "hazardous_chemicals": (
        "危险化学品生产: 液氯、氢氧化钠、盐酸",
        "危险化学品生产: 甲醇、甲醛",
        "危险化学品生产: 硫酸、磷酸",
        "危险化学品生产: 液氨、尿素",
    ),
    "mine": ("石灰岩露天开采", "磷矿地下开采", "铁矿地下开采", "建筑石料用灰岩露天开采"),
    "construction": ("建筑施工", "市政公用工程施工", "房屋建筑工程施工总承包"),
    "fireworks": ("烟花爆竹生产: 组合烟花类、爆竹类", "烟花爆竹生产: 礼花弹类"),
}
FATES = ("extend", "renew", "lapse", "refused")
FATE_WEIGHTS = (58, 26, 12, 4)


@dataclass(frozen=True)
class PermitPlan:
    """When the enterprise applies, how the authority decides, and each term's renewal fate."""

    applied: datetime
    decision: str  # grant | late (after the 45 days) | refuse
    fates: tuple[str, ...]


def random_plan(rng: random.Random, applied: datetime, live: bool) -> PermitPlan:
    decision = rng.choices(("grant", "late", "refuse"), (90, 6, 4))[0] if live else "grant"
    return PermitPlan(applied, decision, tuple(rng.choices(FATES, FATE_WEIGHTS, k=3)))


def permit_life(w: World, ent: Ent, plan: PermitPlan) -> Proc:
    rng = child(ent.rng)
    industry = LICENSED[ent.industry]
    permit = ent.permit = PermitState(new_uuid(rng), industry)
    scope = rng.choice(SCOPES[industry])
    w.as_ent(
        rng,
        ent,
        "permit.apply",
        permit.id,
        {"enterprise": ent.uscc, "industry": industry, "scope": scope},
    )
    licence = Licence(w, ent, permit, rng)
    if plan.decision == "refuse":
        yield office_after(rng, w.now, 20 * DAY, 40 * DAY)
        licence.officer("permit.refuse", {"reason": "安全设施设计未经审查同意, 不符合安全生产条件"})
        permit.status = "refused"
        return
    lo, hi = (46, 60) if plan.decision == "late" else (12, 40)  # 45 days, or late
    yield office_after(rng, w.now, lo * DAY, hi * DAY)
    granted = day_of(w.now)
    permit.number = licence.new_number()
    licence.officer("permit.grant", {"number": permit.number})
    permit.status, permit.term_start = "active", granted
    permit.expires_on = add_years(granted, 3)
    for fate in plan.fates:
        renewed = yield from licence.term_end(fate)
        if not renewed:
            return


class Licence:
    """What the licence process does at the end of each term."""

    def __init__(self, w: World, ent: Ent, permit: PermitState, rng: random.Random) -> None:
        self.w, self.ent, self.permit, self.rng = w, ent, permit, rng

    def officer(self, ctype: str, data: dict[str, Any]) -> None:
        by = self.rng.choice(self.w.province.officers)  # licences are the province's
        self.w.as_officer(self.rng, self.ent, ctype, self.permit.id, data, by=by)

    def new_number(self) -> str:
        code = CODES[self.permit.industry]
        return f"(鄂){code}安许证字〔{self.w.now.year}〕{self.w.number('licence'):04d}"

    def term_end(self, fate: str) -> Sub:
        """Renew, extend, be refused or lapse; True when a new term began."""
        w, rng, permit = self.w, self.rng, self.permit
        assert permit.expires_on is not None
        deadline = add_months(permit.expires_on, -3)
        if fate != "lapse":
            applied = yield from self.apply_renewal(deadline)
            if applied and fate in ("extend", "renew"):
                yield office_after(rng, w.now, 10 * DAY, 35 * DAY)
                if permit.status not in ("active", "suspended"):
                    return False
                self.decide(fate)
                return True
            if applied:
                yield office_after(rng, w.now, 10 * DAY, 30 * DAY)
                self.officer(
                    "permit.refuse_renewal",
                    {"reason": "延期审查发现安全生产条件发生变化, 不予延期"},
                )
                permit.renewal_pending = False
        yield office_time(rng, permit.expires_on + timedelta(days=rng.randint(3, 40)))
        if permit.status in ("active", "suspended") and not permit.renewal_pending:
            self.officer(
                "permit.cancel",
                {"grounds": "expired", "note": "有效期届满未办理延期手续, 依法注销"},
            )
            permit.status = "cancelled"
        return False

    def apply_renewal(self, deadline: date) -> Sub:
        """Apply at least three months before expiry (once a stop order is lifted); True when
        applied in time."""
        w, rng, permit = self.w, self.rng, self.permit
        target = deadline - timedelta(days=rng.randint(5, 50))
        yield office_time(rng, target) if target > day_of(w.now) else w.now + DAY
        while permit.status == "suspended" and day_of(w.now) + timedelta(days=7) <= deadline:
            yield w.now + timedelta(days=7)
        if permit.status != "active" or day_of(w.now) > deadline or not self.ent.active:
            return False
        w.as_ent(rng, self.ent, "permit.apply_renewal", permit.id, {"note": "申请延期, 材料齐全"})
        permit.renewal_pending = True
        return True

    def decide(self, fate: str) -> None:
        """Extension without review needs no fatal accident in the term (条例 §9): the
        authority names the accident records it checked. Otherwise a renewal after review."""
        permit, ent = self.permit, self.ent
        assert permit.term_start is not None
        assert permit.expires_on is not None
        start, end = permit.term_start, permit.expires_on
        fatal = any(a.deaths > 0 and start <= a.happened < end for a in ent.accidents)
        if fate == "extend" and not fatal:
            checked = [str(a.id) for a in ent.accidents]
            self.officer("permit.extend", {"no_fatal_accident": True, "accidents_checked": checked})
        else:
            permit.number = self.new_number()
            self.officer("permit.renew", {"number": permit.number})
        permit.term_start, permit.expires_on = end, add_years(end, 3)
        permit.renewal_pending = False


# -- what other processes do to a licence ----------------------------------------------------


def _by_province(w: World, rng: random.Random, ent: Ent, ctype: str, data: dict[str, Any]) -> None:
    assert ent.permit is not None
    by = rng.choice(w.province.officers)
    w.as_officer(rng, ent, ctype, ent.permit.id, data, by=by)


def suspend(w: World, rng: random.Random, ent: Ent, holder: str, *, reason: str, ref: str) -> None:
    """A stop order suspends a valid licence (held by `holder` until it lifts it)."""
    permit = ent.permit
    if permit is None or permit.suspended_by or not permit.usable(day_of(w.now)):
        return
    _by_province(w, rng, ent, "permit.suspend", {"reason": reason, "stop_order": ref})
    permit.status, permit.suspended_by = "suspended", holder


def reinstate(w: World, rng: random.Random, ent: Ent, holder: str) -> None:
    permit = ent.permit
    if permit is None or permit.status != "suspended" or permit.suspended_by != holder:
        return
    permit.suspended_by = None
    assert permit.expires_on is not None
    if day_of(w.now) >= permit.expires_on:
        return  # expired while suspended: the licence process cancels it
    _by_province(w, rng, ent, "permit.reinstate", {"reason": "停产整顿验收合格, 恢复许可证"})
    permit.status = "active"


def cancel_on_closure(w: World, rng: random.Random, ent: Ent) -> None:
    permit = ent.permit
    if permit is None or permit.status not in ("active", "suspended"):
        return
    _by_province(
        w, rng, ent, "permit.cancel", {"grounds": "business_terminated", "note": "企业依法终止"}
    )
    permit.status = "cancelled"
