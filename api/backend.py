"""What the API needs from the platform, handed to `create_app` by ops (ops/api_backend.py).

The API never builds adapters: the composition root builds the Platform once and gives the
API this view of it. Reads go through the read models after they are brought up to the head
of the log (the same query functions the command line calls); writes go through the one
ingest path as the authenticated caller's principal. Both are serialised where the layers
below hold one process-wide state (the write path's batch verifier, the read models'
follower), so the threads of the server never race them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import tzinfo

from sqlalchemy import Connection

from domain.application import Records
from services.health import Readiness
from services.identity.port import Authenticator
from services.ingest.batches import Committed, Line
from services.ingest.principal import Principal
from services.ingest.service import Ingest
from services.ledger.stores import Ledger
from services.readmodels import ReadModels

__all__ = ["MAX_BODY_BYTES", "MAX_COMMANDS", "Backend"]

MAX_BODY_BYTES = 5 * 1024 * 1024  # a request body larger than this is refused (413)
MAX_COMMANDS = 500  # commands in one POST /v1/commands (413 beyond)


@dataclass
class Backend:
    """The platform as the API sees it (see the module docstring)."""

    ingest: Ingest
    readmodels: Callable[[], ReadModels]  # opened on first use
    ledger: Callable[[], Ledger]  # opened on first use
    authenticator: Authenticator
    zone: tzinfo
    public_url: str  # no trailing slash
    secure_cookies: bool = True  # the session cookie's Secure flag (an https public URL)
    after_write: Callable[[], object] | None = None  # e.g. log, checkpoint and anchor
    readiness: Readiness | None = None  # the running platform's components (/readyz)
    draining: threading.Event = field(default_factory=threading.Event)  # set on SIGTERM
    max_body_bytes: int = MAX_BODY_BYTES
    max_commands: int = MAX_COMMANDS
    _write_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _follow_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def records(self) -> Records:
        return self.ingest.records

    def record(self, lines: Iterable[Line], principal: Principal) -> list[Committed]:
        """Record `lines` as one all-or-nothing batch for `principal`, with signed receipts;
        LineRefused names the refused command (nothing stored)."""
        batch = list(lines)
        with self._write_lock:
            return list(self.ingest.record(batch, principal, batch=len(batch), signed=True))

    def caught_up(self) -> tuple[ReadModels, int]:
        """The read models, brought up to the head of the log first, and the log position
        they reflect."""
        rm = self.readmodels()
        with self._follow_lock:
            rm.follower.catch_up()
            return rm, rm.follower.position()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A connection to the read models, brought up to the head of the log first."""
        rm, _ = self.caught_up()
        with rm.engine.connect() as conn:
            yield conn
