"""`anjian witness key | serve`: an independent tlog witness with its own key and state.

Neither touches a platform: a witness runs on its own data directory (ops/witness_state.py),
ideally on another machine under another operator, and follows the logs whose verifier keys
it is given.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ops.cli.output import fail

__all__ = ["witness_app"]

witness_app = typer.Typer(
    help="见证 witness: cosign checkpoints that extend what was cosigned before (C2SP).",
    no_args_is_help=True,
)

HomeOpt = Annotated[Path, typer.Option("--home", help="the witness's own data directory")]


@witness_app.command("key")
def witness_key(
    home: HomeOpt,
    name: Annotated[
        str | None, typer.Option("--name", help="key name when generating (a schema-less URL)")
    ] = None,
) -> None:
    """Print the witness's verifier key (C2SP vkey, type 0x04), generating the key if missing."""
    from ops.witness_state import load_or_create_key

    try:
        cosigner = load_or_create_key(home, name)
    except (OSError, ValueError) as exc:
        fail(type(exc).__name__, str(exc))
    print(cosigner.key.vkey)


@witness_app.command("serve")
def witness_serve(
    home: HomeOpt,
    log: Annotated[
        list[str], typer.Option("--log", help="verifier key of a log to witness (repeatable)")
    ],
    listen: Annotated[
        str, typer.Option("--listen", help="HOST:PORT to serve on (port 0: any free port)")
    ] = "127.0.0.1:8470",
) -> None:
    """Serve POST /add-checkpoint (c2sp.org/tlog-witness) for the given logs."""
    from audit.witness import Witness
    from ledger.errors import KeyFormatError
    from ledger.note import Verifier
    from ops.witness_server import serve
    from ops.witness_state import SqliteWitnessState, load_or_create_key

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        fail("BadParameter", f"--listen must be HOST:PORT, not {listen!r}", 2)
    try:
        logs = [Verifier.from_vkey(vkey) for vkey in log]
    except KeyFormatError as exc:
        fail("KeyFormatError", f"--log: {exc}", 2)
    try:
        witness = Witness(load_or_create_key(home), logs, SqliteWitnessState(home))
        serve(witness, host, int(port))
    except (OSError, ValueError) as exc:
        fail(type(exc).__name__, str(exc))
