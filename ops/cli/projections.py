"""`anjian projections status | rebuild | follow | quarantine | verify`: the read models themselves.

Each works on the run's read models (services.readmodels.ReadModels: the store and the
follower of every projection) without bringing them up to date first: `status` shows how far
behind they are, `rebuild` re-applies the whole log, `follow` keeps them current until
interrupted, `quarantine` lists the stored events they set aside, `verify` rebuilds them into a
scratch store and names every row that differs from the live ones.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ops.cli.arguments import JsonOpt
from ops.cli.context import fresh, platform
from ops.cli.output import emit_json, err, fail, out, text_table
from projections import quarantine
from projections.verify import verify as verify_read_models

__all__ = ["projections_app"]

projections_app = typer.Typer(
    help="读模型 read models: status, rebuild, follow.", no_args_is_help=True
)


@projections_app.command("status")
def status(as_json: JsonOpt = False) -> None:
    """Each projection's position in the log, its lag and whether it must be rebuilt."""
    with platform() as p, fresh(p, catch_up=False) as rm:
        rows = rm.follower.status()
        zone = p.settings.zone
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
    with platform() as p, fresh(p, catch_up=False) as rm:
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
    with platform() as p, fresh(p, catch_up=False) as rm:
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
    with platform() as p, fresh(p) as rm, rm.engine.connect() as conn:
        rows = quarantine.quarantined(conn)
        zone = p.settings.zone
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


@projections_app.command("verify")
def verify(
    name: Annotated[str | None, typer.Argument(help="one projection (default: all)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Rebuild the read models (all, or NAME) from the log into a scratch store and compare
    them with the live ones table by table; name every differing row, exit 1 if any differs."""
    with platform() as p, fresh(p, catch_up=False) as rm:
        result = verify_read_models(
            rm.follower.recorder,
            rm.engine,
            rm.follower.projections,
            None if name is None else [name],
        )
    if as_json:
        emit_json(result.to_json())
    else:
        for d in result.differences:
            out.print(d.describe(), soft_wrap=True, markup=False)
    if not result.ok:
        fail(
            "ReadModelsDiffer",
            f"{len(result.differences)} difference(s) between the live read models and the log "
            f"up to notification {result.position}",
        )
    if not as_json:
        out.print(f"read models match the log up to notification {result.position}")
