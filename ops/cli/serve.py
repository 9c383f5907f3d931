"""`anjian serve` and `anjian worker`: the running platform (ops/server.py)."""

from __future__ import annotations

from typing import Annotated

import typer

from ops.cli.output import fail

__all__ = ["serve", "worker"]

WORKERS = ("ledger", "projections", "relay", "warning", "emergency")


def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
    api_only: Annotated[
        bool,
        typer.Option(
            "--api-only",
            help="the API alone: followers and workers run as `anjian worker` processes",
        ),
    ] = False,
) -> None:
    """Run the platform until SIGTERM or Ctrl-C: the HTTP API (OpenAPI at /openapi.json, docs
    at /docs, /healthz, /readyz), the ledger follower (log, checkpoint, anchor), the read
    models' follower and the stream relay, with the embedded nats-server and chain node; a
    part that dies is restarted. SIGTERM drains: requests in flight finish, followers store
    their positions, the children stop; exit 0."""
    import logging

    from ops.server import serve as run
    from ops.settings import load_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    run(load_settings(), host, port, api_only=api_only)


def worker(
    name: Annotated[str, typer.Argument(help=" | ".join(WORKERS))],
) -> None:
    """Run one follower or worker of the platform alone, until SIGTERM or Ctrl-C (the
    scale-out shape: API replicas with `serve --api-only`, one process per worker): ledger,
    projections, relay, or a module of the stream (warning 风险预警, emergency 应急协调指挥)."""
    if name not in WORKERS:
        fail("UsageError", f"no worker {name!r} (known: {', '.join(WORKERS)})", 2)
    import logging

    from ops.server import work
    from ops.settings import load_settings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    work(load_settings(), name)
