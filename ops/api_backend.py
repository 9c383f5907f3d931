"""The API's view of the platform (api.backend.Backend), built from ops.bootstrap.Platform.

`open_backend(settings)` builds the platform once for the server's life (the API's lifespan
enters it at start-up), records the genesis when the store has none, and closes the platform
at shut-down. After a request stores new events the ledger syncs (log, checkpoint, anchor) in
the background, as `anjian record` does after its lines; a failed sync is logged, the events
stay stored and the next sync takes them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from api.backend import Backend
from ops.bootstrap import Platform, build
from ops.settings import Settings
from services.identity.port import Authenticator
from services.ingest.genesis import ensure_genesis
from services.ledger.errors import LedgerServiceError
from services.ledger.sync import sync

__all__ = ["backend_of", "open_backend"]

log = logging.getLogger("anjian.api")


def backend_of(
    p: Platform, authenticator: Authenticator | None = None, *, after_write: bool = True
) -> Backend:
    """The API's backend over `p`; `authenticator` defaults to the platform's identity
    store (`p.identity`). With `after_write`, each write is followed by a ledger sync in the
    background; without, a ledger follower of the running platform (ops/runtime.py) logs it."""
    auth: Authenticator = authenticator or p.identity

    def sync_ledger() -> None:
        try:
            sync(p.ledger)
        except LedgerServiceError as exc:
            log.error("ledger sync after a write: %s: %s", type(exc).__name__, exc)

    return Backend(
        ingest=p.ingest,
        readmodels=lambda: p.readmodels,
        ledger=lambda: p.ledger,
        authenticator=auth,
        zone=p.settings.zone,
        public_url=p.settings.public_url,
        secure_cookies=p.settings.public_url.startswith("https://"),
        after_write=sync_ledger if after_write else None,
    )


@contextmanager
def open_backend(settings: Settings) -> Iterator[Backend]:
    """The backend of a platform built from `settings`, open for the `with` block."""
    with build(settings) as p:
        ensure_genesis(p.ingest)
        yield backend_of(p)
