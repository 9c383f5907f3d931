"""To-do lists (待办): what is due, per jurisdiction or per enterprise, with its legal clock.

One row per step somebody must take, read from the read models on the day asked about (China
Standard Time): the record, the company (name and USCC), the step due and who must take it,
the clock (due date, days left — negative when overdue — and the rule that sets it) and the
event id behind the row (`<subject>:<version>`, the record's latest event, which `anjian show`
opens and the ledger proves). The lists:

- hazard: hazards whose rectification deadline falls within the window or has passed;
- recheck: hazards awaiting the regulator's on-site re-check (10 days from the request);
- penalty: penalty cases whose next statutory step (decision, service, payment, withdrawal)
  falls due within the window or is overdue;
- permit / certificate: permits and certificates expiring within the window or lapsed, and
  certificate reviews (复审) due within the window or missed;
- alarm: alarms raised and not yet acknowledged (to be acknowledged at once);
- accident: accidents whose casualty-update period (30 days) or investigation period (60
  days, plus its extension) is running.

An enterprise's own list is the same rows restricted to its USCC: what it must rectify, renew
or review, and by when (the rows it waits on the regulator for say so in `party`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, or_, select

from domain.accident import INVESTIGATION_RULE, UPDATE_RULE, UPDATES_WITHIN
from domain.catalog import KIND_NAMES
from domain.certificate import REVIEW_APPLY_RULE, VALIDITY_RULE
from domain.clocks import local_date
from domain.hazard import GRADES, ORDER, RECTIFYING
from domain.hazard import RULE as HAZARD_RULE
from domain.permit import CANCEL_RULE, RENEWAL_RULE
from domain.regions import region_name, validate_region
from domain.sensor import ALARM_RULE, LEVELS
from domain.uscc import validate_uscc
from projections.accidents import accidents
from projections.alarms import alarms
from projections.enterprises import enterprises
from projections.hazards import hazards
from projections.licences import HOLDING, licences
from projections.penalties import CLOCK_NAMES, penalties
from projections.store import within
from projections.timeline import timeline

__all__ = ["LISTS", "Todo", "TodoItem", "todo"]

# Each list, in the order a to-do shows them.
LISTS = {
    "hazard": "隐患整改",
    "recheck": "隐患复查",
    "penalty": "行政处罚",
    "permit": KIND_NAMES["permit"],
    "certificate": KIND_NAMES["certificate"],
    "alarm": "监测报警",
    "accident": "生产安全事故",
}
PARTIES = {"regulator": "监管部门", "enterprise": "企业"}
PENALTY_LAW = "行政处罚法"
CLOCK_RULES = {
    "decision": f"{PENALTY_LAW} §60 (立案之日起90日内作出决定, 可延长)",
    "service": f"{PENALTY_LAW} §61 (决定后7个工作日内送达)",
    "payment": f"{PENALTY_LAW} §67 (收到决定书之日起15日内缴纳罚款)",
    "withdrawal": f"{PENALTY_LAW} §48 (撤销后3个工作日内撤回公示)",
}
CLOCK_PARTY = {"payment": "enterprise"}
RECHECK_RULE = f"{ORDER} §18 (收到申请后10日内现场审查)"


@dataclass(frozen=True)
class TodoItem:
    list: str  # a key of LISTS
    record: str  # the record's subject (uuid)
    label: str  # what the record is, in words: grade and description, case or licence number
    enterprise: str  # USCC
    enterprise_name: str | None
    region: str
    step: str  # the step due, in Chinese
    party: str  # who must take it: regulator | enterprise
    due: date  # the last day for the step
    days_left: int  # days from the day asked about to `due`; negative: overdue by that many
    rule: str  # the rule that sets the clock
    event_id: str  # the record's latest event, `<subject>:<version>` (anjian show)

    @property
    def overdue(self) -> bool:
        return self.days_left < 0

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "list": self.list,
            "list_zh": LISTS[self.list],
            "record": self.record,
            "label": self.label,
            "enterprise": self.enterprise,
            "enterprise_name": self.enterprise_name,
            "region": self.region,
            "step": self.step,
            "party": self.party,
            "due": self.due.isoformat(),
            "days_left": self.days_left,
            "overdue": self.overdue,
            "rule": self.rule,
            "event_id": self.event_id,
        }


@dataclass(frozen=True)
class Todo:
    jurisdiction: str
    name: str
    at: date  # the day asked about (CST)
    within_days: int
    enterprise: str | None
    items: tuple[TodoItem, ...]

    def counts(self) -> dict[str, int]:
        """Rows per list, in the order of LISTS (lists without rows left out)."""
        found: dict[str, int] = {}
        for item in self.items:
            found[item.list] = found.get(item.list, 0) + 1
        return {k: found[k] for k in LISTS if k in found}

    def to_json(self, zone: tzinfo) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction,
            "name": self.name,
            "at": self.at.isoformat(),
            "within_days": self.within_days,
            "enterprise": self.enterprise,
            "counts": self.counts(),
            "overdue": sum(1 for i in self.items if i.overdue),
            "items": [i.to_json(zone) for i in self.items],
        }


def todo(
    conn: Connection,
    jurisdiction: str,
    at: datetime,
    within_days: int = 30,
    enterprise: str | None = None,
) -> Todo:
    """Every step due within `within_days` of the day of `at` (CST) or overdue, in the
    jurisdiction (and of one enterprise when given), most overdue first."""
    validate_region(jurisdiction, field="jurisdiction")
    if enterprise is not None:
        validate_uscc(enterprise, field="enterprise")
    if within_days < 0:
        raise ValueError(f"within_days must be 0 or more, not {within_days}")
    today = local_date(at)
    ask = _Ask(conn, jurisdiction, enterprise, today, today + timedelta(days=within_days))
    items = [
        *_hazards(ask),
        *_penalties(ask),
        *_licences(ask),
        *_alarms(ask),
        *_accidents(ask),
    ]
    order = list(LISTS)
    items.sort(key=lambda i: (i.due, order.index(i.list), i.enterprise, i.record, i.step))
    return Todo(
        jurisdiction, region_name(jurisdiction), today, within_days, enterprise, tuple(items)
    )


@dataclass(frozen=True)
class _Ask:
    conn: Connection
    jurisdiction: str
    enterprise: str | None
    today: date
    until: date

    def rows(self, table: Table, *where: ColumnElement[bool]) -> Iterable[Any]:
        """Rows of `table` in the jurisdiction (of the enterprise) matching `where`, each with
        its company's name (`_name`) and the version of its latest event (`_version`)."""
        q = (
            select(table, enterprises.c.name.label("_name"), timeline.c.version.label("_version"))
            .select_from(
                table.outerjoin(enterprises, enterprises.c.uscc == table.c.enterprise).outerjoin(
                    timeline, timeline.c.notification_id == table.c.last_notification_id
                )
            )
            .where(within(table.c.region, self.jurisdiction), *where)
        )
        if self.enterprise is not None:
            q = q.where(table.c.enterprise == self.enterprise)
        return (r._mapping for r in self.conn.execute(q))

    def item(
        self, list_: str, m: Any, label: str, *, step: str, party: str, due: date, rule: str
    ) -> TodoItem:
        version = m["_version"]
        return TodoItem(
            list_,
            m["subject"],
            label,
            m["enterprise"],
            m["_name"],
            m["region"],
            step,
            party,
            due,
            (due - self.today).days,
            rule,
            f"{m['subject']}:{version}" if version is not None else "",
        )


def _hazard_label(m: Any) -> str:
    grade = GRADES.get(m["grade"], m["grade"])
    return f"{grade}：{m['description']}" if m["description"] else grade


def _hazards(ask: _Ask) -> Iterable[TodoItem]:
    """Rectification due or overdue (the enterprise's), and re-checks pending (the regulator's)."""
    c = hazards.c
    rectifying = (c.status.in_(RECTIFYING), c.deadline.is_not(None), c.deadline <= ask.until)
    rechecks = (c.status == "recheck_requested", c.recheck_due.is_not(None))
    lists = (
        ("hazard", rectifying, "完成隐患整改", "enterprise", "deadline", HAZARD_RULE),
        ("recheck", rechecks, "现场复查", "regulator", "recheck_due", RECHECK_RULE),
    )
    for list_, where, step, party, due, rule in lists:
        for m in ask.rows(hazards, *where):
            label = _hazard_label(m)
            yield ask.item(list_, m, label, step=step, party=party, due=m[due], rule=rule)


def _penalties(ask: _Ask) -> Iterable[TodoItem]:
    for m in ask.rows(
        penalties, penalties.c.clock.is_not(None), penalties.c.clock_due <= ask.until
    ):
        clock = m["clock"]
        label = f"案件 {m['case_no']}"
        if m["decision_no"]:
            label += f"（决定书 {m['decision_no']}）"
        yield ask.item(
            "penalty",
            m,
            label,
            step=CLOCK_NAMES[clock],
            party=CLOCK_PARTY.get(clock, "regulator"),
            due=m["clock_due"],
            rule=CLOCK_RULES[clock],
        )


def _licences(ask: _Ask) -> Iterable[TodoItem]:
    expiring = licences.c.expires_on <= ask.until
    review = (licences.c.kind == "certificate") & (licences.c.review_due <= ask.until)
    for m in ask.rows(licences, licences.c.status.in_(HOLDING), or_(expiring, review)):
        kind, pending = m["kind"], m["renewal_pending"]
        label = f"{KIND_NAMES[kind]} {m['number'] or ''}".strip()
        expires, review_due = m["expires_on"], m["review_due"]
        if expires is not None and expires <= ask.until:
            if expires <= ask.today:  # a term is [start, expires_on): lapsed on its expiry day
                step, party, rule = "期满未延续，依法注销", "regulator", CANCEL_RULE
            elif pending:
                step, party = ("作出延续决定" if kind == "permit" else "作出复审结论"), "regulator"
                rule = RENEWAL_RULE if kind == "permit" else VALIDITY_RULE
            else:
                step, party = ("申请延续" if kind == "permit" else "申请复审换证"), "enterprise"
                rule = RENEWAL_RULE if kind == "permit" else VALIDITY_RULE
            yield ask.item(kind, m, label, step=step, party=party, due=expires, rule=rule)
        elif kind == "certificate" and review_due is not None and review_due <= ask.until:
            step, party = ("作出复审结论", "regulator") if pending else ("申请复审", "enterprise")
            yield ask.item(
                kind, m, label, step=step, party=party, due=review_due, rule=REVIEW_APPLY_RULE
            )


def _alarms(ask: _Ask) -> Iterable[TodoItem]:
    for m in ask.rows(alarms, alarms.c.status == "raised"):
        label = f"{LEVELS.get(m['level'], m['level'])} 设备 {m['device']} 读数 {m['value']:g}"
        raised = local_date(m["raised_at"].replace(tzinfo=UTC))
        yield ask.item(
            "alarm",
            m,
            label,
            step="确认报警",
            party="enterprise",
            due=raised,
            rule=ALARM_RULE,
        )


def _accidents(ask: _Ask) -> Iterable[TodoItem]:
    for m in ask.rows(accidents, accidents.c.status.in_(("reported", "investigating"))):
        label = f"事故 {m['kind']}（死亡 {m['deaths']} 人）"
        updates_until = local_date((m["happened_at"] + UPDATES_WITHIN).replace(tzinfo=UTC))
        if updates_until >= ask.today:
            yield ask.item(
                "accident",
                m,
                label,
                step="伤亡人数变化补报",
                party="enterprise",
                due=updates_until,
                rule=UPDATE_RULE,
            )
        due = m["investigation_due"]
        if due is not None:
            step = "组织事故调查" if m["status"] == "reported" else "提交事故调查报告"
            yield ask.item(
                "accident", m, label, step=step, party="regulator", due=due, rule=INVESTIGATION_RULE
            )
