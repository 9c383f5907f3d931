"""anjian — the command line of the Anjian (安监) trusted record platform.

Every write goes through the same command path as the API: validated against the catalog,
signed by the actor (or custodially by the platform), checked by the aggregate, then stored.
Errors print `ErrorName: message` on stderr and exit non-zero.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from domain.catalog import CATALOG
from domain.envelope import SignedCommand
from domain.errors import DomainError
from domain.regions import region_name, validate_region
from domain.uscc import validate_uscc
from ops.bootstrap import Platform, build
from ops.genesis import ensure_genesis
from ops.render import event_name, local_time, record_json, stage
from ops.settings import load_settings

app = typer.Typer(
    name="anjian",
    help="Anjian (安监): signed, immutable, anchored work-safety records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def fail(name: str, message: str, code: int = 1) -> NoReturn:
    err.print(f"[bold red]{name}[/]: {escape(message)}", markup=True, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def platform() -> Iterator[Platform]:
    p = build(load_settings())
    try:
        ensure_genesis(p)
        yield p
    except DomainError as exc:
        fail(type(exc).__name__, str(exc))
    finally:
        p.close()


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


@app.command()
def record(
    file: Annotated[str, typer.Argument(help="JSON Lines of commands, or - for stdin")],
    batch: Annotated[int, typer.Option(help="commands per all-or-nothing transaction")] = 1,
    as_json: JsonOpt = False,
) -> None:
    """Record JSON Lines of commands; print the recorded event ids.

    On the first invalid line, exit non-zero naming the line and the reason: nothing from that
    line (nor from the rest of its batch) is stored.
    """
    if batch < 1:
        fail("UsageError", "--batch must be at least 1", 2)
    stream = sys.stdin if file == "-" else Path(file).open(encoding="utf-8")  # noqa: SIM115
    with platform() as p, stream:
        intake = p.intake()
        pending: list[tuple[int, SignedCommand]] = []
        results: list[dict[str, Any]] = []

        def flush() -> None:
            if not pending:
                return
            cmds = [c for _, c in pending]
            try:
                recorded = (
                    [p.records.execute(cmds[0])]
                    if len(cmds) == 1
                    else p.records.execute_batch(cmds)
                )
            except DomainError as exc:
                cause = getattr(exc, "cause", exc)
                lineno = pending[getattr(exc, "index", 0)][0]
                _report(results, as_json)
                fail(type(cause).__name__, f"line {lineno}: {cause}")
            for r in recorded:
                results.append(
                    {"event_id": r.event_id, "notification_id": r.notification_id, "type": r.type}
                )
            pending.clear()

        for lineno, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                pending.append((lineno, intake.parse_line(line)))
            except DomainError as exc:
                _report(results, as_json)  # the batch holding this line is not stored
                fail(type(exc).__name__, f"line {lineno}: {exc}")
            if len(pending) >= batch:
                flush()
        flush()
        _report(results, as_json)


def _report(results: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        emit_json(results)
    else:
        for r in results:
            out.print(r["event_id"], soft_wrap=True)


@app.command()
def show(event_id: str, as_json: JsonOpt = False) -> None:
    """Show one stored event: envelope, signature, key and when it was recorded."""
    with platform() as p:
        rec = p.records.stored(event_id)
        if as_json:
            emit_json(record_json(rec))
            return
        env = rec.envelope
        out.print(f"[bold]{event_name(rec.type)}[/] ({rec.type})")
        for label, value in [
            ("事件 event", rec.event_id),
            ("发生 occurred", local_time(env["occurred_at"])),
            ("记录 recorded", local_time(rec.recorded_at)),
            ("主体 actor", f"{env['actor']} ({env['role']})"),
            ("地区 region", f"{env['region']} {region_name(env['region'])}"),
            ("密钥 key", rec.key_id),
            ("签名 signature", rec.signature),
        ]:
            out.print(f"  {label:<16} {value}")
        out.print_json(json.dumps(env["data"], ensure_ascii=False))


@app.command()
def history(
    enterprise: Annotated[str, typer.Option("--enterprise", help="USCC of the enterprise")],
    as_json: JsonOpt = False,
) -> None:
    """The lifecycle history of one enterprise (准入→监管→执法→处罚→信用), in recorded order."""
    try:
        validate_uscc(enterprise, field="--enterprise")
    except DomainError as exc:
        fail(type(exc).__name__, str(exc), 2)
    with platform() as p:
        records = p.records.history(enterprise)
        if as_json:
            emit_json([record_json(r) for r in records])
            return
        table = Table(title=f"{enterprise} 全生命周期记录 ({len(records)})")
        for col in ("#", "发生时间", "阶段", "事件", "主体", "事件ID"):
            table.add_column(col)
        for r in records:
            table.add_row(
                str(r.notification_id),
                local_time(r.envelope["occurred_at"]),
                stage(r.type),
                f"{event_name(r.type)} {r.type}",
                r.envelope["actor"],
                r.event_id,
            )
        out.print(table)


@app.command()
def enterprises(
    region: Annotated[str, typer.Option(help="GB/T 2260 code of a jurisdiction")] = "420000",
    as_json: JsonOpt = False,
) -> None:
    """Registered enterprises in a jurisdiction."""
    from domain.regions import scope_prefix

    try:
        validate_region(region, field="--region")
    except DomainError as exc:
        fail(type(exc).__name__, str(exc), 2)
    with platform() as p:
        rows = [
            {
                "uscc": e.uscc,
                "name": e.name,
                "industry": e.industry,
                "region": e.region,
                "status": e.status,
                "id": str(e.id),
            }
            for e in p.records.enterprises(scope_prefix(region))
        ]
        if as_json:
            emit_json(rows)
            return
        table = Table(title=f"{region_name(region)} 生产经营单位 ({len(rows)})")
        for col in ("统一社会信用代码", "名称", "行业", "地区", "状态"):
            table.add_column(col)
        for r in rows:
            table.add_row(
                r["uscc"],
                r["name"],
                r["industry"],
                f"{r['region']} {region_name(r['region'])}",
                r["status"],
            )
        out.print(table)


@app.command()
def catalog(as_json: JsonOpt = False) -> None:
    """The catalog (信息资源目录): every command and event type with its schema and rule."""
    specs = [CATALOG[k].describe() for k in sorted(CATALOG)]
    if as_json:
        emit_json(specs)
        return
    table = Table(title=f"信息资源目录 ({len(specs)} 类命令/事件)")
    for col in ("命令 command", "名称", "事件 event", "角色 roles", "依据 rule"):
        table.add_column(col)
    for s in specs:
        table.add_row(
            s["type"],
            f"{s['zh']}\n{s['en']}",
            f"{s['event']}\n{s['event_zh']}",
            ", ".join(s["roles"]),
            s["rule"],
        )
    out.print(table)


def main() -> None:
    app()
