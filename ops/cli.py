"""anjian — the command line of the Anjian (安监) trusted record platform.

Every write goes through the same command path as the API: validated against the catalog,
signed by the actor (or custodially by the platform, for the account the operator names with
`--as`), checked by the aggregate, then stored. Errors print `ErrorName: message` as one line on
stderr and exit non-zero (ops.cli_errors); nothing printed obeys control characters held in
stored text (ops.render).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from rich.markup import escape

from domain import plain_text
from domain.catalog import CATALOG
from domain.envelope import SignedCommand
from domain.errors import DomainError, InvalidEnvelope
from domain.regions import region_name, validate_region
from domain.stored import Recorded
from domain.uscc import validate_uscc
from ops.bootstrap import Platform, build
from ops.cli_errors import OneLineErrors, print_error
from ops.cli_privacy import privacy_app
from ops.cli_projections import analytics, credit, dashboard, export, projections_app
from ops.genesis import ensure_genesis
from ops.intake import Principal
from ops.render import (
    SafeConsole,
    emit_json,
    highlighted_json,
    local_time,
    record_json,
    text_table,
)
from ops.settings import load_settings
from projections.catalog_view import event_name_of

app = typer.Typer(
    name="anjian",
    help="Anjian (安监): signed, immutable, anchored work-safety records.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=OneLineErrors,
)
out = SafeConsole(highlight=False)
err = SafeConsole(stderr=True, highlight=False)

JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of a table")]


def fail(name: str, message: str, code: int = 1) -> NoReturn:
    print_error(name, message)
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


@app.command()
def record(
    file: Annotated[str, typer.Argument(help="JSON Lines of commands, or - for stdin")],
    *,
    batch: Annotated[int, typer.Option(help="commands per all-or-nothing transaction")] = 1,
    as_json: JsonOpt = False,
    sync: Annotated[
        bool, typer.Option(help="then log, checkpoint and anchor them (anjian ledger sync)")
    ] = True,
    as_account: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="ACCOUNT",
            help="the account you are authenticated as: unsigned lines must name it, and the "
            "platform signs them with its custodial key, channel cli",
        ),
    ] = None,
    migrate: Annotated[
        bool,
        typer.Option(
            "--migrate",
            help="history from before go-live: unsigned lines may name any registered account, "
            "each envelope marked with the migration channel",
        ),
    ] = False,
) -> None:
    """Record JSON Lines of commands; print each batch's event ids as soon as it commits.

    Pre-signed lines carry their own signature. The platform signs an unsigned line only for
    the account you are authenticated as (`--as ACCOUNT`), or, with `--migrate`, for the
    account it names, marked as migrated history; without either, an unsigned line is
    refused.

    One event id a line (--json: one JSON object a line, with its notification id, type and
    whether it was recorded before). A command recorded before (same id, same signed bytes;
    for an unsigned line, the same id and everything it supplies) is answered with its
    original event and not stored again, so a file whose lines carry ids can be sent again
    after an interruption. On the first invalid line, exit non-zero naming the line and the
    reason: nothing from that line (nor from the rest of its batch) is stored. Then the ledger
    syncs (one line on stderr).
    """
    if batch < 1:
        fail("UsageError", "--batch must be at least 1", 2)
    if as_account is not None and migrate:
        fail("UsageError", "--as and --migrate exclude each other: pass one of them", 2)
    try:
        principal = Principal.operator(as_account) if as_account is not None else None
    except DomainError as exc:
        fail(type(exc).__name__, str(exc), 2)
    principal = Principal.migration() if migrate else principal
    try:
        stream = sys.stdin.buffer if file == "-" else Path(file).open("rb")  # noqa: SIM115
    except OSError as exc:
        fail(type(exc).__name__, f"cannot read {file}: {exc.strerror or exc}")
    with platform() as p, stream:
        intake = p.intake(principal)
        pending: list[tuple[int, SignedCommand]] = []
        printed = 0

        def flush() -> None:
            nonlocal printed
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
                index = getattr(exc, "index", None)
                first, last = pending[0][0], pending[-1][0]
                where = (
                    f"line {pending[index][0]}"
                    if isinstance(index, int)
                    else (f"line {first}" if first == last else f"lines {first}-{last}")
                )
                fail(type(cause).__name__, f"{where}: {cause}")
            _receipts(recorded, as_json)
            printed += len(recorded)
            pending.clear()

        for lineno, raw in enumerate(stream, start=1):
            try:
                line = _utf8(raw)
                if not line.strip():
                    continue
                pending.append((lineno, intake.parse_line(line)))
            except DomainError as exc:  # the batch holding this line is not stored
                fail(type(exc).__name__, f"line {lineno}: {exc}")
            if len(pending) >= batch:
                flush()
        flush()
        if sync and printed:
            _sync_after_record(p)


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidEnvelope(
            f"not UTF-8: byte 0x{raw[exc.start]:02x} at offset {exc.start} ({exc.reason})"
        ) from None


def _receipts(recorded: list[Recorded], as_json: bool) -> None:
    """Print one committed batch's receipts and flush them: whenever the run stops, every id
    it printed is stored."""
    for r in recorded:
        if as_json:
            receipt = {
                "event_id": r.event_id,
                "notification_id": r.notification_id,
                "type": r.type,
                "recorded_before": r.recorded_before,
            }
            sys.stdout.write(json.dumps(receipt, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(r.event_id + "\n")
    sys.stdout.flush()


@app.command()
def show(event_id: str, as_json: JsonOpt = False) -> None:
    """Show one stored event: envelope, signature, key and when it was recorded."""
    with platform() as p:
        rec = p.records.stored(event_id)
        if as_json:
            emit_json(record_json(rec))
            return
        env = rec.envelope
        out.print(f"[bold]{escape(event_name_of(rec.type))}[/] ({escape(rec.type)})")
        for label, value in [
            ("事件 event", rec.event_id),
            ("发生 occurred", local_time(env["occurred_at"], p.settings.zone)),
            ("记录 recorded", local_time(rec.recorded_at, p.settings.zone)),
            ("主体 actor", f"{env['actor']} ({env['role']})"),
            ("地区 region", f"{env['region']} {region_name(env['region'])}"),
            ("渠道 channel", env.get("channel") or "-"),
            ("密钥 key", rec.key_id),
            ("签名 signature", rec.signature),
        ]:
            out.print(f"  {label:<16} {value}", markup=False)
        out.print(highlighted_json(env["data"]))


@app.command()
def history(
    enterprise: Annotated[str, typer.Option("--enterprise", help="USCC of the enterprise")],
    region: Annotated[
        str, typer.Option(help="the jurisdiction asking (GB/T 2260 code)")
    ] = "420000",
    as_json: JsonOpt = False,
) -> None:
    """The lifecycle history of one enterprise (准入→监管→执法→处罚→信用), in log order.

    Read from the lifecycle timeline, brought up to the head of the log first; a jurisdiction
    sees only enterprises it covers. Every entry names the event id behind it (`anjian show`,
    `anjian audit proof`); its time is the declared one, with the recorded time beside it where
    the two differ, and history entered through the migration path is marked migrated.
    """
    from ops.cli_projections import readmodels
    from ops.render import timeline_when
    from projections.timeline import lifecycle

    try:
        validate_uscc(enterprise, field="--enterprise")
        validate_region(region, field="--region")
    except DomainError as exc:
        fail(type(exc).__name__, str(exc), 2)
    with readmodels() as rm, rm.engine.connect() as conn:
        life = lifecycle(conn, enterprise, region)
        zone = rm.platform.settings.zone
    if not life.entries:
        fail("NotFound", f"enterprise {enterprise} has no records in jurisdiction {region}")
    if as_json:
        emit_json([e.to_json(zone) for e in life.entries])
        return
    out.print(
        text_table(
            f"{enterprise} 全生命周期记录 ({len(life.entries)})",
            ("#", "发生时间", "阶段", "事件", "主体", "事件ID"),
            (
                (
                    str(e.notification_id),
                    timeline_when(
                        e.occurred_at,
                        e.recorded_at,
                        differ=e.times_differ,
                        migrated=e.migrated,
                        zone=zone,
                    ),
                    e.stage,
                    f"{e.event} {e.type}",
                    e.actor,
                    e.event_id,
                )
                for e in life.entries
            ),
        )
    )
    reached = " → ".join(f"{s}({len(ids)})" for s, ids in life.stages.items() if ids)
    out.print(f"阶段 stages: {reached}", soft_wrap=True)


@app.command()
def enterprises(
    region: Annotated[str, typer.Option(help="GB/T 2260 code of a jurisdiction")] = "420000",
    as_json: JsonOpt = False,
) -> None:
    """Registered enterprises in a jurisdiction, in the order they were registered.

    Deregistered enterprises are listed too, with their status. Read from the
    enterprise directory, brought up to the head of the log first.
    """
    from ops.cli_projections import readmodels
    from projections.enterprises import in_registration_order

    try:
        validate_region(region, field="--region")
    except DomainError as exc:
        fail(type(exc).__name__, str(exc), 2)
    with readmodels() as rm, rm.engine.connect() as conn:
        rows = in_registration_order(conn, region)
        zone = rm.platform.settings.zone
    if as_json:
        emit_json([r.to_json(zone) for r in rows])
        return
    out.print(
        text_table(
            f"{region_name(region)} 生产经营单位 ({len(rows)})",
            ("统一社会信用代码", "名称", "行业", "地区", "状态"),
            (
                (r.uscc, r.name, r.industry, f"{r.region} {region_name(r.region)}", r.status)
                for r in rows
            ),
        )
    )


@app.command()
def catalog(as_json: JsonOpt = False) -> None:
    """The catalog (信息资源目录): every command and event type with its schema and rule."""
    specs = [CATALOG[k].describe() for k in sorted(CATALOG)]
    if as_json:
        emit_json(specs)
        return
    out.print(
        text_table(
            f"信息资源目录 ({len(specs)} 类命令/事件)",
            ("命令 command", "名称", "事件 event", "角色 roles", "依据 rule"),
            (
                (
                    s["type"],
                    f"{s['zh']}\n{s['en']}",
                    f"{s['event']}\n{s['event_zh']}",
                    ", ".join(s["roles"]),
                    s["rule"],
                )
                for s in specs
            ),
        )
    )


@app.command()
def demo(
    enterprises: Annotated[int, typer.Option(min=1, max=20_000, help="enterprises")] = 200,
    months: Annotated[int, typer.Option(min=1, max=120, help="months from 2018-01")] = 24,
    seed: Annotated[int, typer.Option(help="the same seed gives the same envelopes")] = 2018,
    reset: Annotated[
        bool, typer.Option("--reset", help="delete the embedded SQLite store first")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Build a deterministic synthetic Hubei province through the real command path.

    17 prefecture-level regions, regulators, enterprises with licences, hazards and their
    rectification loops, inspections, penalty cases, device-signed sensor alarms, certificates
    and accidents, from 2018-01 (Asia/Shanghai). Refuses a store that holds records already:
    use a fresh ANJIAN_HOME, or --reset to delete the embedded SQLite store first.
    """
    from ops.demo import DemoError, DemoOptions, reset_store
    from ops.demo.console import print_summary, run_with_progress
    from ops.ledger_service import LedgerServiceError, sync

    settings = load_settings()
    try:
        if reset:
            reset_store(settings)
        p = build(settings)
        try:
            options = DemoOptions(enterprises, months, seed)
            report = run_with_progress(p, options, err, quiet=False)  # progress is on stderr
            # Log, checkpoint and anchor what was recorded, so `audit verify` holds at once.
            ledger = sync(p)
        finally:
            p.close()
    except (DemoError, DomainError, LedgerServiceError) as exc:
        fail(type(exc).__name__, str(exc))
    if as_json:
        emit_json({**report.as_json(), "ledger": ledger.to_json()})
    else:
        print_summary(out, report)
        err.print(ledger.summary(), soft_wrap=True)


# -- ledger and audit -------------------------------------------------------------------------

ledger_app = typer.Typer(
    help="账本 ledger: the Merkle log of every event, signed checkpoints, chain anchors.",
    no_args_is_help=True,
)
audit_app = typer.Typer(
    help="审计 audit: verify records, proofs, checkpoints and anchors from first principles.",
    no_args_is_help=True,
)
app.add_typer(ledger_app, name="ledger")
app.add_typer(projections_app, name="projections")
for _command in (credit, analytics, dashboard, export):
    app.command()(_command)
app.add_typer(audit_app, name="audit")
app.add_typer(privacy_app, name="privacy")

LogKeyOpt = Annotated[
    list[str] | None,
    typer.Option("--log-key", help="trusted C2SP verifier key of the log (name+keyid+base64)"),
]
RpcOpt = Annotated[str | None, typer.Option("--rpc", help="JSON-RPC URL of the chain")]


@contextmanager
def ledger_platform() -> Iterator[Platform]:
    """The platform without genesis (ledger and audit commands never write records) and with
    the ledger service's errors mapped to `ErrorName: message`, exit 1."""
    from ops.ledger_service import LedgerServiceError

    p = build(load_settings())
    try:
        yield p
    except (LedgerServiceError, DomainError) as exc:
        fail(type(exc).__name__, str(exc))
    finally:
        p.close()


def _sync_after_record(p: Platform) -> None:
    from ops.ledger_service import LedgerServiceError, sync

    try:
        report = sync(p)
    except LedgerServiceError as exc:
        fail(type(exc).__name__, f"recorded, but the ledger refused to go on: {exc}")
    err.print(f"ledger: {escape(report.summary())}", soft_wrap=True)


@ledger_app.command("sync")
def ledger_sync(
    anchor: Annotated[bool, typer.Option(help="anchor the newest checkpoint on the chain")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Check the stored history, log every new event, sign checkpoints, anchor the newest.

    Exits non-zero, appending and anchoring nothing, when a stored event, leaf, checkpoint or
    anchor fails its check (LedgerHalted) or the chain contradicts the log (ChainConflict).
    An unreachable chain is not an error: the checkpoints stay queued for the next sync.
    """
    from ops.ledger_service import sync

    with ledger_platform() as p:
        report = sync(p, anchor=anchor)
    if as_json:
        emit_json(report.to_json())
    else:
        out.print(escape(report.summary()), soft_wrap=True)
    if report.chain_error:
        err.print(f"[yellow]ChainUnavailable[/]: {escape(report.chain_error)}", soft_wrap=True)


@ledger_app.command("status")
def ledger_status(as_json: JsonOpt = False) -> None:
    """Tree size, unlogged events, the latest checkpoint and anchor, queued checkpoints."""
    from ops.ledger_service import status

    with ledger_platform() as p:
        st = status(p)
    if as_json:
        emit_json(st.to_json())
        return
    cp, anchor = st.latest_checkpoint, st.latest_anchor
    rows = [
        ("树 tree size", f"{st.tree_size} leaves, root {st.root}"),
        ("待记 unlogged", f"{st.unlogged} notification id(s) after {st.last_notification_id}"),
        ("检查点 checkpoint", "none" if cp is None else
            f"#{cp['seq']} size {cp['tree_size']} at {cp['created_at']} ({st.checkpoints} in all)"),
        ("锚定 anchor", "none" if anchor is None else
            f"size {anchor['tree_size']} block {anchor['block_number']} chain {anchor['chain_id']}"
            f" contract {anchor['contract']} tx {anchor['tx_hash']}"),
        ("排队 queued", f"{st.queued} checkpoint(s) await anchoring"),
        ("丢失 lost", f"{st.lost_anchors} anchor(s) lost by the chain and submitted again"),
        ("链 chain", st.chain),
        ("日志密钥 log key", st.log_key),
    ]  # fmt: skip
    from rich.cells import cell_len

    width = max(cell_len(label) for label, _ in rows) + 2
    for label, value in rows:  # padded by display width: CJK labels take two cells a character
        pad = " " * (width - cell_len(label))
        out.print(f"  {label}{pad}{escape(value)}", soft_wrap=True)


@audit_app.command("verify")
def audit_verify(
    as_json: JsonOpt = False,
    rpc: RpcOpt = None,
    log_key: LogKeyOpt = None,
    offline: Annotated[bool, typer.Option(help="do not check anchors on the chain")] = False,
    replay: Annotated[
        bool, typer.Option(help="also replay the log through the write path's rules")
    ] = False,
) -> None:
    """Recheck everything from the stored bytes: events, signatures, keys, catalog, leaves,
    checkpoints, consistency, anchors and the chain. Exit 0 only when everything holds;
    otherwise list every failing record (event id, leaf index, what failed) and exit 1.
    --replay also names every event the write path refuses when the log is replayed through
    it, with the error and the rule (one line each)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from ops.ledger_service import verify

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=as_json,
    )
    task = bar.add_task("审计 verifying events", total=None)
    with ledger_platform() as p, bar:
        report = verify(
            p,
            rpc_url=rpc,
            log_keys=log_key or (),
            offline=offline,
            replay=replay,
            progress=lambda n: bar.advance(task, n),
            total=lambda n: bar.update(task, total=n),
        )
    if as_json:
        emit_json(report.to_json())
    else:
        out.print(
            f"{report.events} events ({report.pending} not logged yet), {report.leaves} leaves, "
            f"{report.signatures} signatures, {report.checkpoints} checkpoints, "
            f"{report.anchors} anchors, {report.chain_anchors} on chain; "
            f"{report.seconds:.2f} s",
            soft_wrap=True,
        )
        for note in report.notes:
            err.print(f"[yellow]note[/]: {escape(note)}", soft_wrap=True)
        for f in report.failures:
            out.print(f"[bold red]FAIL[/] {escape(str(f))}", soft_wrap=True)
        out.print("[bold green]OK[/]" if report.ok else f"{len(report.failures)} failure(s)")
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("proof")
def audit_proof(
    event_id: Annotated[str, typer.Argument(help="<subject uuid>:<version>")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write the bundle here (default stdout)")
    ] = None,
) -> None:
    """Write the offline proof bundle of one event: envelope, signature, key, leaf, inclusion
    proof, signed checkpoint, log key, anchor and consistency proof (verify: audit check)."""
    from ops.ledger_service import make_bundle

    with ledger_platform() as p:
        bundle = make_bundle(p, event_id)
    text = json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(plain_text.escape(text))  # the same JSON value, safe on a terminal
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(type(exc).__name__, f"cannot write {output}: {exc.strerror or exc}")
        err.print(f"bundle of {escape(event_id)} written to {escape(str(output))}")


@audit_app.command("check")
def audit_check(
    file: Annotated[str, typer.Argument(help="a bundle from `audit proof`, or - for stdin")],
    rpc: RpcOpt = None,
    log_key: Annotated[
        str | None, typer.Option("--log-key", help="the log's verifier key you trust")
    ] = None,
    contract: Annotated[
        str | None, typer.Option("--contract", help="the Anchor contract address you trust")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify a bundle with no database: signature, leaf, inclusion, signed checkpoint,
    consistency to the anchor and, with --rpc, the anchor transaction on chain. Exit 1 naming
    what failed. Needs nothing of the platform: `python -m audit check` does the same."""
    from audit.bundle import check_bundle
    from audit.errors import RpcError
    from audit.rpc import RpcClient

    try:
        raw = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        doc = json.loads(raw)
    except (OSError, ValueError) as exc:
        fail("BundleFormatError", f"cannot read {file}: {exc}", 2)
    except RecursionError:
        fail("BundleFormatError", f"cannot read {file}: nested too deeply to be a bundle", 2)
    try:
        client = RpcClient(rpc) if rpc else None
    except RpcError as exc:
        fail("RpcError", str(exc), 2)
    result = check_bundle(doc, log_key=log_key, rpc=client, contract=contract)
    if as_json:
        emit_json(result.to_json())
    else:
        for step in result.steps:
            mark = {True: "[green]ok[/]  ", False: "[bold red]FAIL[/]", None: "[yellow]skip[/]"}
            out.print(f"{mark[step.ok]} {step.name:<12} {escape(step.detail)}", soft_wrap=True)
    if not result.ok:
        names = ", ".join(s.name for s in result.failed)
        fail("BundleInvalid", f"failed: {names}")


def _setting_problem(error: ErrorDetails) -> str:
    message = error["msg"].removeprefix("Value error, ")
    if message.startswith("ANJIAN_"):
        return message
    variable = "ANJIAN_" + "_".join(str(part) for part in error["loc"]).upper()
    return f"{variable}: {message}"


def main() -> None:
    try:
        app()
    except ValidationError as exc:  # settings from the environment, read at start-up
        problems = "; ".join(map(_setting_problem, exc.errors(include_input=False)))
        err.print(f"[bold red]SettingsError[/]: {escape(problems)}", markup=True, soft_wrap=True)
        sys.exit(2)
