"""The platform of one command-line run: built once from the settings, closed at the end.

Every command that touches the store runs inside `platform()`: it builds the Platform
(ops.bootstrap.build) from the environment's settings, records the genesis when asked, and maps
the errors of the layers below to `ErrorName: message` on stderr, exit 1. Queries read the
read models through `fresh(p)`, brought up to the head of the log first. Tests replace
`open_platform` to run commands against a platform they built.

Only the commands that create records or accounts (`demo`, `record`, `users add`:
`platform(create=True)`) may start an embedded store where there is none; any other command run
without one (ANJIAN_HOME unset or mistyped) fails with `NoStore` naming the directory, instead of
answering from a store it silently created empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import datetime

from domain.errors import DomainError
from ops.bootstrap import Platform, build
from ops.cli.output import err, fail
from ops.key_directory import KeysDirError, check_apart
from ops.nats_server import NatsServerError
from ops.settings import Settings, load_settings
from projections import quarantine
from projections.errors import ProjectionError
from services.ingest.genesis import ensure_genesis
from services.ledger.errors import LedgerServiceError
from services.readmodels import ReadModels

__all__ = ["fresh", "open_platform", "platform", "require_store"]


def open_platform() -> AbstractContextManager[Platform]:
    """The platform of this run's settings (read from the environment now)."""
    return build(load_settings())


def require_store(settings: Settings) -> None:
    """Fail with NoStore, naming where it was looked for, when the embedded event store does not
    exist (a PostgreSQL store is the server's to have)."""
    if settings.is_postgres or settings.sqlite_path.exists():
        return
    if settings.database_url:
        where = f"ANJIAN_DATABASE_URL names {settings.sqlite_path}, which does not exist"
    elif not settings.home.exists():
        where = f"the data directory {settings.home.resolve()} (ANJIAN_HOME) does not exist"
    else:
        where = f"the data directory {settings.home.resolve()} (ANJIAN_HOME) holds no event store"
    fail(
        "NoStore",
        f"{where}; set ANJIAN_HOME to the platform's data directory, "
        "or create one with `anjian demo`, `anjian record` or `anjian users add`",
    )


@contextmanager
def platform(*, genesis: bool = False, create: bool = False) -> Iterator[Platform]:
    """The run's platform; with `genesis`, the store holds the genesis event first; unless
    `create`, its embedded store must exist already (require_store)."""
    try:
        if not create:
            settings = load_settings()
            check_apart(settings)
            require_store(settings)
        opened = open_platform()
    except KeysDirError as exc:  # before anything is opened: nothing written
        fail(type(exc).__name__, str(exc))
    with opened as p:
        try:
            if genesis:
                ensure_genesis(p.ingest)
            yield p
        except (DomainError, ProjectionError, LedgerServiceError, NatsServerError) as exc:
            fail(type(exc).__name__, str(exc))


@contextmanager
def fresh(p: Platform, catch_up: bool = True, at: datetime | None = None) -> Iterator[ReadModels]:
    """The run's read models, brought up to the head of the log first (unless not
    `catch_up`); says on stderr how many stored events they leave out.

    With `at` (a command's --at) earlier than anything could yet have occurred, the read models
    as they stood at `at` instead: every projection rebuilt from the events that occurred by
    then (ReadModels.as_of). From `at` on, no stored event can lie after it (the write path
    refuses an occurred_at later than its recorded time plus the clock skew), so the current
    read models are that view already."""
    with ExitStack() as stack:
        rm = p.readmodels
        if at is not None and at <= p.records.clock() + p.records.skew:
            rm = stack.enter_context(rm.as_of(at))
        elif catch_up:
            rm.follower.catch_up()
        with rm.engine.connect() as conn:
            n = quarantine.count(conn)
        if n:
            err.print(
                f"[yellow]note[/]: {n} stored event(s) set aside, unreadable by the read models, "
                "are left out of this answer (anjian projections quarantine)",
                soft_wrap=True,
            )
        yield rm
