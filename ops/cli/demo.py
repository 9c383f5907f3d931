"""`anjian demo`: a deterministic synthetic province, recorded through services/ingest.

The demo package (demo/) is a client of the application layer; this command wires it: the
run's platform hands it its `Ingest`, then its identity service (one login per role, printed
with their one-time passwords), then the ledger syncs what it recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ops.cli.arguments import JsonOpt
from ops.cli.context import platform
from ops.cli.output import emit_json, err, fail, out
from ops.cli.stream import stream_after
from ops.settings import load_settings

if TYPE_CHECKING:
    from demo.logins import DemoLogin
    from ops.bootstrap import Platform

__all__ = ["demo"]


def demo(
    *,
    enterprises: Annotated[int, typer.Option(min=1, max=20_000, help="enterprises")] = 200,
    months: Annotated[int, typer.Option(min=1, max=120, help="months from 2018-01")] = 24,
    seed: Annotated[int, typer.Option(help="the same seed gives the same envelopes")] = 2018,
    reset: Annotated[
        bool, typer.Option("--reset", help="delete the embedded SQLite store first")
    ] = False,
    if_empty: Annotated[
        bool,
        typer.Option(
            "--if-empty", help="build it only when the store holds no records yet (make run)"
        ),
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Build a deterministic synthetic Hubei province through the real command path, and one
    login per role (printed with its one-time password).

    17 prefecture-level regions, regulators, enterprises with licences, hazards and their
    rectification loops, inspections, penalty cases, device-signed sensor alarms, certificates
    and accidents, from 2018-01 (Asia/Shanghai). Refuses a store that holds records already:
    use a fresh ANJIAN_HOME, or --reset to delete the embedded SQLite store first.
    """
    from demo.console import print_logins, print_summary, run_with_progress
    from demo.runner import DemoError, DemoOptions, StoreNotEmpty, check_empty
    from ops.reset import reset_store
    from services.ledger.sync import sync

    if reset:
        try:
            reset_store(load_settings())
        except DemoError as exc:
            fail(type(exc).__name__, str(exc))
    with platform(create=True) as p:
        if if_empty:
            try:
                check_empty(p.records, p.settings.store_location)
            except StoreNotEmpty:
                err.print(
                    f"the store at {p.settings.store_location} holds records: kept as it is",
                    soft_wrap=True,
                    markup=False,
                )
                return
        try:
            options = DemoOptions(enterprises, months, seed)
            where = p.settings.store_location
            # progress is on stderr
            report = run_with_progress(
                p.ingest, options, err, where=where, quiet=False, accounts=p.identity
            )
        except DemoError as exc:
            fail(type(exc).__name__, str(exc))

        stream_after(p, start=True)  # the embedded NATS server runs for it
        # The province's alarms and accidents reach the warning and emergency modules through
        # the stream: their real workers record the warnings and incidents.
        modules = _modules(p)
        # Log, checkpoint and anchor what was recorded, so `audit verify` holds at once.
        ledger = sync(p.ledger)
        stream_after(p, start=False)
        stored = int(p.records.recorder.max_notification_id() or 0)
        remember_logins(p.settings.home, report.logins)
    if as_json:
        emit_json(
            {**report.as_json(), "stored": stored, "modules": modules, "ledger": ledger.to_json()}
        )
    else:
        print_summary(out, report)
        print_logins(out, report.logins)
        out.print(
            f"模块 modules: 风险预警 warnings {modules['warning']['recorded']}，"
            f"应急事件 incidents {modules['emergency']['recorded']}（由工作进程经事件流产生 "
            "recorded by the workers from the stream）",
            soft_wrap=True,
            markup=False,
        )
        err.print(ledger.summary(), soft_wrap=True)


def remember_logins(home: Path, logins: list[DemoLogin]) -> None:
    """Keep the demo's logins in the data directory (private, 0600) for `anjian serve`."""
    from demo.logins import LOGINS_FILE, login_lines

    path = home / LOGINS_FILE
    path.write_text(
        "演示登录账户 demo logins (login, role, jurisdiction, password as `anjian demo` set it; "
        "a password changed since is not shown):\n" + "\n".join(login_lines(logins)) + "\n",
        encoding="utf-8",
    )
    path.chmod(0o600)


def _modules(p: Platform) -> dict[str, dict[str, int]]:
    """Run the warning and emergency workers over the whole stream, until caught up; what
    each recorded and had refused."""
    from ops.modules import catch_up, emergency_worker, warning_worker

    workers = [warning_worker(p), emergency_worker(p)]
    try:
        catch_up(p, workers)
    except TimeoutError as exc:
        fail("TimeoutError", str(exc))
    return {
        w.name: {"recorded": w.status().recorded, "refused": w.status().refused} for w in workers
    }
