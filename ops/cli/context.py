"""The platform of one command-line run: built once from the settings, closed at the end.

Every command that touches the store runs inside `platform()`: it builds the Platform
(ops.bootstrap.build) from the environment's settings, records the genesis when asked, and maps
the errors of the layers below to `ErrorName: message` on stderr, exit 1. Tests replace
`open_platform` to run commands against a platform they built.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from domain.errors import DomainError
from ops.bootstrap import Platform, build
from ops.cli_errors import fail
from ops.settings import load_settings
from projections.errors import ProjectionError
from services.ingest.genesis import ensure_genesis
from services.ledger.errors import LedgerServiceError

__all__ = ["open_platform", "platform"]


def open_platform() -> AbstractContextManager[Platform]:
    """The platform of this run's settings (read from the environment now)."""
    return build(load_settings())


@contextmanager
def platform(*, genesis: bool = False) -> Iterator[Platform]:
    """The run's platform; with `genesis`, the store holds the genesis event first."""
    with open_platform() as p:
        try:
            if genesis:
                ensure_genesis(p.ingest)
            yield p
        except (DomainError, ProjectionError, LedgerServiceError) as exc:
            fail(type(exc).__name__, str(exc))
