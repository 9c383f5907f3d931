"""A warning worker process that kills itself (SIGKILL) right after storing the commands an
event decided and before acknowledging the event: the crash the worker must survive.

    python -m tests.streams.warning_crash_worker HOME NATS_URL
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from domain.policy import Decision
from ops.modules import warning_worker
from tests.streams.support import platform


def main(home: Path, url: str) -> None:
    with platform(home, url) as p:
        worker = warning_worker(p)
        worker.ack_wait = 1.0
        store = worker._record_all

        def store_then_die(decisions: list[Decision]) -> None:
            store(decisions)
            if decisions:
                os.kill(os.getpid(), signal.SIGKILL)  # stored, not acked

        worker._record_all = store_then_die  # type: ignore[method-assign]
        worker.run(threading.Event())


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
