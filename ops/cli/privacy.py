"""CLI for personal data (个人信息, PIPL): `anjian privacy erase|subjects`.

Both commands first bring the read models up to the head of the log. Errors print
`ErrorName: message` on stderr and exit non-zero (2 for bad arguments).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

import typer
from rich.markup import escape

from domain.actor import PLATFORM_ACCOUNT
from ledger.privacy import VaultError
from ops.cli import arguments
from ops.cli.arguments import JsonOpt, RegionOpt
from ops.cli.context import fresh, platform
from ops.cli.output import emit_json, err, fail, local_time, out, text_table
from projections.personal_data import subjects
from services.erasure import erase

privacy_app = typer.Typer(
    help="个人信息 personal data (PIPL): sealed data subjects and their erasure.",
    no_args_is_help=True,
)


@privacy_app.command("erase")
def erase_command(
    subject: Annotated[str, typer.Argument(help="the data subject: the vault ref (a uuid)")],
    reason: Annotated[str | None, typer.Option("--reason", help="why (recorded)")] = None,
    account: Annotated[
        str, typer.Option("--as", help="the account that signs the erasure (default: platform)")
    ] = PLATFORM_ACCOUNT,
    sync: Annotated[
        bool, typer.Option(help="then log, checkpoint and anchor the erasure (anjian ledger sync)")
    ] = True,
    as_json: JsonOpt = False,
) -> None:
    """Erase a data subject's personal data (个人信息保护法 §47): record `person.erase`, then
    crypto-shred the subject's key.

    Every event and proof stays valid; the subject's sealed data in the log can no longer be
    opened. Erasing an erased subject records nothing and prints the original erasure event.
    Then the ledger syncs, as after `anjian record`.
    """
    from services.ledger.errors import LedgerServiceError
    from services.ledger.sync import sync as sync_ledger

    try:
        ref = UUID(subject)
    except ValueError:
        ref = None
    if ref is None or str(ref) != subject:
        fail("UsageError", f"SUBJECT must be a lower-case hyphenated uuid, got {subject!r}", 2)
    with platform() as p, fresh(p) as rm:
        try:
            with rm.engine.connect() as conn:
                done = erase(p.ingest, p.vault, conn, ref, reason=reason, account=account)
        except VaultError as exc:
            fail(type(exc).__name__, str(exc))
        rm.follower.catch_up()
        zone = p.settings.zone
        try:
            synced = sync_ledger(p.ledger) if sync and done.recorded_now else None
        except LedgerServiceError as exc:
            fail(type(exc).__name__, f"erased, but the ledger refused to go on: {exc}")
    if as_json:
        emit_json({**done.to_json(), "ledger": None if synced is None else synced.to_json()})
        return
    note = "" if done.recorded_now else " (recorded before; nothing recorded now)"
    out.print(done.event_id, soft_wrap=True)
    err.print(
        f"erased: subject {ref} of record {done.record}, key destroyed at "
        f"{local_time(done.shredded_at.isoformat(), zone)}{note}",
        soft_wrap=True,
    )
    if synced is not None:
        err.print(f"ledger: {escape(synced.summary())}", soft_wrap=True)


@privacy_app.command("subjects")
def subjects_command(region: RegionOpt = "420000", as_json: JsonOpt = False) -> None:
    """The data subjects of records in a jurisdiction, sealed or erased (refs only: the
    platform shows no person in the clear)."""
    jurisdiction = arguments.region(region)
    with platform() as p, fresh(p) as rm, rm.engine.connect() as conn:
        rows = subjects(conn, jurisdiction)
        zone = p.settings.zone
    if as_json:
        emit_json([r.to_json(zone) for r in rows])
        return
    out.print(
        text_table(
            f"个人信息主体 personal data subjects ({len(rows)})",
            ("主体 subject", "记录 record", "地区", "状态 status", "删除事件 erasure"),
            (
                (
                    r.ref,
                    f"{r.kind} {r.record}",
                    r.region,
                    "已删除 erased" if r.status == "erased" else "加密 sealed",
                    r.erasure_event_id or "",
                )
                for r in rows
            ),
        )
    )
