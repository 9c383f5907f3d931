"""The demo on the terminal: a rich progress bar over the simulated months while it records,
and the summary (events by kind, elapsed time, events per second) when it is done."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from demo.clock import START, end_of
from demo.logins import DemoLogin, login_lines
from demo.runner import DemoOptions, DemoReport, check_empty, kind_name, run
from services.identity.accounts import Accounts
from services.ingest.service import Ingest


def run_with_progress(
    ingest: Ingest,
    options: DemoOptions,
    console: Console,
    *,
    where: str,
    quiet: bool = False,
    accounts: Accounts | None = None,
) -> DemoReport:
    """Run the demo through `ingest` on the store named `where` (then its logins through
    `accounts`), drawing progress on `console` (nothing when `quiet`)."""
    check_empty(ingest.records, where)  # before any progress is drawn
    if quiet:
        return run(ingest, options, where=where, accounts=accounts)
    end = end_of(options.months)
    total = (end - START).days
    bar = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[events]:>9,} 事件 events"),
        TextColumn("{task.fields[rate]:>7,.0f}/s"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    with bar:
        task = bar.add_task("迁移存量数据 migrating", total=total, events=0, rate=0.0)
        began = datetime.now()

        def update(now: datetime, events: int) -> None:
            seconds = (datetime.now() - began).total_seconds() or 1e-9
            done = max(0, (min(now, end) - START).days)
            label = (
                f"模拟湖北省 {min(now, end):%Y-%m}" if now >= START else "迁移存量数据 migrating"
            )
            rate = events / seconds
            bar.update(task, completed=done, description=label, events=events, rate=rate)

        return run(ingest, options, where=where, progress=update, accounts=accounts)


def print_summary(console: Console, report: DemoReport) -> None:
    table = Table(
        title=f"湖北省 {report.enterprises} 家企业 × {report.months} 个月 (seed {report.seed})"
    )
    for col in ("记录类别 kind", "名称", "事件 events"):
        table.add_column(col, justify="right" if col.startswith("事件") else "left")
    for kind, n in report.by_kind.most_common():
        table.add_row(kind, kind_name(kind), f"{n:,}")
    table.add_row("[bold]total", "", f"[bold]{report.events:,}")
    console.print(table)
    console.print(
        f"{report.events:,} events in {report.seconds:.1f} s "
        f"({report.per_second:,.0f} events/s), {report.regulators} regulator accounts"
    )
    if report.showcase:
        console.print(f"next: anjian history --enterprise {report.showcase}", soft_wrap=True)


def print_logins(console: Console, logins: list[DemoLogin]) -> None:
    """The demo's logins with their one-time passwords (shown once), one per line, never cut
    to the terminal's width."""
    console.print("登录账户 logins (login, role, jurisdiction, one-time password; shown once):")
    for line in login_lines(logins):
        console.print(
            line,
            soft_wrap=True,
            markup=False,
            highlight=False,
        )
