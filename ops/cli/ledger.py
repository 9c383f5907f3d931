"""`anjian ledger sync | status`: the Merkle log of every event, checkpoints, anchors.

Both work on the platform's long-lived ledger (services/ledger: the log, checkpoints and
anchors, the chain wired by ops/chain.py); neither writes records, so neither records the
genesis.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.cells import cell_len
from rich.markup import escape

from ops.bootstrap import Platform
from ops.cli.arguments import JsonOpt
from ops.cli.context import platform
from ops.cli.output import emit_json, err, fail, out
from services.ledger.errors import LedgerServiceError

__all__ = ["ledger_app", "sync_after"]

ledger_app = typer.Typer(
    help="账本 ledger: the Merkle log of every event, signed checkpoints, chain anchors.",
    no_args_is_help=True,
)


def sync_after(p: Platform, *, what: str) -> None:
    """Sync the ledger after a command wrote (`what`: "recorded", "erased"), one line on
    stderr; a halted ledger ends the command, saying the write itself is done."""
    from services.ledger.sync import sync

    try:
        report = sync(p.ledger)
    except LedgerServiceError as exc:
        fail(type(exc).__name__, f"{what}, but the ledger refused to go on: {exc}")
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
    from services.ledger.sync import sync

    with platform() as p:
        report = sync(p.ledger, anchor=anchor)
    if as_json:
        emit_json(report.to_json())
    else:
        out.print(escape(report.summary()), soft_wrap=True)
    if report.chain_error:
        err.print(f"[yellow]ChainUnavailable[/]: {escape(report.chain_error)}", soft_wrap=True)
    for w in report.witnesses:
        if not w.cosigned:
            err.print(f"[yellow]NotCosigned[/]: {escape(str(w))}", soft_wrap=True)


@ledger_app.command("status")
def ledger_status(as_json: JsonOpt = False) -> None:
    """Tree size, unlogged events, the latest checkpoint and anchor, queued checkpoints."""
    from ops.key_directory import keys_statement
    from services.ledger.status import status

    with platform() as p:
        st = status(p.ledger)
        apart, keys = keys_statement(p.settings)
    if as_json:
        emit_json({**st.to_json(), "keys": {"apart": apart, "statement": keys}})
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
        *(("见证 witness", f"{w['witness']} ({w['url']}): " + (f"cosigned size {w['tree_size']}"
            f" at {w['at']}" if w["cosigned"] else f"NOT cosigned: {w['error']}"))
          for w in st.witnesses),
        ("密钥 keys", keys),
    ]  # fmt: skip
    rows += [
        ("链信任 chain trust", ("FLAG " if f["failure"] else "") + f["message"]) for f in st.trust
    ]
    width = max(cell_len(label) for label, _ in rows) + 2
    for label, value in rows:  # padded by display width: CJK labels take two cells a character
        pad = " " * (width - cell_len(label))
        out.print(f"  {label}{pad}{escape(value)}", soft_wrap=True)
