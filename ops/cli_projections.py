"""CLI for the read models: `anjian projections status|rebuild|follow`, `anjian credit`,
`anjian analytics`, `anjian dashboard`, `anjian export`.

Registered by ops/cli.py (`app.add_typer(projections_app, name="projections")` and one
`app.command()(f)` per top-level function here). Query commands first bring the read models up
to the head of the log (`--stale` skips that, e.g. while a separate follower process runs).
Errors print `ErrorName: message` on stderr and exit non-zero (2 for bad arguments).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Annotated, NoReturn

import polars as pl
import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy import Connection, Engine

from domain.accident import GRADES as ACCIDENT_GRADES
from domain.catalog import KIND_NAMES
from domain.errors import DomainError
from domain.hazard import GRADES as HAZARD_GRADES
from domain.instants import bound_instant
from domain.regions import region_name, validate_region
from domain.uscc import validate_uscc
from ops.bootstrap import Platform, build
from ops.cli_errors import print_error
from ops.render import SafeConsole, emit_json, text_table
from ops.settings import Settings, load_settings
from projections import analytics as analyses
from projections import credit as credit_views
from projections import export as exports
from projections import quarantine
from projections.dashboard import Dashboard, summarise
from projections.errors import ProjectionError
from projections.follower import ReadModelFollower
from projections.penalties import CLOCK_NAMES
from projections.registry import all_projections
from projections.rulebook import Rulebook, available, current
from projections.store import open_store, readmodels_url

out = SafeConsole(highlight=False)
err = SafeConsole(stderr=True, highlight=False)

projections_app = typer.Typer(
    help="读模型 read models: status, rebuild, follow.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]
RegionOpt = Annotated[str, typer.Option("--region", help="GB/T 2260 code of the jurisdiction")]
AtOpt = Annotated[
    str, typer.Option("--at", help="ISO 8601 instant to evaluate clocks at (default: now)")
]
StaleOpt = Annotated[
    bool, typer.Option("--stale", help="answer from the read models as they are, no catch-up")
]


def fail(name: str, message: str, code: int = 1) -> NoReturn:
    print_error(name, message)
    raise typer.Exit(code)


def readmodels_url_of(settings: Settings) -> str:
    """Where the read models live for these settings (see projections.store)."""
    return readmodels_url(settings.sqlalchemy_url)


def projections_engine(settings: Settings) -> Engine:
    """The read-model engine, migrated to the newest schema."""
    return open_store(readmodels_url_of(settings))


@dataclass
class ReadModels:
    platform: Platform
    engine: Engine
    follower: ReadModelFollower


@contextmanager
def readmodels(catch_up: bool = True) -> Iterator[ReadModels]:
    """The platform, the read-model store and a follower of every projection."""
    settings = load_settings()
    p = build(settings)
    engine: Engine | None = None
    try:
        engine = projections_engine(settings)
        follower = ReadModelFollower(p.records.recorder, engine, all_projections())
        if catch_up:
            follower.catch_up()
        _note_quarantine(engine)
        yield ReadModels(p, engine, follower)
    except DomainError as exc:
        fail(type(exc).__name__, str(exc))
    except ProjectionError as exc:
        fail(type(exc).__name__, str(exc))
    finally:
        if engine is not None:
            engine.dispose()
        p.close()


def _note_quarantine(engine: Engine) -> None:
    """Say, on stderr, how many stored events every answer of the read models leaves out."""
    with engine.connect() as conn:
        n = quarantine.count(conn)
    if n:
        err.print(
            f"[yellow]note[/]: {n} stored event(s) set aside, unreadable by the read models, "
            "are left out of this answer (anjian projections quarantine)",
            soft_wrap=True,
        )


def _region(code: str) -> str:
    try:
        return validate_region(code, field="--region")
    except DomainError as exc:
        fail(type(exc).__name__, str(exc), 2)


def _zone() -> tzinfo:
    """The platform's time zone (ANJIAN_TIMEZONE): answers are given in it."""
    return load_settings().zone


def _at(text: str) -> datetime:
    """--at as an aware instant; without an offset it is read in the platform's time zone."""
    zone = _zone()
    if not text:
        return datetime.now(zone)
    try:
        t = datetime.fromisoformat(text)
        t = t if t.tzinfo is not None else t.replace(tzinfo=zone)
        return bound_instant(t, "--at").astimezone(zone)
    except ValueError:
        fail("UsageError", f"--at must be an ISO 8601 instant, got {text!r}", 2)
    except DomainError as exc:
        fail(type(exc).__name__, str(exc), 2)


def _book(at: datetime, version: str | None) -> Rulebook:
    try:
        return current(available(), at, version)
    except ProjectionError as exc:
        fail(type(exc).__name__, str(exc), 2)


# -- anjian projections ------------------------------------------------------------------------


@projections_app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Each projection's position in the log, its lag and whether it must be rebuilt."""
    with readmodels(catch_up=False) as rm:
        rows = rm.follower.status()
        zone = rm.platform.settings.zone
    if as_json:
        emit_json([s.to_json(zone) for s in rows])
        return
    out.print(
        text_table(
            "读模型投影 projections",
            ("名称 name", "位置 position", "日志头 head", "滞后 lag", "版本 version"),
            (
                (
                    r.name,
                    str(r.position),
                    str(r.head),
                    str(r.lag),
                    r.version if not r.stale else f"{r.stored_version} → {r.version}",
                )
                for r in rows
            ),
        )
    )


@projections_app.command("rebuild")
def rebuild(
    name: Annotated[str | None, typer.Argument(help="one projection (default: all)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete a projection's rows (all projections without NAME) and re-apply the whole log."""
    with readmodels(catch_up=False) as rm:
        known = [p.name for p in rm.follower.projections]
        if name is not None and name not in known:  # before any progress is drawn
            fail("UnknownProjection", f"no projection {name!r} (known: {', '.join(known)})", 2)
        head = rm.follower.head()
        started = time.perf_counter()
        with Progress(
            TextColumn("[bold]重建 rebuild[/] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=as_json,
        ) as bar:
            task = bar.add_task(name or "all", total=max(head, 1))
            read = rm.follower.rebuild(
                [name] if name else None,
                progress=lambda pos, top: bar.update(task, completed=pos, total=max(top, 1)),
            )
        seconds = time.perf_counter() - started
    result = {"rebuilt": name or "all", "notifications": read, "seconds": round(seconds, 3)}
    if as_json:
        emit_json(result)
    else:
        out.print(f"rebuilt {result['rebuilt']}: {read} notifications in {seconds:.1f} s")


@projections_app.command("follow")
def follow(
    poll: Annotated[float, typer.Option(help="seconds between polls when idle")] = 0.5,
) -> None:
    """Follow the log and keep every read model current until interrupted (Ctrl-C)."""
    stop = threading.Event()
    with readmodels(catch_up=False) as rm:
        err.print(f"following; lag {rm.follower.lag()} (Ctrl-C to stop)")
        try:
            rm.follower.run_forever(stop, poll)
        except KeyboardInterrupt:
            stop.set()


@projections_app.command("quarantine")
def quarantine_list(as_json: JsonOpt = False) -> None:
    """Stored events set aside because a date or instant of theirs lies beyond the platform's
    bounds (years 1949..2099, offsets within ±14:00): no read model can represent them, so
    every view leaves them out. They stay in the log and its proofs (anjian show EVENT_ID)."""
    with readmodels() as rm, rm.engine.connect() as conn:
        rows = quarantine.quarantined(conn)
        zone = rm.platform.settings.zone
    if as_json:
        emit_json([r.to_json(zone) for r in rows])
        return
    out.print(
        text_table(
            f"隔离 set aside ({len(rows)})",
            ("#", "事件ID event", "类型 type", "原因 reason"),
            ((str(r.notification_id), r.event_id, r.type, r.reason) for r in rows),
        )
    )


# -- anjian credit -----------------------------------------------------------------------------


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
    jurisdiction, when = _region(region), _at(at)
    book = _book(when, rulebook)
    if enterprise is not None:
        try:
            validate_uscc(enterprise, field="--enterprise")
        except DomainError as exc:
            fail(type(exc).__name__, str(exc), 2)
    with readmodels(not stale) as rm, rm.engine.connect() as conn:
        zone = rm.platform.settings.zone
        if compare is not None:
            _compare(
                conn,
                [book, _book(when, compare)],
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


# -- anjian analytics / export -----------------------------------------------------------------


def _frame_table(df: pl.DataFrame, title: str, limit: int = 200) -> Table:
    return text_table(
        f"{title} ({df.height})",
        df.columns,
        (["" if v is None else str(v) for v in row] for row in df.head(limit).iter_rows()),
    )


def analytics(
    name: Annotated[str, typer.Argument(help=", ".join(analyses.ANALYSES))],
    region: RegionOpt = "420000",
    at: AtOpt = "",
    stale: StaleOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Run one analysis (polars) over the read models of a jurisdiction."""
    if name not in analyses.ANALYSES:
        fail(
            "UnknownProjection", f"no analysis {name!r} (known: {', '.join(analyses.ANALYSES)})", 2
        )
    jurisdiction, when = _region(region), _at(at)
    with readmodels(not stale) as rm, rm.engine.connect() as conn:
        df = analyses.run(name, conn, jurisdiction, when)
    if as_json:
        emit_json(df.to_dicts())
    else:
        out.print(_frame_table(df, f"{region_name(jurisdiction)} {analyses.ANALYSES[name].title}"))


def export(
    name: Annotated[str, typer.Argument(help="a read model or an analysis")],
    *,
    output: Annotated[Path, typer.Option("-o", "--output", help="file to write")],
    fmt: Annotated[str, typer.Option("--format", help="parquet or csv")] = "parquet",
    region: RegionOpt = "420000",
    at: AtOpt = "",
    stale: StaleOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a read model or an analysis of a jurisdiction to Parquet or CSV."""
    if fmt not in exports.FORMATS:
        fail("UsageError", f"--format must be one of {', '.join(exports.FORMATS)}", 2)
    if name not in exports.names():
        fail(
            "UnknownProjection",
            f"nothing to export named {name!r} (known: {', '.join(exports.names())})",
            2,
        )
    jurisdiction, when = _region(region), _at(at)
    with readmodels(not stale) as rm, rm.engine.connect() as conn:
        df = exports.frame(conn, name, jurisdiction, when)
    try:
        exports.write(df, output, fmt)
    except OSError as exc:
        fail(type(exc).__name__, f"cannot write {output}: {exc.strerror or exc}")
    result = {
        "name": name,
        "region": jurisdiction,
        "rows": df.height,
        "format": fmt,
        "path": str(output),
    }
    if as_json:
        emit_json(result)
    else:
        where = escape(str(output))
        out.print(f"{name}: {df.height} rows of {region_name(jurisdiction)} → {where} ({fmt})")


# -- anjian dashboard --------------------------------------------------------------------------


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
        + (f"；行业分布：{_counts(d.industries)}" if d.industries else ""),
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
        f"七、信用等级（规则 {d.rulebook}）：{_counts(dict(sorted(d.credit_grades.items())))}；"
        f"严重失信主体名单候选 {len(d.dishonesty_candidates)} 家"
        + (f"：{'、'.join(d.dishonesty_candidates[:10])}" if d.dishonesty_candidates else ""),
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
    jurisdiction, when = _region(region), _at(at)
    book = _book(when, rulebook)
    with readmodels(not stale) as rm, rm.engine.connect() as conn:
        d = summarise(conn, jurisdiction, when, book)
        lag = rm.follower.lag()
        zone = rm.platform.settings.zone
    if as_json:
        emit_json({**d.to_json(zone), "lag": lag})
        return
    for line in render_dashboard(d):
        out.print(line, soft_wrap=True, markup=False)
    if lag:
        out.print(f"（读模型滞后 {lag} 条记录）")
