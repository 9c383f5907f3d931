"""`anjian actors keys`: every actor's public keys and their history, for integrators who verify
the signatures of the events they receive (format: services/actor_keys.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ops.cli.arguments import JsonOpt
from ops.cli.context import platform
from ops.cli.output import emit_json, json_text, out, text_table
from services.actor_keys import actor_keys

__all__ = ["actors_app"]

actors_app = typer.Typer(
    help="主体账户 actors: the accounts that sign, and their keys.", no_args_is_help=True
)


@actors_app.command("keys")
def keys(
    to: Annotated[
        Path | None, typer.Option("--out", help="write the JSON to this file instead")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Each actor's keys: key id, base64 public key, status (current, rotated, revoked), since."""
    with platform() as p:
        found = actor_keys(p.records)
    if to is not None:
        to.write_text(json_text(found) + "\n", encoding="utf-8")
        count = sum(map(len, found.values()))
        out.print(f"{count} keys of {len(found)} actors in {to}", markup=False)
        return
    if as_json:
        emit_json(found)
        return
    rows = [
        (account, k["key_id"], k["status"], k["since"], k["public_key"])
        for account, entries in found.items()
        for k in entries
    ]
    out.print(
        text_table("actor keys", ["account", "key id", "status", "since", "public key"], rows)
    )
