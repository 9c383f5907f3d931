"""`anjian todo`: the to-do list (待办) of a jurisdiction or of one enterprise
(projections.todo), each row with its legal clock and the event id `anjian show` opens."""

from __future__ import annotations

from typing import Annotated

import typer

from ops.cli import arguments
from ops.cli.arguments import AtOpt, JsonOpt, RegionOpt, StaleOpt
from ops.cli.context import fresh, platform
from ops.cli.output import emit_json, out
from projections.todo import LISTS, PARTIES, Todo, TodoItem, todo
from services.provenance import provenance

__all__ = ["render_items", "render_todo", "todo_command"]


def _clock(item: TodoItem) -> str:
    if item.days_left < 0:
        return f"逾期 {-item.days_left} 天"
    if item.days_left == 0:
        return "今日到期"
    return f"剩 {item.days_left} 天"


def render_todo(t: Todo) -> list[str]:
    """The heading line of a to-do list, in Chinese."""
    whose = f"企业 {t.enterprise} " if t.enterprise else ""
    counts = "，".join(f"{LISTS[k]} {n}" for k, n in t.counts().items()) or "无"
    overdue = sum(1 for i in t.items if i.overdue)
    return [
        f"【{t.name}（{t.jurisdiction}）{whose}待办】 截至 {t.at}，"
        f"{t.within_days} 日内到期及已逾期：{counts}；其中已逾期 {overdue} 项"
    ]


def render_items(t: Todo) -> list[str]:
    """One line per row: due date and clock, list, company, record, step and who takes it, the
    rule, and the event id (`anjian show`)."""
    return [
        f"{i.due} {_clock(i)}｜{LISTS[i.list]}｜{i.enterprise_name or '?'} {i.enterprise}｜"
        f"{i.label}｜{i.step}（{PARTIES[i.party]}）｜{i.rule}｜{i.event_id}"
        for i in t.items
    ]


def todo_command(
    *,
    region: RegionOpt = "420000",
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="USCC: the list of one enterprise")
    ] = None,
    within: Annotated[
        int, typer.Option("--within", min=0, max=3660, help="days ahead to list what falls due")
    ] = 30,
    at: AtOpt = "",
    stale: StaleOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """The to-do list (待办): overdue and due hazards, re-checks, penalty steps, expiring
    permits and certificates and reviews (复审), unacknowledged alarms and open accident
    clocks of a jurisdiction, or of one enterprise; each row names the event behind it."""
    jurisdiction, when = arguments.region(region), arguments.instant(at)
    uscc = arguments.uscc(enterprise) if enterprise is not None else None
    with (
        platform() as p,
        fresh(p, not stale, when if at else None) as rm,
        rm.engine.connect() as conn,
    ):
        t = todo(conn, jurisdiction, when, within, uscc)
        zone = p.settings.zone
        reflects = provenance(rm, p.ledger)
    if as_json:
        emit_json({**t.to_json(zone), "reflects": reflects.to_json()})
        return
    for line in render_todo(t):
        out.print(line, soft_wrap=True, markup=False)
    for line in render_items(t):
        out.print(line, soft_wrap=True, markup=False)
    out.print(reflects.line(), soft_wrap=True, markup=False)
