"""Building the demo province from a seed: regulators for the province, every prefecture and the
busier counties; enterprises across the 17 prefecture-level regions (Wuhan weighted most) with
what they bring from before go-live — founding date, licence, certificate holders — and their
hazard sources; a few new ones and a few closing down inside the window.

The opening lines (the regulators' accounts at go-live) come before everything else; then the
scheduler runs every enterprise's life from its founding date.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from demo import certificates, permits, script
from demo.clock import DAY, GO_LIVE, TZ, any_time, office_time
from demo.enterprises import EntPlan, enterprise_life
from demo.province import (
    COUNTIES,
    LICENSED,
    allocate,
    enterprise_name,
    industry_for,
    new_uscc,
    place_of,
)
from demo.sensors import source_plans
from demo.sim import Line, Sim, drain
from demo.world import Bureau, Ent, World, child
from domain.ids import actor_id

STANDARDISATION = {"level1": 4, "level2": 30, "level3": 48, "none": 18}
OLDEST = datetime(2006, 1, 1, tzinfo=TZ)


def bureaus(w: World, counts: Counter[str], county_counts: Counter[str]) -> None:
    w.province = _bureau("420000", "湖北省应急管理厅", 6)
    for pref, n in sorted(counts.items()):
        city = place_of(next(iter(COUNTIES[pref]))).city
        b = _bureau(pref, f"{city}应急管理局", min(8, 3 + n // 12), parent=w.province)
        w.bureaus[pref] = b
    for county, n in sorted(county_counts.items()):
        place = place_of(county)
        if n < 4 or county == place.prefecture:
            continue
        up = w.bureaus[place.prefecture]
        name = f"{place.city}{place.county_name}应急管理局"
        officers = [f"r-{county}-{i:02d}" for i in range(1, min(4, 2 + n // 8) + 1)]
        # a county's cases are reviewed (法制审核) and heard by the city's reviewer and host
        w.bureaus[county] = Bureau(county, name, officers, up.legal, up.host, parent=up)


def _bureau(code: str, name: str, officers: int, parent: Bureau | None = None) -> Bureau:
    accounts = [f"r-{code}-{i:02d}" for i in range(1, officers + 1)]
    return Bureau(code, name, accounts, f"r-{code}-fz", f"r-{code}-tz", parent)


def build(
    sim: Sim, seed: int, enterprises: int, months: int, custodial_key: Callable[[str], str]
) -> tuple[World, list[tuple[Ent, EntPlan]]]:
    w = World(sim, seed, custodial_key)
    rng = random.Random(f"anjian-demo/{seed}")
    places = allocate(enterprises, rng, script.FIXED_COUNTIES)
    bureaus(w, Counter(p.prefecture for p in places), Counter(p.county for p in places))
    names: set[str] = set()
    codes: set[str] = set()
    out = []
    for i, place in enumerate(places):
        industry = script.INDUSTRIES[i] if i < len(script.INDUSTRIES) else industry_for(place, rng)
        pref = w.bureaus[place.prefecture]
        ent = Ent(
            index=i,
            uscc=new_uscc(place, rng, codes),
            name=enterprise_name(place, industry, rng, names),
            place=place,
            industry=industry,
            employees=max(8, min(6000, int(math.exp(rng.gauss(4.6, 1.0))))),
            standardisation=rng.choices(list(STANDARDISATION), list(STANDARDISATION.values()))[0],
            founded=any_time(rng, OLDEST, datetime(2017, 6, 30, tzinfo=TZ)),
            bureau=w.bureaus.get(place.county, pref),
            pref=pref,
            rng=child(rng),
        )
        w.ents.append(ent)
        out.append((ent, _plan(w, ent, months, rng)))
    script.apply(w, out, months)
    return w, out


def _plan(w: World, ent: Ent, months: int, rng: random.Random) -> EntPlan:
    end = w.sim.end
    plan = EntPlan(account_at=office_time(rng, GO_LIVE.date() + timedelta(days=rng.randint(1, 25))))
    new = ent.index >= 3 and months >= 6 and rng.random() < 0.04
    if new:
        ent.founded = office_time(rng, any_time(rng, GO_LIVE + 20 * DAY, end - 60 * DAY).date())
        plan.account_at = ent.founded + timedelta(days=rng.randint(1, 3))
    elif ent.index >= 3 and months >= 6 and rng.random() < 0.02:
        ent.closing = any_time(rng, GO_LIVE + (end - GO_LIVE) * 0.4, end - 20 * DAY)
    if ent.industry in LICENSED:
        if new:
            applied = office_time(rng, (ent.founded + timedelta(days=rng.randint(14, 60))).date())
        else:
            granted = any_time(rng, _years_before(GO_LIVE, 3) + 30 * DAY, GO_LIVE - 20 * DAY)
            applied = office_time(rng, (granted - 26 * DAY).date())
            ent.founded = min(ent.founded, applied - timedelta(days=rng.randint(60, 900)))
        plan.permit = permits.random_plan(rng, applied, live=new)
    if not new:
        oldest = max(ent.founded + 30 * DAY, _years_before(GO_LIVE, 6))
        for _ in range(max(1, min(8, round(ent.employees / 60)))):
            issued = office_time(rng, any_time(rng, oldest, GO_LIVE - 10 * DAY).date())
            plan.certificates.append((issued, certificates.random_plan(rng)))
    count = _source_count(ent.industry, rng)
    if count:
        plan.sources = source_plans(rng, ent.industry, count)
    return plan


def _source_count(industry: str, rng: random.Random) -> int:
    if industry == "hazardous_chemicals":
        return rng.choices((1, 2, 3), (50, 35, 15))[0]
    chance = {"metallurgy": 0.5, "warehousing": 0.2, "non_coal_mining": 0.25}.get(industry, 0)
    return 1 if rng.random() < chance else 0


def _years_before(t: datetime, years: int) -> datetime:
    return t.replace(year=t.year - years)


def opening(w: World) -> list[Line]:
    """The regulators' accounts, registered by the platform at go-live."""
    rng = random.Random(f"anjian-demo/{w.seed}/opening")
    bureaus = [w.province, *w.bureaus.values()]
    before = w.sim.now
    for i, b in enumerate(bureaus):
        w.sim.now = GO_LIVE + timedelta(minutes=i)
        roles = [(a, f"执法人员{a[-2:]}") for a in b.officers]
        if b.parent is None or b.legal != b.parent.legal:
            roles += [(b.legal, "法制审核员"), (b.host, "听证主持人")]
        for account, role in roles:
            officer = {
                "account": account,
                "role": "regulator",
                "name": f"{b.name} {role}",
                "jurisdiction": b.code,
                "public_key": w.custodial_key(account),
                "custody": "platform",
            }
            w.as_platform(rng, "actor.register", b.code, actor_id(account), officer)
    w.sim.now = before
    return drain(w.sim)


def start(w: World, plans: list[tuple[Ent, EntPlan]]) -> None:
    for ent, plan in plans:
        w.sim.start(enterprise_life(w, ent, plan), ent.founded)
