"""Administrative penalty cases (行政处罚法): 立案, 调查取证 (two officers; some evidence
preserved and decided within 7 working days), 审查, 法制审核 for major penalties (sometimes
returned), 告知 with the party's rights, 陈述申辩 or 听证 (asked within 5 working days, notified
7 working days ahead, hosted by an officer who did not investigate), 决定 within 90 days
(extended when a hearing runs long), 送达, payment (some late, with the 3%-a-day late fee),
execution of stop orders and licence suspensions, 公开, 结案 — and the rare revocation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from demo import permits
from demo.clock import (
    DAY,
    MINUTE,
    OFFICE_OPEN,
    add_workdays,
    at,
    day_of,
    office_after,
    office_time,
    office_within,
)
from demo.sim import Proc, hex64, new_uuid
from demo.world import AccidentState, Bureau, Ent, World, child
from domain.clocks import last_day, local_date
from domain.penalty import PAYMENT_DAYS, late_fee_fen
from domain.sanction import TO_EXECUTE, Sanction

RIGHTS = ["statement", "defence"]
PARTY = ("silent", "statement", "hearing", "waive")
FINES = {"general": (20, 50), "larger": (50, 100)}  # 安全生产法(2014) §109, 万元; 重大: 100–500


@dataclass(frozen=True)
class PenaltyPlan:
    violation: str
    basis: str
    violation_date: date
    proposed: dict[str, Any]
    refs: dict[str, str]  # inspection + finding, or hazard
    harm: bool = False
    outcome: str = "penalty"  # penalty | no_penalty | transfer (dropped at review)
    party: str = "silent"  # silent | statement | hearing | waive (the last two: major only)
    reduce: bool = False  # the decision is lighter than the notice (after the hearing)
    returned: bool = False  # 法制审核 sends it back once
    preserve: bool = False
    service: str = "direct"  # on_the_spot | direct | mail | late
    payment: str = "on_time"  # on_time | late | partial
    revoked: bool = False


def sanction(rng: random.Random, ent: Ent, major: bool) -> dict[str, Any]:
    """A proposal: warnings and small fines, or (major) large fines, some with a stop order, a
    licence suspension or a confiscation."""
    if not major:
        if rng.random() < 0.15:
            return {"types": ["warning"]}
        return {"types": ["fine"], "fine_yuan": rng.randint(5, 45) * 1000}
    fine = rng.randint(5, 30) * 10_000
    roll = rng.random()
    if roll < 0.15:
        return {"types": ["fine", "stop_order"], "fine_yuan": fine}
    if roll < 0.25 and ent.permit is not None and ent.permit.status == "active":
        days = rng.choice((30, 60, 90))
        return {"types": ["fine", "licence_suspension"], "fine_yuan": fine, "suspension_days": days}
    if roll < 0.3:
        value = rng.randint(5, 15) * 10_000
        return {"types": ["fine", "confiscation"], "fine_yuan": fine, "confiscation_yuan": value}
    return {"types": ["fine"], "fine_yuan": fine}


def random_plan(
    rng: random.Random, ent: Ent, found: tuple[date, tuple[str, str]], refs: dict[str, str]
) -> PenaltyPlan:
    """A case for the violation (text, legal basis) found on site, begun on that date."""
    violation_date, (violation, basis) = found
    major = rng.random() < 0.3
    party = rng.choices(PARTY, (40, 40, 12, 8) if major else (55, 45, 0, 0))[0]
    return PenaltyPlan(
        violation,
        basis,
        violation_date,
        sanction(rng, ent, major),
        refs,
        outcome=rng.choices(("penalty", "no_penalty", "transfer"), (93, 5, 2))[0],
        party=party,
        reduce=party == "hearing" and rng.random() < 0.4,
        returned=major and rng.random() < 0.1,
        preserve=rng.random() < 0.1,
        service=rng.choices(("on_the_spot", "direct", "mail", "late"), (35, 45, 17, 3))[0],
        payment=rng.choices(("on_time", "late", "partial"), (78, 17, 5))[0],
        revoked=rng.random() < 0.01,
    )


def for_accident(w: World, ent: Ent, bureau: Bureau, grade: str, acc: AccidentState) -> Proc:
    """The liable unit's penalty, by the grade of the accident (安全生产法(2014) §109)."""
    rng = child(ent.rng)
    lo, hi = FINES.get(grade, (100, 500))
    plan = PenaltyPlan(
        "对生产安全事故的发生负有责任",
        "安全生产法(2014) §109",
        acc.happened,
        {"types": ["fine"], "fine_yuan": rng.randint(lo, hi) * 10_000},
        {},
        harm=True,
        party=rng.choice(("silent", "statement", "hearing")),
        reduce=rng.random() < 0.3,
        payment=rng.choices(("on_time", "late"), (85, 15))[0],
    )
    yield from penalty_life(w, ent, bureau, plan)


def penalty_life(w: World, ent: Ent, bureau: Bureau, plan: PenaltyPlan) -> Proc:
    rng = child(ent.rng)
    if not ent.open_for(w.now) or not ent.account_ready:
        return
    yield from Case(w, ent, bureau, plan, rng).run()


class Case:
    """One case's officers, clocks and money, mirroring what the aggregate will check."""

    def __init__(
        self, w: World, ent: Ent, bureau: Bureau, plan: PenaltyPlan, rng: random.Random
    ) -> None:
        self.w, self.ent, self.bureau, self.plan, self.rng = w, ent, bureau, plan, rng
        self.id = new_uuid(rng)
        self.team = bureau.team(rng)
        # 法制审核 and hearings by the city (or province) bureau's own reviewer and host, who
        # never investigate
        self.legal, self.host = bureau.legal, bureau.host
        self.due = date.min
        self.extensions = 0
        self.evidence = 0
        self.major = Sanction.parse(plan.proposed, "proposed").major

    def act(self, verb: str, data: dict[str, Any], by: str | None = None) -> None:
        self.w.as_officer(
            self.rng, self.ent, f"penalty.{verb}", self.id, data, by=by or self.team[0]
        )

    def party(self, verb: str, data: dict[str, Any]) -> None:
        self.w.as_ent(self.rng, self.ent, f"penalty.{verb}", self.id, data)

    def number(self, series: str) -> str:
        """A document number of the bureau's series for the year: 武应急罚〔2018〕12号."""
        year = self.w.now.year
        n = self.w.number(f"{series}:{self.bureau.code}:{year}")
        return f"{self.bureau.short}应急{series}〔{year}〕{n}号"

    def run(self) -> Proc:
        w, rng, plan = self.w, self.rng, self.plan
        found = max(plan.violation_date, day_of(w.now) - timedelta(days=3))
        filing = {
            "enterprise": self.ent.uscc,
            "case_no": self.number("立"),
            "violation": plan.violation,
            "basis": plan.basis,
            "violation_date": plan.violation_date.isoformat(),
            "discovered_on": found.isoformat(),
            "harm_to_life_or_health": plan.harm,
            **plan.refs,
        }
        self.act("file", filing)
        self.due = last_day(w.now, 90)
        yield office_after(rng, w.now, DAY, 8 * DAY)
        self.investigate()
        if plan.preserve:
            yield from self.preserve()
        yield office_after(rng, w.now, 3 * DAY, 12 * DAY)
        if plan.outcome != "penalty":
            yield from self.drop()
            return
        yield from self.review()
        yield office_after(rng, w.now, DAY, 5 * DAY)
        rights = [*RIGHTS, "hearing"] if self.major else RIGHTS
        notice = {
            "facts": f"经查, 该单位{plan.violation}",
            "basis": plan.basis,
            "proposed": plan.proposed,
            "rights": rights,
        }
        self.act("notify", notice)
        if self.major:
            self.keep_in_time(day_of(w.now) + timedelta(days=40))
        yield from self.respond()
        decided = _lighter(plan.proposed) if plan.reduce else plan.proposed
        decision = {
            "decision_no": self.number("罚"),
            "outcome": "penalty",
            "penalty": decided,
            "reasons": "事实清楚, 证据确凿, 程序合法",
        }
        self.act("decide", decision)
        yield from self.serve()
        yield from self.execute(decided)

    def drop(self) -> Proc:
        dropped = self.plan.outcome == "no_penalty"
        opinion = "违法事实不能成立, 不予处罚" if dropped else "涉嫌犯罪, 移送司法机关"
        self.act("review", {"conclusion": self.plan.outcome, "opinion": opinion})
        yield office_after(self.rng, self.w.now, 2 * DAY, 10 * DAY)
        self.act("close", {"summary": "案件审查后终结"})

    def investigate(self) -> None:
        n = self.rng.randint(1, 4)
        kinds = ("现场检查笔录", "询问笔录", "现场照片", "视频资料")
        evidence = [
            {"ref": f"E-{self.evidence + i}", "sha256": hex64(self.rng), "description": kind}
            for i, kind in enumerate(self.rng.sample(kinds, n), start=1)
        ]
        self.evidence += n
        facts = {"officers": self.team, "facts": f"现场核实: {self.plan.violation}"}
        self.act("investigate", {**facts, "evidence": evidence})

    def preserve(self) -> Proc:
        w, rng = self.w, self.rng
        yield office_after(rng, w.now, 30 * MINUTE, 2 * DAY)
        item = {
            "item": "P-1",
            "description": "涉案设备及台账先行登记保存",
            "approved_by": f"{self.bureau.name}负责人",
        }
        self.act("preserve_evidence", item)
        if rng.random() < 0.1:  # decided late: recorded, and a breach of §56
            yield office_time(rng, add_workdays(day_of(w.now), rng.randint(8, 12)))
        else:
            yield office_within(rng, w.now, last_day(w.now, 7, working=True), MINUTE)
        disposition = rng.choice(("release", "examine"))
        self.act("decide_preserved", {"item": "P-1", "disposition": disposition})

    def review(self) -> Proc:
        w, rng = self.w, self.rng
        conclusion = {
            "conclusion": "penalty",
            "opinion": "事实清楚, 证据充分, 建议给予行政处罚",
            "proposed": self.plan.proposed,
        }
        self.act("review", conclusion)
        if not self.major:
            return
        for returned in (self.plan.returned, False):
            yield office_after(rng, w.now, 2 * DAY, 6 * DAY)
            if not returned:
                approved = {"opinion": "approved", "comments": "主体适格, 事实清楚, 适用依据正确"}
                self.act("legal_review", approved, by=self.legal)
                return
            back = {"opinion": "returned", "comments": "证据不足, 退回补充调查"}
            self.act("legal_review", back, by=self.legal)
            yield office_after(rng, w.now, 3 * DAY, 8 * DAY)
            self.investigate()
            yield office_after(rng, w.now, 2 * DAY, 5 * DAY)
            self.act("review", conclusion)

    def respond(self) -> Proc:
        """The party's statement, hearing or silence, then the wait before deciding."""
        w, rng, party = self.w, self.rng, self.plan.party
        request_due = last_day(w.now, 5, working=True)
        if party == "hearing" and self.major:
            yield from self.hearing(request_due)
            return
        if party in ("statement", "waive"):
            yield office_within(rng, w.now, add_workdays(day_of(w.now), 3), 2 * MINUTE)
            statement: dict[str, Any] = {"statement": "对违法事实无异议, 已立即整改, 请求从轻处罚"}
            if party == "waive" and self.major:
                statement["waives_hearing"] = True
            self.party("state_defence", statement)
            if party == "waive" or not self.major:
                yield office_after(rng, w.now, DAY, 5 * DAY)
                return
        if self.major:  # no decision while the party may still ask for a hearing
            self.keep_in_time(request_due + timedelta(days=8))
            yield office_time(rng, request_due + timedelta(days=rng.randint(1, 5)))
        else:
            yield office_after(rng, w.now, 2 * DAY, 8 * DAY)

    def hearing(self, request_due: date) -> Proc:
        w, rng = self.w, self.rng
        yield office_within(rng, w.now, request_due, DAY)
        self.party("request_hearing", {"note": "对拟处罚款数额有异议, 要求听证"})
        yield office_after(rng, w.now, DAY, 3 * DAY)
        day = add_workdays(add_workdays(day_of(w.now), 7), rng.randint(0, 4))
        self.keep_in_time(day + timedelta(days=12))
        hearing_at = at(day, OFFICE_OPEN + 30)
        notice = {
            "hearing_at": hearing_at.isoformat(),
            "place": f"{self.bureau.name}听证室",
            "host": self.host,
        }
        self.act("schedule_hearing", notice)
        yield hearing_at + rng.randint(0, 30) * MINUTE
        outcome = rng.choices(("held", "party_absent"), (85, 15))[0]
        record = {"outcome": outcome, "transcript_sha256": hex64(rng)}
        self.act("hold_hearing", record, by=self.host)
        yield office_after(rng, w.now, 2 * DAY, 8 * DAY)

    def keep_in_time(self, decision_by: date) -> None:
        """Extend the 90 days (approved before they lapse) when the decision will need it."""
        while decision_by > self.due and day_of(self.w.now) <= self.due and self.extensions < 3:
            extension = {
                "days": 30,
                "approved_by": f"{self.bureau.name}负责人",
                "reason": "案情复杂, 听证程序尚未终结",
            }
            self.act("extend", extension)
            self.due += timedelta(days=30)
            self.extensions += 1

    def serve(self) -> Proc:
        w, rng, how = self.w, self.rng, self.plan.service
        decided = w.now
        if how == "on_the_spot" and decided.hour < 17:
            yield w.now + rng.randint(5, 40) * MINUTE
        elif how == "late":  # recorded, and a breach of §61
            yield office_time(rng, add_workdays(day_of(decided), rng.randint(8, 12)))
        else:
            yield office_within(rng, w.now, last_day(decided, 7, working=True), 2 * MINUTE)
        method = how if how in ("on_the_spot", "mail") else "direct"
        if method == "on_the_spot" and day_of(w.now) != day_of(decided):
            method = "direct"
        receipt = f"SD-{w.now.year}-{w.number('service'):05d}"
        self.act("serve", {"method": method, "receipt": receipt})

    def execute(self, decided: dict[str, Any]) -> Proc:
        w, rng = self.w, self.rng
        served, fine_fen = w.now, decided.get("fine_yuan", 0) * 100
        published = rng.random() < 0.9
        if published:
            yield office_after(rng, w.now, 2 * MINUTE, 5 * DAY)
            self.act("publish", {"url": f"https://yjt.hubei.gov.cn/xzcf/{self.id.hex[:12]}"})
        if fine_fen:
            yield from self.pay(fine_fen, last_day(served, PAYMENT_DAYS))
        pending = [t for t in decided["types"] if t in TO_EXECUTE]
        if pending:
            yield office_after(rng, w.now, 3 * DAY, 15 * DAY)
            self.act("execute", {"carried_out": pending, "note": "当事人已履行, 执法人员现场核查"})
            if {"stop_order", "licence_suspension"} & set(pending):
                holder = f"penalty:{self.id}"
                reason = "行政处罚: 暂扣许可证或责令停产停业"
                permits.suspend(
                    w, rng, self.ent, holder, reason=reason, ref=f"PEN-{self.id.hex[:8]}"
                )
                days = decided.get("suspension_days", rng.randint(30, 60))
                lift = _lift(w, self.ent, holder, child(rng))
                w.sim.start(lift, w.now + timedelta(days=days))
        yield office_after(rng, w.now, 3 * DAY, 20 * DAY)
        self.act("close", {"summary": "处罚决定已执行完毕, 予以结案"})
        if self.plan.revoked:
            yield from self.revoke(published)

    def pay(self, fine_fen: int, due: date) -> Proc:
        """On time, late (the fine plus 3% of it a day, at most the fine again), or half on time
        and the rest late — the late fee runs on the whole fine until it is settled (§72)."""
        w, rng, how = self.w, self.rng, self.plan.payment
        paid = 0
        if how in ("on_time", "partial"):
            yield office_within(rng, w.now, due, 2 * MINUTE)
            paid = fine_fen if how == "on_time" else fine_fen // 200 * 100
            self.act("pay", {"amount_fen": paid, "receipt": f"BANK-{w.number('receipt'):07d}"})
            if how == "on_time":
                return
        yield office_time(rng, due + timedelta(days=rng.randint(1, 40)))
        fee = late_fee_fen(fine_fen, due, local_date(w.now))
        rest = fine_fen + fee - paid
        self.act("pay", {"amount_fen": rest, "receipt": f"BANK-{w.number('receipt'):07d}"})

    def revoke(self, published: bool) -> Proc:
        w, rng = self.w, self.rng
        yield office_after(rng, w.now, 20 * DAY, 60 * DAY)
        self.act("revoke", {"by": "reconsideration", "reason": "行政复议决定撤销原处罚决定"})
        if published:
            yield office_within(rng, w.now, last_day(w.now, 3, working=True), 2 * MINUTE)
            self.act("withdraw_publication", {"explanation": "处罚决定已被撤销, 撤回公开信息"})
        yield office_after(rng, w.now, DAY, 5 * DAY)
        self.act("close", {"summary": "原处罚决定被撤销, 结案"})


def _lift(w: World, ent: Ent, holder: str, rng: random.Random) -> Proc:
    """When the suspension or stop order has run its time."""
    permits.reinstate(w, rng, ent, holder)
    yield from ()


def _lighter(proposed: dict[str, Any]) -> dict[str, Any]:
    """After the hearing: the same penalty with a fine a quarter lower (never heavier)."""
    out = dict(proposed)
    if "fine_yuan" in out:
        out["fine_yuan"] = max(1000, out["fine_yuan"] * 3 // 4 // 1000 * 1000)
    return out
