"""A ledger follower process for the crash test: catches up in small batches until the end.

Usage: python -m tests.ledger.crash_follower LOG_URL EVENT_STORE_ENV_JSON
Prints "ready" once open and "done" at the end; the test kills it (SIGKILL) at random points.
"""

from __future__ import annotations

import json
import sys
import time

from ledger.log import MerkleLog
from tests.ledger.toyapp import new_app


def main() -> None:
    url, env = sys.argv[1], json.loads(sys.argv[2])
    app = new_app(env)
    log = MerkleLog.open(url)
    print("ready", flush=True)
    # Small batches with a pause between them stretch the run, so that most kills land
    # between or inside batch transactions rather than after the end.
    while log.catch_up(app.recorder, batch=40, limit=40):
        time.sleep(0.002)
    print("done", flush=True)


if __name__ == "__main__":
    main()
