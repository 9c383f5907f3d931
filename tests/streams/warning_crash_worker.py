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

from nats.aio.msg import Msg

from ops.modules import warning_worker
from tests.streams.support import platform


def main(home: Path, url: str) -> None:
    with platform(home, url) as p:
        worker = warning_worker(p)
        worker.ack_wait = 1.0

        async def handle(msg: Msg) -> None:
            rec = worker.verify(msg.data)
            decisions = worker.policy.observe(rec)
            for decision in decisions:
                worker._record(decision)
            if decisions:
                os.kill(os.getpid(), signal.SIGKILL)  # stored, not acked
            await msg.ack_sync()

        worker._handle = handle  # type: ignore[method-assign]
        worker.run(threading.Event())


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
