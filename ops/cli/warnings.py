"""`anjian warnings`, `anjian risk-map` and `anjian worker`: the warning module (风险预警).

warnings [--region] [--level] [--open] [--json]   the warnings of a jurisdiction
warnings rules [--json]                           the rulebook and its version
risk-map --region CODE [--enterprises] [--json]   colour counts per prefecture or county
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from domain.regions import region_name
from domain.warning import LEVEL_ZH, LEVELS
from domain.warning_rules import default_rulebook
from ops.cli import arguments
from ops.cli.arguments import JsonOpt, RegionOpt
from ops.cli.context import fresh, platform
from ops.cli.output import emit_json, fail, out, text_table, utc_local_time
from projections.results import instant
from projections.risk_map import COLOUR_ZH, COLOURS, colour_counts, enterprise_colours
from projections.warnings import list_warnings

__all__ = ["risk_map", "warnings_app"]

warnings_app = typer.Typer(help="Risk warnings (风险预警) and their rulebook.")
STATUS_ZH = {"issued": "已发布", "acknowledged": "已签收", "disposed": "已处置", "lifted": "已解除"}


@warnings_app.callback(invoke_without_command=True)
def warnings(
    ctx: typer.Context,
    region: RegionOpt = "420000",
    level: Annotated[
        str | None, typer.Option("--level", help="blue, yellow, orange or red")
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="only warnings not lifted")] = False,
    as_json: JsonOpt = False,
) -> None:
    """The risk warnings of a jurisdiction, newest first: level, rule, state and the events
    that triggered each (every one an event id for `anjian show`)."""
    if ctx.invoked_subcommand is not None:
        return
    jurisdiction = arguments.region(region)
    if level is not None and level not in LEVELS:
        fail("InvalidValue", f"--level must be one of {', '.join(LEVELS)}, got {level!r}")
    with platform() as p, fresh(p) as rm, rm.engine.connect() as conn:
        rows = list_warnings(conn, jurisdiction, level=level, open_only=open_only)
        zone = p.settings.zone
    if as_json:
        emit_json(
            [
                {
                    "id": w.subject,
                    "event_id": w.event_id,
                    "rule": w.rule,
                    "rulebook_version": w.rulebook_version,
                    "level": w.level,
                    "status": w.status,
                    "enterprise": w.enterprise,
                    "region": w.region,
                    "addressee": w.addressee,
                    "triggers": list(w.triggers),
                    "message": w.message,
                    "issued_at": instant(w.issued_at, zone),
                    "escalations": w.escalations,
                    "lifted_at": instant(w.lifted_at, zone),
                }
                for w in rows
            ]
        )
        return
    out.print(
        text_table(
            f"{region_name(jurisdiction)} 风险预警 ({len(rows)})",
            ("发布时间", "等级", "状态", "规则", "企业/地区", "内容", "触发事件"),
            (
                (
                    utc_local_time(w.issued_at, zone),
                    LEVEL_ZH[w.level],
                    STATUS_ZH.get(w.status, w.status),
                    f"{w.rule}@{w.rulebook_version}",
                    w.enterprise or region_name(w.region),
                    w.message,
                    "\n".join(w.triggers),
                )
                for w in rows
            ),
        )
    )


@warnings_app.command("rules")
def rules(as_json: JsonOpt = False) -> None:
    """The warning rulebook in force: each rule, its levels, basis and lifting condition."""
    book = default_rulebook()
    if as_json:
        emit_json(book.describe())
        return
    out.print(
        f"{book.title} · 版本 {book.version} · 自 {book.effective_from.isoformat()} 起施行 · "
        f"企业签收时限 {book.acknowledge_minutes} 分钟"
    )
    out.print(f"依据：{book.source}")
    out.print(
        text_table(
            f"预警规则 ({len(book.rules)})",
            ("规则", "名称", "参数", "解除条件", "依据"),
            (
                (
                    f"{r.id}@{book.version}",
                    f"{r.zh}\n{r.en}",
                    "\n".join(
                        f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in r.params.items()
                    ),
                    r.lift_zh,
                    r.basis,
                )
                for r in book.rules
            ),
        )
    )


def risk_map(
    region: Annotated[
        str, typer.Option("--region", help="GB/T 2260 code: province, prefecture or county")
    ],
    enterprises: Annotated[
        bool, typer.Option("--enterprises", help="each enterprise with its score and why")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """The four-colour risk map (安全风险四色分布图): enterprises by colour per prefecture (for
    the province) or per county (for a prefecture), by the versioned formula of
    projections/rulebooks/riskmap-v1.json."""
    code = arguments.region(region)
    with platform() as p, fresh(p) as rm, rm.engine.connect() as conn:
        areas = colour_counts(conn, code)
        each = enterprise_colours(conn, code) if enterprises or as_json else []
    if as_json:
        emit_json(
            {
                "region": code,
                "areas": [
                    {"code": a.code, "name": a.name, "counts": a.counts, "total": a.total}
                    for a in areas
                ],
                "enterprises": each,
            }
        )
        return
    out.print(
        text_table(
            f"{region_name(code)} 安全风险四色分布 (企业数)",
            ("地区", *(COLOUR_ZH[c] for c in COLOURS), "合计"),
            (
                (f"{a.name} {a.code}", *(str(a.counts[c]) for c in COLOURS), str(a.total))
                for a in areas
            ),
        )
    )
    if enterprises:
        out.print(
            text_table(
                "企业风险等级",
                ("企业", "地区", "分值", "颜色", "构成"),
                (
                    (
                        f"{e['name']} {e['uscc']}",
                        e["region"],
                        str(e["score"]),
                        COLOUR_ZH[e["colour"]],
                        "；".join(f"{x['saw']} +{x['points']}" for x in e["explain"]),
                    )
                    for e in each
                ),
            )
        )
