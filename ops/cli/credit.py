"""`anjian credit`: credit grades from the versioned rulebook, with the rules and the events
behind every point and every move."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Annotated

import typer
from rich.markup import escape
from sqlalchemy import Connection

from domain.regions import region_name
from ops.cli import arguments
from ops.cli.arguments import AtOpt, JsonOpt, RegionOpt, StaleOpt
from ops.cli.context import fresh, platform
from ops.cli.output import emit_json, fail, out, text_table
from projections import credit as credit_views
from projections.rulebook import Rulebook

__all__ = ["credit"]


def credit(
    *,
    enterprise: Annotated[
        str | None, typer.Option("--enterprise", help="USCC of one enterprise")
    ] = None,
    rulebook: Annotated[
        str | None, typer.Option("--rulebook", help="rulebook version (default: in force)")
    ] = None,
    compare: Annotated[
        str | None, typer.Option("--compare", help="another rulebook version to compare with")
    ] = None,
    region: RegionOpt = "420000",
    at: AtOpt = "",
    stale: StaleOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Credit grades (A/B/C/D) with the rule and the events behind every point and grade."""
    jurisdiction, when = arguments.region(region), arguments.instant(at)
    book = arguments.rulebook(when, rulebook)
    if enterprise is not None:
        arguments.uscc(enterprise)
    with (
        platform() as p,
        fresh(p, not stale, when if at else None) as rm,
        rm.engine.connect() as conn,
    ):
        zone = p.settings.zone
        if compare is not None:
            _compare(
                conn,
                [book, arguments.rulebook(when, compare)],
                jurisdiction,
                when,
                as_json=as_json,
                zone=zone,
            )
        elif enterprise is not None:
            _one_rating(conn, book, enterprise, jurisdiction, when=when, as_json=as_json, zone=zone)
        else:
            _all_ratings(conn, book, jurisdiction, when, as_json=as_json, zone=zone)


def _one_rating(
    conn: Connection,
    book: Rulebook,
    uscc: str,
    jurisdiction: str,
    *,
    when: datetime,
    as_json: bool,
    zone: tzinfo,
) -> None:
    r = credit_views.rating(conn, book, uscc, jurisdiction, when)
    if r is None:
        fail("NotFound", f"no rating of {uscc} in {jurisdiction} ({region_name(jurisdiction)})")
    moves = credit_views.history(conn, book, uscc, jurisdiction)
    if as_json:
        emit_json({**r.to_json(zone), "history": [m.to_json(zone) for m in moves]})
        return
    out.print(f"[bold]{escape(r.name)}[/] {r.uscc}  {r.region} {region_name(r.region)}")
    out.print(
        f"信用等级 grade [bold]{r.grade}[/]  得分 score {r.score:g}  "
        f"规则 rulebook {book.version} ({book.title})"
    )
    out.print(
        text_table(
            "依据 why",
            ("规则 rule", "名称", "影响 effect", "事件 events (anjian show ID)"),
            ((a.rule, a.name, a.effect, "\n".join(a.events)) for a in r.applied),
        )
    )
    for c in r.candidate:
        out.print(
            f"[bold red]严重失信主体名单候选[/] {c.rule} {escape(c.name)}: {', '.join(c.events)}"
        )
    out.print(
        text_table(
            "等级变化 history",
            ("时间 (UTC)", "原因", "规则", "分数", "等级", "事件"),
            (
                (
                    m.at.isoformat(sep=" "),
                    "事件" if m.cause == "event" else "期满",
                    ",".join(m.rules),
                    f"{m.score_before:g}→{m.score_after:g}"
                    if m.score_before is not None
                    else f"{m.score_after:g}",
                    f"{m.grade_before or '-'}→{m.grade_after}",
                    "\n".join(m.events),
                )
                for m in moves
            ),
        )
    )


def _all_ratings(
    conn: Connection,
    book: Rulebook,
    jurisdiction: str,
    when: datetime,
    *,
    as_json: bool,
    zone: tzinfo,
) -> None:
    rs = credit_views.ratings(conn, book, jurisdiction, when)
    if as_json:
        emit_json([r.brief_json(zone) for r in rs])
        return
    out.print(
        text_table(
            f"{region_name(jurisdiction)} 信用等级 ({book.version}, {len(rs)})",
            ("统一社会信用代码", "名称", "地区", "得分", "等级", "规则", "失信候选"),
            (
                (
                    r.uscc,
                    r.name,
                    r.region,
                    f"{r.score:g}",
                    r.grade,
                    ",".join(a.rule for a in r.applied),
                    ",".join(c.rule for c in r.candidate),
                )
                for r in rs
            ),
        )
    )


def _compare(
    conn: Connection,
    books: list[Rulebook],
    jurisdiction: str,
    when: datetime,
    *,
    as_json: bool,
    zone: tzinfo,
) -> None:
    diff = credit_views.compare(conn, books, jurisdiction, when)
    if as_json:
        emit_json([c.to_json(zone) for c in diff])
        return
    versions = [b.version for b in books]
    out.print(
        text_table(
            f"规则版本对比 {' vs '.join(versions)}: {len(diff)} 家等级不同",
            ("统一社会信用代码", "名称", *versions),
            (
                (
                    c.uscc,
                    c.name,
                    *[f"{c.grades.get(v, '-')} ({c.scores.get(v, 0):g})" for v in versions],
                )
                for c in diff
            ),
        )
    )
