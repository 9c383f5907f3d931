"""`anjian integrators add | list | revoke`: read-only NATS users for other departments' systems.

Each integrator is an nkey user confined to one jurisdiction (and optionally some kinds of
record): ops/integrators.py says exactly what it may do. `add` prints the seed once and keeps
only the public key; `revoke` refuses the integrator's connections from then on. Both apply
the change to the embedded NATS server without restarting it (ops/nats_access.py). A bad name,
region or kind ends with one line and exit 2, before anything is written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from ops.cli.arguments import JsonOpt
from ops.cli.output import emit_json, err, fail, out, text_table

__all__ = ["integrators_app"]

integrators_app = typer.Typer(
    help="数据对接 integrators: read-only NATS access to the event stream of one jurisdiction.",
    no_args_is_help=True,
)


def _keystore_of(settings: Any) -> Any:
    from ops.home import secure_home
    from ops.key_directory import KeysDirError, key_directory
    from ops.keystore import Keystore

    secure_home(settings)
    try:
        return Keystore(key_directory(settings))
    except KeysDirError as exc:
        fail(type(exc).__name__, str(exc))


def _apply(settings: Any, keystore: Any) -> str:
    from ops.nats_server import NatsServerError

    try:
        from ops.nats_access import apply_integrators

        return apply_integrators(settings, keystore)
    except NatsServerError as exc:
        fail(
            type(exc).__name__,
            f"{exc} (the change is stored: the server applies it at its next start or reload)",
        )


def _servers(settings: Any) -> str:
    """The URL(s) an integrator connects to."""
    from ops.nats_access import nats_directory

    if settings.nats_url:
        return str(settings.nats_url)
    try:
        port = int((nats_directory(settings) / "port").read_text(encoding="ascii"))
    except (OSError, ValueError):
        return "(the embedded server has not run yet: its port is chosen at its first start)"
    return f"nats://127.0.0.1:{port}"


@integrators_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="the integrator: 2-32 of a-z, 0-9, '-'")],
    region: Annotated[
        str, typer.Option("--region", help="its jurisdiction: 420000, 420100, 420102, ...")
    ],
    kinds: Annotated[
        str | None,
        typer.Option("--kinds", help="only these kinds of record, e.g. hazard,penalty"),
    ] = None,
    seed_file: Annotated[
        Path | None,
        typer.Option("--seed-file", help="also write the seed to this new file (mode 0600)"),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a read-only NATS user for an integrator; print its nkey seed ONCE."""
    from ops.integrators import (
        IntegratorError,
        IntegratorStore,
        InvalidIntegrator,
        check_kinds,
        check_name,
        check_region,
        grants,
        new_user_seed,
        public_key_of,
    )
    from ops.nats_access import nats_directory
    from ops.settings import load_settings

    wanted = [k.strip() for k in kinds.split(",")] if kinds is not None else []
    try:
        check_name(name)
        check_region(region)
        if kinds is not None and not all(wanted):
            raise InvalidIntegrator("--kinds lists kinds separated by commas, none empty")
        check_kinds(wanted)
    except InvalidIntegrator as exc:
        fail(type(exc).__name__, str(exc), 2)
    if seed_file is not None and seed_file.exists():
        fail("FileExistsError", f"{seed_file} exists: the seed is written to a new file only", 2)
    if seed_file is not None and not seed_file.parent.is_dir():
        fail("FileNotFoundError", f"no directory {seed_file.parent} for the seed file", 2)
    settings = load_settings()
    keystore = _keystore_of(settings)
    seed = new_user_seed()
    try:
        integrator = IntegratorStore(nats_directory(settings)).add(
            name, region, wanted, public_key_of(seed)
        )
    except IntegratorError as exc:
        fail(type(exc).__name__, str(exc))
    if seed_file is not None:
        from ops.nats_server import write_private

        write_private(seed_file, seed.decode("ascii") + "\n")
    applied = _apply(settings, keystore)
    consumers = [{"durable": g.consumer, "filter": g.filter} for g in grants(integrator)]
    answer = {
        "name": integrator.name,
        "region": integrator.region,
        "kinds": list(integrator.kinds),
        "public_key": integrator.public_key,
        "seed": seed.decode("ascii"),
        "servers": _servers(settings),
        "inbox_prefix": integrator.inbox_prefix,
        "stream": "ANJIAN_EVENTS",
        "consumers": consumers,
    }
    if as_json:
        emit_json(answer)
    else:
        for key in ("name", "region", "public_key", "servers", "inbox_prefix", "stream"):
            out.print(f"{key:<13} {answer[key]}", markup=False, soft_wrap=True)
        for c in consumers:
            out.print(f"{'consumer':<13} {c['durable']} over {c['filter']}", markup=False)
        out.print(f"{'seed':<13} {answer['seed']}", markup=False, soft_wrap=True)
        out.print(
            "the seed is shown this once and kept nowhere: hand it to the integrator over a "
            "secure channel (nats.connect(..., nkeys_seed_str=SEED, inbox_prefix=...))",
            markup=False,
            soft_wrap=True,
        )
    err.print(escape(applied), soft_wrap=True)


@integrators_app.command("list")
def list_command(as_json: JsonOpt = False) -> None:
    """The integrators (active and revoked): names, scopes, public keys. No secrets."""
    from dataclasses import asdict

    from domain.regions import region_name
    from ops.integrators import IntegratorStore
    from ops.nats_access import nats_directory
    from ops.settings import load_settings

    known = IntegratorStore(nats_directory(load_settings())).all()
    if as_json:
        emit_json([asdict(i) | {"kinds": list(i.kinds)} for i in known])
        return
    rows = [
        (
            i.name,
            f"{i.region} {region_name(i.region)}",
            ",".join(i.kinds) or "all",
            i.public_key,
            i.created,
            i.revoked or "",
        )
        for i in known
    ]
    out.print(
        text_table(
            "integrators", ["name", "region", "kinds", "public key", "created", "revoked"], rows
        )
    )


@integrators_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="the integrator to refuse from now on")],
) -> None:
    """Revoke an integrator: the NATS server refuses it (and drops its connections) at once."""
    from ops.integrators import IntegratorError, IntegratorStore
    from ops.nats_access import nats_directory
    from ops.settings import load_settings

    settings = load_settings()
    store = IntegratorStore(nats_directory(settings))
    if not any(i.name == name and i.active for i in store.all()):
        fail("UnknownIntegrator", f"no active integrator named {name}")
    keystore = _keystore_of(settings)
    try:
        revoked = store.revoke(name)
    except IntegratorError as exc:
        fail(type(exc).__name__, str(exc))
    applied = _apply(settings, keystore)
    out.print(f"revoked {revoked.name} at {revoked.revoked}", markup=False)
    err.print(escape(applied), soft_wrap=True)
