"""An exclusive advisory lock on a file in the data directory, across processes.

The ledger takes $ANJIAN_HOME/ledger.lock for a whole sync (one writer of the log, its
checkpoints and anchors at a time) and $ANJIAN_HOME/chain/node.lock while the embedded chain
node runs (one anvil per state file). flock(2) locks are released by the kernel when the
holder dies, so a crashed sync never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["locked"]


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created with its parent folders if missing); blocks
    while another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
