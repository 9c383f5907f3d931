"""`anjian dashboard`: a readable summary of one jurisdiction, in plain Chinese text."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import typer

from domain.accident import GRADES as ACCIDENT_GRADES
from domain.catalog import KIND_NAMES
from domain.enterprise import INDUSTRIES
from domain.hazard import GRADES as HAZARD_GRADES
from ops.cli import arguments
from ops.cli.arguments import AtOpt, JsonOpt, RegionOpt, StaleOpt
from ops.cli.context import fresh, platform
from ops.cli.output import emit_json, out
from projections.dashboard import Dashboard, summarise
from projections.penalties import CLOCK_NAMES
from services.provenance import provenance

__all__ = ["dashboard", "render_dashboard"]


def _counts(d: dict[str, int], names: Mapping[str, str] | None = None) -> str:
    if not d:
        return "无"
    return "，".join(f"{(names or {}).get(k, k)} {v}" for k, v in d.items())


def render_dashboard(d: Dashboard) -> list[str]:
    """The dashboard as lines of plain Chinese text."""
    active = d.enterprises.get("active", 0)
    return [
        f"【{d.name}（{d.jurisdiction}）安全生产监管概况】 截至 {d.at}",
        f"一、生产经营单位：在册 {active} 家"
        + (
            f"（已注销 {d.enterprises['deregistered']} 家）"
            if d.enterprises.get("deregistered")
            else ""
        )
        + (f"；行业分布：{_counts(d.industries, INDUSTRIES)}" if d.industries else ""),
        f"二、事故隐患：未销号 {_counts(d.hazards_open, HAZARD_GRADES)}；"
        f"逾期未整改 {_counts(d.hazards_overdue, HAZARD_GRADES)}；"
        f"挂牌督办重大隐患 {d.majors_supervised} 项",
        f"三、行政处罚：各环节案件 {_counts(d.penalty_steps)}；"
        f"法定时限已逾期 {_counts(d.clocks_overdue, CLOCK_NAMES)}；"
        f"7日内到期 {_counts(d.clocks_due_soon, CLOCK_NAMES)}",
        f"四、许可与证书：90日内到期 {_counts(d.licences_expiring, KIND_NAMES)}；"
        f"已过期或逾期未复审 {_counts(d.licences_lapsed, KIND_NAMES)}",
        f"五、在线监测：未消除报警 {_counts(d.alarms_active)}（其中未确认 "
        f"{d.alarms_unacknowledged} 起）",
        f"六、生产安全事故（近12个月）：{_counts(d.accidents_12m, ACCIDENT_GRADES)}；"
        f"死亡 {d.deaths_12m} 人",
        (
            f"七、信用等级（规则 {d.rulebook}）：{_counts(dict(sorted(d.credit_grades.items())))}；"
            f"严重失信主体名单候选 {len(d.dishonesty_candidates)} 家"
            + (f"：{'、'.join(d.dishonesty_candidates[:10])}" if d.dishonesty_candidates else "")
            if d.rulebook
            else f"七、信用等级：{d.at} 无生效的信用评定规则，不评定"
        ),
    ]


def dashboard(
    region: RegionOpt = "420000",
    at: AtOpt = "",
    rulebook: Annotated[
        str | None, typer.Option("--rulebook", help="rulebook version (default: in force)")
    ] = None,
    stale: StaleOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """A readable summary of one jurisdiction: enterprises, hazards, penalties and their clocks,
    licences, alarms, accidents and credit."""
    jurisdiction, when = arguments.region(region), arguments.instant(at)
    book = arguments.rulebook(when, rulebook) if rulebook else arguments.rulebook_in_force(when)
    with (
        platform() as p,
        fresh(p, not stale, when if at else None) as rm,
        rm.engine.connect() as conn,
    ):
        d = summarise(conn, jurisdiction, when, book)
        lag = rm.follower.lag()
        zone = p.settings.zone
        reflects = provenance(rm, p.ledger)
    if as_json:
        emit_json({**d.to_json(zone), "lag": lag, "reflects": reflects.to_json()})
        return
    for line in render_dashboard(d):
        out.print(line, soft_wrap=True, markup=False)
    if at:
        out.print(
            f"（--at {d.at}：按该日重建——仅计该日及以前发生的记录，状态、数量、等级与法定时限"
            "均为该日的情形 as it stood then: rebuilt from the records that occurred by that day）",
            soft_wrap=True,
            markup=False,
        )
    if lag:
        out.print(f"（读模型滞后 {lag} 条记录）")
    out.print(reflects.line(), soft_wrap=True, markup=False)
