"""`anjian record | show | history | enterprises | catalog`: the records themselves.

`record` is the write: its lines go through services/ingest (parse, seal, sign custodially for
the principal the operator names, record in batches) and each batch's receipts are printed as
soon as it commits; then the ledger syncs. The others read one event, one enterprise's
lifecycle, a jurisdiction's enterprises, or the catalog.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from domain.catalog import CATALOG
from domain.errors import DomainError
from domain.regions import region_name
from ops.cli import arguments
from ops.cli.arguments import JsonOpt
from ops.cli.context import fresh, platform
from ops.cli.ledger import sync_after
from ops.cli.output import (
    emit_json,
    emit_json_line,
    fail,
    highlighted_json,
    local_time,
    out,
    text_table,
    timeline_when,
)
from ops.cli.receipt_files import ReceiptFileConflict, ReceiptFiles
from ops.cli.stream import stream_after
from projections.catalog_view import event_name_of
from services.ingest.batches import Committed, LineRefused, bounded_lines
from services.ingest.principal import Principal
from services.stored_events import record_json

if TYPE_CHECKING:
    from services.ledger.displayed import Verified

__all__ = ["catalog", "enterprises", "history", "record", "show"]


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
    receipts: Annotated[
        Path | None,
        typer.Option(
            "--receipts",
            metavar="DIR",
            help="write each event's receipt signed by the log key to DIR (check it later: "
            "anjian audit receipt)",
        ),
    ] = None,
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

    With `--receipts DIR`, each event's receipt, signed by the log key (its event id,
    notification id, leaf hash and recorded time: a promise that the log will include that
    leaf), is written to DIR as `<uuid>_<version>.receipt` before its id is printed, and
    --json lines carry it as "receipt". A different receipt already stored under that name is
    never overwritten.
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
    try:
        files = ReceiptFiles(receipts) if receipts is not None else None
    except OSError as exc:
        fail(type(exc).__name__, f"cannot use {receipts} for receipts: {exc.strerror or exc}")
    with platform(genesis=True, create=True) as p, stream:
        printed = 0
        try:
            for committed in p.ingest.record(
                bounded_lines(stream), principal, batch=batch, signed=files is not None
            ):
                _keep(committed, files)
                _receipts(committed, as_json)
                printed += len(committed.recorded)
        except LineRefused as exc:  # nothing of its batch is stored
            fail(type(exc.cause).__name__, f"{exc.where}: {exc.cause}")
        if sync and printed:
            sync_after(p, what="recorded")
        if printed:
            stream_after(p)  # publishes when NATS is external or already running


def _keep(committed: Committed, files: ReceiptFiles | None) -> None:
    """Write a committed batch's signed receipts to the receipts directory."""
    if files is None:
        return
    for recorded, note in zip(committed.recorded, committed.signed, strict=True):
        try:
            files.write(recorded.event_id, note)
        except ReceiptFileConflict as exc:
            fail("ReceiptFileConflict", f"event {recorded.event_id} is stored; {exc}")
        except OSError as exc:
            fail(type(exc).__name__, f"event {recorded.event_id} is stored; {exc}")


def _receipts(committed: Committed, as_json: bool) -> None:
    """Print one committed batch's receipts and flush them: whenever the run stops, every id
    it printed is stored."""
    for receipt in committed.receipts():
        if as_json:
            emit_json_line(receipt)
        else:
            sys.stdout.write(receipt["event_id"] + "\n")
    sys.stdout.flush()


def show(event_id: str, as_json: JsonOpt = False) -> None:
    """Show one stored event: envelope, signature, key and when it was recorded, verified
    first: its signature against the key its actor held at that point of the log and, once
    logged, the stored event against its leaf. A failed check is shown with the event
    (--json: `verified.failed`) and the command exits 1 (EventTampered)."""
    from services.ledger.bundle import notification_id_of
    from services.ledger.displayed import verify_shown

    arguments.event_id(event_id)
    with platform(genesis=True) as p:
        rec = p.records.stored(event_id)
        nid = notification_id_of(p.ledger, rec.subject, rec.version)
        verified = verify_shown(p.ledger, [nid])[nid] if nid is not None else None
        if as_json:
            shown = record_json(rec)
            shown["notification_id"] = nid  # the stored record does not carry it
            shown["verified"] = verified.to_json() if verified is not None else None
            emit_json(shown)
        else:
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
            _print_verified(verified)
            out.print(highlighted_json(env["data"]))
    _fail_if_tampered([verified] if verified is not None else [])


def _print_verified(verified: Verified | None) -> None:
    if verified is not None and verified.ok:
        out.print(f"  {'核验 verified':<16} ok: {escape(verified.summary)}", soft_wrap=True)
        return
    why = verified.summary if verified is not None else "its notification is not in the store"
    out.print(f"  [bold red]{'核验 TAMPERED':<16} {escape(why)}[/]", soft_wrap=True)


def _fail_if_tampered(verdicts: Sequence[Verified | None]) -> None:
    bad = [v for v in verdicts if v is None or not v.ok]
    if bad:
        named = ", ".join(v.event_id if v is not None else "?" for v in bad)
        fail("EventTampered", f"{len(bad)} shown event(s) failed verification: {named}")


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

    Each entry's event is verified before it is shown (as `anjian show` does): column 核验
    says ok or which check failed (--json: `verified`), failed events are listed under the
    table, and the command then exits 1 (EventTampered).
    """
    from projections.timeline import lifecycle
    from services.ledger.displayed import verify_shown

    arguments.uscc(enterprise)
    arguments.region(region)
    with platform() as p, fresh(p) as rm, rm.engine.connect() as conn:
        life = lifecycle(conn, enterprise, region)
        zone = p.settings.zone
        verdicts = verify_shown(p.ledger, [e.notification_id for e in life.entries])
    if not life.entries:
        fail("NotFound", f"enterprise {enterprise} has no records in jurisdiction {region}")
    shown = [verdicts[e.notification_id] for e in life.entries]
    if as_json:
        emit_json(
            [
                {**e.to_json(zone), "verified": v.to_json()}
                for e, v in zip(life.entries, shown, strict=True)
            ]
        )
        _fail_if_tampered(shown)
        return
    out.print(
        text_table(
            f"{enterprise} 全生命周期记录 ({len(life.entries)})",
            ("#", "发生时间", "阶段", "事件", "主体", "事件ID", "核验"),
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
                    f"{e.event} {e.type}" + "".join(f"\n← {c}" for c in e.cites),
                    e.actor,
                    e.event_id,
                    "ok" if v.ok else "TAMPERED " + ", ".join(f.check for f in v.failures),
                )
                for e, v in zip(life.entries, shown, strict=True)
            ),
        )
    )
    reached = " → ".join(f"{s}({len(ids)})" for s, ids in life.stages.items() if ids)
    out.print(f"阶段 stages: {reached}", soft_wrap=True)
    for v in shown:
        if not v.ok:
            out.print(
                f"[bold red]TAMPERED[/] {escape(v.event_id)}: {escape(v.summary)}", soft_wrap=True
            )
    _fail_if_tampered(shown)


def enterprises(
    region: Annotated[str, typer.Option(help="GB/T 2260 code of a jurisdiction")] = "420000",
    name: Annotated[
        str | None, typer.Option("--name", help="any part of the name (企业名称), e.g. 化工")
    ] = None,
    uscc: Annotated[str | None, typer.Option("--uscc", help="any part of the USCC")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Registered enterprises in a jurisdiction, in the order they were registered; with
    --name or --uscc, those whose name or USCC holds the text, by USCC.

    Deregistered enterprises are listed too, with their status. Read from the
    enterprise directory, brought up to the head of the log first.
    """
    from projections.enterprises import in_registration_order
    from projections.search import find_enterprises

    arguments.region(region)
    with platform() as p, fresh(p) as rm, rm.engine.connect() as conn:
        if name or uscc:
            rows = find_enterprises(conn, region, name=name, uscc=uscc)
        else:
            rows = in_registration_order(conn, region)
        zone = p.settings.zone
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
