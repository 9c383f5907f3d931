"""Connecting to NATS the way every part of the stream does: fail fast, quietly.

nats-py retries an unreachable server for ever by default, printing a traceback each time.
Here a server is tried twice, 0.1 s apart, and a failed attempt is logged at debug level; the
caller (the relay's backoff, a CLI command's one-line error) decides what happens next.
"""

from __future__ import annotations

import logging
from typing import Any

import nats
from nats.aio.client import Client

__all__ = ["connect"]

log = logging.getLogger("anjian.streams")


async def _quiet(exc: Exception) -> None:
    log.debug("nats: %s", exc)


async def connect(url: str, *, timeout: float = 2.0, **options: Any) -> Client:
    """A connection to the server(s) of `url` (comma-separated); nats-py's errors if none
    answers. `options` go to nats.connect (user, password, token, user_credentials, …)."""
    return await nats.connect(
        url.split(","),
        allow_reconnect=False,
        connect_timeout=timeout,
        max_reconnect_attempts=1,
        reconnect_time_wait=0.1,
        error_cb=_quiet,
        **options,
    )
